package dev.recall.runtime.strategy;

import dev.recall.runtime.progress.ProgressListener;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelInfo;
import dev.recall.runtime.model.ModelState;


/**
 * LM-Infinite (Han et al. 2023): the plain prompt through the model with Λ-shaped attention in
 * every attention layer (the first n_global tokens plus a window of d_max, distances clamped to
 * d_max), so a RoPE model never sees a distance beyond d_max (by default its training length) and
 * its KV cache is bounded. See {@link AttentionPolicy.Lambda} and shared/spec/long-context.md.
 */
public final class LmInfinite implements LongContextStrategy {

    public static final int DEFAULT_N_GLOBAL = 10;

    private final int nGlobal;
    private final int dMax;
    private final int trainLength;

    /**
     * @param nGlobal     starting tokens (0: {@value #DEFAULT_N_GLOBAL})
     * @param dMax        local window and distance limit (0: the training length)
     * @param trainLength training length overriding the model's (0: the model's)
     */
    public LmInfinite(int nGlobal, int dMax, int trainLength) {
        if (nGlobal < 0 || dMax < 0 || trainLength < 0) {
            throw new RecallException("LM-Infinite n_global, d_max and training length must not be negative");
        }
        this.nGlobal = nGlobal > 0 ? nGlobal : DEFAULT_N_GLOBAL;
        this.dMax = dMax;
        this.trainLength = trainLength;
    }

    @Override
    public String name() {
        return "lm-infinite";
    }

    /** The Λ policy for this model (checks that it has attention layers and a distance limit). */
    public AttentionPolicy.Lambda policy(LanguageModel model) {
        ModelInfo info = model.info();
        if (info.attentionLayers() == 0) {
            throw new RecallException("LM-Infinite changes attention, but " + info.family()
                    + " has no attention layers; use --strategy oprm for recurrent models");
        }
        if (info.policyAttentionLayers() == 0) {
            throw new RecallException("LM-Infinite changes attention, but every attention layer of this " + info.family()
                    + " model keeps a window of its own, so it would change nothing; use --strategy oprm or none");
        }
        int limit = dMax > 0 ? dMax : trainLength > 0 ? trainLength : info.trainingLength();
        if (limit <= 0) {
            throw new RecallException("LM-Infinite needs a distance limit: the model's training length is unknown, so give --d-max or --train-length");
        }
        return new AttentionPolicy.Lambda(nGlobal, limit);
    }

    @Override
    public Prepared prepare(LanguageModel model, Prompt prompt, ProgressListener progress) {
        AttentionPolicy.Lambda policy = policy(model);
        ModelState state = model.newState(policy);
        float[] logits = LongContextStrategy.prefillReporting(model, state, prompt.concatenated(), progress);
        return new Prepared(state, logits,
                new StrategyReport.LmInfinite(prompt.length(), policy.nGlobal(), policy.dMax(), state.sizeBytes()));
    }
}
