package dev.recall.runtime.generate;

import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * Chooses the next token from logits, in the order of Hugging Face's logits processors:
 * repetition penalty, the presence and frequency penalties, temperature, top-k, top-p, min-p, then
 * a draw from the remaining distribution. (Penalty and temperature both rescale logits, so their
 * order does not change the result.) Greedy decoding (temperature 0) takes the argmax of the
 * penalised logits.
 *
 * <p>The presence and frequency penalties are llama.cpp's (and OpenAI's):
 * {@code logit −= count · frequency + (count > 0 ? presence : 0)}, with count the times the token
 * was generated so far. Min-p is llama.cpp's rule, keeping the tokens whose probability is at least
 * min-p times the largest; it applies where Hugging Face applies it, after the temperature and the
 * other cuts (llama.cpp's default chain applies top-k, top-p and min-p before the temperature, so
 * at a temperature other than 1 the two keep different sets).
 * Draws come from a {@link SplittableRandom} seeded by the options, so a seed reproduces a run.
 */
public final class Sampler {

    private final SamplingOptions options;
    private final SplittableRandom random;

    public Sampler(SamplingOptions options) {
        this.options = options;
        this.random = new SplittableRandom(options.seed());
    }

    /**
     * The next token id.
     *
     * @param logits next-token logits (not modified)
     * @param seen   ids the repetition penalty applies to (the prompt and the tokens generated so far)
     */
    public int next(float[] logits, BitSet seen) {
        return next(logits, seen, null);
    }

    /**
     * The next token id, with the presence and frequency penalties over {@code generated} (the
     * times each id was generated so far; null: none was).
     */
    public int next(float[] logits, BitSet seen, int[] generated) {
        if (options.isGreedy()) {
            return argmax(penalised(logits, seen, generated));
        }
        return draw(probabilities(logits, seen, generated));
    }

    private float[] penalised(float[] logits, BitSet seen, int[] generated) {
        float[] scores = logits.clone();
        applyRepetitionPenalty(scores, seen, options.repetitionPenalty());
        applyPresenceAndFrequency(scores, generated, options.presencePenalty(), options.frequencyPenalty());
        return scores;
    }

    /**
     * The distribution the next token is drawn from: penalised, tempered, restricted by top-k and
     * top-p, normalised. Tokens outside the support have probability exactly 0. For greedy options it
     * is one-hot at the argmax.
     */
    public double[] probabilities(float[] logits, BitSet seen) {
        return probabilities(logits, seen, null);
    }

    /** {@link #probabilities(float[], BitSet)} with the counts of generated tokens for the penalties. */
    public double[] probabilities(float[] logits, BitSet seen, int[] generated) {
        float[] scores = penalised(logits, seen, generated);
        if (options.isGreedy()) {
            double[] oneHot = new double[scores.length];
            oneHot[argmax(scores)] = 1;
            return oneHot;
        }
        float invT = (float) (1 / options.temperature());
        for (int i = 0; i < scores.length; i++) {
            scores[i] *= invT;
        }
        if (options.topK() > 0 && options.topK() < scores.length) {
            keepTopK(scores, options.topK());
        }
        if (options.topP() < 1) {
            keepTopP(scores, options.topP());
        }
        if (options.minP() > 0) {
            keepMinP(scores, options.minP());
        }
        return softmax(scores);
    }

    /**
     * llama.cpp's presence and frequency penalties: a token generated c times loses
     * {@code c · frequency + presence} (nothing when c = 0).
     */
    public static void applyPresenceAndFrequency(float[] scores, int[] generated, double presence, double frequency) {
        if (generated == null || (presence == 0 && frequency == 0)) {
            return;
        }
        for (int id = 0; id < Math.min(scores.length, generated.length); id++) {
            int c = generated[id];
            if (c > 0) {
                scores[id] -= (float) (c * frequency + presence);
            }
        }
    }

    /**
     * Min-p: masks every token whose probability is below minP times the largest, that is whose
     * score is below the largest plus ln(minP) (the most likely token is always kept).
     */
    private static void keepMinP(float[] scores, double minP) {
        float max = Float.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        double threshold = max + Math.log(minP);
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] < threshold) {
                scores[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * Hugging Face repetition penalty: a seen token's logit is divided by the penalty when positive
     * and multiplied by it when negative, so a penalty above 1 always makes it less likely. Each id
     * counts once however often it was seen.
     */
    public static void applyRepetitionPenalty(float[] scores, BitSet seen, double penalty) {
        if (penalty == 1 || seen == null) {
            return;
        }
        float p = (float) penalty;
        for (int id = seen.nextSetBit(0); id >= 0 && id < scores.length; id = seen.nextSetBit(id + 1)) {
            scores[id] = scores[id] < 0 ? scores[id] * p : scores[id] / p;
        }
    }

    /** Index of the largest value; the lowest index wins a tie. */
    public static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Masks (−∞) every score below the k-th largest; ties with the k-th are kept, as in HF. */
    private static void keepTopK(float[] scores, int k) {
        float[] sorted = scores.clone();
        Arrays.sort(sorted);
        float kth = sorted[sorted.length - k];
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] < kth) {
                scores[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * Nucleus: walking tokens from most to least likely, keeps a token while the probability of
     * the tokens before it is still below p (so the most likely token is always kept).
     */
    private static void keepTopP(float[] scores, double p) {
        double[] probs = softmax(scores);
        int[] order = descendingOrder(scores);
        double before = 0;
        for (int id : order) {
            if (before >= p) {
                scores[id] = Float.NEGATIVE_INFINITY;
            }
            before += probs[id];
        }
    }

    /** Indices of the finite scores, largest score first, lower index first among equals. */
    private static int[] descendingOrder(float[] scores) {
        long[] keys = new long[scores.length];
        int n = 0;
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] != Float.NEGATIVE_INFINITY) {
                // Order-preserving int image of the float, complemented so larger scores sort first.
                int bits = Float.floatToIntBits(scores[i]);
                int ordered = bits ^ ((bits >> 31) & 0x7fffffff);
                keys[n++] = ((long) ~ordered << 32) | i;
            }
        }
        Arrays.sort(keys, 0, n);
        int[] order = new int[n];
        for (int j = 0; j < n; j++) {
            order[j] = (int) keys[j];
        }
        return order;
    }

    private static double[] softmax(float[] scores) {
        float max = Float.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        double[] p = new double[scores.length];
        double sum = 0;
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] != Float.NEGATIVE_INFINITY) {
                p[i] = Math.exp((double) scores[i] - max);
                sum += p[i];
            }
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** Inverse-CDF draw over ids in index order. */
    private int draw(double[] probs) {
        double u = random.nextDouble();
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] > 0) {
                cumulative += probs[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last; // u fell into the rounding gap below 1
    }
}
