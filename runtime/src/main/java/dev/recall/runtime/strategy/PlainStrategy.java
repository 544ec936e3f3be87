package dev.recall.runtime.strategy;

import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelState;

import java.util.LinkedHashMap;
import java.util.Map;

/** The whole prompt through the model as is ("none"). */
public final class PlainStrategy implements LongContextStrategy {

    @Override
    public String name() {
        return "none";
    }

    @Override
    public Prepared prepare(LanguageModel model, Prompt prompt) {
        ModelState state = model.newState();
        float[] logits = model.prefill(state, prompt.concatenated());
        Map<String, Object> diag = new LinkedHashMap<>();
        diag.put("strategy", name());
        diag.put("prompt_tokens", prompt.length());
        diag.put("state_bytes", state.sizeBytes());
        return new Prepared(state, logits, diag);
    }
}
