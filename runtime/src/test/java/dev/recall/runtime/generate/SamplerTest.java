package dev.recall.runtime.generate;

import dev.recall.runtime.RecallException;
import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {

    private static final BitSet NONE_SEEN = new BitSet();

    private static SamplingOptions sampling(double temperature, int topK, double topP, long seed) {
        return new SamplingOptions(temperature, topK, topP, seed, 1, 16);
    }

    /** Logits whose softmax is exactly the given probabilities. */
    private static float[] logitsOf(double... probs) {
        float[] l = new float[probs.length];
        for (int i = 0; i < probs.length; i++) {
            l[i] = (float) Math.log(probs[i]);
        }
        return l;
    }

    private static Set<Integer> support(double[] probs) {
        Set<Integer> s = new TreeSet<>();
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] > 0) {
                s.add(i);
            }
        }
        return s;
    }

    private static Set<Integer> drawn(Sampler sampler, float[] logits, int draws) {
        Set<Integer> s = new TreeSet<>();
        for (int i = 0; i < draws; i++) {
            s.add(sampler.next(logits, NONE_SEEN));
        }
        return s;
    }

    @Test
    void greedyPicksArgmaxAndLowestIndexOnTies() {
        Sampler greedy = new Sampler(SamplingOptions.greedy(1));
        assertEquals(2, greedy.next(new float[]{0.5f, -1f, 3f, 2.9f}, NONE_SEEN));
        assertEquals(1, greedy.next(new float[]{0f, 7f, 7f, 1f}, NONE_SEEN));
        assertEquals(0, greedy.next(new float[]{-3f, -4f}, NONE_SEEN));
    }

    @Test
    void sameSeedSameTokensDifferentSeedDifferentTokens() {
        float[] logits = logitsOf(0.2, 0.2, 0.2, 0.2, 0.2);
        int[] a = new int[200];
        int[] b = new int[200];
        int[] c = new int[200];
        Sampler sa = new Sampler(sampling(1, 0, 1, 42));
        Sampler sb = new Sampler(sampling(1, 0, 1, 42));
        Sampler sc = new Sampler(sampling(1, 0, 1, 43));
        for (int i = 0; i < a.length; i++) {
            a[i] = sa.next(logits, NONE_SEEN);
            b[i] = sb.next(logits, NONE_SEEN);
            c[i] = sc.next(logits, NONE_SEEN);
        }
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c), "a different seed should give a different sequence");
    }

    @Test
    void temperatureScalesLogitsBeforeSoftmax() {
        float[] logits = {1f, 2f, 0.5f, -1f};
        double t = 0.7;
        double[] p = new Sampler(sampling(t, 0, 1, 1)).probabilities(logits, NONE_SEEN);
        double z = 0;
        for (float l : logits) {
            z += Math.exp(l / t);
        }
        for (int i = 0; i < logits.length; i++) {
            assertEquals(Math.exp(logits[i] / t) / z, p[i], 1e-6, "p[" + i + "]");
        }
    }

    @Test
    void samplingFrequenciesFollowTheDistribution() {
        float[] logits = logitsOf(0.5, 0.3, 0.15, 0.05);
        Sampler s = new Sampler(sampling(1, 0, 1, 7));
        int[] counts = new int[4];
        int draws = 20_000;
        for (int i = 0; i < draws; i++) {
            counts[s.next(logits, NONE_SEEN)]++;
        }
        double[] expected = {0.5, 0.3, 0.15, 0.05};
        for (int i = 0; i < 4; i++) {
            assertEquals(expected[i], counts[i] / (double) draws, 0.015, "frequency of " + i);
        }
    }

    @Test
    void topKKeepsExactlyTheKMostLikely() {
        float[] logits = {1f, 5f, 3f, 4f, 2f, 0f};
        Sampler s = new Sampler(sampling(1, 3, 1, 3));
        assertEquals(Set.of(1, 2, 3), support(s.probabilities(logits, NONE_SEEN)));
        assertEquals(Set.of(1, 2, 3), drawn(s, logits, 2000));
    }

    @Test
    void topKKeepsTiesWithTheKthScore() {
        float[] logits = {4f, 2f, 2f, 1f};
        assertEquals(Set.of(0, 1, 2), support(new Sampler(sampling(1, 2, 1, 3)).probabilities(logits, NONE_SEEN)));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        float[] logits = logitsOf(0.15, 0.5, 0.05, 0.3);
        // Most likely first: 1 (0.5), 3 (0.3), 0 (0.15), 2 (0.05).
        assertEquals(Set.of(1), support(new Sampler(sampling(1, 0, 0.45, 5)).probabilities(logits, NONE_SEEN)));
        assertEquals(Set.of(1, 3), support(new Sampler(sampling(1, 0, 0.75, 5)).probabilities(logits, NONE_SEEN)));
        assertEquals(Set.of(0, 1, 3), support(new Sampler(sampling(1, 0, 0.9, 5)).probabilities(logits, NONE_SEEN)));
        Sampler s = new Sampler(sampling(1, 0, 0.9, 5));
        assertEquals(Set.of(0, 1, 3), drawn(s, logits, 3000));
        double[] p = s.probabilities(logits, NONE_SEEN);
        assertEquals(0.5 / 0.95, p[1], 1e-6, "renormalised over the nucleus");
    }

    @Test
    void topKThenTopP() {
        float[] logits = logitsOf(0.4, 0.3, 0.2, 0.1);
        // top-k 3 renormalises {0,1,2} to 4/9, 3/9, 2/9; top-p 0.7 then keeps 0 and 1 (4/9 < 0.7 ≤ 7/9).
        Sampler s = new Sampler(sampling(1, 3, 0.7, 11));
        assertEquals(Set.of(0, 1), support(s.probabilities(logits, NONE_SEEN)));
        assertEquals(Set.of(0, 1), drawn(s, logits, 2000));
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeSeenLogits() {
        float[] scores = {2f, -2f, 0.5f, 3f, 0f};
        BitSet seen = new BitSet();
        seen.set(0);
        seen.set(1);
        seen.set(4);
        Sampler.applyRepetitionPenalty(scores, seen, 2.0);
        assertArrayEquals(new float[]{1f, -4f, 0.5f, 3f, 0f}, scores);
    }

    @Test
    void repetitionPenaltyChangesTheGreedyChoice() {
        float[] logits = {3f, 2.5f, -1f};
        BitSet seen = new BitSet();
        seen.set(0);
        assertEquals(0, new Sampler(SamplingOptions.greedy(1)).next(logits, seen));
        assertEquals(1, new Sampler(new SamplingOptions(0, 0, 1, 0, 1.5, 1)).next(logits, seen));
        assertArrayEquals(new float[]{3f, 2.5f, -1f}, logits, "the caller's logits are not modified");
    }

    @Test
    void repetitionPenaltyAppliesBeforeSampling() {
        float[] logits = {2f, 2f};
        BitSet seen = new BitSet();
        seen.set(0);
        double[] p = new Sampler(new SamplingOptions(1, 0, 1, 0, 2, 1)).probabilities(logits, seen);
        assertEquals(Math.exp(1) / (Math.exp(1) + Math.exp(2)), p[0], 1e-6);
    }

    @Test
    void invalidOptionsAreRefusedWithOneSentence() {
        RecallException e = assertThrows(RecallException.class, () -> new SamplingOptions(-1, 0, 1, 0, 1, 1));
        assertTrue(e.getMessage().startsWith("temperature"), e.getMessage());
        assertThrows(RecallException.class, () -> new SamplingOptions(1, -1, 1, 0, 1, 1));
        assertThrows(RecallException.class, () -> new SamplingOptions(1, 0, 0, 0, 1, 1));
        assertThrows(RecallException.class, () -> new SamplingOptions(1, 0, 1.5, 0, 1, 1));
        assertThrows(RecallException.class, () -> new SamplingOptions(1, 0, 1, 0, 0, 1));
        assertThrows(RecallException.class, () -> new SamplingOptions(1, 0, 1, 0, 1, -1));
        assertThrows(RecallException.class, () -> new SamplingOptions(Double.NaN, 0, 1, 0, 1, 1));
    }

    @Test
    void minPKeepsTokensAtLeastThatFractionOfTheMostLikely() {
        // Probabilities 1/15, 2/15, 4/15, 8/15.
        float[] logits = {0f, (float) Math.log(2), (float) Math.log(4), (float) Math.log(8)};
        SamplingOptions base = SamplingOptions.builder().temperature(1).seed(3).build();
        assertEquals(Set.of(1, 2, 3), support(new Sampler(base.toBuilder().minP(0.2).build()).probabilities(logits, NONE_SEEN)));
        assertEquals(Set.of(2, 3), support(new Sampler(base.toBuilder().minP(0.3).build()).probabilities(logits, NONE_SEEN)));
        assertEquals(Set.of(3), support(new Sampler(base.toBuilder().minP(1).build()).probabilities(logits, NONE_SEEN)));
        double[] p = new Sampler(base.toBuilder().minP(0.3).build()).probabilities(logits, NONE_SEEN);
        assertEquals(4.0 / 12, p[2], 1e-6, "the kept tokens renormalised");
        // After the temperature, as Hugging Face applies it: at T = 2 the ratios are square roots
        // (1/8 becomes 0.35, above 0.3).
        SamplingOptions hot = base.toBuilder().temperature(2).minP(0.3).build();
        assertEquals(Set.of(0, 1, 2, 3), support(new Sampler(hot).probabilities(logits, NONE_SEEN)));
    }

    @Test
    void presenceAndFrequencyPenalisePerTimeGenerated() {
        float[] logits = {5f, 4.5f, 1f};
        int[] generated = {2, 0, 0};
        SamplingOptions greedy = SamplingOptions.greedy(4);
        assertEquals(0, new Sampler(greedy).next(logits, NONE_SEEN, generated));
        assertEquals(1, new Sampler(greedy.toBuilder().frequencyPenalty(0.5).build()).next(logits, NONE_SEEN, generated),
                "5 − 2 · 0.5 < 4.5");
        assertEquals(0, new Sampler(greedy.toBuilder().frequencyPenalty(0.2).build()).next(logits, NONE_SEEN, generated),
                "5 − 2 · 0.2 > 4.5");
        assertEquals(1, new Sampler(greedy.toBuilder().presencePenalty(0.6).build()).next(logits, NONE_SEEN, generated),
                "5 − 0.6 < 4.5, once however often");
        assertEquals(0, new Sampler(greedy.toBuilder().presencePenalty(0.4).build()).next(logits, NONE_SEEN, generated));
        float[] scores = logits.clone();
        Sampler.applyPresenceAndFrequency(scores, generated, 0.5, 0.25);
        assertArrayEquals(new float[] {5f - 1f, 4.5f, 1f}, scores);
        assertEquals(0, new Sampler(greedy.toBuilder().presencePenalty(2).build()).next(logits, NONE_SEEN, null),
                "no counts: nothing was generated yet");
    }

    @Test
    void theBuilderNamesEveryOptionAndChecksThem() {
        SamplingOptions o = SamplingOptions.builder().temperature(0.7).topK(40).topP(0.9).minP(0.05).seed(9)
                .repetitionPenalty(1.1).presencePenalty(0.5).frequencyPenalty(-0.5).maxTokens(32).build();
        assertEquals(new SamplingOptions(0.7, 40, 0.9, 9, 1.1, 32, 0.05, 0.5, -0.5), o);
        assertEquals(o, o.toBuilder().build());
        assertEquals(SamplingOptions.greedy(256), SamplingOptions.builder().build());
        assertEquals(17, o.withMaxTokens(17).maxTokens());
        assertTrue(o.countsGenerated());
        assertFalse(SamplingOptions.greedy(1).countsGenerated());
        assertThrows(RecallException.class, () -> SamplingOptions.builder().minP(1.5).build());
        assertThrows(RecallException.class, () -> SamplingOptions.builder().presencePenalty(2.5).build());
        assertThrows(RecallException.class, () -> SamplingOptions.builder().frequencyPenalty(Double.NaN).build());
    }
}
