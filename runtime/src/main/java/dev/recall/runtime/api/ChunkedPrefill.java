package dev.recall.runtime.api;

import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.progress.ProgressListener;
import dev.recall.runtime.strategy.LongContextStrategy;
import dev.recall.runtime.strategy.Prepared;
import dev.recall.runtime.strategy.StrategyReport;
import dev.recall.runtime.strategy.Prompt;


/**
 * The whole prompt through the model, appended to a session's state (or a fresh one), in pieces so
 * that progress can be reported. Consuming tokens in pieces leaves the state as one batch would.
 */
final class ChunkedPrefill implements LongContextStrategy {

    private final ModelState base;
    private final float[] baseLogits;

    /**
     * @param base       the state to continue, or null for a fresh one
     * @param baseLogits the logits after base's last token (used when there is nothing to add)
     */
    ChunkedPrefill(ModelState base, float[] baseLogits) {
        this.base = base;
        this.baseLogits = baseLogits;
    }

    @Override
    public String name() {
        return "none";
    }

    @Override
    public Prepared prepare(LanguageModel model, Prompt prompt, ProgressListener progress) {
        ModelState state = base != null ? base : model.newState();
        int[] tokens = prompt.concatenated();
        float[] logits = tokens.length == 0 ? baseLogits : LongContextStrategy.prefillReporting(model, state, tokens, progress);
        return new Prepared(state, logits, new StrategyReport.Plain(name(), tokens.length, state.sizeBytes()));
    }
}
