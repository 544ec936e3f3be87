package dev.recall.runtime.strategy;

import dev.recall.runtime.progress.ProgressListener;

import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelState;


/** The whole prompt through the model as is ("none"). */
public final class PlainStrategy implements LongContextStrategy {

    @Override
    public String name() {
        return "none";
    }

    @Override
    public Prepared prepare(LanguageModel model, Prompt prompt, ProgressListener progress) {
        ModelState state = model.newState();
        float[] logits = LongContextStrategy.prefillReporting(model, state, prompt.concatenated(), progress);
        return new Prepared(state, logits, new StrategyReport.Plain(name(), prompt.length(), state.sizeBytes()));
    }
}
