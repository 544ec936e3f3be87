package dev.recall.runtime.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class TokenLogprobTest {

    @Test
    void handWorkedDistribution() {
        // softmax(0, ln 2, ln 3) = (1/6, 2/6, 3/6).
        float[] logits = {0f, (float) Math.log(2), (float) Math.log(3)};
        TokenLogprob t = TokenLogprob.of(logits, 1, 2);
        assertEquals(1, t.id());
        assertEquals(Math.log(2.0 / 6), t.logprob(), 1e-6);
        assertEquals(2, t.top().size());
        assertEquals(2, t.top().get(0).id());
        assertEquals(Math.log(3.0 / 6), t.top().get(0).logprob(), 1e-6);
        assertEquals(1, t.top().get(1).id());
        assertEquals(List.of(), TokenLogprob.of(logits, 0, 0).top());
        assertEquals(3, TokenLogprob.of(logits, 0, 10).top().size(), "at most the vocabulary");
    }

    @Test
    void tiesPutTheLowerIdFirstAndTheTopIsSorted() {
        float[] logits = {1f, 3f, 1f, 3f, 2f};
        TokenLogprob t = TokenLogprob.of(logits, 4, 4);
        assertEquals(List.of(1, 3, 4, 0), t.top().stream().map(TokenLogprob.Alternative::id).toList());
    }

    @Test
    void topMatchesAFullSortOnRandomLogits() {
        Random rnd = new Random(3);
        for (int trial = 0; trial < 50; trial++) {
            float[] logits = new float[1 + rnd.nextInt(200)];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) rnd.nextGaussian() * 4;
            }
            int k = rnd.nextInt(25);
            TokenLogprob t = TokenLogprob.of(logits, 0, k);
            List<Integer> expected = java.util.stream.IntStream.range(0, logits.length).boxed()
                    .sorted((a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b))
                    .limit(k).toList();
            assertEquals(expected, t.top().stream().map(TokenLogprob.Alternative::id).toList());
            double total = 0;
            for (float l : logits) {
                total += Math.exp((double) l - logits[0] + t.logprob());
            }
            assertEquals(1.0, total, 1e-9, "probabilities sum to one");
            assertTrue(t.logprob() <= 0);
        }
    }
}
