package dev.recall.runtime.api;

import dev.recall.runtime.chat.GenerationDefaults;
import dev.recall.runtime.eval.longbench.LongBenchEval;
import dev.recall.runtime.eval.longbench.LongBenchSample;
import dev.recall.runtime.eval.longbench.LongBenchTask;
import dev.recall.runtime.progress.ProgressListener;
import dev.recall.runtime.strategy.StrategyOptions;
import dev.recall.runtime.testing.ScriptedModel;
import dev.recall.runtime.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The LongBench harness on JSONL files written here in LongBench's format, with a model whose
 * answers are known: it reads the word after "ans:" in what it was given and spells it, then
 * ends; with no "ans:" it answers "Error" (and is surer of that, so only OPRM's filter keeps such
 * a chunk from winning). The scores are then worked out by hand from the metric's definition.
 */
class LongBenchHarnessTest {

    /** One token per ASCII character (its code); 0 is EOS. */
    static final class AsciiTokenizer implements Tokenizer {
        @Override
        public int[] encode(String text) {
            return text.chars().map(c -> {
                if (c == 0 || c > 127) {
                    throw new IllegalArgumentException("not ASCII: " + c);
                }
                return c;
            }).toArray();
        }

        @Override
        public int[] encodeWithSpecialTokens(String text) {
            return encode(text);
        }

        @Override
        public String decode(int[] ids, boolean skipSpecial) {
            StringBuilder b = new StringBuilder();
            for (int id : ids) {
                if (id != 0) {
                    b.append((char) id);
                }
            }
            return b.toString();
        }

        @Override
        public StreamDecoder streamDecoder() {
            return new StreamDecoder() {
                @Override
                public String push(int id) {
                    return id == 0 ? "" : String.valueOf((char) id);
                }

                @Override
                public String flush() {
                    return "";
                }
            };
        }

        @Override
        public int vocabSize() {
            return 128;
        }

        @Override
        public OptionalInt tokenToId(String token) {
            return token.length() == 1 ? OptionalInt.of(token.charAt(0)) : OptionalInt.empty();
        }

        @Override
        public String idToToken(int id) {
            return String.valueOf((char) id);
        }
    }

    /** Where the answer starts: after the last "Answer: " (the question templates end with it). */
    private static final String CUE = "Answer: ";

    /** Where a summary starts (the summary templates end with it). */
    private static final String SUMMARY_CUE = "Summary: ";

    static float[] reader(int[] seq) {
        String text = new AsciiTokenizer().decode(seq, false);
        int answerCue = text.lastIndexOf(CUE), summaryCue = text.lastIndexOf(SUMMARY_CUE);
        int cue = Math.max(answerCue, summaryCue);
        float[] logits = new float[128];
        if (cue < 0) {
            return logits;
        }
        String given = text.substring(0, cue);
        String said = text.substring(cue + (cue == answerCue ? CUE : SUMMARY_CUE).length());
        int at = given.indexOf("ans:");
        String target = at < 0 ? "Error" : given.substring(at + 4).split("[ .]", 2)[0];
        if (said.length() < target.length() && target.startsWith(said)) {
            logits[target.charAt(said.length())] = at < 0 ? 12 : 10;
        } else {
            logits[0] = 20;
        }
        return logits;
    }

    private static LoadedModel model(Path dir, ScriptedModel lm) {
        return new LoadedModel(dir, lm, new AsciiTokenizer(), GenerationDefaults.huggingFace(List.of()));
    }

    private static String line(String input, String context, List<String> answers, int length) {
        return "{\"input\": \"" + input + "\", \"context\": \"" + context + "\", \"answers\": [" + String.join(", ",
                answers.stream().map(a -> "\"" + a + "\"").toList()) + "], \"all_classes\": null, \"length\": " + length
                + ", \"dataset\": \"hotpotqa\", \"_id\": \"x\"}";
    }

    private static String filler(int words) {
        return "word ".repeat(words);
    }

