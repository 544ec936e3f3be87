package dev.recall.runtime.api;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.chat.ChatMessage;
import dev.recall.runtime.chat.ChatTemplate;
import dev.recall.runtime.chat.GenerationDefaults;
import dev.recall.runtime.io.IoErrors;
import dev.recall.runtime.model.Batch;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelInfo;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.model.Sequence;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.strategy.StrategyOptions;
import dev.recall.runtime.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * A model ready to use: weights, tokenizer, the authors' generation defaults and chat template.
 * One loaded model serves any number of {@link Session}s, on any threads; closing it releases the
 * mapped weights (sessions must not be used afterwards).
 */
public final class LoadedModel implements AutoCloseable {

    private final Path dir;
    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final GenerationDefaults defaults;
    private volatile Optional<ChatTemplate> chatTemplate;
    private volatile byte[] identity;
    private volatile boolean closed;

    LoadedModel(Path dir, LanguageModel model, Tokenizer tokenizer, GenerationDefaults defaults) {
        this.dir = dir;
        this.model = model;
        this.tokenizer = tokenizer;
        this.defaults = defaults;
    }

    /** A model whose chat template is already known (a GGUF file's), or known to be absent. */
    LoadedModel(Path dir, LanguageModel model, Tokenizer tokenizer, GenerationDefaults defaults,
                Optional<ChatTemplate> chatTemplate) {
        this(dir, model, tokenizer, defaults);
        this.chatTemplate = chatTemplate;
    }

    /** A new, empty conversation with its own state. */
    public Session session() {
        requireOpen();
        return new Session(this);
    }

    /** Refuses to use a closed model in one sentence (its weights are unmapped). */
    void requireOpen() {
        if (closed) {
            throw new RecallException("the model " + dir.getFileName() + " is closed");
        }
    }

    /**
     * The token ids of a long-context request, prefix + context + query (any may be null or
     * empty), each part encoded on its own so that a strategy sees the same boundaries; the first
     * non-empty part gets the tokenizer's special tokens (e.g. BOS). An empty request becomes the
     * BOS token alone when the model has one. {@code prompt(null, text, null)} is a plain prompt.
     */
    public Prompt prompt(String prefix, String context, String query) {
        return prompt(prefix, context, query, RequestLimits.DEFAULT);
    }

    /** {@link #prompt(String, String, String)}, refusing text past the limits before it is tokenized. */
    public Prompt prompt(String prefix, String context, String query, RequestLimits limits) {
        String[] texts = {prefix, context, query};
        long chars = 0;
        for (String t : texts) {
            chars += t == null ? 0 : t.length();
        }
        limits.checkPromptChars(chars);
        int[][] ids = new int[texts.length][];
        boolean specialTokensAdded = false;
        for (int i = 0; i < texts.length; i++) {
            if (texts[i] == null || texts[i].isEmpty()) {
                ids[i] = new int[0];
            } else {
                ids[i] = specialTokensAdded ? tokenizer().encode(texts[i]) : tokenizer().encodeWithSpecialTokens(texts[i]);
                specialTokensAdded = true;
            }
        }
        Prompt prompt = new Prompt(ids[0], ids[1], ids[2]);
        if (prompt.length() == 0) {
            int bos = model.info().bosTokenId();
            if (bos < 0) {
                throw new RecallException("the prompt is empty and the model has no BOS token to start from");
            }
            return Prompt.plain(new int[]{bos});
        }
        return prompt;
    }

