package dev.recall.models;

import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelState;

import java.util.Arrays;

/** A prompt prefilled on a fresh state, then tokens fed one step at a time: the work the model tests compare. */
final class PromptThenSteps {

    private PromptThenSteps() {
    }

    /** Prefill logits of every prompt token, then the logits after each step, as one array. */
    static float[] logits(LanguageModel model, int[] prompt, int[] steps) {
        int vocab = model.info().vocabSize();
        ModelState state = model.newState();
        float[] all = model.prefill(state, prompt, 0, prompt.length, true);
        float[] out = Arrays.copyOf(all, all.length + steps.length * vocab);
        for (int s = 0; s < steps.length; s++) {
            System.arraycopy(model.step(state, steps[s]), 0, out, all.length + s * vocab, vocab);
        }
        return out;
    }
}
