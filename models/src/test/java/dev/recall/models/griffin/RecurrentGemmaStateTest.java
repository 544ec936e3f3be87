package dev.recall.models.griffin;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.strategy.LmInfinite;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.testing.GoldenCheck;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** State behaviour of RecurrentGemma on the golden tiny model (window 16). */
class RecurrentGemmaStateTest {

    private static LanguageModel model;
    private static int[] ids;

    @BeforeAll
    static void load() {
        var dir = SharedData.resource("golden/recurrent-gemma");
        model = ModelLoader.load(dir);
        ids = GoldenCheck.inputIds(dir);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void infoDescribesTheCheckpoint() {
        var info = model.info();
        assertInstanceOf(RecurrentGemmaModel.class, model);
        assertEquals("recurrent-gemma", info.family());
        assertEquals("RecurrentGemmaForCausalLM", info.architecture());
        assertEquals(512, info.vocabSize());
        assertEquals(64, info.hiddenSize());
        assertEquals(3, info.layers());
        assertEquals(1, info.attentionLayers());
        assertEquals(0, info.policyAttentionLayers(), "the local attention keeps its own window");
        assertEquals(0, info.trainingLength(), "the config has no max_position_embeddings");
        assertEquals(16, ((RecurrentGemmaModel) model).attentionWindow());
    }

    /** Its local attention keeps its own window, so LM-Infinite would change nothing: refused, not run. */
    @Test
    void lmInfiniteIsRefusedWithTheReason() {
        RecallException e = assertThrows(RecallException.class,
                () -> new LmInfinite(0, 0, 256).prepare(model, Prompt.plain(Arrays.copyOf(ids, 8))));
        assertTrue(e.getMessage().contains("window of its own"), e.getMessage());
    }

    @Test
    void copyIsIndependent() {
        ModelState original = model.newState();
        model.prefill(original, ids, 0, 20, false);
        ModelState copy = original.copy();
        float[] fromCopy = model.step(copy, ids[20]);
        model.step(copy, ids[21]);
        model.step(copy, ids[22]);
        assertEquals(20, original.position());
        assertEquals(23, copy.position());
        float[] fromOriginal = model.step(original, ids[20]);
        assertArrayEquals(fromCopy, fromOriginal, "stepping a copy must not disturb the original");
    }

    @Test
    void sizeIsConstantInContextLength() {
        ModelState state = model.newState();
        model.prefill(state, ids, 0, 4, false);
        long early = state.sizeBytes();
        model.prefill(state, ids, 4, ids.length, false);
        for (int i = 0; i < 40; i++) {
            model.step(state, ids[i]);
        }
        assertEquals(early, state.sizeBytes());
    }

    @Test
    void requestedWindowNarrowsButNeverWidens() {
        var m = (RecurrentGemmaModel) model;
        assertEquals(16, m.newState(AttentionPolicy.full()).attentionWindow());
        assertEquals(16, m.newState(new AttentionPolicy.SlidingWindow(1000)).attentionWindow());
        assertEquals(8, m.newState(new AttentionPolicy.SlidingWindow(8)).attentionWindow());

        float[] own = model.prefill(model.newState(), ids);
        float[] wider = model.prefill(model.newState(new AttentionPolicy.SlidingWindow(1000)), ids);
        float[] narrower = model.prefill(model.newState(new AttentionPolicy.SlidingWindow(8)), ids);
        assertArrayEquals(own, wider);
        assertFalse(Arrays.equals(own, narrower), "a narrower window must change what the last token sees");
    }

    @Test
    void lastLogitsEqualTheLastRowOfAllLogits() {
        int vocab = model.info().vocabSize();
        float[] all = model.prefill(model.newState(), ids, 0, ids.length, true);
        float[] last = model.prefill(model.newState(), ids, 0, ids.length, false);
        assertArrayEquals(Arrays.copyOfRange(all, (ids.length - 1) * vocab, ids.length * vocab), last, 1e-5f);
    }
}
