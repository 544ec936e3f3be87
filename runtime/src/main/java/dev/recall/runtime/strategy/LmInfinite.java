package dev.recall.runtime.strategy;

import dev.recall.runtime.progress.ProgressListener;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelInfo;
import dev.recall.runtime.model.ModelState;


/**
 * LM-Infinite (Han et al. 2023): the plain prompt through the model with Λ-shaped attention in
 * every attention layer (the first n_global tokens plus a local window; the global tokens seen at a
 * distance of at most d_max), so a RoPE model never sees a distance beyond what it was trained on
 * and its KV cache is bounded; optionally the reference's top-k attention to middle tokens. See
 * {@link AttentionPolicy.Lambda}, shared/spec/long-context.md and docs/long-context.md.
 */
public final class LmInfinite implements LongContextStrategy {

    /** Starting tokens: the zoo reference's (the LM-Infinite README: "10-100 gives generally similar effect"). */
    public static final int DEFAULT_N_GLOBAL = 10;
    /** The reference's {@code --top_k_from_layer} default. */
    public static final int DEFAULT_TOP_K_FROM_LAYER = 4;
    /** The reference's {@code --top_k_insert_at} default, used up to d_max. */
    public static final int DEFAULT_TOP_K_INSERT_AT = 2048;

    private final StrategyOptions.LmInfinite options;

    /**
     * @param nGlobal     starting tokens (0: {@value #DEFAULT_N_GLOBAL})
     * @param dMax        local window and distance limit (0: the training length)
     * @param trainLength training length overriding the model's (0: the model's)
     */
    public LmInfinite(int nGlobal, int dMax, int trainLength) {
        this(StrategyOptions.lmInfinite().withNGlobal(nGlobal).withWindow(dMax).withDMax(dMax).withTrainLength(trainLength));
    }

    public LmInfinite(StrategyOptions.LmInfinite options) {
        this.options = options;
    }

    @Override
    public String name() {
        return "lm-infinite";
    }

    /** The Λ policy for this model (checks that it has attention layers and a distance limit), top-k from position 0. */
    public AttentionPolicy.Lambda policy(LanguageModel model) {
        return policy(model, 0);
    }

    /** The Λ policy for this model, top-k (if asked for) from query position {@code topKFrom} on. */
    public AttentionPolicy.Lambda policy(LanguageModel model, int topKFrom) {
        ModelInfo info = model.info();
        if (info.attentionLayers() == 0) {
            throw new RecallException("LM-Infinite changes attention, but " + info.family()
                    + " has no attention layers; use OPRM for recurrent models").naming("strategy");
        }
        if (info.policyAttentionLayers() == 0) {
            throw new RecallException("LM-Infinite changes attention, but every attention layer of this " + info.family()
                    + " model keeps a window of its own, so it would change nothing; use OPRM or no strategy").naming("strategy");
        }
        int train = options.trainLength() > 0 ? options.trainLength() : info.trainingLength();
        int window = options.window() > 0 ? options.window() : train;
        int dMax = options.dMax() > 0 ? options.dMax() : train;
        if (window <= 0 || dMax <= 0) {
            throw new RecallException("LM-Infinite needs a window and a distance limit: the model's training length is"
                    + " unknown, so give a window and a distance limit, or the training length")
                    .naming("window", "dMax", "trainLength");
        }
        int nGlobal = options.nGlobal() > 0 ? options.nGlobal() : DEFAULT_N_GLOBAL;
        int topK = options.topK();
        int fromLayer = options.topKFromLayer() >= 0 ? options.topKFromLayer() : DEFAULT_TOP_K_FROM_LAYER;
        if (topK > 0 && fromLayer >= info.layers()) {
            throw new RecallException("top-k attention from layer " + fromLayer + " would change nothing: the model has "
                    + info.layers() + " layers (0 to " + (info.layers() - 1) + ")").naming("topKFromLayer");
        }
        return new AttentionPolicy.Lambda(nGlobal, window, dMax, topK, topK > 0 ? fromLayer : 0,
                topK > 0 ? Math.min(DEFAULT_TOP_K_INSERT_AT, dMax) : 0, topK > 0 ? topKFrom : 0);
    }

    @Override
    public Prepared prepare(LanguageModel model, Prompt prompt, ProgressListener progress) {
        // Top-k goes to the last prompt token and every decoded one, as the reference gives it to
        // the last query of each forward call (the whole prompt is one call there).
        AttentionPolicy.Lambda policy = policy(model, Math.max(0, prompt.length() - 1));
        ModelState state = model.newState(policy);
        float[] logits = LongContextStrategy.prefillReporting(model, state, prompt.concatenated(), progress);
        return new Prepared(state, logits, new StrategyReport.LmInfinite(prompt.length(), policy.nGlobal(),
                policy.window(), policy.dMax(), policy.topK(), policy.topKFromLayer(), state.sizeBytes()));
    }
}
