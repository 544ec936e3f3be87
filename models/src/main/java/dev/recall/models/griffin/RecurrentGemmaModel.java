package dev.recall.models.griffin;

import dev.recall.kernels.ElementType;
import dev.recall.kernels.Kernels;
import dev.recall.kernels.WeightMatrix;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.attention.KvArrayPool;
import dev.recall.runtime.attention.KvCache;
import dev.recall.runtime.attention.Rope;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.config.RopeConfig;
import dev.recall.runtime.io.Weights;
import dev.recall.runtime.model.CausalLanguageModel;
import dev.recall.runtime.model.Checkpoint;
import dev.recall.runtime.model.Scratch;
import dev.recall.runtime.model.StateIn;

import java.util.List;
import java.util.Set;

/**
 * RecurrentGemma (Griffin, {@code RecurrentGemmaForCausalLM}): a stack of residual blocks whose
 * temporal half cycles through the config's {@code block_types} (default recurrent, recurrent,
 * attention). Read top to bottom:
 * <ol>
 *   <li>embed the tokens and scale by sqrt(hidden) rounded to bfloat16, as the reference does;</li>
 *   <li>each layer: {@code r = x + temporal(norm(x))}, {@code x = r + mlp(norm(r))} ({@link ResidualBlock});</li>
 *   <li>final Gemma RMSNorm, the head (tied to the embedding unless {@code tie_word_embeddings} is
 *       false), logits soft-capped: {@code tanh(l / cap) · cap}.</li>
 * </ol>
 * The recurrent layers carry a conv history and an RG-LRU state; the attention layers a KV ring of
 * {@code attention_window_size} tokens. So the state, and the cost per token, stay constant however
 * long the context grows.
 */
public final class RecurrentGemmaModel extends CausalLanguageModel<RecurrentGemmaState> {

    static final String FAMILY = "recurrent-gemma";
    static final Set<String> ARCHITECTURES = Set.of("RecurrentGemmaForCausalLM", "recurrent_gemma");

    private static final String PREFIX = "model.";
    private static final List<String> DEFAULT_BLOCK_TYPES = List.of("recurrent", "recurrent", "attention");

    private final float embeddingScale;
    private final ResidualBlock[] layers;
    private final float logitSoftCap;
    /** Attention cache arrays of closed states, for the next ones. */
    private final KvArrayPool cacheArrays = new KvArrayPool();
    private final int attentionWindow;

    private RecurrentGemmaModel(Checkpoint checkpoint, WeightMatrix embedding, ResidualBlock[] layers, int attentionLayers,
                                GemmaRmsNorm finalNorm, WeightMatrix head, float logitSoftCap, int attentionWindow) {
        super(checkpoint, RecurrentGemmaState.class, new Ends(embedding, finalNorm::forwardRow, head),
                // Every attention layer has the model's own window, which an AttentionPolicy does not change.
                new Facts(FAMILY, layers.length, attentionLayers, attentionLayers));
        this.embeddingScale = ElementType.roundToBf16((float) Math.sqrt(embedding.cols()));
        this.layers = layers;
        this.logitSoftCap = logitSoftCap;
        this.attentionWindow = attentionWindow;
    }

    /** Builds the model from a checkpoint; sizes come from tensor shapes, the config is cross-checked. */
    public static RecurrentGemmaModel load(Checkpoint checkpoint) {
        ModelConfig config = checkpoint.config();
        Weights weights = checkpoint.weights();
        Kernels kernels = checkpoint.kernels();
        String activation = config.string("hidden_activation", "gelu_pytorch_tanh");
        if (!activation.equals("gelu_pytorch_tanh") && !activation.equals("gelu_tanh")) {
            throw new RecallException(config.source() + ": hidden_activation '" + activation
                    + "' is not supported for RecurrentGemma (supported: gelu_pytorch_tanh)");
        }

        WeightMatrix embedding = weights.get(PREFIX + "embed_tokens.weight").matrix();
        int hidden = embedding.cols();
        config.crossCheck("vocab_size", embedding.rows(), "rows of the embedding");
        config.crossCheck("hidden_size", hidden, "columns of the embedding");
        float eps = (float) config.epsilon("rms_norm_eps", 1e-6);
        int heads = config.positiveInteger("num_attention_heads");
        int headDim = config.has("head_dim") ? config.positiveInteger("head_dim") : hidden / heads;
        int window = config.positiveInteger("attention_window_size");
        Rope rope = new Rope(RopeConfig.from(config), headDim, kernels);
        List<String> blockTypes = config.stringList("block_types").orElse(DEFAULT_BLOCK_TYPES);
        if (blockTypes.isEmpty()) {
            throw new RecallException(config.source() + ": block_types is empty; it lists the temporal block of each layer in turn");
        }

        int layerCount = 0;
        while (weights.has(layerPrefix(layerCount) + "temporal_pre_norm.weight")) {
            layerCount++;
        }
        if (layerCount == 0) {
            throw new RecallException("no layers (" + layerPrefix(0) + "*) in the model weights");
        }
        config.crossCheck("num_hidden_layers", layerCount, "layers in the weights");
        ResidualBlock[] layers = new ResidualBlock[layerCount];
        int attentionLayers = 0;
        for (int i = 0; i < layerCount; i++) {
            String p = layerPrefix(i);
            String temporalPrefix = p + "temporal_block.";
            String expected = blockTypes.get(i % blockTypes.size());
            TemporalBlock temporal = switch (expected) {
                case "recurrent" -> RecurrentBlock.load(kernels, weights, temporalPrefix, hidden);
                case "attention" -> {
                    attentionLayers++;
                    yield LocalAttentionBlock.load(kernels, weights, temporalPrefix, hidden, heads, headDim, rope);
                }
                default -> throw new RecallException(config.source() + ": block type '" + expected
                        + "' is not supported (supported: recurrent, attention)");
            };
            GatedMlp mlp = GatedMlp.load(kernels, weights, p + "mlp_block.", hidden);
            layers[i] = new ResidualBlock(norm(weights, p + "temporal_pre_norm.weight", hidden, eps, kernels), temporal,
                    norm(weights, p + "channel_pre_norm.weight", hidden, eps, kernels), mlp, kernels);
        }
        GemmaRmsNorm finalNorm = norm(weights, PREFIX + "final_norm.weight", hidden, eps, kernels);

        // tie_word_embeddings defaults to true for RecurrentGemma.
        WeightMatrix head = checkpoint.headTiedToEmbeddings(true)
                ? embedding
                : weights.get("lm_head.weight").expectShape(embedding.rows(), hidden).matrix();
        float softCap = (float) config.number("logits_soft_cap", 30.0, 0, true, 1e6);

        // RecurrentGemma configs carry no training length: ModelInfo takes max_position_embeddings
        // when a checkpoint has one, else 0 (unknown). attention_window_size is the attention span,
        // not the length the model was trained at (the zoo model: window 128, trained at 256).
        return new RecurrentGemmaModel(checkpoint, embedding, layers, attentionLayers, finalNorm, head, softCap, window);
    }

