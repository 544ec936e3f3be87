package dev.recall.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.api.ChatPrompt;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.generate.BatchScheduler;
import dev.recall.runtime.generate.Cancellation;
import dev.recall.runtime.generate.DecodeLoop;
import dev.recall.runtime.generate.GenerationResult;
import dev.recall.runtime.generate.PromptCache;
import dev.recall.runtime.generate.StopCondition;
import dev.recall.runtime.generate.TokenListener;
import dev.recall.runtime.generate.TokenLogprob;
import dev.recall.runtime.progress.ProgressListener;
import dev.recall.runtime.strategy.Prepared;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.strategy.Strategies;
import dev.recall.runtime.strategy.StrategyOptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code recall serve}: the OpenAI HTTP API over one loaded model, on the JDK's HTTP server with a
 * virtual thread per request. Every completion goes through one {@link BatchScheduler}, so requests
 * decode together, one batched forward pass per step. Endpoints: {@code POST /v1/chat/completions}
 * and {@code POST /v1/completions} (streamed as server-sent events or not), {@code GET /v1/models},
 * {@code GET /health}, {@code GET /metrics}. Errors are OpenAI's error object with the status that
 * fits (400, 401, 404, 405, 413, 429, 500, 503).
 */
public final class RecallServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final LoadedModel model;
    private final ServerOptions options;
    private final ChatPrompt chatPrompt;
    private final BatchScheduler scheduler;
    private final HttpServer http;
    private final ExecutorService executor;
    private final long created = System.currentTimeMillis() / 1000;
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final Semaphore strategyPlaces;
    private final Histogram timeToFirstToken = new Histogram("recall_time_to_first_token_seconds",
            "From a completion request's arrival to its first generated token.");
    private final Histogram interTokenLatency = new Histogram("recall_inter_token_latency_seconds",
            "Between consecutive generated tokens of one request.");
    private final Histogram requestDuration = new Histogram("recall_request_duration_seconds",
            "From a completion request's arrival to its last token.");
    private volatile boolean closing;

    private RecallServer(LoadedModel model, ServerOptions options) throws IOException {
        this.model = model;
        this.options = options;
        this.chatPrompt = ChatPrompt.of(model);
        this.strategyPlaces = new Semaphore(options.parallel());
        this.scheduler = new BatchScheduler(model.model(), model.tokenizer(), options.parallel(), options.maxQueued(), 256,
                new PromptCache(options.cacheBytes()));
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 0);
        http.setExecutor(executor);
        http.createContext("/", this::handle);
        http.start();
    }

    /** Starts serving the model; the model stays the caller's to close after the server. */
    public static RecallServer start(LoadedModel model, ServerOptions options) {
        model.tokenizer(); // refused in one sentence when the model has none: a server needs text
        try {
            return new RecallServer(model, options);
        } catch (IOException e) {
            throw new RecallException("cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage(), e);
        }
    }

    /** The port it listens on (the one chosen when the options said 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /**
     * Stops taking connections, waits up to {@code graceSeconds} for those in progress, then fails
     * what is still running.
     */
    public void stop(int graceSeconds) {
        closing = true;
        http.stop(Math.max(0, graceSeconds));
        scheduler.close();
        executor.shutdownNow();
    }

    @Override
    public void close() {
        stop(0);
    }

    // ---- routing ----------------------------------------------------------------------------

    private void handle(HttpExchange ex) {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        String endpoint = path;
        try {
            if (closing) {
                throw ApiError.unavailable("the server is shutting down");
            }
            if (path.startsWith("/v1/") && options.apiKey() != null && !authorized(ex)) {
                throw ApiError.unauthorized();
            }
            switch (path) {
                case "/health" -> {
                    only("GET", method, path);
                    sendJson(ex, 200, JSON.createObjectNode().put("status", "ok"));
                }
                case "/v1/models" -> {
                    only("GET", method, path);
                    sendJson(ex, 200, models());
                }
                case "/metrics" -> {
                    only("GET", method, path);
                    send(ex, 200, "text/plain; version=0.0.4", metrics().getBytes(StandardCharsets.UTF_8));
                }
                case "/v1/chat/completions" -> {
                    only("POST", method, path);
                    complete(ex, true);
                }
                case "/v1/completions" -> {
                    only("POST", method, path);
                    complete(ex, false);
                }
                default -> {
                    endpoint = "other";
                    throw ApiError.notFound(path);
                }
            }
            count(endpoint, 200);
        } catch (ApiError e) {
            count(endpoint, e.status);
            sendError(ex, e);
        } catch (RuntimeException e) {
            count(endpoint, 500);
            sendError(ex, ApiError.internal(String.valueOf(e.getMessage())));
        } finally {
            ex.close();
        }
    }

    private static void only(String allowed, String method, String path) {
        if (!allowed.equals(method)) {
            throw ApiError.methodNotAllowed(method, path);
        }
    }

    private boolean authorized(HttpExchange ex) {
        String header = ex.getRequestHeaders().getFirst("Authorization");
        byte[] given = (header == null ? "" : header).getBytes(StandardCharsets.UTF_8);
        byte[] expected = ("Bearer " + options.apiKey()).getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, expected);
    }

    private void count(String endpoint, int status) {
        requests.computeIfAbsent(endpoint + "\u0000" + status, k -> new LongAdder()).increment();
    }

    // ---- completions ------------------------------------------------------------------------

    private void complete(HttpExchange ex, boolean chat) {
        long arrived = System.nanoTime();
        CompletionRequest request = CompletionRequest.parse(body(ex), chat);
        int[] prompt;
        Prompt parts = null;
        CompletionRequest.LongContext longContext = request.longContext();
        try {
            if (chat) {
                prompt = chatPrompt.encode(request.messages(), options.limits());
            } else if (longContext != null) {
                // The strategy sees the three parts, each encoded on its own, as the CLI gives them.
                parts = model.prompt(longContext.prefix(), request.prompt(), longContext.query(), longContext.strategy(),
                        false, options.limits());
                prompt = parts.concatenated();
            } else {
                options.limits().checkPromptChars(request.prompt().length());
                prompt = model.tokenizer().encodeWithSpecialTokens(request.prompt());
            }
        } catch (RecallException e) {
            if (e.getMessage().startsWith("the prompt is ")) {
                throw ApiError.tooLarge(e.getMessage());
            }
            // The chat template refused the conversation, or could not render it.
            throw ApiError.badRequest(e.getMessage(), chat ? "messages" : "prompt");
        }
        if (prompt.length == 0) {
            throw ApiError.badRequest("the prompt is empty", chat ? "messages" : "prompt");
        }
        int maxTokens = request.maxTokens() != null ? request.maxTokens() : options.defaultMaxTokens();
        try {
            options.limits().checkPromptTokens(prompt.length);
        } catch (RecallException e) {
            throw ApiError.tooLarge(e.getMessage());
        }
        boolean strategy = longContext != null && !(longContext.strategy() instanceof StrategyOptions.Plain);
        // A long-context strategy decides what the state keeps: the context size bounds plain prompts only.
        if (options.contextSize() > 0 && !strategy) {
            if (prompt.length >= options.contextSize()) {
                throw ApiError.tooLarge("the prompt is " + prompt.length + " tokens, and the context holds "
                        + options.contextSize());
            }
            maxTokens = Math.min(maxTokens, options.contextSize() - prompt.length);
        }
        try {
            options.limits().checkNewTokens(maxTokens);
        } catch (RecallException e) {
            throw ApiError.badRequest(e.getMessage(), "max_tokens");
        }
        List<Integer> eos = request.ignoreEos() ? List.of() : chat ? chatPrompt.turnEnds() : model.eosTokenIds();
        List<String> stops = chat ? chatPrompt.stopStrings(request.stop()) : request.stop();
        Cancellation cancellation = new Cancellation();
        DecodeLoop.Options decode = new DecodeLoop.Options(request.sampling().withMaxTokens(maxTokens),
                StopCondition.eos(eos).withStopStrings(stops), cancellation, request.logprobs());
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        Prepared prepared = strategy ? prepare(longContext, parts) : null;
        if (request.stream()) {
            stream(ex, chat, id, prompt, prepared, decode, cancellation, request.includeUsage(), arrived);
            return;
        }
        GenerationResult result = await(submit(new BatchScheduler.Job(prompt, decode, timed(arrived, TokenListener.NONE), prepared)));
        requestDuration.observeNanos(System.nanoTime() - arrived);
        ObjectNode response = envelope(id, chat ? "chat.completion" : "text_completion");
        ObjectNode choice = response.putArray("choices").addObject().put("index", 0);
        if (chat) {
            choice.putObject("message").put("role", "assistant").put("content", result.text());
        } else {
            choice.put("text", result.text());
        }
        if (request.logprobs() >= 0) {
            choice.set("logprobs", chat ? chatLogprobs(result.logprobs()) : completionLogprobs(result.logprobs(), 0));
        } else {
            choice.putNull("logprobs");
        }
        choice.put("finish_reason", finishReason(result));
        response.set("usage", usage(prompt.length, result.ids().length));
        if (strategy) {
            response.set("recall", JSON.valueToTree(result.diagnostics().asMap()));
        }
        sendJson(ex, 200, response);
    }

    /**
     * Runs a long-context strategy over the request's parts on this request's thread; at most
     * {@code parallel} at once (more are answered 429), since each reads a whole long prompt.
     */
    private Prepared prepare(CompletionRequest.LongContext longContext, Prompt parts) {
        if (!strategyPlaces.tryAcquire()) {
            throw ApiError.busy("the server is busy: " + options.parallel() + " long-context requests are being read");
        }
        try {
            return Strategies.create(longContext.strategy(), model.tokenizer()).prepare(model.model(), parts, ProgressListener.NONE);
        } catch (RecallException e) {
            throw ApiError.badRequest(e.getMessage(), "recall");
        } finally {
            strategyPlaces.release();
        }
    }

    /** OpenAI's chat logprobs: per token its text, log-probability, UTF-8 bytes and the alternatives. */
    private ObjectNode chatLogprobs(List<TokenLogprob> tokens) {
        ObjectNode logprobs = JSON.createObjectNode();
        ArrayNode content = logprobs.putArray("content");
        for (TokenLogprob t : tokens) {
            ObjectNode entry = tokenEntry(t.id(), t.logprob());
            ArrayNode top = entry.putArray("top_logprobs");
            for (TokenLogprob.Alternative a : t.top()) {
                top.add(tokenEntry(a.id(), a.logprob()));
            }
            content.add(entry);
        }
        logprobs.putNull("refusal");
        return logprobs;
    }

    private ObjectNode tokenEntry(int id, double logprob) {
        String text = model.tokenizer().decode(new int[] {id}, false);
        ObjectNode entry = JSON.createObjectNode().put("token", text).put("logprob", logprob);
        ArrayNode bytes = entry.putArray("bytes");
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xFF);
        }
        return entry;
    }

    /**
     * The legacy completions logprobs: parallel arrays of tokens, their log-probabilities,
     * alternatives, and offsets into the completion's text (the first token at {@code offset}).
     */
    private ObjectNode completionLogprobs(List<TokenLogprob> list, int offset) {
        ObjectNode logprobs = JSON.createObjectNode();
        ArrayNode tokens = logprobs.putArray("tokens");
        ArrayNode values = logprobs.putArray("token_logprobs");
        ArrayNode top = logprobs.putArray("top_logprobs");
        ArrayNode offsets = logprobs.putArray("text_offset");
        for (TokenLogprob t : list) {
            String text = model.tokenizer().decode(new int[] {t.id()}, false);
            tokens.add(text);
            values.add(t.logprob());
            ObjectNode alternatives = top.addObject();
            for (TokenLogprob.Alternative a : t.top()) {
                alternatives.put(model.tokenizer().decode(new int[] {a.id()}, false), a.logprob());
            }
            offsets.add(offset);
            offset += text.length();
        }
        return logprobs;
    }

    /** Times a request's tokens into the latency histograms; runs on the scheduler thread. */
    private TokenListener timed(long arrived, TokenListener inner) {
        return new TokenListener() {
            long last = -1;

            @Override
            public void onText(String piece) {
                inner.onText(piece);
            }

            @Override
            public void onToken(int id, float[] logits) {
                long now = System.nanoTime();
                if (last < 0) {
                    timeToFirstToken.observeNanos(now - arrived);
                } else {
                    interTokenLatency.observeNanos(now - last);
                }
                last = now;
                inner.onToken(id, logits);
            }
        };
    }

    private CompletableFuture<GenerationResult> submit(BatchScheduler.Job job) {
        try {
            return scheduler.submit(job);
        } catch (RecallException e) {
            if (job.start() != null) {
                job.start().state().close(); // a prepared state the scheduler never took
            }
            throw e instanceof BatchScheduler.QueueFullException ? ApiError.busy(e.getMessage()) : ApiError.unavailable(e.getMessage());
        }
    }

    private static GenerationResult await(CompletableFuture<GenerationResult> future) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw ApiError.internal("generation failed: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.unavailable("the server is shutting down");
        }
    }

    /**
     * Server-sent events in OpenAI's chunk format, ending with {@code data: [DONE]}. The scheduler's
     * thread only queues text; this request's own thread writes it, so a slow client slows nobody
     * else, and a client that goes away cancels its sequence at the next step.
     */
    private void stream(HttpExchange ex, boolean chat, String id, int[] prompt, Prepared prepared, DecodeLoop.Options decode,
                        Cancellation cancellation, boolean includeUsage, long arrived) {
        BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        int topLogprobs = decode.logprobs();
        TokenListener queued = new TokenListener() {
            @Override
            public void onText(String piece) {
                events.add(piece);
            }

            @Override
            public void onToken(int token, float[] logits) {
                // Before the token's text (which may wait for more tokens): the writer sends each
                // token's log-probability with the chunk that carries its text.
                if (topLogprobs >= 0) {
                    events.add(TokenLogprob.of(logits, token, topLogprobs));
                }
            }
        };
        CompletableFuture<GenerationResult> future = submit(new BatchScheduler.Job(prompt, decode, timed(arrived, queued),
                prepared));
        future.whenComplete((r, e) -> {
            requestDuration.observeNanos(System.nanoTime() - arrived);
            events.add(e != null ? e : r);
        });
        try {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            String object = chat ? "chat.completion.chunk" : "text_completion";
            if (chat) {
                writeEvent(out, chunk(id, object, true, "", null));
            }
            List<TokenLogprob> pending = new ArrayList<>();
            int sent = 0; // characters of text sent, for the completions' text offsets
            while (true) {
                Object event = events.take();
                if (event instanceof TokenLogprob t) {
                    pending.add(t);
                } else if (event instanceof String piece) {
                    ObjectNode c = chunk(id, object, chat, piece, null);
                    withLogprobs(c, chat, topLogprobs, pending, sent);
                    writeEvent(out, c);
                    sent += piece.length();
                } else if (event instanceof GenerationResult result) {
                    ObjectNode last = chunk(id, object, chat, null, finishReason(result));
                    // Tokens whose text never came (an end-of-sequence token, a stop string) close the list.
                    withLogprobs(last, chat, topLogprobs, pending, sent);
                    writeEvent(out, last);
                    if (includeUsage) {
                        ObjectNode usage = envelope(id, object);
                        usage.putArray("choices");
                        usage.set("usage", usage(prompt.length, result.ids().length));
                        writeEvent(out, usage);
                    }
                    break;
                } else {
                    Throwable t = (Throwable) event;
                    Throwable cause = t.getCause() != null ? t.getCause() : t;
                    ObjectNode error = JSON.createObjectNode();
                    error.set("error", errorObject(ApiError.internal("generation failed: " + cause.getMessage())));
                    writeEvent(out, error);
                    break;
                }
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            // The client went away: its sequence leaves the batch at the next step.
            cancellation.cancel();
        } catch (InterruptedException e) {
            cancellation.cancel();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Puts the pending tokens' log-probabilities into a chunk (when they were asked for; the first
     * at text offset {@code sent}) and empties the list.
     */
    private void withLogprobs(ObjectNode chunk, boolean chat, int topLogprobs, List<TokenLogprob> pending, int sent) {
        if (topLogprobs < 0) {
            return;
        }
        ObjectNode choice = (ObjectNode) chunk.get("choices").get(0);
        choice.set("logprobs", chat ? chatLogprobs(pending) : completionLogprobs(pending, sent));
        pending.clear();
    }

    private ObjectNode chunk(String id, String object, boolean chat, String text, String finishReason) {
        ObjectNode chunk = envelope(id, object);
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        if (object.equals("chat.completion.chunk")) {
            ObjectNode delta = choice.putObject("delta");
            if (chat && text != null && text.isEmpty()) {
                delta.put("role", "assistant").put("content", "");
            } else if (text != null) {
                delta.put("content", text);
            }
        } else {
            choice.put("text", text == null ? "" : text);
        }
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return chunk;
    }

    private static void writeEvent(OutputStream out, JsonNode event) throws IOException {
        out.write(("data: " + JSON.writeValueAsString(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private ObjectNode envelope(String id, String object) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id).put("object", object).put("created", System.currentTimeMillis() / 1000).put("model", options.modelId());
        return o;
    }

    private static ObjectNode usage(int prompt, int completion) {
        return JSON.createObjectNode().put("prompt_tokens", prompt).put("completion_tokens", completion)
                .put("total_tokens", prompt + completion);
    }

    private static String finishReason(GenerationResult r) {
        return switch (r.stopReason()) {
            case MAX_TOKENS -> "length";
            default -> "stop";
        };
    }

    // ---- other endpoints --------------------------------------------------------------------

    private ObjectNode models() {
        ObjectNode list = JSON.createObjectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        data.addObject().put("id", options.modelId()).put("object", "model").put("created", created).put("owned_by", "recall");
        return list;
    }

    /** Prometheus text: requests by endpoint and status, tokens in and out, running and queued sequences. */
    private String metrics() {
        BatchScheduler.Load load = scheduler.load();
        StringBuilder m = new StringBuilder();
        m.append("# HELP recall_requests_total HTTP requests by endpoint and status.\n# TYPE recall_requests_total counter\n");
        requests.forEach((key, n) -> {
            String[] parts = key.split("\u0000");
            m.append("recall_requests_total{endpoint=\"").append(parts[0]).append("\",status=\"").append(parts[1])
                    .append("\"} ").append(n.sum()).append('\n');
        });
        m.append("# HELP recall_prompt_tokens_total Prompt tokens fed to the model.\n# TYPE recall_prompt_tokens_total counter\n")
                .append("recall_prompt_tokens_total ").append(load.tokensIn()).append('\n');
        m.append("# HELP recall_generated_tokens_total Tokens generated.\n# TYPE recall_generated_tokens_total counter\n")
                .append("recall_generated_tokens_total ").append(load.tokensOut()).append('\n');
        m.append("# HELP recall_batch_steps_total Batched forward passes.\n# TYPE recall_batch_steps_total counter\n")
                .append("recall_batch_steps_total ").append(load.steps()).append('\n');
        m.append("# HELP recall_running Sequences decoding now.\n# TYPE recall_running gauge\n")
                .append("recall_running ").append(load.running()).append('\n');
        m.append("# HELP recall_queue_depth Requests waiting for a place.\n# TYPE recall_queue_depth gauge\n")
                .append("recall_queue_depth ").append(load.queued()).append('\n');
        PromptCache.Stats cache = scheduler.cacheStats();
        m.append("# HELP recall_prompt_cache_hits_total Requests resumed from a kept state.\n# TYPE recall_prompt_cache_hits_total counter\n")
                .append("recall_prompt_cache_hits_total ").append(cache.hits()).append('\n');
        m.append("# HELP recall_prompt_cache_misses_total Requests fed from scratch.\n# TYPE recall_prompt_cache_misses_total counter\n")
                .append("recall_prompt_cache_misses_total ").append(cache.misses()).append('\n');
        m.append("# HELP recall_prompt_cache_tokens_saved_total Prompt tokens not fed thanks to the cache.\n"
                + "# TYPE recall_prompt_cache_tokens_saved_total counter\n")
                .append("recall_prompt_cache_tokens_saved_total ").append(cache.tokensSaved()).append('\n');
        m.append("# HELP recall_prompt_cache_bytes State bytes kept by the prompt cache.\n# TYPE recall_prompt_cache_bytes gauge\n")
                .append("recall_prompt_cache_bytes ").append(cache.bytes()).append('\n');
        timeToFirstToken.write(m);
        interTokenLatency.write(m);
        requestDuration.write(m);
        return m.toString();
    }

    // ---- I/O --------------------------------------------------------------------------------

    /** The request's JSON body, refused (413) past what a prompt within the limits can need. */
    private JsonNode body(HttpExchange ex) {
        long limit = 4L * options.limits().maxPromptChars() + (1 << 20);
        try (InputStream in = ex.getRequestBody()) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (bytes.length > limit) {
                throw ApiError.tooLarge("the request body is larger than " + limit + " bytes");
            }
            return JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("the request body is not valid JSON: " + e.getOriginalMessage(), null);
        } catch (IOException e) {
            throw ApiError.badRequest("the request body could not be read: " + e.getMessage(), null);
        }
    }

    private static void sendJson(HttpExchange ex, int status, JsonNode body) {
        try {
            send(ex, status, "application/json", JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode errorObject(ApiError e) {
        ObjectNode error = JSON.createObjectNode().put("message", e.getMessage()).put("type", e.type);
        if (e.param == null) {
            error.putNull("param");
        } else {
            error.put("param", e.param);
        }
        if (e.code == null) {
            error.putNull("code");
        } else {
            error.put("code", e.code);
        }
        return error;
    }

    private static void sendError(HttpExchange ex, ApiError e) {
        if (e.status == 429) {
            ex.getResponseHeaders().set("Retry-After", "1");
        }
        if (e.status == 401) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        }
        ObjectNode body = JSON.createObjectNode();
        body.set("error", errorObject(e));
        try {
            send(ex, e.status, "application/json", JSON.writeValueAsBytes(body));
        } catch (IOException | RuntimeException ignored) {
            // The response had started (a stream) or the client is gone: nothing more can be said.
        }
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) {
        try {
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        } catch (IOException e) {
            // The client went away before the answer: nothing to do.
        }
    }
}
