package dev.recall.runtime.eval.longbench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * ROUGE-L F as LongBench computes it: {@code Rouge().get_scores([prediction], [reference],
 * avg=True)["rouge-l"]["f"]} of the {@code rouge} package (pltrdy/rouge 1.0.1, {@code
 * rouge/rouge.py} and {@code rouge_score.py}), summary-level with its defaults, whose word
 * collections are sets ({@code exclusive=True}):
 * <ul>
 *   <li>each text is cut into sentences at every "." (pieces that are empty before white space is
 *       collapsed are dropped; the rest have their white space collapsed to single spaces), and
 *       each sentence into words at " ";</li>
 *   <li>m and n are the numbers of distinct words of the reference and of the prediction;</li>
 *   <li>for each reference sentence in turn, the words of its LCS with each prediction sentence
 *       (reconstructed as the package does) join one running set; LCS_u is that set's size;</li>
 *   <li>F = 2·P·R / (P + R + 1e-8) with R = LCS_u / m, P = LCS_u / n.</li>
 * </ul>
 * A prediction or reference with no sentence makes the package raise, which LongBench scores 0.
 * No lower-casing or stemming: the package does none.
 */
final class RougeL {

    private RougeL() {
    }

    static double f(String prediction, String reference) {
        List<String> hyp = sentences(prediction);
        List<String> ref = sentences(reference);
        if (hyp.isEmpty() || ref.isEmpty()) {
            return 0.0;
        }
        int m = new LinkedHashSet<>(words(ref)).size();
        int n = new LinkedHashSet<>(words(hyp)).size();
        Set<String> union = new LinkedHashSet<>();
        for (String r : ref) {
            List<String> refWords = PyText.split(r, " ");
            for (String h : hyp) {
                union.addAll(lcs(refWords, PyText.split(h, " ")));
            }
        }
        double llcs = union.size();
        double recall = llcs / m;
        double precision = llcs / n;
        return 2.0 * ((precision * recall) / (precision + recall + 1e-8));
    }

    /** {@code [" ".join(s.split()) for s in text.split(".") if len(s) > 0]}. */
    static List<String> sentences(String text) {
        List<String> out = new ArrayList<>();
        for (String s : PyText.split(text, ".")) {
            if (!s.isEmpty()) {
                out.add(String.join(" ", PyText.split(s)));
            }
        }
        return out;
    }

    private static List<String> words(List<String> sentences) {
        List<String> out = new ArrayList<>();
        for (String s : sentences) {
            out.addAll(PyText.split(s, " "));
        }
        return out;
    }

    /**
     * The words of one longest common subsequence of x and y, reconstructed from the end as
     * {@code _recon_lcs} does: on a match take it, else go up when the cell above is strictly
     * larger, else left.
     */
    static List<String> lcs(List<String> x, List<String> y) {
        int n = x.size(), m = y.size();
        int[][] table = new int[n + 1][m + 1];
        for (int i = 1; i <= n; i++) {
            for (int j = 1; j <= m; j++) {
                table[i][j] = x.get(i - 1).equals(y.get(j - 1)) ? table[i - 1][j - 1] + 1
                        : Math.max(table[i - 1][j], table[i][j - 1]);
            }
        }
        List<String> out = new ArrayList<>();
        int i = n, j = m;
        while (i > 0 && j > 0) {
            if (x.get(i - 1).equals(y.get(j - 1))) {
                out.add(x.get(i - 1));
                i--;
                j--;
            } else if (table[i - 1][j] > table[i][j - 1]) {
                i--;
            } else {
                j--;
            }
        }
        java.util.Collections.reverse(out);
        return out;
    }
}
