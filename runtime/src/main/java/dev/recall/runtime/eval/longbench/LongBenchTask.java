package dev.recall.runtime.eval.longbench;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.eval.longbench.LongBenchMetrics.Metric;
import dev.recall.runtime.strategy.StrategyOptions.Selection;

import java.util.List;

/**
 * A LongBench task as the OPRM reference runs it (assafbk/OPRM, {@code eval_longbench_oprm.py}):
 * the instruction before the context, the question after it (a second form carrying the IDK
 * instruction, used when OPRM's filter is on), the tokens it may generate ({@code dataset_ntoks}),
 * OPRM's chunk selection ({@code dataset_to_select_method}, and {@code lcc}'s last chunk), and the
 * metric LongBench scores it with ({@code dataset2metric} in LongBench's eval.py). Where the
 * reference has a per-model variant, the generic one is used; the model's turn markers come from
 * its chat template ({@code --chat}) instead of the reference's hard-coded ids.
 *
 * @param before     the text before the context
 * @param question   the text after it, with {@code {input}} for the sample's input
 * @param beforeIdk  the text before the context when the IDK filter is on (null: {@code before})
 * @param questionIdk the text after it when the IDK filter is on (null: {@code question})
 */
public record LongBenchTask(String name, Metric metric, int maxTokens, Selection selection, String before,
                            String question, String beforeIdk, String questionIdk) {

    private static final String IDK = " If the answer does not exist in the passages, return \"Error\".";
    private static final String QA_BEFORE = "Answer the question based on the given passages. Only give me the answer and "
            + "do not output any other words.\n\nThe following are given passages.\n ";
    private static final String QA_AFTER = "\n\nAnswer the question based on the given passages. Only give me the answer "
            + "and do not output any other words.";

    /** The tasks of LongBench (English) that the reference has templates for. */
    public static final List<LongBenchTask> ALL = List.of(
            qa("hotpotqa"), qa("2wikimqa"), qa("musique"),
            new LongBenchTask("narrativeqa", Metric.QA_F1, 20, Selection.ENTROPY,
                    "You are given a story, which can be either a novel or a movie script, and a question. Answer the "
                            + "question asconcisely as you can, using a single phrase if possible. Do not provide any "
                            + "explanation.\n\nStory: ",
                    "\n\nNow, answer the question based on the story as concisely as you can, using a single phrase if "
                            + "possible. Do not provide any explanation.\n\nQuestion: {input}\n\nAnswer: ",
                    null,
                    "\n\nNow, answer the question based on the story as concisely as you can, using a single phrase if "
                            + "possible. Do not provide any explanation." + IDK + "\n\nQuestion: {input}\n\nAnswer: "),
            new LongBenchTask("qasper", Metric.QA_F1, 20, Selection.ENTROPY,
                    qasper("You are given a scientific article and a question. Answer the question", "unanswerable")
                            + "\n\nArticle: ",
                    "\n\n " + qasper("Answer the question based on the above article", "unanswerable")
                            + "\n\nQuestion: {input}\n\nAnswer:",
                    qasper("You are given a scientific article and a question. Answer the question", "Error")
                            + "\n\nArticle: ",
                    "\n\n " + qasper("Answer the question based on the above article", "Error")
                            + "\n\nQuestion: {input}\n\nAnswer:"),
            new LongBenchTask("multifieldqa_en", Metric.QA_F1, 20, Selection.ENTROPY,
                    "Read the following text and answer briefly.\n\n",
                    "\n\nNow, answer the following question based on the above text, only give me the answer and do not "
                            + "output any other words.\n\nQuestion: {input}\nAnswer: ",
                    null,
                    "\n\nNow, answer the following question based on the above text, only give me the answer and do not "
                            + "output any other words." + IDK + "\n\nQuestion: {input}\nAnswer: "),
            new LongBenchTask("gov_report", Metric.ROUGE_L, 500, Selection.ENTROPY_SUMMARY,
                    "You are given a report by a government agency. Write a one-page summary of the report.\n\nReport:\n",
                    "\n\nNow, write a one-page summary of the report.\n\nSummary: ", null, null),
            new LongBenchTask("qmsum", Metric.ROUGE_L, 250, Selection.ENTROPY_SUMMARY,
                    "You are given a meeting transcript and a query containing a question or instruction. Answer the "
                            + "query in one or more sentences.\n\nTranscript:\n",
                    "\n\nNow, answer the query based on the above meeting transcript in one or more sentences.\n\nQuery: "
                            + "{input}\nAnswer: ", null, null),
            new LongBenchTask("multi_news", Metric.ROUGE_L, 250, Selection.ENTROPY_SUMMARY,
                    "You are given several news passages. Write a one-page summary of all news. \n\nNews:\n",
                    "\n\nNow, write a one-page summary of all the news.\n\nSummary: ", null, null),
            new LongBenchTask("trec", Metric.CLASSIFICATION, 20, Selection.ENTROPY,
                    "Please determine the type of the question below. Here are some examples of questions.\n\n",
                    "\n{input}", null, null),
            new LongBenchTask("triviaqa", Metric.QA_F1, 20, Selection.ENTROPY,
                    "Answer the question based on the given passage. Only give me the answer and do not output any other "
                            + "words. The following are some examples.\n\n", "\n\n{input}", null, null),
            new LongBenchTask("samsum", Metric.ROUGE_L, 250, Selection.ENTROPY,
                    "Summarize the dialogue into a few short sentences. The following are some examples.\n\n",
                    "\n\n{input}", null, null),
            new LongBenchTask("passage_count", Metric.COUNT, 20, Selection.ENTROPY,
                    "There are some paragraphs below sourced from Wikipedia. Some of them may be duplicates. Please "
                            + "carefully read these paragraphs and determine how many unique paragraphs there are after "
                            + "removing duplicates. In other words, how many non-repeating paragraphs are there in total?\n\n",
                    "\n\nPlease enter the final count of unique paragraphs after removing duplicates. The output format "
                            + "should only contain the number, such as 1, 2, 3, and so on.\n\nThe final answer is: ",
                    null, null),
            new LongBenchTask("passage_retrieval_en", Metric.RETRIEVAL, 20, Selection.ENTROPY,
                    "Here are 30 paragraphs from Wikipedia, along with an abstract. Please determine which paragraph the "
                            + "abstract is from.\n\n",
                    "\n\nThe following is an abstract.\n\n{input}\n\nPlease enter the number of the paragraph that the "
                            + "abstract is from. The answer format must be like \"Paragraph 1\", \"Paragraph 2\", etc.\n\n"
                            + "The answer is: ",
                    null,
                    "\n\nThe following is an abstract.\n\n{input}\n\nPlease enter the number of the paragraph that the "
                            + "abstract is from. The answer format must be like \"Paragraph 1\", \"Paragraph 2\", etc. If "
                            + "the abstract is not from any of the paragraphs, write \"Error\".\n\nThe answer is: "),
            new LongBenchTask("lcc", Metric.CODE_SIM, 40, Selection.LAST,
                    "Please complete the code given below. \n", "Next line of code:\n", null, null),
            new LongBenchTask("repobench-p", Metric.CODE_SIM, 40, Selection.ENTROPY,
                    "Please complete the code given below. \n", "{input}Next line of code:\n", null, null));

    private static LongBenchTask qa(String name) {
        return new LongBenchTask(name, Metric.QA_F1, 20, Selection.ENTROPY, QA_BEFORE,
                QA_AFTER + "\n\nQuestion: {input}\nAnswer: ", null, QA_AFTER + IDK + "\n\nQuestion: {input}\nAnswer: ");
    }

    /**
     * Qasper's instruction, with the word the model is to answer when it cannot (the reference asks
     * for "Error" instead of "unanswerable" under the IDK filter: one token against three).
     */
    private static String qasper(String lead, String unanswerable) {
        return lead + " as concisely as you can, using a single phrase or sentence if possible. If the question cannot "
                + "be answered based on the information in the article, write \"" + unanswerable + "\". If the question "
                + "is a yes/no question, answer \"yes\", \"no\", or \"" + unanswerable + "\". Do not provide any "
                + "explanation.";
    }

    public static LongBenchTask named(String name) {
        for (LongBenchTask t : ALL) {
            if (t.name.equals(name)) {
                return t;
            }
        }
        throw new RecallException("unknown LongBench task '" + name + "' (supported: "
                + String.join(", ", ALL.stream().map(LongBenchTask::name).toList()) + ")");
    }

    /** The text before the context; {@code idk}: the form for OPRM with its IDK filter on. */
    public String before(boolean idk) {
        return idk && beforeIdk != null ? beforeIdk : before;
    }

    /** The text after the context with the sample's input in place. */
    public String question(String input, boolean idk) {
        String q = idk && questionIdk != null ? questionIdk : question;
        return q.replace("{input}", input);
    }

    /** Whether the task has an IDK form of its prompt (otherwise the filter runs on the plain form, as in the reference). */
    public boolean hasIdkForm() {
        return questionIdk != null || beforeIdk != null;
    }
}
