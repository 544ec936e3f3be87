package dev.recall.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recall.runtime.io.SafeTensorsFile;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;
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

    /** Prefill logits of every prompt token, then the logits after each step, as one array. */
    private static float[] run(LanguageModel model, int[] prompt, int[] steps) {
        int vocab = model.info().vocabSize();
        ModelState state = model.newState();
        float[] all = model.prefill(state, prompt, 0, prompt.length, true);
        float[] out = Arrays.copyOf(all, all.length + steps.length * vocab);
        for (int s = 0; s < steps.length; s++) {
            System.arraycopy(model.step(state, steps[s]), 0, out, all.length + s * vocab, vocab);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"golden/llama", "golden/mamba", "golden/rwkv6", "golden/recurrent-gemma"})
    void aCallOnUsedBuffersEqualsTheFirstCallOnNewOnes(String name) throws Exception {
        var dir = SharedData.resource(name);
        int[] ids;
        try (SafeTensorsFile golden = SafeTensorsFile.open(dir.resolve("golden.safetensors"))) {
            ids = golden.tensors().get("input_ids").toInts();
        }
        assertTrue(ids.length >= 2 * (PROMPT + STEPS), name + " has too few golden ids for this test");
        int[] prompt = Arrays.copyOfRange(ids, 0, PROMPT);
        int[] steps = Arrays.copyOfRange(ids, PROMPT, PROMPT + STEPS);
        int[] otherPrompt = Arrays.copyOfRange(ids, PROMPT + STEPS, 2 * PROMPT + STEPS);
        int[] otherSteps = Arrays.copyOfRange(ids, 2 * PROMPT + STEPS, 2 * (PROMPT + STEPS));

        float[] onNewBuffers;
        try (LanguageModel model = ModelLoader.load(dir)) {
            onNewBuffers = run(model, prompt, steps);
        }
        try (LanguageModel model = ModelLoader.load(dir)) {
            run(model, otherPrompt, otherSteps);
            float[] onUsedBuffers = run(model, prompt, steps);
            GoldenCheck.assertClose(name + ": after another prompt of the same shape", onNewBuffers, onUsedBuffers,
                    0f, model.info().vocabSize());
        }
    }
}
