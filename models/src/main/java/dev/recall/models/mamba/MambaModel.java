package dev.recall.models.mamba;

import dev.recall.kernels.WeightMatrix;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.io.Weights;
import dev.recall.runtime.model.CausalLanguageModel;
import dev.recall.runtime.model.Checkpoint;
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

    private final MambaDimensions dims;
    private final float[][] blockNorms;
    private final MambaMixer[] mixers;
    private final float normEps;

    private MambaModel(Checkpoint checkpoint, MambaDimensions dims, WeightMatrix embeddings, WeightMatrix head,
                       float[] finalNorm, float normEps, boolean falcon) {
        int d = dims.hidden();
        super(checkpoint, MambaState.class,
                new Ends(embeddings, (in, from, out, to) -> checkpoint.kernels().rmsNorm(in, from * d, finalNorm, 0f, normEps,
                        out, to * d, d), head),
                Facts.recurrent("mamba", dims.layers()));
        this.dims = dims;
        this.normEps = normEps;
        Weights weights = checkpoint.weights();
        float mixerEps = (float) checkpoint.config().epsilon("mixer_rms_eps", 1e-6);
        this.blockNorms = new float[dims.layers()][];
        this.mixers = new MambaMixer[dims.layers()];
        for (int l = 0; l < dims.layers(); l++) {
            blockNorms[l] = weights.get(MambaDimensions.layerPrefix(l) + "norm.weight").expectShape(dims.hidden()).toFloats();
            mixers[l] = new MambaMixer(weights, l, dims, falcon, mixerEps, kernels);
        }
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
        ModelConfig config = checkpoint.config();
        Weights weights = checkpoint.weights();
        MambaDimensions dims = MambaDimensions.read(weights, config);
        WeightMatrix embeddings = weights.getAny(MambaDimensions.EMBEDDING_NAMES).matrix();
        float[] finalNorm = weights.get(MambaDimensions.PREFIX + "norm_f.weight").expectShape(dims.hidden()).toFloats();
        // tie_word_embeddings defaults to true for Mamba.
        WeightMatrix head = checkpoint.headTiedToEmbeddings(true) ? embeddings : headMatrix(weights.get("lm_head.weight"), dims.hidden());
        return new MambaModel(checkpoint, dims, embeddings, head, finalNorm,
                (float) config.epsilon("layer_norm_epsilon", 1e-5), falcon);
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
    protected boolean owns(MambaState s) {
        return s.ssm.length == dims.layers() && s.ssm[0].length == dims.inner() * dims.states()
                && s.conv[0].length == (dims.convWidth() - 1) * dims.inner();
    }

    /** h = h + Mixer(RMSNorm(h)) over the pass's rows, each piece's scan on its own state of this layer. */
    @Override
    protected void layer(int l, Pass<MambaState> pass, float[] hidden, Scratch scratch) {
        Rows rows = pass.rows();
        int t = rows.count();
        int d = dims.hidden();
        float[] normed = scratch.floats("normed", t * d);
        float[][] conv = new float[pass.pieceCount()][];
        float[][] ssm = new float[pass.pieceCount()][];
        for (int p = 0; p < pass.pieceCount(); p++) {
            conv[p] = pass.piece(p).state().conv[l];
            ssm[p] = pass.piece(p).state().ssm[l];
        }
        System.arraycopy(hidden, 0, normed, 0, normed.length);
        for (int i = 0; i < t; i++) {
            kernels.rmsNorm(normed, i * d, blockNorms[l], 0f, normEps, normed, i * d, d);
        }
        float[] mixed = mixers[l].forward(normed, rows, conv, ssm, scratch);
        kernels.add(mixed, 0, hidden, 0, t * d);
    }
}