    private static String layerPrefix(int layer) {
        return PREFIX + "layers." + layer + ".";
    }

    private static GemmaRmsNorm norm(Weights weights, String name, int hidden, float eps, Kernels kernels) {
        return new GemmaRmsNorm(weights.get(name).expectShape(hidden).toFloats(), eps, kernels);
    }

    /** The configured attention window (KV ring size of every attention layer). */
    public int attentionWindow() {
        return attentionWindow;
    }

    /**
     * A fresh state. The model's own attention window always applies; a requested
     * {@link AttentionPolicy.SlidingWindow} narrower than it narrows every attention layer further
     * (the smaller of the two wins), while {@link AttentionPolicy.Full} cannot widen it.
     */
    @Override
    public RecurrentGemmaState readState(StateIn in) {
        RecurrentBlock.Memory[] memories = new RecurrentBlock.Memory[layers.length];
        LocalAttentionBlock[] attention = new LocalAttentionBlock[layers.length];
        for (int i = 0; i < layers.length; i++) {
            switch (layers[i].temporal()) {
                case RecurrentBlock block -> memories[i] = block.newMemory();
                case LocalAttentionBlock block -> attention[i] = block;
            }
        }
        return RecurrentGemmaState.read(in, memories, attention, cacheArrays);
    }

    @Override
    public RecurrentGemmaState newState(AttentionPolicy policy) {
        int window = switch (policy) {
            case AttentionPolicy.Full full -> attentionWindow;
            case AttentionPolicy.SlidingWindow sliding -> Math.min(attentionWindow, sliding.window());
            // LM-Infinite's Λ shape is for layers without a window of their own: the model's window applies.
            case AttentionPolicy.Lambda lambda -> attentionWindow;
        };
        RecurrentBlock.Memory[] recurrent = new RecurrentBlock.Memory[layers.length];
        KvCache[] caches = new KvCache[layers.length];
        for (int i = 0; i < layers.length; i++) {
            switch (layers[i].temporal()) {
                case RecurrentBlock block -> recurrent[i] = block.newMemory();
                case LocalAttentionBlock block -> caches[i] = block.newCache(window, cacheArrays);
            }
        }
        return new RecurrentGemmaState(recurrent, caches, window);
    }

    /** A prompt goes through the layers whole: its rows are the pass. */
    @Override
    protected int pieceLength() {
        return Integer.MAX_VALUE;
    }

    @Override
    protected boolean owns(RecurrentGemmaState state) {
        return state.layers() == layers.length;
    }

    /** Gemma scales the embeddings by sqrt(hidden), rounded to bf16 as the reference keeps it. */
    @Override
    protected void afterEmbedding(float[] x, int length) {
        kernels.scale(x, 0, length, embeddingScale);
    }

    /** One residual block over the pass's rows, each piece on its own state of this layer. */
    @Override
    protected void layer(int l, Pass<RecurrentGemmaState> pass, float[] x, Scratch scratch) {
        layers[l].forward(pass.states(), l, x, pass.rows(), scratch);
    }

    /** The logits soft-capped: tanh(l / cap) · cap. */
    @Override
    protected void afterHead(float[] logits, int length) {
        for (int i = 0; i < length; i++) {
            logits[i] = (float) Math.tanh(logits[i] / logitSoftCap) * logitSoftCap;
        }
    }
}
