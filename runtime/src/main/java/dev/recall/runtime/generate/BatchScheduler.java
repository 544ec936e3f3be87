package dev.recall.runtime.generate;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.model.Batch;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.model.Sequence;
import dev.recall.runtime.strategy.Prepared;
import dev.recall.runtime.strategy.StrategyReport;
import dev.recall.runtime.tokenizer.Tokenizer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Continuous batching: requests from any thread decode together on one scheduler thread, each step
 * one batched forward pass over every running sequence. A new request joins at the next step, its
 * prompt fed in pieces of at most {@code prefillPiece} tokens so that it does not stall the running
 * ones; a finished or cancelled one leaves at once and frees its place. A request's result is what
 * it gets decoded alone ({@link DecodeLoop}): the batched pass gives each sequence its own logits
 * bit for bit, a prompt fed in pieces leaves the state as one pass would, and each sequence samples
 * on its own.
 *
 * <p>At most {@code parallel} sequences run; at most {@code maxQueued} more wait, and a request
 * beyond that is refused at once ({@link QueueFullException}): nothing grows without bound.
 */
public final class BatchScheduler implements AutoCloseable {

    /**
     * A request: its prompt's token ids and how to decode it. The scheduler feeds the prompt to a
     * fresh state (or resumes from the prompt cache), unless {@code start} is given: a state a
     * long-context strategy has already prepared from this prompt, which the job then owns and
     * decodes from directly (and which is never cached, since it need not hold the whole prompt).
     */
    public record Job(int[] prompt, DecodeLoop.Options options, TokenListener listener, Prepared start) {
        public Job {
            Objects.requireNonNull(prompt, "prompt");
            Objects.requireNonNull(options, "options");
            if (prompt.length == 0 && start == null) {
                throw new RecallException("the prompt is empty: there is no token to predict the next one from");
            }
            listener = listener == null ? TokenListener.NONE : listener;
        }

        public Job(int[] prompt, DecodeLoop.Options options, TokenListener listener) {
            this(prompt, options, listener, null);
        }
    }

    /** Thrown by {@link #submit} when {@code maxQueued} requests already wait. */
    public static final class QueueFullException extends RecallException {
        QueueFullException(int queued) {
            super("the server is busy: " + queued + " requests are already waiting");
        }
    }

    /** What the scheduler is doing now, for metrics. */
    public record Load(int running, int queued, long steps, long tokensIn, long tokensOut) {
    }

    /** A job on its way: feeding its prompt, then decoding. */
    private final class Running {
        final Job job;
        final CompletableFuture<GenerationResult> result;
        final long submitted;
        ModelState state;
        /** Completes the result; run after the request has left the running list. */
        Runnable outcome;
        int fed;
        /** Where to leave a snapshot in the cache while feeding the prompt (0: nowhere). */
        int snapshotAt;
        long prefillStart;
        Decoding decoding;

        Running(Job job, CompletableFuture<GenerationResult> result) {
            this.job = job;
            this.result = result;
            this.submitted = System.nanoTime();
        }
    }

    /**
     * The fewest leading tokens worth a snapshot of their own: every chat prompt shares the
     * template's first few, which would otherwise fill the cache with tiny entries.
     */
    static final int MIN_SHARED_PREFIX = 16;

    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final int parallel;
    private final int maxQueued;
    private final int prefillPiece;
    private final PromptCache cache;
    private final Deque<Running> queue = new ArrayDeque<>();
    private final List<Running> running = new ArrayList<>();
    private final Thread thread;
    private boolean closed;
    private long steps;
    private long tokensIn;
    private long tokensOut;

    /**
     * @param tokenizer    null when only ids are wanted (no text, no stop strings)
     * @param parallel     sequences decoded together, at least 1
     * @param maxQueued    requests that may wait for a place, at least 0
     * @param prefillPiece prompt tokens a joining request feeds per step, at least 1
     */
    public BatchScheduler(LanguageModel model, Tokenizer tokenizer, int parallel, int maxQueued, int prefillPiece) {
        this(model, tokenizer, parallel, maxQueued, prefillPiece, new PromptCache(0));
    }