    /**
     * A long-context request as its strategy reads it. OPRM with its IDK filter on gets its
     * instruction after the query ({@link StrategyOptions.Oprm#query}). With {@code chat}, prefix +
     * context + query become one user turn of the model's chat template, followed by the header
     * that opens the reply (the OPRM reference wraps every chunk prompt in the model's turn markers,
     * which it writes out per model; here they come from the model's own template, or the plain
     * "User:" / "Assistant:" format when it has none). The markers are encoded apart from the text,
     * as the reference does, so every chunk prompt begins and ends with the same tokens.
     */
    public Prompt prompt(String prefix, String context, String query, StrategyOptions strategy, boolean chat,
                         RequestLimits limits) {
        String asked = strategy instanceof StrategyOptions.Oprm oprm ? oprm.query(query) : query;
        if (!chat) {
            return prompt(prefix, context, asked, limits);
        }
        limits.checkPromptChars(length(prefix) + length(context) + length(asked));
        ChatPrompt format = ChatPrompt.of(this);
        String marker = "\u0000recall:turn\u0000";
        String rendered = format.render(List.of(ChatMessage.user(marker)));
        int at = rendered.indexOf(marker);
        if (at < 0 || rendered.indexOf(marker, at + 1) >= 0) {
            throw new RecallException("the model's chat template does not write a user message once, as it was given,"
                    + " so a long-context request cannot be wrapped in it; ask without chat wrapping").naming("chat");
        }
        String head = rendered.substring(0, at);
        String tail = rendered.substring(at + marker.length());
        Tokenizer tokenizer = tokenizer();
        // Templates write their special tokens (BOS included) as text; the plain format takes the tokenizer's.
        int[] open = format.usesFallbackFormat() ? tokenizer.encodeWithSpecialTokens(head) : tokenizer.encode(head);
        int[] close = tail.isEmpty() ? new int[0] : tokenizer.encode(tail);
        return new Prompt(Prompt.concat(open, encodeText(prefix)), encodeText(context),
                Prompt.concat(encodeText(asked), close));
    }

    private static long length(String text) {
        return text == null ? 0 : text.length();
    }

    private int[] encodeText(String text) {
        return text == null || text.isEmpty() ? new int[0] : tokenizer().encode(text);
    }

    /** A chat with the model's template (or the plain fallback when it has none). */
    public Chat chat() {
        return new Chat(this);
    }

    /** Options as generation_config.json asks, with the given sampling seed. */
    public GenerateOptions defaultOptions(long seed) {
        return GenerateOptions.from(defaults, seed);
    }

    /**
     * The model's chat template, read on first use: a checkpoint with a template the engine cannot
     * run still loads, and fails only when chatting.
     */
    public Optional<ChatTemplate> chatTemplate() {
        Optional<ChatTemplate> t = chatTemplate;
        if (t == null) {
            t = ChatTemplate.find(dir);
            chatTemplate = t;
        }
        return t;
    }

    /** Ids that end a reply: generation_config.json's, config.json's and the model's, together. */
    public List<Integer> eosTokenIds() {
        LinkedHashSet<Integer> ids = new LinkedHashSet<>(defaults.eosTokenIds());
        ids.addAll(model.info().eosTokenIds());
        return List.copyOf(ids);
    }

    public Path directory() {
        return dir;
    }

    public LanguageModel model() {
        return model;
    }

    /** The model's tokenizer; a model directory without one is refused here, in one sentence. */
    public Tokenizer tokenizer() {
        if (tokenizer == null) {
            throw new RecallException("the model in " + dir + " has no tokenizer (tokenizer.json, an RWKV vocabulary"
                    + " or GGUF tokenizer metadata), so it can only be given token ids");
        }
        return tokenizer;
    }

