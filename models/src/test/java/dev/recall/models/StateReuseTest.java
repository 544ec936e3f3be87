package dev.recall.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.testing.GoldenCheck;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Random;

/**
 * A closed state's attention cache goes back to its model, and the next state's cache is built on
 * those arrays, an earlier prompt's keys and values still in them. That must never show: a prompt
 * on reused arrays gives bit for bit the logits it gives on a freshly loaded model. A closed state
 * refuses to be used, since its arrays may already hold another state's keys.
 */
class StateReuseTest {

    private static final int PROMPT = 12;
    private static final int STEPS = 4;
    /** Longer than the prompt, and than recurrent-gemma-w64's window, so the earlier ring wrapped. */
    private static final int EARLIER = 300;

    @ParameterizedTest
    @ValueSource(strings = {"golden/llama", "golden/qwen2", "golden/recurrent-gemma-w64"})
    void aStateOnAClosedStatesCacheEqualsOneOnNewArrays(String name) throws Exception {
        var dir = SharedData.resource(name);
        int[] ids = GoldenCheck.inputIds(dir);
        assertTrue(ids.length >= PROMPT + STEPS, name + " has too few golden ids for this test");
        int[] prompt = Arrays.copyOfRange(ids, 0, PROMPT);
        int[] steps = Arrays.copyOfRange(ids, PROMPT, PROMPT + STEPS);

        float[] onNewArrays;
        try (LanguageModel model = ModelLoader.load(dir)) {
            onNewArrays = PromptThenSteps.logits(model, prompt, steps);
        }
        try (LanguageModel model = ModelLoader.load(dir)) {
            int[] earlier = new Random(7).ints(EARLIER, 0, model.info().vocabSize()).toArray();
            for (int round = 0; round < 2; round++) { // the second round reuses what the first left
                ModelState state = model.newState();
                state.reserve(EARLIER);
                for (int from = 0; from < EARLIER; from += 100) {
                    model.prefill(state, earlier, from, from + 100, false);
                }
                model.step(state, earlier[0]);
                long open = state.sizeBytes();
                state.close();
                assertTrue(state.sizeBytes() < open, "a closed state holds no cache");
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> model.step(state, earlier[1]));
                assertTrue(e.getMessage().contains("closed"), e.getMessage());
                assertThrows(IllegalStateException.class, state::copy);
            }
            float[] onReusedArrays = PromptThenSteps.logits(model, prompt, steps);
            GoldenCheck.assertClose(name + ": on a closed state's arrays", onNewArrays, onReusedArrays, 0f,
                    model.info().vocabSize());
        }
    }
}
