package dev.recall.runtime.eval;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.strategy.StrategyOptions;
import dev.recall.runtime.testing.ScriptedModel;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PerplexityEvalTest {

    static final int VOCAB = 16;

    @Test
    void tokenizesDocumentByDocumentWithEndOfTextAfterEach() {
        DigitTokenizer tok = new DigitTokenizer(VOCAB);
        int[] ids = PerplexityEval.tokenize("12\n<|endoftext|>\n3 4\n<|endoftext|>\n5", tok, 0);
        assertArrayEquals(new int[]{1, 2, 0, 3, 11, 4, 0, 5, 0}, ids);
    }

    /** Predicts the next token as (last + 1) mod vocab with logit 2, everything else 0. */
    static ScriptedModel counter() {
        return new ScriptedModel(VOCAB, 0, 1, seq -> {
            float[] l = new float[VOCAB];
            l[(seq[seq.length - 1] + 1) % VOCAB] = 2;
            return l;
        });
    }

    @Test
    void perplexityOfAKnownDistribution() {
        int n = PerplexityEval.FIRST_OFFSET + 3 * PerplexityEval.STRIDE + 700;
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i % VOCAB;
        }
        ScriptedModel m = counter();
        double p = Math.exp(2) / (Math.exp(2) + VOCAB - 1);
        // 600 tokens span two prefill pieces.
        Map<Integer, Double> ppl = PerplexityEval.run(m, AttentionPolicy.full(), ids, List.of(5, 600));
        assertEquals(1 / p, ppl.get(5), 1e-9);
        assertEquals(1 / p, ppl.get(600), 1e-9);
        assertTrue(m.states.stream().allMatch(ScriptedModel.State::isClosed), "every window's state is closed");
        // Windows start at 5000 + w·8192: a wrong prediction at exactly those spots changes the result.
        int[] broken = ids.clone();
        broken[PerplexityEval.FIRST_OFFSET + 2 * PerplexityEval.STRIDE + 1] = 7;
        double uniform = 1.0 / (Math.exp(2) + VOCAB - 1);
        double expected = Math.exp(-(3 * Math.log(p) + Math.log(uniform)) / 4.0);
        assertEquals(expected, PerplexityEval.perplexity(m, AttentionPolicy.full(), broken, 1), 1e-9);
    }

    @Test
    void logSoftmaxInDouble() {
        float[] x = {0, 1, 2, 3, 100};
        double z = 0;
        for (float v : x) {
            z += Math.exp(v - 100);
        }
        assertEquals(3 - 100 - Math.log(z), PerplexityEval.logSoftmax(x, 0, 5, 3), 1e-12);
        assertEquals(-Math.log(2), PerplexityEval.logSoftmax(new float[]{9, 5, 5}, 1, 2, 1), 1e-12);
    }

    @Test
    void policiesAndErrors() {
        ScriptedModel m = counter();
        assertEquals(AttentionPolicy.full(), PerplexityEval.policy(StrategyOptions.none(), m));
        assertEquals(new AttentionPolicy.Lambda(10, 64),
                PerplexityEval.policy(StrategyOptions.lmInfinite().withWindow(64).withDMax(64), m));
        assertThrows(RecallException.class, () -> PerplexityEval.policy(StrategyOptions.oprm(), m));
        RecallException e = assertThrows(RecallException.class,
                () -> PerplexityEval.perplexity(m, AttentionPolicy.full(), new int[100], 10));
        assertTrue(e.getMessage().contains("needs"), e.getMessage());
        assertEquals(0, PerplexityEval.endOfTextId(new DigitTokenizer(VOCAB), m));
    }
}