    /**
     * Runs the model on a few throwaway sequences so that the JIT compiles the kernels a request
     * uses (a prompt's matrix products, a decode step's matrix-vector products, a batched step)
     * before the first request pays for it: for a server, once after loading. Nothing it computes
     * is kept; its states are closed. Takes a few rounds of a 64-token prompt and 16 steps.
     */
    public void warmUp() {
        requireOpen();
        int vocab = model.info().vocabSize();
        int[] prompt = new int[WARM_UP_PROMPT];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (31 * i + 7) % vocab;
        }
        for (int round = 0; round < WARM_UP_ROUNDS; round++) {
            List<ModelState> states = new ArrayList<>();
            try {
                for (int s = 0; s < WARM_UP_BATCH; s++) {
                    ModelState state = model.newState();
                    states.add(state);
                    model.prefill(state, prompt, 0, s == 0 ? prompt.length : 1 + s, false);
                }
                for (int step = 0; step < WARM_UP_STEPS; step++) {
                    model.step(states.getFirst(), prompt[step]);
                    List<Sequence> batch = new ArrayList<>();
                    for (ModelState state : states) {
                        batch.add(Sequence.of(state, prompt[(step + batch.size()) % prompt.length]));
                    }
                    model.forward(new Batch(batch));
                }
            } finally {
                states.forEach(ModelState::close);
            }
        }
    }

    private static final int WARM_UP_PROMPT = 64;
    private static final int WARM_UP_STEPS = 16;
    private static final int WARM_UP_BATCH = 4;
    private static final int WARM_UP_ROUNDS = 3;

    /**
     * A SHA-256 that tells this model from others, for state files: its config.json, and of every
     * safetensors file its name, size, header (tensor names, types, shapes, offsets) and three
     * 64 KiB samples of its weights (start, middle, end), so that a fine-tune of the same shapes
     * differs too without reading gigabytes.
     */
    public byte[] identity() {
        byte[] id = identity;
        if (id == null) {
            id = computeIdentity();
            identity = id;
        }
        return id.clone();
    }

    private byte[] computeIdentity() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            boolean gguf = Files.isRegularFile(dir);
            List<Path> files;
            if (gguf) {
                files = List.of(dir);
            } else {
                sha.update(Files.readAllBytes(dev.recall.runtime.io.ModelFiles.file(dir, "config.json")));
                try (var listing = Files.list(dir)) {
                    files = listing.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
                }
            }
            for (Path f : files) {
                try (FileChannel ch = FileChannel.open(f)) {
                    long size = ch.size();
                    sha.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                    sha.update(ByteBuffer.allocate(8).putLong(size).array());
                    ByteBuffer head = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                    ch.read(head, 0);
                    // A safetensors header is its JSON; a GGUF file's metadata and tensor infos lead it.
                    long headerLength = gguf ? size : size >= 8 ? Math.min(head.getLong(0), size - 8) : 0;
                    sha.update(read(ch, 0, (int) Math.min(8 + headerLength, 1 << 24)));
                    for (long at : new long[] {0, size / 2, Math.max(0, size - IDENTITY_SAMPLE)}) {
                        sha.update(read(ch, at, (int) Math.min(IDENTITY_SAMPLE, size - at)));
                    }
                }
            }
            return sha.digest();
        } catch (IOException e) {
            throw new RecallException("cannot read the model files to identify the model: "
                    + IoErrors.describe(e), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static final int IDENTITY_SAMPLE = 1 << 16;

    private static byte[] read(FileChannel ch, long at, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Math.max(0, n));
        while (b.hasRemaining() && ch.read(b, at + b.position()) > 0) {
            // keep reading until the sample is complete
        }
        return b.array();
    }

    /**
     * A session restored from a state file written by {@link Session#save} for this model: it
     * continues exactly where the saved one stood. A file of another model or family, a damaged or
     * truncated file, or one of another format version is refused in one sentence.
     */
    public Session restore(Path file) {
        requireOpen();
        StateFile.Contents c = StateFile.load(file, identity(), model.info().family());
        Session session = new Session(this);
        session.restoreFrom(c);
        return session;
    }

    /** The tokenizer, or null for a model without one (token ids in, token ids out). */
    Tokenizer tokenizerOrNull() {
        return tokenizer;
    }

    public GenerationDefaults generationDefaults() {
        return defaults;
    }

    public ModelInfo info() {
        return model.info();
    }

    /** Unmaps the weights once; closing again does nothing. Sessions of the model are unusable after it. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            model.close();
        }
    }
}
