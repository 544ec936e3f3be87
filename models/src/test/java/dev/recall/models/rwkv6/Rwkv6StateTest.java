package dev.recall.models.rwkv6;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.testing.GoldenCheck;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class Rwkv6StateTest {

    private static LanguageModel model;
    private static int[] ids;

    @BeforeAll
    static void load() {
        model = ModelLoader.load(SharedData.resource("golden/rwkv6"));
        ids = GoldenCheck.inputIds(SharedData.resource("golden/rwkv6"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void infoDescribesAPureRecurrence() {
        var info = model.info();
        assertEquals("rwkv6", info.family());
        assertEquals(0, info.attentionLayers());
        assertEquals(512, info.vocabSize());
        assertEquals(64, info.hiddenSize());
        assertEquals(2, info.layers());
        assertEquals(0, info.trainingLength(), "context_length (4096 here, trained at 256) is not a training length");
    }

    @Test
    void stateSizeIsConstantInContextLength() {
        ModelState state = model.newState();
        long empty = state.sizeBytes();
        // 2 layers × (two shift vectors of 64 + 4 heads × 16 × 16 WKV state) fp32
        assertEquals(2L * (64 + 64 + 4 * 16 * 16) * Float.BYTES, empty);
        model.prefill(state, ids);
        assertEquals(empty, state.sizeBytes());
        assertEquals(ids.length, state.position());
    }

    @Test
    void copyIsIndependent() {
        ModelState original = model.newState();
        model.prefill(original, ids, 0, 20, false);
        ModelState copy = original.copy();
        assertEquals(20, copy.position());

        // Advancing the copy must leave the original untouched: both continue identically afterwards.
        float[] copyNext = model.prefill(copy, ids, 20, 30, false);
        assertEquals(30, copy.position());
        assertEquals(20, original.position());
        float[] originalNext = model.prefill(original, ids, 20, 30, false);
        assertArrayEquals(copyNext, originalNext);

        float[] diverged = model.step(copy, ids[40]);
        float[] same = model.step(original, ids[30]);
        assertFalse(Arrays.equals(diverged, same), "different tokens lead to different logits");
    }

    @Test
    void tokenOutsideVocabularyIsRefused() {
        ModelState state = model.newState();
        assertThrows(RecallException.class, () -> model.step(state, 512));
    }
}
