package dev.recall.models.rwkv6;

import dev.recall.kernels.WeightMatrix;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.model.CausalLanguageModel;
import dev.recall.runtime.model.Checkpoint;
import dev.recall.runtime.model.ModelInfo;
import dev.recall.runtime.model.Rows;
import dev.recall.runtime.model.Scratch;
import dev.recall.runtime.model.StateIn;


/**
 * RWKV-6 "Finch" ({@code Rwkv6ForCausalLM}): a pure recurrence with a constant-size state.
 * {@code x = emb(ids)}; block 0 applies {@code pre_ln}; each block adds time mixing and channel
 * mixing; then {@code ln_out} and the untied {@code head}.
 *
 * <p>Sizes come from tensor shapes: width C from the embeddings, heads H and head size S from
 * {@code time_faaaa [H, S]} (config {@code num_attention_heads} is unused by RWKV-6 and unreliable).
 *
 * <p>Training length: {@link ModelInfo#trainingLength()} is {@code max_position_embeddings} when a
 * config states it, else 0 (unknown), as the long-context spec defines L_train. The config's
 * {@code context_length} is not taken for it: RWKV has no positional limit, that field names the
 * context a checkpoint was published for, and it can be far from the one it was trained at (the
 * zoo model says 4096 and was trained at 256). Taken as L_train it would make OPRM's default chunk
 * cover a whole pass-key prompt, quietly turning OPRM into a plain prefill; unknown, OPRM asks for
 * {@code --chunk} or {@code --train-length}.
 */
public final class Rwkv6Model extends CausalLanguageModel<Rwkv6State> {

    static final String FAMILY = "rwkv6";

    private final Checkpoint checkpoint;
    private final ModelInfo info;
    private final int channels;
    private final int heads;
    private final int headSize;
    private final WeightMatrix embeddings;
    private final Rwkv6Block[] blocks;
    private final LayerNorm lnOut;
    private final WeightMatrix head;
    /** Halve the residual after every this many blocks (0: never): a GGUF file's rescaled weights. */
    private final int rescaleEvery;

    private Rwkv6Model(Checkpoint checkpoint, ModelInfo info, int heads, int headSize, WeightMatrix embeddings,
                       Rwkv6Block[] blocks, LayerNorm lnOut, WeightMatrix head, int rescaleEvery) {
        super(checkpoint.kernels(), Rwkv6State.class);
        this.checkpoint = checkpoint;
        this.info = info;
        this.channels = info.hiddenSize();
        this.heads = heads;
        this.headSize = headSize;
        this.embeddings = embeddings;
        this.blocks = blocks;
        this.lnOut = lnOut;
        this.head = head;
        this.rescaleEvery = rescaleEvery;
    }