    /**
     * As {@link #BatchScheduler(LanguageModel, Tokenizer, int, int, int)}, resuming prompts from the
     * cache: a request's state is kept when it ends (its prompt and reply but the last token), and a
     * request whose prompt starts with a kept state's tokens feeds only the rest.
     */
    public BatchScheduler(LanguageModel model, Tokenizer tokenizer, int parallel, int maxQueued, int prefillPiece,
                          PromptCache cache) {
        if (parallel < 1 || maxQueued < 0 || prefillPiece < 1) {
            throw new RecallException("a scheduler needs parallel ≥ 1, a queue ≥ 0 and a prefill piece ≥ 1");
        }
        this.model = Objects.requireNonNull(model, "model");
        this.tokenizer = tokenizer;
        this.parallel = parallel;
        this.maxQueued = maxQueued;
        this.prefillPiece = prefillPiece;
        this.cache = Objects.requireNonNull(cache, "cache");
        this.thread = Thread.ofPlatform().name("recall-scheduler").daemon(true).start(this::loop);
    }

    /**
     * Queues a request; its result completes when it ends (or exceptionally when it fails, alone).
     * Cancel it through its options' {@link Cancellation}: it leaves at the next step.
     *
     * @throws QueueFullException when {@code maxQueued} requests already wait
     */
    public CompletableFuture<GenerationResult> submit(Job job) {
        CompletableFuture<GenerationResult> result = new CompletableFuture<>();
        synchronized (this) {
            if (closed) {
                throw new RecallException("the scheduler is closed");
            }
            // Places are counted together: requests not yet moved to running still fit in them.
            if (running.size() + queue.size() >= parallel + maxQueued) {
                throw new QueueFullException(Math.max(0, running.size() + queue.size() - parallel));
            }
            queue.add(new Running(job, result));
            notifyAll();
        }
        return result;
    }

    public synchronized Load load() {
        return new Load(running.size(), queue.size(), steps, tokensIn, tokensOut);
    }

