package dev.recall.runtime.api;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.generate.Cancellation;
import dev.recall.runtime.generate.DecodeLoop;
import dev.recall.runtime.generate.GenerationResult;
import dev.recall.runtime.generate.StopCondition;
import dev.recall.runtime.generate.TokenListener;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.model.StateIn;
import dev.recall.runtime.model.StateOut;
import dev.recall.runtime.strategy.LongContextStrategy;
import dev.recall.runtime.strategy.Prepared;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.strategy.Strategies;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One conversation with a loaded model: its own state, which every call continues. Each prompt is
 * appended to everything said so far and the reply decoded from there, so a session remembers
 * without re-reading. Sessions of one model are independent and may run on different threads at
 * once; a single session is not thread-safe.
 */
public final class Session {

    private final LoadedModel model;
    /** Null until the first prompt. */
    private ModelState state;
    /** Every token the session has seen: those in the state, then the pending one. */
    private int[] history = new int[0];
    /** The last generated token, not yet consumed (the decode loop stops one short), or −1. */
    private int pending = -1;
    /** The logits after the state's last token; meaningful only when nothing is pending. */
    private float[] logits;
    /** The state holds exactly {@link #history} (no strategy has dropped or reordered tokens). */
    private boolean exact = true;
    /** The strategy that read the first prompt ("none" unless a long-context one did). */
    private String strategyName = "none";
    /** A generation is running: a second, from another thread, would corrupt the state. */
    private final AtomicBoolean busy = new AtomicBoolean();

    Session(LoadedModel model) {
        this.model = model;
    }

    /**
     * Appends the prompt and generates a reply, streaming its text.
     *
     * @param onText receives text as soon as it is final (null: not streamed)
     * @return the generated text (EOS excluded, cut before a stop string)
     */
    public String generate(String prompt, GenerateOptions options, Consumer<String> onText) {
        options.limits().checkPromptChars(prompt.length());
        return generate(Prompt.plain(encode(prompt)), options, onText == null ? TokenListener.NONE : onText::accept).text();
    }

    /**
     * Appends prompt tokens and generates. A long-context strategy (OPRM, LM-Infinite) applies only
     * to the first prompt of a session, where it decides which state to decode from; later prompts
     * are always appended as they are.
     */
    public GenerationResult generate(Prompt prompt, GenerateOptions options, TokenListener listener) {
        return generate(prompt, options, listener, model.eosTokenIds());
    }

