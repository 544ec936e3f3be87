package dev.recall.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.testing.GoldenCheck;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

/**
 * Every family refuses a closed state the same way, before touching it (a RecurrentGemma's recurrent
 * layers run before its first attention layer, a Mamba has no cache that would refuse on its own),
 * and closing a state never disturbs a copy made from it, even once a new state has taken the
 * closed one's cache arrays.
 */
class ClosedStateTest {

    private static final int PROMPT = 8;

    @ParameterizedTest
    @ValueSource(strings = {"golden/llama", "golden/qwen2", "golden/mamba", "golden/falcon-mamba", "golden/rwkv6",
            "golden/recurrent-gemma"})
    void aClosedStateIsRefusedAndItsCopyGoesOn(String name) throws Exception {
        var dir = SharedData.resource(name);
        int[] ids = GoldenCheck.inputIds(dir);
        int[] prompt = Arrays.copyOfRange(ids, 0, PROMPT);
        int next = ids[PROMPT];
        try (LanguageModel model = ModelLoader.load(dir)) {
            float[] expected = PromptThenSteps.logits(model, prompt, new int[]{next});
            float[] expectedStep = Arrays.copyOfRange(expected, expected.length - model.info().vocabSize(), expected.length);

            ModelState original = model.newState();
            model.prefill(original, prompt);
            ModelState copy = original.copy();
            original.close();
            assertTrue(original.isClosed());
            assertFalse(copy.isClosed());
            for (Executable use : new Executable[]{
                    () -> model.step(original, next),
                    () -> model.prefill(original, prompt),
                    original::copy,
                    () -> original.reserve(16)}) {
                IllegalStateException e = assertThrows(IllegalStateException.class, use, name);
                // The state's own refusal, before any layer runs (an attention cache's would say otherwise).
                assertEquals(ModelState.closedError().getMessage(), e.getMessage());
            }
            assertEquals(PROMPT, original.position(), "a refused call does not advance the state");
            original.close(); // again: nothing

            // A new state may now build on the closed one's arrays; the copy has its own.
            try (ModelState other = model.newState()) {
                model.prefill(other, ids, PROMPT, 2 * PROMPT, false);
                GoldenCheck.assertClose(name + ": the copy of a closed state", expectedStep, model.step(copy, next), 0f,
                        model.info().vocabSize());
            }
            copy.close();
        }
    }
}