    static Rwkv6Model load(Checkpoint checkpoint) {
        ModelConfig config = checkpoint.config();
        Rwkv6Tensors tensors = new Rwkv6Tensors(checkpoint.weights());

        WeightMatrix embeddings = tensors.tensor("rwkv.embeddings.weight").matrix();
        int vocab = embeddings.rows();
        int channels = embeddings.cols();
        int layers = countBlocks(tensors);
        config.crossCheck("vocab_size", vocab, "rows of rwkv.embeddings.weight");
        config.crossCheck("hidden_size", channels, "columns of rwkv.embeddings.weight");
        config.crossCheck("num_hidden_layers", layers, "blocks in the weights");
        var bonus = tensors.tensor("rwkv.blocks.0.attention.time_faaaa");
        if (bonus.rank() != 2) {
            throw new RecallException("tensor " + bonus.name() + " has shape " + bonus.shapeString() + ", expected [heads, head_size]");
        }
        int heads = bonus.dim(0);
        int headSize = bonus.dim(1);

        float layerNormEps = (float) config.epsilon("layer_norm_epsilon", 1e-5);
        // The GroupNorm on the WKV output uses 1e-5 scaled by head_size_divisor², as in the reference.
        double divisor = config.number("head_size_divisor", 8, 0, true, 1e3);
        float groupNormEps = (float) (1e-5 * divisor * divisor);
        if (!(layerNormEps > 0 && layerNormEps < 1) || !(groupNormEps > 0 && groupNormEps < 1)) {
            throw new RecallException(config.source() + ": layer_norm_epsilon " + layerNormEps + " and head_size_divisor "
                    + divisor + " must give norm epsilons in the range (0, 1)");
        }

        Rwkv6Block[] blocks = new Rwkv6Block[layers];
        for (int i = 0; i < layers; i++) {
            blocks[i] = new Rwkv6Block(tensors, i, channels, heads, headSize, layerNormEps, groupNormEps, checkpoint.kernels());
        }
        LayerNorm lnOut = Rwkv6Block.layerNorm(tensors, "rwkv.ln_out", channels, layerNormEps);
        WeightMatrix head = tensors.matrix("head.weight", vocab, channels);

        // Only a GGUF file stores rescaled weights (llama.cpp's converter divides them); a
        // safetensors checkpoint holds them unscaled, whatever its config says.
        int rescaleEvery = checkpoint.format() == Checkpoint.Format.GGUF ? config.integer("rescale_every", 0) : 0;
        if (rescaleEvery < 0 || rescaleEvery > layers) {
            throw new RecallException(config.source() + ": rescale_every is " + rescaleEvery + ", outside the range [0, " + layers + "]");
        }
        ModelInfo info = new ModelInfo(FAMILY, config.architecture(), vocab, channels, layers,
                config.integer("max_position_embeddings", 0, 0, Integer.MAX_VALUE), 0, 0, head.type().name(),
                checkpoint.weights().parameterCount(), checkpoint.weights().totalBytes(),
                ModelInfo.lookupOnlyBytes(embeddings, head), checkpoint.bosTokenId(), checkpoint.eosTokenIds());
        return new Rwkv6Model(checkpoint, info, heads, headSize, embeddings, blocks, lnOut, head, rescaleEvery);
    }

    private static int countBlocks(Rwkv6Tensors tensors) {
        int n = 0;
        while (tensors.has("rwkv.blocks." + n + ".ln1.weight")) {
            n++;
        }
        if (n == 0) {
            throw new RecallException("missing tensor " + tensors.storedName("rwkv.blocks.0.ln1.weight") + " in the model weights");
        }
        return n;
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public Rwkv6State readState(StateIn in) {
        Rwkv6State state = newState(AttentionPolicy.full());
        state.read(in);
        return state;
    }

    /** A zero state; RWKV has no attention, so the policy does not apply. */
    @Override
    public Rwkv6State newState(AttentionPolicy policy) {
        return new Rwkv6State(blocks.length, channels, heads, headSize);
    }

    /** A prompt goes through the blocks whole: its rows are the pass. */
    @Override
    protected int pieceLength() {
        return Integer.MAX_VALUE;
    }

    @Override
    protected int embeddingRows() {
        return embeddings.rows();
    }

    @Override
    protected boolean owns(Rwkv6State state) {
        return state.layers() == blocks.length && state.timeMixShift(0).length == channels
                && state.wkv(0).length == heads * headSize * headSize;
    }

    @Override
    protected float[] forward(Pass<Rwkv6State> pass, Scratch scratch) {
        Rows rows = pass.rows();
        int t = rows.count();
        // One set of activation buffers for all blocks of this call, reused by the calls after it
        // (the model is shared across threads, so they come from a pool rather than fields).
        float[] x = scratch.floats("model.residual", t * channels);
        Rwkv6State[] states = new Rwkv6State[pass.pieceCount()];
        embed(pass, embeddings, x);
        for (int p = 0; p < pass.pieceCount(); p++) {
            states[p] = pass.piece(p).state();
        }
        for (int l = 0; l < blocks.length; l++) {
            blocks[l].forward(x, rows, states, scratch);
            if (rescaleEvery > 0 && (l + 1) % rescaleEvery == 0) {
                // A GGUF file's output and value weights are divided by 2^(layer / rescaleEvery);
                // the residual is halved to match, as llama.cpp's graph does.
                kernels.scale(x, 0, t * channels, 0.5f);
            }
        }
        for (int p = 0; p < states.length; p++) {
            states[p].advance(rows.length(p));
        }

        // ln_out and the head on the rows that want logits.
        return headLogits(pass, x, channels, (in, from, out, to) -> LayerNorm.normalize(in, from * channels, channels,
                lnOut.weight(), lnOut.bias(), 0, lnOut.eps(), out, to * channels), head, scratch);
    }

    @Override
    public void close() {
        checkpoint.weights().close();
    }
}
