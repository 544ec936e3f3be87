package dev.recall.runtime.eval.longbench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LongBench's metrics (THUDM/LongBench, {@code LongBench/metrics.py} and {@code eval.py}),
 * re-implemented from their definitions with Python's string semantics ({@link PyText}): each
 * takes a prediction and one reference answer and gives a score in [0, 1]; a sample scores the
 * best over its answers.
 */
public final class LongBenchMetrics {

    /** Python's {@code string.punctuation}. */
    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    /** Python's {@code \b(a|an|the)\b} on a str: Unicode word boundaries. */
    private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b", Pattern.UNICODE_CHARACTER_CLASS);
    /** Python's {@code \d+} on a str: Unicode decimal digits. */
    private static final Pattern NUMBER = Pattern.compile("\\d+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern PARAGRAPH = Pattern.compile("Paragraph (\\d+)", Pattern.UNICODE_CHARACTER_CLASS);

    private LongBenchMetrics() {
    }

    /** The metric a task is scored with. */
    public enum Metric {
        QA_F1, ROUGE_L, CLASSIFICATION, RETRIEVAL, COUNT, CODE_SIM;

        /** One prediction against one reference answer. */
        public double score(String prediction, String answer, List<String> allClasses) {
            return switch (this) {
                case QA_F1 -> qaF1(prediction, answer);
                case ROUGE_L -> RougeL.f(prediction, answer);
                case CLASSIFICATION -> classification(prediction, answer, allClasses);
                case RETRIEVAL -> retrieval(prediction, answer);
                case COUNT -> count(prediction, answer);
                case CODE_SIM -> codeSim(prediction, answer);
            };
        }
    }

    /** {@code normalize_answer}: lower case, no ASCII punctuation, no articles, single spaces. */
    public static String normalize(String s) {
        String lower = s.toLowerCase(Locale.ROOT);
        StringBuilder b = new StringBuilder(lower.length());
        lower.codePoints().filter(cp -> cp > 127 || PUNCTUATION.indexOf(cp) < 0).forEach(b::appendCodePoint);
        String noArticles = ARTICLES.matcher(b).replaceAll(" ");
        return String.join(" ", PyText.split(noArticles));
    }

    /** {@code qa_f1_score}: F1 of the normalised words, counted with multiplicity. */
    public static double qaF1(String prediction, String answer) {
        return f1(PyText.split(normalize(prediction)), PyText.split(normalize(answer)));
    }

    /** {@code f1_score} over two token lists (a Counter intersection). */
    static double f1(List<String> prediction, List<String> answer) {
        Map<String, Integer> counts = new HashMap<>();
        for (String t : answer) {
            counts.merge(t, 1, Integer::sum);
        }
        int same = 0;
        for (String t : prediction) {
            Integer c = counts.get(t);
            if (c != null && c > 0) {
                counts.put(t, c - 1);
                same++;
            }
        }
        if (same == 0) {
            return 0;
        }
        double precision = (double) same / prediction.size();
        double recall = (double) same / answer.size();
        return 2 * precision * recall / (precision + recall);
    }

    /**
     * {@code classification_score}: the classes named in the prediction, less those that are a part
     * of the answer without being it (Python's remove-while-iterating skips the element after each
     * removal, and so does this); 1 / their number when the answer is among them, else 0.
     */
    public static double classification(String prediction, String answer, List<String> allClasses) {
        List<String> matched = new ArrayList<>();
        for (String c : allClasses) {
            if (prediction.contains(c)) {
                matched.add(c);
            }
        }
        for (int i = 0; i < matched.size(); i++) {
            String term = matched.get(i);
            if (answer.contains(term) && !term.equals(answer)) {
                matched.remove(term); // the first equal element, as list.remove does
            }
        }
        return matched.contains(answer) ? 1.0 / matched.size() : 0.0;
    }

    /** {@code retrieval_score}: the share of the prediction's numbers that are the answer's paragraph number. */
    public static double retrieval(String prediction, String answer) {
        Matcher m = PARAGRAPH.matcher(answer);
        if (!m.find()) {
            throw new IllegalArgumentException("a passage-retrieval answer names no \"Paragraph N\": " + answer);
        }
        return share(prediction, m.group(1));
    }

    /** {@code count_score}: the share of the prediction's numbers equal to the answer. */
    public static double count(String prediction, String answer) {
        return share(prediction, answer);
    }

    private static double share(String prediction, String wanted) {
        Matcher m = NUMBER.matcher(prediction);
        int numbers = 0, right = 0;
        while (m.find()) {
            numbers++;
            if (m.group().equals(wanted)) {
                right++;
            }
        }
        return numbers == 0 ? 0.0 : (double) right / numbers;
    }

    /**
     * {@code code_sim_score}: the prediction's first line (after leading newlines) that holds no
     * "`", "#" or "//" (none: the empty line), compared with {@code fuzz.ratio}: 100 for equal
     * strings, 0 when either is empty, else round(100 · difflib ratio) (Python's rounding, half to
     * even); divided by 100.
     */
    public static double codeSim(String prediction, String answer) {
        String line = "";
        for (String l : PyText.split(PyText.lstrip(prediction, "\n"), "\n")) {
            if (!l.contains("`") && !l.contains("#") && !l.contains("//")) {
                line = l;
                break;
            }
        }
        return fuzzRatio(line, answer) / 100.0;
    }

    /** {@code fuzzywuzzy.fuzz.ratio} without python-Levenshtein. */
    static int fuzzRatio(String a, String b) {
        if (a.equals(b)) {
            return 100;
        }
        if (a.isEmpty() || b.isEmpty()) {
            return 0;
        }
        double r = 100 * new SequenceMatcher(PyText.codePoints(a), PyText.codePoints(b)).ratio();
        return (int) Math.rint(r);
    }

    /** eval.py: trec, triviaqa, samsum and lsht are scored on the prediction's first line only. */
    public static String firstLineFor(String task, String prediction) {
        return switch (task) {
            case "trec", "triviaqa", "samsum", "lsht" -> PyText.split(PyText.lstrip(prediction, "\n"), "\n").getFirst();
            default -> prediction;
        };
    }
}