    /** Stops taking requests; those waiting or running fail with "the scheduler is closed". */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        while (true) {
            synchronized (this) {
                while (!closed && running.isEmpty() && queue.isEmpty()) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        closed = true;
                    }
                }
                if (closed) {
                    RecallException shut = new RecallException("the scheduler is closed");
                    queue.forEach(r -> {
                        if (r.job.start() != null) {
                            r.job.start().state().close();
                        }
                        r.result.completeExceptionally(shut);
                    });
                    queue.clear();
                    for (Running r : running) {
                        close(r);
                        r.result.completeExceptionally(shut);
                    }
                    running.clear();
                    cache.clear();
                    return;
                }
                while (running.size() < parallel && !queue.isEmpty()) {
                    running.add(queue.poll());
                }
            }
            step();
        }
    }

    /** One batched forward pass over every running sequence that has something to feed. */
    private void step() {
        List<Running> stepping = new ArrayList<>(running.size());
        List<Sequence> batch = new ArrayList<>(running.size());
        List<Running> finished = new ArrayList<>();
        for (Running r : List.copyOf(running)) {
            try {
                Sequence s = next(r);
                if (s == null) {
                    finished.add(r);
                } else {
                    stepping.add(r);
                    batch.add(s);
                }
            } catch (RuntimeException | Error e) {
                // A bad prompt or a listener that throws fails its own request only.
                fail(r, e);
                finished.add(r);
            }
        }
        if (!batch.isEmpty()) {
            try {
                List<float[]> logits = model.forward(new Batch(batch));
                for (int i = 0; i < stepping.size(); i++) {
                    received(stepping.get(i), batch.get(i), logits.get(i));
                }
            } catch (RuntimeException | Error e) {
                // The pass ran for all of them: none of their states can be trusted now.
                for (Running r : stepping) {
                    fail(r, e);
                    finished.add(r);
                }
            }
        }
        synchronized (this) {
            steps++;
            running.removeAll(finished);
        }
        // Results are handed out once the places are free: a caller that sees its result can count
        // on the scheduler no longer running it.
        for (Running r : finished) {
            r.outcome.run();
        }
    }

    /** What a running request feeds next: a piece of its prompt, or its next token; null once it ended. */
    private Sequence next(Running r) {
        if (r.decoding == null && r.job.start() != null) {
            r.state = r.job.start().state();
            r.decoding = new Decoding(new DecodeLoop.Request(r.job.start(), r.job.options(), r.job.listener()), tokenizer,
                    r.job.prompt(), r.job.prompt().length, 0);
        }
        if (r.decoding == null) {
            if (r.job.options().cancellation().isCancelled()) {
                end(r, new GenerationResult(new int[0], "", StopReason.CANCELLED, r.fed, 0, 0,
                        new StrategyReport.Plain("none", r.fed, 0), List.of()));
                return null;
            }
            if (r.state == null) {
                r.prefillStart = System.nanoTime();
                PromptCache.Match match = cache.match(r.job.prompt());
                PromptCache.Hit hit = match.hit();
                int shared = match.sharedPrefix();
                if (hit != null) {
                    r.state = hit.state();
                    r.fed = hit.tokens();
                } else {
                    r.state = model.newState();
                }
                r.state.reserve(r.job.prompt().length - r.fed);
                // This prompt begins like a kept one and then goes its own way: a snapshot where
                // they part serves the next request that begins the same way (a shared system prompt).
                if (shared >= MIN_SHARED_PREFIX && shared > r.fed && shared < r.job.prompt().length) {
                    r.snapshotAt = shared;
                }
            }
            int to = Math.min(r.job.prompt().length, r.fed + prefillPiece);
            if (r.fed < r.snapshotAt && r.snapshotAt < to) {
                to = r.snapshotAt; // a piece ends there; pieces never change the state's bits
            }
            return new Sequence(r.state, r.job.prompt(), r.fed, to, false);
        }
        int id = r.decoding.chooseNext();
        if (id < 0) {
            GenerationResult result = r.decoding.result();
            keep(r, result.ids());
            end(r, result);
            return null;
        }
        synchronized (this) {
            tokensOut++;
        }
        return Sequence.of(r.state, id);
    }

    private void received(Running r, Sequence fed, float[] logits) {
        if (r.decoding != null) {
            r.decoding.logits = logits;
            return;
        }
        r.fed = fed.to();
        synchronized (this) {
            tokensIn += fed.length();
        }
        if (r.fed == r.snapshotAt) {
            int[] prefix = Arrays.copyOf(r.job.prompt(), r.fed);
            try {
                if (!cache.contains(prefix)) {
                    cache.put(prefix, r.state.copy());
                }
            } catch (RuntimeException e) {
                // No room for the copy (out of memory, said in one sentence): the request goes on
                // without leaving a snapshot; the cache is an optimisation.
            }
        }
        if (r.fed == r.job.prompt().length) {
            Prepared prepared = new Prepared(r.state, logits, new StrategyReport.Plain("none", r.fed, r.state.sizeBytes()));
            r.decoding = new Decoding(new DecodeLoop.Request(prepared, r.job.options(), r.job.listener()), tokenizer,
                    r.job.prompt(), r.fed, System.nanoTime() - r.prefillStart);
        }
    }

    /**
     * Gives a finished request's state to the cache: it has consumed the prompt and every generated
     * token but the last.
     */
    private void keep(Running r, int[] generated) {
        if (r.state == null || generated.length == 0 || r.job.start() != null) {
            return;
        }
        int[] prompt = r.job.prompt();
        int[] consumed = Arrays.copyOf(prompt, prompt.length + generated.length - 1);
        System.arraycopy(generated, 0, consumed, prompt.length, generated.length - 1);
        if (r.state.position() == consumed.length) {
            cache.put(consumed, r.state);
            r.state = null;
        }
    }

    /** The prompt cache's counters. */
    public PromptCache.Stats cacheStats() {
        return cache.stats();
    }

    private void end(Running r, GenerationResult result) {
        close(r);
        r.outcome = () -> r.result.complete(result);
    }

    private void fail(Running r, Throwable e) {
        close(r);
        r.outcome = () -> r.result.completeExceptionally(e);
    }

    private static void close(Running r) {
        if (r.state != null) {
            r.state.close();
            r.state = null;
        }
    }
}
