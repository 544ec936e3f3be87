package dev.recall.models.rwkv6;

import dev.recall.kernels.Kernels;
import dev.recall.kernels.WeightMatrix;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.model.Checkpoint;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelInfo;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.model.Scratch;

import java.util.Arrays;

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
public final class Rwkv6Model implements LanguageModel {

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
    private final Kernels kernels;
    private final Scratch.Pool scratches = new Scratch.Pool();

    private Rwkv6Model(Checkpoint checkpoint, ModelInfo info, int heads, int headSize, WeightMatrix embeddings,
                       Rwkv6Block[] blocks, LayerNorm lnOut, WeightMatrix head) {
        this.checkpoint = checkpoint;
        this.kernels = checkpoint.kernels();
        this.info = info;
        this.channels = info.hiddenSize();
        this.heads = heads;
        this.headSize = headSize;
        this.embeddings = embeddings;
        this.blocks = blocks;
        this.lnOut = lnOut;
        this.head = head;
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

        float layerNormEps = (float) config.number("layer_norm_epsilon", 1e-5);
        // The GroupNorm on the WKV output uses 1e-5 scaled by head_size_divisor², as in the reference.
        double divisor = config.number("head_size_divisor", 8);
        float groupNormEps = (float) (1e-5 * divisor * divisor);

        Rwkv6Block[] blocks = new Rwkv6Block[layers];
        for (int i = 0; i < layers; i++) {
            blocks[i] = new Rwkv6Block(tensors, i, channels, heads, headSize, layerNormEps, groupNormEps, checkpoint.kernels());
        }
        LayerNorm lnOut = Rwkv6Block.layerNorm(tensors, "rwkv.ln_out", channels, layerNormEps);
        WeightMatrix head = tensors.matrix("head.weight", vocab, channels);

        ModelInfo info = new ModelInfo(FAMILY, config.architecture(), vocab, channels, layers,
                config.integer("max_position_embeddings", 0), 0, 0, head.type().name(),
                checkpoint.weights().parameterCount(), checkpoint.weights().totalBytes(),
                ModelInfo.lookupOnlyBytes(embeddings, head), checkpoint.bosTokenId(), checkpoint.eosTokenIds());
        return new Rwkv6Model(checkpoint, info, heads, headSize, embeddings, blocks, lnOut, head);
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

    /** A zero state; RWKV has no attention, so the policy does not apply. */
    @Override
    public Rwkv6State newState(AttentionPolicy policy) {
        return new Rwkv6State(blocks.length, channels, heads, headSize);
    }

    @Override
    public float[] prefill(ModelState modelState, int[] tokens, int from, int to, boolean allLogits) {
        if (!(modelState instanceof Rwkv6State state)) {
            throw new IllegalArgumentException("an RWKV-6 model needs an Rwkv6State, got " + modelState.getClass().getSimpleName());
        }
        state.requireOpen();
        LanguageModel.checkTokens(tokens, from, to, embeddings.rows());
        int t = to - from;
        // One set of activation buffers for all blocks of this call, reused by the calls after it
        // (the model is shared across threads, so they come from a pool rather than fields).
        try (Scratch scratch = scratches.take()) {
            float[] x = scratch.floats("model.residual", t * channels);
            for (int s = 0; s < t; s++) {
                embeddings.row(tokens[from + s], x, s * channels);
            }

            for (Rwkv6Block block : blocks) {
                block.forward(x, t, state, scratch);
            }
            state.advance(t);

            return allLogits ? logits(x, t) : logits(Arrays.copyOfRange(x, (t - 1) * channels, t * channels), 1);
        }
    }

    /** ln_out and head on the t rows of x: {@code [t, vocab]}. */
    private float[] logits(float[] x, int t) {
        lnOut.applyInPlace(x, t);
        float[] logits = new float[t * head.rows()];
        kernels.matmul(head, x, t, logits);
        return logits;
    }

    @Override
    public void close() {
        checkpoint.weights().close();
    }
}