    /**
     * {@link #generate(Prompt, GenerateOptions, TokenListener)} on a virtual thread of its own:
     * returns at once with a handle whose result completes when the generation ends and whose
     * {@code cancel()} stops it before its next token. The listener is called on that thread.
     * Cancelling through the options' own {@code Cancellation} works too.
     */
    public Generation start(Prompt prompt, GenerateOptions options, TokenListener listener) {
        Cancellation cancellation = options.cancellation() != null ? options.cancellation() : new Cancellation();
        GenerateOptions withCancellation = options.withCancellation(cancellation);
        CompletableFuture<GenerationResult> result = new CompletableFuture<>();
        Thread.ofVirtual().name("recall-generation").start(() -> {
            try {
                result.complete(generate(prompt, withCancellation, listener));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return new Generation(result, cancellation);
    }

    /**
     * As {@link #generate(Prompt, GenerateOptions, TokenListener)}, ending at any of the given ids
     * (a prompt in the chat format ends at {@link ChatPrompt#turnEnds()}).
     */
    public GenerationResult generate(Prompt prompt, GenerateOptions options, TokenListener listener,
                                     List<Integer> eosIds) {
        model.requireOpen();
        // Refused before anything changes: the session stays as it was.
        options.limits().checkPromptTokens(prompt.length());
        options.limits().checkNewTokens(options.sampling().maxTokens());
        if (!busy.compareAndSet(false, true)) {
            throw new IllegalStateException("this session is already generating; a session runs one generation at a time");
        }
        try {
            return generateOrFail(prompt, options, listener, eosIds);
        } catch (RuntimeException | Error e) {
            // The state may have consumed part of the prompt (and a failed decode has closed it):
            // start over rather than continue from it.
            reset();
            throw WeightFaults.translate(e, model.directory());
        } finally {
            busy.set(false);
        }
    }

    private GenerationResult generateOrFail(Prompt prompt, GenerateOptions options, TokenListener listener,
                                            List<Integer> eosIds) {
        LongContextStrategy strategy;
        if (isFresh() && !isPlain(options)) {
            strategy = Strategies.create(options.strategy(), model.tokenizerOrNull());
            strategyName = options.strategy().name();
        } else if (!isPlain(options)) {
            throw new RecallException("the long-context strategy '" + options.strategy().name()
                    + "' applies to the first prompt of a session; reset() the session first");
        } else {
            strategy = new ChunkedPrefill(state, logits);
        }
        // The last reply's final token goes in first: the decode loop never fed it to the state.
        int[] pendingIds = pending >= 0 ? new int[]{pending} : new int[0];
        Prompt request = new Prompt(Prompt.concat(pendingIds, prompt.prefix()), prompt.context(), prompt.query());
        if (request.length() == 0 && logits == null) {
            throw new RecallException("nothing to generate from: the prompt is empty and the session has no state yet");
        }
        Recorder recorder = new Recorder(strategy);
        StopCondition stop = StopCondition.eos(eosIds).withStopStrings(options.stopStrings());
        // A decode that fails closes the state it was decoding (DecodeLoop), and generate() resets.
        GenerationResult result = new DecodeLoop(model.model(), model.tokenizerOrNull()).generate(recorder, request,
                new DecodeLoop.Options(options.sampling(), stop, options.cancellation(), options.logprobs()), listener,
                options.progress());
        Prepared prepared = recorder.prepared;
        state = prepared.state();
        int[] ids = result.ids();
        // The pending token is in the history already (it was generated); the state now holds it too.
        history = Prompt.concat(history, prompt.concatenated(), ids);
        // A strategy may keep less than it read (OPRM keeps one chunk): the tokens no longer say
        // exactly what the state holds.
        exact &= isPlain(options);
        if (ids.length > 0) {
            pending = ids[ids.length - 1];
            logits = null;
        } else {
            pending = -1;
            logits = prepared.logits();
        }
        return result;
    }

    /**
     * Generates after a whole transcript: the tokens the model should have seen, from the start. When
     * everything this session has seen is the beginning of the transcript (as in a chat, where each
     * turn re-renders the conversation), only the rest is fed; otherwise the session starts over.
     * Either way the result is that of feeding the transcript to a fresh session.
     */
    public GenerationResult generateTranscript(int[] transcript, GenerateOptions options, TokenListener listener) {
        return generateTranscript(transcript, options, listener, model.eosTokenIds());
    }

    GenerationResult generateTranscript(int[] transcript, GenerateOptions options, TokenListener listener,
                                        List<Integer> eosIds) {
        options.limits().checkPromptTokens(transcript.length);
        options.limits().checkNewTokens(options.sampling().maxTokens());
        if (!isFresh() && !(exact && startsWith(transcript, history))) {
            reset();
        }
        int[] rest = Arrays.copyOfRange(transcript, history.length, transcript.length);
        return generate(Prompt.plain(rest), options, listener, eosIds);
    }

    /**
     * Forgets everything; the next prompt starts a new conversation. The state's attention cache
     * goes back to the model for the next session, so call this when done with a session.
     */
    public void reset() {
        if (state != null) {
            state.close();
        }
        state = null;
        history = new int[0];
        pending = -1;
        logits = null;
        exact = true;
        strategyName = "none";
    }

    /**
     * Saves everything this session holds (its state, its tokens, where it stands) to a state
     * file, so that {@link LoadedModel#restore} continues it later, in another process, without
     * reading the prompt again: a long document read once and questioned many times. The file is
     * written beside the target and renamed over it, so a failed save leaves any old file as it was.
     */
    public void save(Path file) {
        if (state == null) {
            throw new RecallException("nothing to save: the session has no state yet");
        }
        write(file, model, strategyName, state, history, pending, logits, exact);
    }

    /** One state file format for sessions and snapshots: what {@link LoadedModel#restore} reads. */
    private static void write(Path file, LoadedModel model, String strategyName, ModelState state, int[] history,
                              int pending, float[] logits, boolean exact) {
        StateOut out = new StateOut();
        out.writeInts(history);
        out.writeInt(pending);
        out.writeBoolean(logits != null);
        if (logits != null) {
            out.writeFloats(logits);
        }
        out.writeBoolean(exact);
        state.write(out);
        StateFile.save(file, model.identity(),
                new StateFile.Contents(model.info().family(), strategyName, history.length, out.toByteArray()));
    }

    /** Becomes the saved session (this one is fresh). */
    void restoreFrom(StateFile.Contents c) {
        StateIn in = new StateIn(c.payload());
        int[] tokens = in.readInts();
        int pendingId = in.readInt();
        int vocab = model.info().vocabSize();
        if (pendingId < -1 || pendingId >= vocab) {
            throw StateIn.damaged("its pending token " + pendingId + " is outside the vocabulary");
        }
        float[] savedLogits = in.readBoolean() ? in.readFloats() : null;
        if (savedLogits != null && savedLogits.length != vocab) {
            throw StateIn.damaged("its logits have " + savedLogits.length + " entries for a vocabulary of " + vocab);
        }
        boolean savedExact = in.readBoolean();
        ModelState restored = model.model().readState(in);
        if (!in.atEnd()) {
            restored.close();
            throw StateIn.damaged("bytes are left after the state");
        }
        state = restored;
        history = tokens;
        pending = pendingId;
        logits = savedLogits;
        exact = savedExact;
        strategyName = c.strategy();
    }

    /** True before the first prompt (and after {@link #reset()}). */
    public boolean isFresh() {
        return state == null;
    }

    /** Every token this session has seen, prompts and replies, in order. */
    public int[] tokens() {
        return history.clone();
    }

    /**
     * An independent copy of where the session stands; restore it any number of times. It holds a
     * copy of the state: close it when done, so that a transformer's attention cache goes back to
     * the model (as {@link #reset()} does for the session's own).
     */
    public Snapshot snapshot() {
        return new Snapshot(model, strategyName, state == null ? null : state.copy(), history.clone(), pending,
                logits == null ? null : logits.clone(), exact);
    }

    /**
     * Returns the session to a snapshot (of this model); the snapshot stays usable until closed.
     *
     * @throws IllegalStateException if the snapshot was closed
     */
    public void restore(Snapshot snapshot) {
        if (snapshot.closed) {
            throw new IllegalStateException("this snapshot was closed, so the session cannot be restored to it");
        }
        ModelState restored = snapshot.state == null ? null : snapshot.state.copy();
        if (state != null) {
            state.close();
        }
        state = restored;
        history = snapshot.history.clone();
        pending = snapshot.pending;
        logits = snapshot.logits == null ? null : snapshot.logits.clone();
        exact = snapshot.exact;
    }

    /**
     * A saved session: state, tokens seen, and the pending token or last logits. Like a session, a
     * snapshot is not thread-safe: do not close it while another thread restores from it.
     */
    public static final class Snapshot implements AutoCloseable {
        private final LoadedModel model;
        private final String strategyName;
        /** Null before the first prompt, and once closed. */
        private ModelState state;
        private final int[] history;
        private final int pending;
        private final float[] logits;
        private final boolean exact;
        private boolean closed;

        private Snapshot(LoadedModel model, String strategyName, ModelState state, int[] history, int pending,
                         float[] logits, boolean exact) {
            this.model = model;
            this.strategyName = strategyName;
            this.state = state;
            this.history = history;
            this.pending = pending;
            this.logits = logits;
            this.exact = exact;
        }

        /** Tokens the session had seen. */
        public int length() {
            return history.length;
        }

        /**
         * Saves the snapshot to a state file, the format {@link Session#save} writes: {@link
         * LoadedModel#restore} continues from it in any process (a shared system prompt read once,
         * say). Written beside the target and renamed over it, like a session's.
         *
         * @throws IllegalStateException if the snapshot was closed
         */
        public void save(Path file) {
            if (closed) {
                throw new IllegalStateException("this snapshot was closed, so it cannot be saved");
            }
            if (state == null) {
                throw new RecallException("nothing to save: the snapshot was taken before the session's first prompt");
            }
            write(file, model, strategyName, state, history, pending, logits, exact);
        }

        /** Bytes of model state held (none once closed). */
        public long sizeBytes() {
            return state == null ? 0 : state.sizeBytes();
        }

        /**
         * Done with this snapshot: its copy of the state is closed (a transformer's attention cache
         * goes back to the model) and dropped. Restoring it afterwards is refused; closing again
         * does nothing.
         */
        @Override
        public void close() {
            closed = true;
            if (state != null) {
                state.close();
                state = null;
            }
        }
    }

    private int[] encode(String prompt) {
        if (!isFresh()) {
            return model.tokenizer().encode(prompt);
        }
        int[] ids = model.tokenizer().encodeWithSpecialTokens(prompt);
        if (ids.length == 0) {
            int bos = model.info().bosTokenId();
            if (bos < 0) {
                throw new RecallException("the prompt is empty and the model has no BOS token to start from");
            }
            return new int[]{bos};
        }
        return ids;
    }

    private static boolean isPlain(GenerateOptions options) {
        String name = options.strategy().name();
        return name == null || name.equals("none") || name.equals("plain");
    }

    private static boolean startsWith(int[] array, int[] prefix) {
        return array.length >= prefix.length && Arrays.equals(array, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** Keeps what the strategy prepared: the state to continue and its logits. */
    private static final class Recorder implements LongContextStrategy {
        private final LongContextStrategy inner;
        private Prepared prepared;

        Recorder(LongContextStrategy inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public Prepared prepare(dev.recall.runtime.model.LanguageModel lm, Prompt prompt,
                                dev.recall.runtime.progress.ProgressListener progress) {
            prepared = inner.prepare(lm, prompt, progress);
            return prepared;
        }
    }
}
