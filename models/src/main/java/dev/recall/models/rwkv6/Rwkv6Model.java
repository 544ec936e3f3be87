package dev.recall.models.rwkv6;

import dev.recall.kernels.WeightMatrix;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.model.CausalLanguageModel;
import dev.recall.runtime.model.Checkpoint;
import dev.recall.runtime.model.ModelInfo;
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

    private final int channels;
    private final int heads;
    private final int headSize;
    private final Rwkv6Block[] blocks;
    /** Halve the residual after every this many blocks (0: never): a GGUF file's rescaled weights. */
    private final int rescaleEvery;

    private Rwkv6Model(Checkpoint checkpoint, int heads, int headSize, WeightMatrix embeddings, Rwkv6Block[] blocks,
                       LayerNorm lnOut, WeightMatrix head, int rescaleEvery) {
        int channels = embeddings.cols();
        super(checkpoint, Rwkv6State.class,
                new Ends(embeddings, (in, from, out, to) -> LayerNorm.normalize(in, from * channels, channels,
                        lnOut.weight(), lnOut.bias(), 0, lnOut.eps(), out, to * channels), head),
                Facts.recurrent(FAMILY, blocks.length));
        this.channels = channels;
        this.heads = heads;
        this.headSize = headSize;
        this.blocks = blocks;
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
        return new Rwkv6Model(checkpoint, heads, headSize, embeddings, blocks, lnOut, head, rescaleEvery);
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
    protected boolean owns(Rwkv6State state) {
        return state.layers() == blocks.length && state.timeMixShift(0).length == channels
                && state.wkv(0).length == heads * headSize * headSize;
    }

    /** Time mixing and channel mixing of one block over the pass's rows, each piece on its own state. */
    @Override
    protected void layer(int l, Pass<Rwkv6State> pass, float[] x, Scratch scratch) {
        blocks[l].forward(x, pass.rows(), pass.states(), scratch);
        if (rescaleEvery > 0 && (l + 1) % rescaleEvery == 0) {
            // A GGUF file's output and value weights are divided by 2^(layer / rescaleEvery);
            // the residual is halved to match, as llama.cpp's graph does.
            kernels.scale(x, 0, pass.rows().count() * channels, 0.5f);
        }
    }
}