    @Test
    void scoresAFileAsLongBenchDoes(@TempDir Path dir) throws IOException {
        Path data = dir.resolve("hotpotqa.jsonl");
        Files.write(data, List.of(
                // Right: F1 1. Bucket 0-4k.
                line("Where?", filler(30) + "ans:Paris. " + filler(30), List.of("Paris"), 1200),
                // Wrong word: 0; the best of two answers counts: "the Eiffel Tower" vs "Tower": P 1, R 1/2 → 2/3.
                line("What?", filler(10) + "ans:Tower. " + filler(50), List.of("Louvre", "the Eiffel Tower"), 3999),
                // 4-8k: wrong, 0.
                line("Who?", filler(60) + "ans:London. ", List.of("Paris"), 4000),
                "",
                // 8k+: right.
                line("When?", "ans:1889. " + filler(60), List.of("1889"), 9000)));
        List<LongBenchSample> samples = LongBenchSample.read(data);
        assertEquals(4, samples.size(), "the blank line is skipped");
        ScriptedModel lm = new ScriptedModel(128, 0, 0, LongBenchHarnessTest::reader);
        LongBenchTask task = LongBenchTask.named("hotpotqa");
        List<LongBenchEval.Row> seen = new ArrayList<>();
        LongBenchEval.Result plain = LongBenchEval.run(model(dir, lm), task, samples, StrategyOptions.none(), false, false, 0, LongBenchEval.DEFAULT_SEGMENT,
                ProgressListener.NONE, seen::add);
        assertEquals(List.of("Paris", "Tower", "London", "1889"), plain.rows().stream().map(LongBenchEval.Row::prediction).toList());
        assertEquals(List.of(1.0, 2.0 / 3, 0.0, 1.0), plain.rows().stream().map(LongBenchEval.Row::score).toList());
        assertEquals(4, seen.size());
        // (1 + 2/3 + 0 + 1) / 4 = 0.6667 → 66.67; 0-4k: (1 + 2/3)/2 → 83.33; 4-8k: 0; 8k+: 100.
        assertEquals(66.67, plain.score());
        assertEquals(Map.of("0-4k", 83.33, "4-8k", 0.0, "8k+", 100.0), plain.buckets());
        // The prompt is the reference's for the task: instruction, context, question with its input.
        StringBuilder fed = new StringBuilder();
        lm.prefills.forEach(p -> fed.append(new AsciiTokenizer().decode(p, false)));
        String expected = task.before(false) + samples.getFirst().context() + task.question("Where?", false);
        assertTrue(fed.toString().startsWith(expected), fed.toString());
        assertTrue(expected.endsWith("\n\nQuestion: Where?\nAnswer: "));
    }

    /** OPRM: the IDK form of the question, chunks answering "Error" dropped, the answer chunk chosen. */
    @Test
    void oprmUsesTheIdkFormAndItsFilter(@TempDir Path dir) throws IOException {
        Path data = dir.resolve("hotpotqa.jsonl");
        Files.write(data, List.of(line("Where?", filler(100) + "ans:Paris. " + filler(100), List.of("Paris"), 500)));
        ScriptedModel lm = new ScriptedModel(128, 0, 0, LongBenchHarnessTest::reader);
        LongBenchTask task = LongBenchTask.named("hotpotqa");
        StrategyOptions.Oprm oprm = StrategyOptions.oprm().withChunk(120);
        LongBenchEval.Result r = LongBenchEval.run(model(dir, lm), task, LongBenchSample.read(data), oprm, false, false, 0, LongBenchEval.DEFAULT_SEGMENT,
                ProgressListener.NONE, row -> { });
        assertEquals("oprm", r.strategy());
        assertEquals("Paris", r.rows().getFirst().prediction());
        assertEquals(100.0, r.score());
        assertTrue(r.rows().getFirst().chosenChunk() > 0, "the chunk holding the answer, not the first");
        String prompt = new AsciiTokenizer().decode(lm.prefills.getFirst(), false);
        assertTrue(prompt.contains("do not output any other words. If the answer does not exist in the passages, return "
                + "\"Error\".\n\nQuestion: Where?"), prompt);
        // Without the filter the surer "Error" chunk wins, and scores 0.
        LongBenchEval.Result off = LongBenchEval.run(model(dir, new ScriptedModel(128, 0, 0, LongBenchHarnessTest::reader)),
                task, LongBenchSample.read(data), oprm.withIdkFilter(false), false, false, 0, LongBenchEval.DEFAULT_SEGMENT, ProgressListener.NONE, row -> { });
        assertEquals("Error", off.rows().getFirst().prediction());
        assertEquals(0.0, off.score());
        assertNull(off.buckets().get("8k+"));
    }

