package dev.recall.runtime.strategy;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.generate.Sampler;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.testing.ScriptedModel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LmInfiniteTest {

    private static float[] flat(int[] seq) {
        float[] l = new float[8];
        l[seq.length % 8] = 1;
        return l;
    }

    @Test
    void prefillsThePlainPromptUnderTheLambdaPolicy() {
        ScriptedModel m = new ScriptedModel(8, 256, 2, LmInfiniteTest::flat);
        Prepared p = new LmInfinite(0, 0, 0).prepare(m, new Prompt(new int[]{1}, new int[]{2, 3}, new int[]{4}));
        assertEquals(new AttentionPolicy.Lambda(10, 256), m.policies.getFirst(), "defaults: n_global 10, d_max = training length");
        assertArrayEquals(new int[]{1, 2, 3, 4}, ((ScriptedModel.State) p.state()).tokens());
        assertEquals(10, ((StrategyReport.LmInfinite) p.diagnostics()).nGlobal());
        assertEquals(256, ((StrategyReport.LmInfinite) p.diagnostics()).dMax());
        assertEquals(p.state().sizeBytes(), ((StrategyReport.LmInfinite) p.diagnostics()).stateBytes());
        assertEquals(4, Sampler.argmax(p.logits()));
        assertEquals(new AttentionPolicy.Lambda(3, 40), new LmInfinite(3, 40, 0).policy(m));
        assertEquals(new AttentionPolicy.Lambda(10, 128), new LmInfinite(0, 0, 128).policy(m));
    }

    @Test
    void refusesModelsWithoutAttentionOrDistanceLimit() {
        ScriptedModel recurrent = new ScriptedModel(8, 256, 0, LmInfiniteTest::flat);
        RecallException e = assertThrows(RecallException.class,
                () -> new LmInfinite(0, 0, 0).prepare(recurrent, Prompt.plain(new int[]{1})));
        assertTrue(e.getMessage().contains("no attention layers"), e.getMessage());
        ScriptedModel unknownLength = new ScriptedModel(8, 0, 2, LmInfiniteTest::flat);
        RecallException e2 = assertThrows(RecallException.class,
                () -> new LmInfinite(0, 0, 0).prepare(unknownLength, Prompt.plain(new int[]{1})));
        assertTrue(e2.getMessage().contains("distance limit") && !e2.getMessage().contains("--"),
                "worded for the API: " + e2.getMessage());
        assertEquals(java.util.List.of("window", "dMax", "trainLength"), e2.options(), "the settings, for a front end to name");
        // Attention whose every layer keeps its own window (RecurrentGemma): Λ would change nothing.
        ScriptedModel windowed = new ScriptedModel(8, 256, 2, 2, LmInfiniteTest::flat);
        RecallException e3 = assertThrows(RecallException.class,
                () -> new LmInfinite(0, 0, 0).prepare(windowed, Prompt.plain(new int[]{1})));
        assertTrue(e3.getMessage().contains("window of its own"), e3.getMessage());
        assertTrue(windowed.prefills.isEmpty());
        // One layer that follows the policy is enough.
        ScriptedModel mixed = new ScriptedModel(8, 256, 2, 1, LmInfiniteTest::flat);
        assertEquals(new AttentionPolicy.Lambda(10, 256), new LmInfinite(0, 0, 0).policy(mixed));
    }
}
