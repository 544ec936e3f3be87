package dev.recall.models.mamba;

import dev.recall.kernels.Kernels;
import dev.recall.kernels.WeightMatrix;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.io.Weights;
import dev.recall.runtime.model.Checkpoint;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelInfo;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.model.Scratch;

/**
 * Mamba-1 ({@code MambaForCausalLM}) and FalconMamba ({@code FalconMambaForCausalLM}), which differs
 * only in RMS-normalising the SSM inputs inside the mixer. Per token:
 * <pre>
 *   h = embeddings[token]                        (fp32 residual)
 *   for each layer:  h = h + Mixer(RMSNorm(h))
 *   logits = head(RMSNorm_f(h))                  (head tied to the embeddings when absent)
 * </pre>
 * The state is a fixed-size recurrence (conv inputs and SSM state per layer), so a prompt of any
 * length costs the same memory.
 */
public final class MambaModel implements LanguageModel {

    /** Tokens pushed through the layers at once; longer prefills go piece by piece (same result). */
    private static final int MAX_BATCH = 512;

    private final ModelInfo info;
    private final MambaDimensions dims;
    private final Weights weights;
    private final WeightMatrix embeddings;
    private final float[][] blockNorms;
    private final MambaMixer[] mixers;
    private final float[] finalNorm;
    private final WeightMatrix head;
    private final float normEps;
    private final Kernels kernels;
    private final Scratch.Pool scratches = new Scratch.Pool();

    private MambaModel(Checkpoint checkpoint, boolean falcon) {
        this.kernels = checkpoint.kernels();
        ModelConfig config = checkpoint.config();
        this.weights = checkpoint.weights();
        this.dims = MambaDimensions.read(weights, config);
        this.normEps = (float) config.number("layer_norm_epsilon", 1e-5);
        float mixerEps = (float) config.number("mixer_rms_eps", 1e-6);

        Tensor embeddingTensor = weights.getAny(MambaDimensions.EMBEDDING_NAMES);
        this.embeddings = embeddingTensor.matrix();
        this.blockNorms = new float[dims.layers()][];
        this.mixers = new MambaMixer[dims.layers()];
        for (int l = 0; l < dims.layers(); l++) {
            blockNorms[l] = weights.get(MambaDimensions.layerPrefix(l) + "norm.weight").expectShape(dims.hidden()).toFloats();
            mixers[l] = new MambaMixer(weights, l, dims, falcon, mixerEps, kernels);
        }
        this.finalNorm = weights.get(MambaDimensions.PREFIX + "norm_f.weight").expectShape(dims.hidden()).toFloats();
        // tie_word_embeddings defaults to true for Mamba.
        this.head = checkpoint.headTiedToEmbeddings(true) ? embeddings : headMatrix(weights.get("lm_head.weight"), dims.hidden());

        this.info = new ModelInfo("mamba", config.architecture(), head.rows(), dims.hidden(), dims.layers(),
                config.integer("max_position_embeddings", 0), 0, 0, embeddingTensor.dtype().name(),
                weights.parameterCount(), weights.totalBytes(), ModelInfo.lookupOnlyBytes(embeddings, head),
                checkpoint.bosTokenId(), checkpoint.eosTokenIds());
    }

    private static WeightMatrix headMatrix(Tensor t, int hidden) {
        if (t.rank() != 2 || t.dim(1) != hidden) {
            throw new RecallException("tensor " + t.name() + " has shape " + t.shapeString()
                    + ", expected [vocab, " + hidden + "]");
        }
        return t.matrix();
    }

    /** Builds the model; {@code falcon} switches on FalconMamba's normalised SSM inputs. */
    static MambaModel load(Checkpoint checkpoint, boolean falcon) {
        return new MambaModel(checkpoint, falcon);
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public MambaState newState(AttentionPolicy policy) {
        return new MambaState(dims); // no attention: the policy has nothing to govern
    }

    @Override
    public float[] prefill(ModelState state, int[] tokens, int from, int to, boolean allLogits) {
        MambaState s = ownState(state);
        s.requireOpen();
        LanguageModel.checkTokens(tokens, from, to, embeddings.rows());
        int vocab = head.rows();
        float[] logits = new float[allLogits ? (to - from) * vocab : vocab];
        try (Scratch scratch = scratches.take()) {
            for (int p0 = from; p0 < to; p0 += MAX_BATCH) {
                int p1 = Math.min(to, p0 + MAX_BATCH);
                float[] hidden = forwardLayers(s, tokens, p0, p1, scratch);
                if (allLogits) {
                    int rows = p1 - p0;
                    normaliseRows(hidden, rows, finalNorm);
                    float[] pieceLogits = scratch.floats("logits", rows * vocab);
                    kernels.matmul(head, hidden, rows, pieceLogits);
                    System.arraycopy(pieceLogits, 0, logits, (p0 - from) * vocab, pieceLogits.length);
                } else if (p1 == to) {
                    int last = (p1 - p0 - 1) * dims.hidden();
                    kernels.rmsNorm(hidden, last, finalNorm, 0f, normEps, hidden, last, dims.hidden());
                    kernels.matvec(head, hidden, last, logits, 0);
                }
            }
        }
        return logits;
    }

    /**
     * Runs tokens[p0, p1) through every block, advancing the state; returns the residual [t, D]
     * (a buffer of {@code scratch}, valid until the next piece).
     */
    private float[] forwardLayers(MambaState s, int[] tokens, int p0, int p1, Scratch scratch) {
        int t = p1 - p0;
        int d = dims.hidden();
        float[] hidden = scratch.floats("residual", t * d);
        for (int i = 0; i < t; i++) {
            embeddings.row(tokens[p0 + i], hidden, i * d);
        }
        float[] normed = scratch.floats("normed", t * d);
        for (int l = 0; l < mixers.length; l++) {
            System.arraycopy(hidden, 0, normed, 0, normed.length);
            normaliseRows(normed, t, blockNorms[l]);
            float[] mixed = mixers[l].forward(normed, t, s.conv[l], s.ssm[l], scratch);
            kernels.add(mixed, 0, hidden, 0, t * d);
        }
        s.advance(t);
        return hidden;
    }

    private void normaliseRows(float[] x, int rows, float[] weight) {
        int d = dims.hidden();
        for (int i = 0; i < rows; i++) {
            kernels.rmsNorm(x, i * d, weight, 0f, normEps, x, i * d, d);
        }
    }

    private MambaState ownState(ModelState state) {
        if (state instanceof MambaState s && s.ssm.length == dims.layers()
                && s.ssm[0].length == dims.inner() * dims.states()
                && s.conv[0].length == (dims.convWidth() - 1) * dims.inner()) {
            return s;
        }
        throw new IllegalArgumentException("this state was not made by this Mamba model's newState()");
    }

    @Override
    public void close() {
        weights.close();
    }
}