    /** Qasper under the filter asks for "Error" and maps it back to "unanswerable" before scoring. */
    @Test
    void qasperMapsErrorBackToUnanswerable(@TempDir Path dir) throws IOException {
        Path data = dir.resolve("qasper.jsonl");
        Files.write(data, List.of(line("Is it?", filler(50), List.of("unanswerable"), 100)));
        ScriptedModel lm = new ScriptedModel(128, 0, 0, seq -> {
            // Qasper's question ends "Answer:" with no space.
            String t = new AsciiTokenizer().decode(seq, false).replace("\n\nAnswer:", "\n\nAnswer: ");
            return reader(new AsciiTokenizer().encode(t));
        });
        LongBenchEval.Result r = LongBenchEval.run(model(dir, lm), LongBenchTask.named("qasper"), LongBenchSample.read(data),
                StrategyOptions.oprm().withChunk(40), false, false, 0, LongBenchEval.DEFAULT_SEGMENT, ProgressListener.NONE, row -> { });
        assertEquals("unanswerable", r.rows().getFirst().prediction());
        assertEquals(100.0, r.score());
    }

    /**
     * Contexts longer than a segment, as the reference's loop reads them: question answering keeps
     * the segment whose chosen chunk is most certain, even an all-"Error" one; summaries answer
     * each segment and join the answers, each followed by a newline.
     */
    @Test
    void segmentsAreReadAsTheReferenceReadsThem(@TempDir Path dir) throws IOException {
        Path data = dir.resolve("qa.jsonl");
        Files.write(data, List.of(line("Where?", filler(20) + "ans:Paris. " + filler(10), List.of("Paris"), 100)));
        LongBenchTask qa = LongBenchTask.named("hotpotqa");
        StrategyOptions.Oprm oprm = StrategyOptions.oprm().withChunk(60);
        LongBenchEval.Result whole = LongBenchEval.run(model(dir, new ScriptedModel(128, 0, 0, LongBenchHarnessTest::reader)),
                qa, LongBenchSample.read(data), oprm, false, false, 0, LongBenchEval.DEFAULT_SEGMENT, ProgressListener.NONE,
                row -> { });
        assertEquals("Paris", whole.rows().getFirst().prediction(), "one segment: the filter drops the Error chunk");
        assertEquals(1, whole.rows().getFirst().chosenChunk());
        // Segment 1 is the 100 filler characters: all its chunks answer Error, more surely than
        // segment 2 answers Paris, so segment 1 is kept.
        LongBenchEval.Result split = LongBenchEval.run(model(dir, new ScriptedModel(128, 0, 0, LongBenchHarnessTest::reader)),
                qa, LongBenchSample.read(data), oprm, false, false, 0, 100, ProgressListener.NONE, row -> { });
        assertEquals("Error", split.rows().getFirst().prediction());
        assertEquals(0, split.rows().getFirst().chosenChunk());

        Path report = dir.resolve("gov_report.jsonl");
        Files.write(report, List.of(line("", "ans:Paris. " + filler(20) + "ans:Rome. " + filler(20), List.of("Paris Rome"),
                100)));
        LongBenchEval.Result summary = LongBenchEval.run(model(dir, new ScriptedModel(128, 0, 0,
                LongBenchHarnessTest::reader)), LongBenchTask.named("gov_report"), LongBenchSample.read(report),
                StrategyOptions.oprm().withChunk(200), false, false, 0, 111, ProgressListener.NONE, row -> { });
        assertEquals("Paris\nRome\n", summary.rows().getFirst().prediction());
        // ROUGE-L collapses the newlines ("Paris Rome", one sentence): equal to the reference, 100.
        assertEquals(100.0, summary.score());
    }

    @Test
    void badFilesAreOneSentence(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.jsonl");
        Files.write(bad, List.of(line("a", "b", List.of("c"), 1), "{\"input\": \"a\", \"context\": \"b\", \"answers\": [], "
                + "\"length\": 3}"));
        Exception e = assertThrows(RuntimeException.class, () -> LongBenchSample.read(bad));
        assertEquals("bad.jsonl line 2: 'answers' must be a non-empty list of strings", e.getMessage());
        Files.write(bad, List.of("{not json"));
        assertTrue(assertThrows(RuntimeException.class, () -> LongBenchSample.read(bad)).getMessage()
                .startsWith("bad.jsonl line 1 is not JSON"));
        Files.write(bad, List.of(line("a", "b", List.of("c"), -1)));
        assertTrue(assertThrows(RuntimeException.class, () -> LongBenchSample.read(bad)).getMessage().contains("'length'"));
        Files.write(bad, List.of());
        assertTrue(assertThrows(RuntimeException.class, () -> LongBenchSample.read(bad)).getMessage().contains("no samples"));
        assertTrue(assertThrows(RuntimeException.class, () -> LongBenchSample.read(dir.resolve("none.jsonl"))).getMessage()
                .contains("not found"));
        assertTrue(assertThrows(RuntimeException.class, () -> LongBenchTask.named("mmlu")).getMessage().contains("qasper"));
    }
}
