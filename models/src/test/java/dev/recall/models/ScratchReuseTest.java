package dev.recall.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.testing.GoldenCheck;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

/**
 * A model reuses its activation buffers from one prefill or step call to the next
 * ({@code Scratch.Pool}), so a call finds whatever the call before it left there. No layer may
 * depend on a buffer starting at zero: the first call of a freshly loaded model, whose buffers are
 * new, must compute exactly what the same call computes after other calls of the same shapes
 * (a different prompt of the same length, then the same number of steps) have filled them.
 */
class ScratchReuseTest {

    private static final int PROMPT = 12;
    private static final int STEPS = 4;

    @ParameterizedTest
    @ValueSource(strings = {"golden/llama", "golden/mamba", "golden/rwkv6", "golden/recurrent-gemma"})
    void aCallOnUsedBuffersEqualsTheFirstCallOnNewOnes(String name) throws Exception {
        var dir = SharedData.resource(name);
        int[] ids = GoldenCheck.inputIds(dir);
        assertTrue(ids.length >= 2 * (PROMPT + STEPS), name + " has too few golden ids for this test");
        int[] prompt = Arrays.copyOfRange(ids, 0, PROMPT);
        int[] steps = Arrays.copyOfRange(ids, PROMPT, PROMPT + STEPS);
        int[] otherPrompt = Arrays.copyOfRange(ids, PROMPT + STEPS, 2 * PROMPT + STEPS);
        int[] otherSteps = Arrays.copyOfRange(ids, 2 * PROMPT + STEPS, 2 * (PROMPT + STEPS));

        float[] onNewBuffers;
        try (LanguageModel model = ModelLoader.load(dir)) {
            onNewBuffers = PromptThenSteps.logits(model, prompt, steps);
        }
        try (LanguageModel model = ModelLoader.load(dir)) {
            PromptThenSteps.logits(model, otherPrompt, otherSteps);
            float[] onUsedBuffers = PromptThenSteps.logits(model, prompt, steps);
            GoldenCheck.assertClose(name + ": after another prompt of the same shape", onNewBuffers, onUsedBuffers,
                    0f, model.info().vocabSize());
        }
    }
}
