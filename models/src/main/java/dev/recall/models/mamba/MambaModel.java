package dev.recall.models.mamba;

import dev.recall.kernels.WeightMatrix;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.io.Weights;
import dev.recall.runtime.model.CausalLanguageModel;
import dev.recall.runtime.model.Checkpoint;
import dev.recall.runtime.model.ModelInfo;
import dev.recall.runtime.model.Rows;
import dev.recall.runtime.model.Scratch;
import dev.recall.runtime.model.StateIn;

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
public final class MambaModel extends CausalLanguageModel<MambaState> {

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

    private MambaModel(Checkpoint checkpoint, boolean falcon) {
        super(checkpoint.kernels(), MambaState.class);
        ModelConfig config = checkpoint.config();
        this.weights = checkpoint.weights();
        this.dims = MambaDimensions.read(weights, config);
        this.normEps = (float) config.epsilon("layer_norm_epsilon", 1e-5);
        float mixerEps = (float) config.epsilon("mixer_rms_eps", 1e-6);

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
                config.integer("max_position_embeddings", 0, 0, Integer.MAX_VALUE), 0, 0, embeddingTensor.typeName(),
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
    public MambaState readState(StateIn in) {
        MambaState state = new MambaState(dims);
        state.read(in);
        return state;
    }

    @Override
    public MambaState newState(AttentionPolicy policy) {
        return new MambaState(dims); // no attention: the policy has nothing to govern
    }

    @Override
    protected int pieceLength() {
        return MAX_BATCH;
    }

    @Override
    protected int embeddingRows() {
        return embeddings.rows();
    }

    @Override
    protected boolean owns(MambaState s) {
        return s.ssm.length == dims.layers() && s.ssm[0].length == dims.inner() * dims.states()
                && s.conv[0].length == (dims.convWidth() - 1) * dims.inner();
    }

    /**
     * Runs the pass's rows through every block, advancing each piece's state, then the final norm
     * and the head on the head rows.
     */
    @Override
    protected float[] forward(Pass<MambaState> pass, Scratch scratch) {
        Rows rows = pass.rows();
        int t = rows.count();
        int d = dims.hidden();
        float[] hidden = scratch.floats("residual", t * d);
        embed(pass, embeddings, hidden);
        float[] normed = scratch.floats("normed", t * d);
        float[][] conv = new float[pass.pieceCount()][];
        float[][] ssm = new float[pass.pieceCount()][];
        for (int l = 0; l < mixers.length; l++) {
            for (int p = 0; p < pass.pieceCount(); p++) {
                conv[p] = pass.piece(p).state().conv[l];
                ssm[p] = pass.piece(p).state().ssm[l];
            }
            System.arraycopy(hidden, 0, normed, 0, normed.length);
            normaliseRows(normed, t, blockNorms[l]);
            float[] mixed = mixers[l].forward(normed, rows, conv, ssm, scratch);
            kernels.add(mixed, 0, hidden, 0, t * d);
        }
        for (Piece<MambaState> piece : pass.pieces()) {
            piece.state().advance(piece.length());
        }

        return headLogits(pass, hidden, d, (in, from, out, to) ->
                kernels.rmsNorm(in, from * d, finalNorm, 0f, normEps, out, to * d, d), head, scratch);
    }

    private void normaliseRows(float[] x, int rows, float[] weight) {
        int d = dims.hidden();
        for (int i = 0; i < rows; i++) {
            kernels.rmsNorm(x, i * d, weight, 0f, normEps, x, i * d, d);
        }
    }

    @Override
    public void close() {
        weights.close();
    }
}
