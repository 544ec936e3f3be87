package dev.recall.runtime.generate;

import java.util.List;

/**
 * The log-probability of one generated token under the model's next-token distribution (the
 * softmax of its raw logits: before the repetition penalty, the temperature and the top-k / top-p
 * cut, as the OpenAI API reports them), with the most likely alternatives when they were asked for.
 *
 * @param id      the generated token
 * @param logprob its natural-log probability
 * @param top     the most likely tokens at that step, most likely first (empty unless asked for)
 */
public record TokenLogprob(int id, double logprob, List<Alternative> top) {

    public TokenLogprob {
        top = List.copyOf(top);
    }

    /** One of the most likely tokens at a step. */
    public record Alternative(int id, double logprob) {
    }

    /**
     * The log-probability of {@code id} and of the {@code topK} most likely tokens (ties: lower id
     * first) under softmax(logits), computed in double.
     */
    public static TokenLogprob of(float[] logits, int id, int topK) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double logZ = max + Math.log(sum);
        int k = Math.min(topK, logits.length);
        int[] best = new int[k];
        int n = 0;
        // Insertion into a short sorted list: k is a handful (the OpenAI API allows up to 20).
        for (int i = 0; i < logits.length && k > 0; i++) {
            if (n == k && !(logits[i] > logits[best[k - 1]])) {
                continue;
            }
            int at = Math.min(n, k - 1);
            while (at > 0 && logits[i] > logits[best[at - 1]]) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = i;
            n = Math.min(k, n + 1);
        }
        Alternative[] top = new Alternative[n];
        for (int j = 0; j < n; j++) {
            top[j] = new Alternative(best[j], logits[best[j]] - logZ);
        }
        return new TokenLogprob(id, logits[id] - logZ, List.of(top));
    }
}
