package dev.recall.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.api.RequestLimits;
import dev.recall.runtime.api.Recall;
import dev.recall.runtime.chat.ChatMessage;
import dev.recall.runtime.api.ChatPrompt;
import dev.recall.runtime.generate.DecodeLoop;
import dev.recall.runtime.generate.GenerationResult;
import dev.recall.runtime.generate.SamplingOptions;
import dev.recall.runtime.generate.StopCondition;
import dev.recall.runtime.generate.TokenListener;
import dev.recall.runtime.progress.ProgressListener;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.strategy.Strategies;
import dev.recall.runtime.strategy.StrategyOptions;
import dev.recall.runtime.testing.SharedData;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAI endpoints over HTTP on a loopback port, against the zoo Llama with a ChatML template:
 * answers equal what the Java API decodes alone, streamed or not, many at once; every error is
 * OpenAI's error object with the right status.
 */
class RecallServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final String CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
            + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    @TempDir
    static Path dir;
    static LoadedModel model;
    static RecallServer server;
    static String base;

    @BeforeAll
    static void start() throws IOException {
        Path zoo = SharedData.zoo().resolve("llama");
        try (Stream<Path> files = Files.list(zoo)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        Files.writeString(dir.resolve("chat_template.jinja"), CHATML);
        model = Recall.load(dir);
        server = RecallServer.start(model, new ServerOptions("127.0.0.1", 0, 4, 16, 256, null, "zoo-llama", null, 16, 64L << 20));
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** What the Java API decodes alone for these prompt ids, greedily. */
    static GenerationResult alone(int[] ids, int maxTokens, List<Integer> eos, List<String> stops) {
        return new DecodeLoop(model.model(), model.tokenizer()).generate(Strategies.create(StrategyOptions.none(), model.tokenizer()),
                Prompt.plain(ids), new DecodeLoop.Options(SamplingOptions.greedy(maxTokens), StopCondition.eos(eos).withStopStrings(stops)),
                TokenListener.NONE, ProgressListener.NONE);
    }

    static GenerationResult aloneChat(String user, int maxTokens) {
        ChatPrompt chat = ChatPrompt.of(model);
        int[] ids = chat.encode(List.of(ChatMessage.user(user)), ServerOptions.SERVER_LIMITS);
        return alone(ids, maxTokens, chat.turnEnds(), chat.stopStrings(List.of()));
    }

    static String chatBody(String user, int maxTokens, String extra) {
        return "{\"model\": \"zoo-llama\", \"messages\": [{\"role\": \"user\", \"content\": " + JSON.valueToTree(user)
                + "}], \"max_tokens\": " + maxTokens + ", \"temperature\": 0" + extra + "}";
    }

    @Test
    void healthAndModels() throws Exception {
        HttpResponse<String> health = get("/health");
        assertEquals(200, health.statusCode());
        assertEquals("ok", JSON.readTree(health.body()).get("status").asText());
        JsonNode models = JSON.readTree(get("/v1/models").body());
        assertEquals("list", models.get("object").asText());
        assertEquals("zoo-llama", models.get("data").get(0).get("id").asText());
        post("/v1/completions", "{\"prompt\": \"The\", \"max_tokens\": 3, \"temperature\": 0}");
        String metrics = get("/metrics").body();
        assertTrue(metrics.contains("recall_requests_total{endpoint=\"/health\",status=\"200\"}"), metrics);
        assertTrue(metrics.contains("# TYPE recall_queue_depth gauge"), metrics);
        assertTrue(metrics.contains("# TYPE recall_time_to_first_token_seconds histogram"), metrics);
        assertTrue(metrics.matches("(?s).*recall_time_to_first_token_seconds_count [1-9].*"), metrics);
        assertTrue(metrics.matches("(?s).*recall_inter_token_latency_seconds_count [1-9].*"), metrics);
        assertTrue(metrics.matches("(?s).*recall_generated_tokens_total [1-9].*"), metrics);
    }

    @Test
    void chatCompletionIsWhatTheApiDecodesAlone() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", chatBody("Once upon a time", 12, ""));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = JSON.readTree(r.body());
        GenerationResult expected = aloneChat("Once upon a time", 12);
        assertEquals("chat.completion", body.get("object").asText());
        assertTrue(body.get("id").asText().startsWith("chatcmpl-"));
        JsonNode choice = body.get("choices").get(0);
        assertEquals("assistant", choice.get("message").get("role").asText());
        assertEquals(expected.text(), choice.get("message").get("content").asText());
        assertEquals(expected.stopReason().name().equals("MAX_TOKENS") ? "length" : "stop", choice.get("finish_reason").asText());
        assertEquals(expected.promptTokens(), body.get("usage").get("prompt_tokens").asInt());
        assertEquals(expected.ids().length, body.get("usage").get("completion_tokens").asInt());
    }

    @Test
    void textCompletionIsWhatTheApiDecodesAlone() throws Exception {
        HttpResponse<String> r = post("/v1/completions", "{\"prompt\": \"The old man\", \"max_tokens\": 10, \"temperature\": 0}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = JSON.readTree(r.body());
        GenerationResult expected = alone(model.tokenizer().encodeWithSpecialTokens("The old man"), 10, model.eosTokenIds(), List.of());
        assertEquals("text_completion", body.get("object").asText());
        assertEquals(expected.text(), body.get("choices").get(0).get("text").asText());
    }

    @Test
    void streamedChatConcatenatesToTheSameTextAndEndsWithDone() throws Exception {
        HttpResponse<InputStream> r = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(chatBody("Once upon a time", 12,
                        ", \"stream\": true, \"stream_options\": {\"include_usage\": true}"))).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertEquals("text/event-stream", r.headers().firstValue("Content-Type").orElse(""));
        List<String> data = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith("data: ")) {
                    data.add(line.substring(6));
                } else {
                    assertEquals("", line, "events are 'data:' lines separated by blank lines");
                }
            }
        }
        assertEquals("[DONE]", data.getLast());
        StringBuilder text = new StringBuilder();
        JsonNode first = JSON.readTree(data.getFirst());
        assertEquals("assistant", first.get("choices").get(0).get("delta").get("role").asText());
        String finish = null;
        JsonNode usage = null;
        for (String d : data.subList(0, data.size() - 1)) {
            JsonNode chunk = JSON.readTree(d);
            assertEquals("chat.completion.chunk", chunk.get("object").asText());
            if (chunk.get("choices").isEmpty()) {
                usage = chunk.get("usage");
                continue;
            }
            JsonNode choice = chunk.get("choices").get(0);
            text.append(choice.get("delta").path("content").asText(""));
            if (!choice.get("finish_reason").isNull()) {
                finish = choice.get("finish_reason").asText();
            }
        }
        GenerationResult expected = aloneChat("Once upon a time", 12);
        assertEquals(expected.text(), text.toString());
        assertEquals(expected.stopReason().name().equals("MAX_TOKENS") ? "length" : "stop", finish);
        assertEquals(expected.ids().length, usage.get("completion_tokens").asInt());
    }

    @Test
    void manyRequestsAtOnceEachGetWhatTheyGetAlone() throws Exception {
        String[] prompts = {"The", "It was a", "He said", "There is", "A long", "Once", "She", "We"};
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (String p : prompts) {
            futures.add(CLIENT.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"" + p + "\", \"max_tokens\": 20, \"temperature\": 0}"))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < prompts.length; i++) {
            HttpResponse<String> r = futures.get(i).get();
            assertEquals(200, r.statusCode(), r.body());
            String expected = alone(model.tokenizer().encodeWithSpecialTokens(prompts[i]), 20, model.eosTokenIds(), List.of()).text();
            assertEquals(expected, JSON.readTree(r.body()).get("choices").get(0).get("text").asText(), prompts[i]);
        }
    }

    static void assertError(HttpResponse<String> r, int status, String type, String param, String words) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertEquals(type, error.get("type").asText(), r.body());
        assertTrue(error.has("param") && error.has("code"), r.body());
        if (param != null) {
            assertEquals(param, error.get("param").asText(), r.body());
        }
        assertTrue(error.get("message").asText().contains(words), r.body());
    }

    @Test
    void badRequestsAreOpenAiErrors() throws Exception {
        assertError(post("/v1/chat/completions", "{not json"), 400, "invalid_request_error", null, "not valid JSON");
        assertError(post("/v1/chat/completions", "[]"), 400, "invalid_request_error", null, "JSON object");
        assertError(post("/v1/chat/completions", "{\"max_tokens\": 5}"), 400, "invalid_request_error", "messages", "non-empty array");
        assertError(post("/v1/chat/completions", chatBody("hi", 5, ", \"temperature\": \"hot\"").replace("\"temperature\": 0,", "")),
                400, "invalid_request_error", "temperature", "must be a number");
        assertError(post("/v1/chat/completions", chatBody("hi", 5, ", \"n\": 2")), 400, "invalid_request_error", "n", "n = 1");
        assertError(post("/v1/chat/completions", chatBody("hi", 5, ", \"top_p\": 3")), 400, "invalid_request_error", "top_p", "[0, 1]");
        assertError(post("/v1/chat/completions", chatBody("hi", 5, ", \"stop\": [1]")), 400, "invalid_request_error", "stop", "strings");
        assertError(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}"),
                400, "invalid_request_error", "messages[0].content", "only text");
        assertError(post("/v1/completions", "{\"prompt\": 5}"), 400, "invalid_request_error", "prompt", "must be a string");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": -1}"), 400, "invalid_request_error", "max_tokens", "at least 0");
        // llama-server's ignore_eos: the reply runs to its token limit.
        JsonNode full = JSON.readTree(post("/v1/completions",
                "{\"prompt\": \"a\", \"max_tokens\": 30, \"temperature\": 0, \"ignore_eos\": true}").body());
        assertEquals(30, full.get("usage").get("completion_tokens").asInt());
        assertEquals("length", full.get("choices").get(0).get("finish_reason").asText());
        // Unknown fields are ignored, as OpenAI does.
        assertEquals(200, post("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 2, \"user\": \"x\", \"whatever\": {}}").statusCode());
    }

    @Test
    void wrongPathsMethodsAndSizes() throws Exception {
        assertError(get("/v1/nothing"), 404, "not_found_error", null, "/v1/nothing");
        assertError(get("/v1/chat/completions"), 405, "invalid_request_error", null, "does not take GET");
        assertError(post("/v1/completions", "{\"prompt\": " + JSON.valueToTree("word ".repeat(400)) + "}"), 413,
                "invalid_request_error", null, "the context holds 256");
    }

    @Test
    void anApiKeyIsRequiredWhenSet() throws Exception {
        try (RecallServer keyed = RecallServer.start(model, new ServerOptions("127.0.0.1", 0, 1, 1, 0, "sekret", "m", null, 4, 0))) {
            String url = "http://127.0.0.1:" + keyed.port();
            HttpResponse<String> none = CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/v1/models")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertError(none, 401, "authentication_error", null, "API key");
            HttpResponse<String> wrong = CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/v1/models"))
                    .header("Authorization", "Bearer nope").GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, wrong.statusCode());
            HttpResponse<String> right = CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/v1/models"))
                    .header("Authorization", "Bearer sekret").GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, right.statusCode());
            // Health needs no key: load balancers probe it.
            assertEquals(200, CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/health")).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }

    @Test
    void aFullServerAnswers429AndADisconnectedStreamFreesItsPlace() throws Exception {
        try (RecallServer small = RecallServer.start(model, new ServerOptions("127.0.0.1", 0, 1, 0, 0, null, "m", null, 4, 0))) {
            String url = "http://127.0.0.1:" + small.port();
            // A stream that runs until its client leaves: greedy from "The", this model meets no EOS
            // in its first 400 tokens.
            HttpResponse<InputStream> streaming = CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"prompt\": \"The\", \"max_tokens\": 30000, \"temperature\": 0, \"stream\": true}"))
                    .build(), HttpResponse.BodyHandlers.ofInputStream());
            BufferedReader in = new BufferedReader(new InputStreamReader(streaming.body(), StandardCharsets.UTF_8));
            String firstEvent = in.readLine();
            assertTrue(firstEvent.startsWith("data: "), firstEvent);
            HttpResponse<String> busy = CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"a\", \"max_tokens\": 2}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertError(busy, 429, "rate_limit_error", null, "busy");
            assertEquals("1", busy.headers().firstValue("Retry-After").orElse(""));
            in.close();
            // Once the client has gone, its sequence leaves and the place is free again.
            long deadline = System.nanoTime() + 30_000_000_000L;
            int status;
            do {
                status = CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"a\", \"max_tokens\": 2}")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode();
            } while (status == 429 && System.nanoTime() < deadline);
            assertEquals(200, status);
            assertFalse(get("/metrics").body().isEmpty());
        }
    }

    @Test
    void logprobsAreThoseTheDecodeLoopComputes() throws Exception {
        ChatPrompt chat = ChatPrompt.of(model);
        int[] ids = chat.encode(List.of(ChatMessage.user("Once upon a time")), ServerOptions.SERVER_LIMITS);
        GenerationResult expected = new DecodeLoop(model.model(), model.tokenizer()).generate(
                Strategies.create(StrategyOptions.none(), model.tokenizer()), Prompt.plain(ids),
                new DecodeLoop.Options(SamplingOptions.greedy(6), StopCondition.eos(chat.turnEnds()), null, 2),
                TokenListener.NONE, ProgressListener.NONE);
        JsonNode body = JSON.readTree(post("/v1/chat/completions",
                chatBody("Once upon a time", 6, ", \"logprobs\": true, \"top_logprobs\": 2")).body());
        JsonNode content = body.get("choices").get(0).get("logprobs").get("content");
        assertEquals(expected.logprobs().size(), content.size());
        for (int i = 0; i < content.size(); i++) {
            assertEquals(expected.logprobs().get(i).logprob(), content.get(i).get("logprob").asDouble(), 0.0);
            assertEquals(model.tokenizer().decode(new int[] {expected.ids()[i]}, false), content.get(i).get("token").asText());
            assertEquals(2, content.get(i).get("top_logprobs").size());
        }
        JsonNode legacy = JSON.readTree(post("/v1/completions",
                "{\"prompt\": \"The\", \"max_tokens\": 3, \"temperature\": 0, \"logprobs\": 1}").body())
                .get("choices").get(0).get("logprobs");
        assertEquals(3, legacy.get("tokens").size());
        assertEquals(3, legacy.get("token_logprobs").size());
        assertError(post("/v1/chat/completions", chatBody("hi", 5, ", \"top_logprobs\": 3")), 400, "invalid_request_error",
                "top_logprobs", "needs");
        assertError(post("/v1/chat/completions", chatBody("hi", 5, ", \"logprobs\": true, \"top_logprobs\": 21")), 400,
                "invalid_request_error", "top_logprobs", "0..20");
    }

    /**
     * Streamed, each chunk carries the log-probabilities of the tokens whose text it brings; all the
     * chunks together list exactly what the non-streamed answer lists (chat and completions).
     */
    @Test
    void streamedLogprobsAddUpToTheWholeAnswers() throws Exception {
        for (boolean chat : new boolean[] {true, false}) {
            String path = chat ? "/v1/chat/completions" : "/v1/completions";
            String body = chat ? chatBody("Once upon a time", 10, ", \"logprobs\": true, \"top_logprobs\": 2")
                    : "{\"prompt\": \"Once upon a time\", \"max_tokens\": 10, \"temperature\": 0, \"logprobs\": 2}";
            JsonNode whole = JSON.readTree(post(path, body).body()).get("choices").get(0).get("logprobs");
            String streamedBody = body.substring(0, body.length() - 1) + ", \"stream\": true}";
            List<Double> values = new ArrayList<>();
            List<String> tokens = new ArrayList<>();
            List<Integer> offsets = new ArrayList<>();
            int chunksWithLogprobs = 0;
            for (String d : post(path, streamedBody).body().split("\n\n")) {
                if (!d.startsWith("data: {")) {
                    continue;
                }
                JsonNode choices = JSON.readTree(d.substring(6)).get("choices");
                JsonNode lp = choices.isEmpty() ? null : choices.get(0).get("logprobs");
                if (lp == null || lp.isNull()) {
                    continue;
                }
                chunksWithLogprobs++;
                if (chat) {
                    for (JsonNode e : lp.get("content")) {
                        values.add(e.get("logprob").asDouble());
                        tokens.add(e.get("token").asText());
                        assertEquals(2, e.get("top_logprobs").size());
                    }
                } else {
                    for (int i = 0; i < lp.get("tokens").size(); i++) {
                        values.add(lp.get("token_logprobs").get(i).asDouble());
                        tokens.add(lp.get("tokens").get(i).asText());
                        offsets.add(lp.get("text_offset").get(i).asInt());
                    }
                }
            }
            List<Double> expectedValues = new ArrayList<>();
            List<String> expectedTokens = new ArrayList<>();
            if (chat) {
                whole.get("content").forEach(e -> {
                    expectedValues.add(e.get("logprob").asDouble());
                    expectedTokens.add(e.get("token").asText());
                });
            } else {
                whole.get("token_logprobs").forEach(v -> expectedValues.add(v.asDouble()));
                whole.get("tokens").forEach(t -> expectedTokens.add(t.asText()));
                List<Integer> expectedOffsets = new ArrayList<>();
                whole.get("text_offset").forEach(o -> expectedOffsets.add(o.asInt()));
                assertEquals(expectedOffsets, offsets, "offsets into the whole completion");
            }
            assertEquals(expectedValues, values, path);
            assertEquals(expectedTokens, tokens, path);
            assertTrue(chunksWithLogprobs > 1, "spread over the chunks, not sent at the end: " + chunksWithLogprobs);
        }
    }

    /** A client that sends its text again with more appended resumes from the state kept for it. */
    @Test
    void aContinuedPromptHitsThePromptCache() throws Exception {
        String first = "The old man and the sea";
        JsonNode one = JSON.readTree(post("/v1/completions", "{\"prompt\": \"" + first
                + "\", \"max_tokens\": 8, \"temperature\": 0}").body());
        String continued = first + one.get("choices").get(0).get("text").asText() + " and then";
        long before = metric("recall_prompt_cache_hits_total");
        HttpResponse<String> r = post("/v1/completions", "{\"prompt\": " + JSON.valueToTree(continued)
                + ", \"max_tokens\": 8, \"temperature\": 0}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(before + 1, metric("recall_prompt_cache_hits_total"));
        String expected = alone(model.tokenizer().encodeWithSpecialTokens(continued), 8, model.eosTokenIds(), List.of()).text();
        assertEquals(expected, JSON.readTree(r.body()).get("choices").get(0).get("text").asText());
    }

    static long metric(String name) throws Exception {
        for (String line : get("/metrics").body().split("\n")) {
            if (line.startsWith(name + " ")) {
                return Long.parseLong(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no metric " + name);
    }

    /**
     * The "recall" extension runs a long-context strategy over the prompt as the context, giving what
     * the Java API gives with the same strategy, even past the context size of plain prompts.
     */
    @Test
    void longContextStrategiesThroughTheExtensionObject() throws Exception {
        String context = Files.readString(SharedData.shared().resolve("corpus/brown_heldout.txt")).substring(0, 3000);
        String prefix = "Read this.";
        String query = " The pass key is";
        for (String strategy : List.of("oprm", "lm-infinite")) {
            String extension = strategy.equals("oprm") ? "{\"strategy\": \"oprm\", \"chunk\": 64, \"idk\": [\" the\", \"Error\"]"
                    : "{\"strategy\": \"lm-infinite\", \"window\": 64, \"d_max\": 48, \"top_k_attention\": 3, \"top_k_from_layer\": 1";
            HttpResponse<String> r = post("/v1/completions", "{\"prompt\": " + JSON.valueToTree(context)
                    + ", \"max_tokens\": 8, \"temperature\": 0, \"recall\": " + extension + ", \"prefix\": \"" + prefix
                    + "\", \"query\": \"" + query + "\"}}");
            assertEquals(200, r.statusCode(), r.body());
            JsonNode body = JSON.readTree(r.body());
            StrategyOptions options = strategy.equals("oprm") ? StrategyOptions.oprm().withChunk(64).withIdk(List.of(" the", "Error"))
                    : StrategyOptions.lmInfinite().withWindow(64).withDMax(48).withTopK(3, 1);
            // OPRM's query carries the IDK instruction: the server builds the parts as the API does.
            Prompt parts = model.prompt(prefix, context, query, options, false, RequestLimits.DEFAULT);
            GenerationResult expected = new DecodeLoop(model.model(), model.tokenizer()).generate(
                    Strategies.create(options, model.tokenizer()), parts,
                    new DecodeLoop.Options(SamplingOptions.greedy(8), StopCondition.eos(model.eosTokenIds())),
                    TokenListener.NONE, ProgressListener.NONE);
            assertEquals(expected.text(), body.get("choices").get(0).get("text").asText(), strategy);
            assertEquals(strategy, body.get("recall").get("strategy").asText(), r.body());
            assertTrue(parts.length() > 256, "the context is longer than the server's context size");
        }
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"recall\": {\"strategy\": \"magic\"}}"), 400,
                "invalid_request_error", "recall", "magic");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"recall\": {\"strategy\": \"oprm\", \"chunk\": \"big\"}}"), 400,
                "invalid_request_error", "recall.chunk", "'recall.chunk' must be an integer");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"recall\": {\"strategy\": \"oprm\", \"idk\": [1]}}"), 400,
                "invalid_request_error", "recall.idk", "list of strings");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"recall\": {\"strategy\": \"oprm\", \"select\": \"best\"}}"),
                400, "invalid_request_error", "recall", "entropy-summary");
        assertError(post("/v1/chat/completions", chatBody("hi", 4, ", \"recall\": {\"strategy\": \"oprm\"}")), 400,
                "invalid_request_error", "recall.strategy", "/v1/completions");
    }

    /** The official OpenAI Java SDK, pointed at the server: chat, streamed chat, completions, an error. */
    @Test
    void theOpenAiJavaSdkTalksToIt() {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey("unused").build();
        try {
            GenerationResult expected = aloneChat("Once upon a time", 12);
            ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("zoo-llama")
                    .addUserMessage("Once upon a time").maxCompletionTokens(12).temperature(0.0).build();
            ChatCompletion chat = client.chat().completions().create(params);
            assertEquals(expected.text(), chat.choices().get(0).message().content().orElse(""));
            assertEquals(expected.ids().length, chat.usage().orElseThrow().completionTokens());

            StringBuilder streamed = new StringBuilder();
            try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
                stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(streamed::append)));
            }
            assertEquals(expected.text(), streamed.toString());

            Completion completion = client.completions().create(CompletionCreateParams.builder().model("zoo-llama")
                    .prompt("The old man").maxTokens(10).temperature(0.0).build());
            String text = alone(model.tokenizer().encodeWithSpecialTokens("The old man"), 10, model.eosTokenIds(), List.of()).text();
            assertEquals(text, completion.choices().get(0).text());

            BadRequestException e = assertThrows(BadRequestException.class, () -> client.chat().completions().create(
                    params.toBuilder().n(2).build()));
            assertTrue(e.getMessage().contains("n = 1"), e.getMessage());
        } finally {
            client.close();
        }
    }

    /** LangChain4j's OpenAI chat models, pointed at the server's base URL, plain and streaming. */
    @Test
    void langChain4jTalksToIt() throws Exception {
        GenerationResult expected = aloneChat("Once upon a time", 12);
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(base + "/v1").apiKey("unused").modelName("zoo-llama")
                .temperature(0.0).maxTokens(12).build();
        assertEquals(expected.text(), chat.chat("Once upon a time"));

        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(base + "/v1").apiKey("unused")
                .modelName("zoo-llama").temperature(0.0).maxTokens(12).build();
        StringBuilder pieces = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat("Once upon a time", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                pieces.append(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(expected.text(), pieces.toString());
        assertEquals(expected.text(), response.aiMessage().text());
    }

    /** A bounded load: 16 clients × 10 requests each, all completing with the text a request gets alone. */
    @Test
    void sixteenClientsTenRequestsEach() throws Exception {
        String[] prompts = {"The", "It was", "He said", "Once", "A"};
        String[] expected = new String[prompts.length];
        for (int i = 0; i < prompts.length; i++) {
            expected[i] = alone(model.tokenizer().encodeWithSpecialTokens(prompts[i]), 8, model.eosTokenIds(), List.of()).text();
        }
        List<CompletableFuture<Void>> clients = new ArrayList<>();
        for (int c = 0; c < 16; c++) {
            int client = c;
            clients.add(CompletableFuture.runAsync(() -> {
                for (int r = 0; r < 10; r++) {
                    int p = (client + r) % prompts.length;
                    try {
                        HttpResponse<String> response = post("/v1/completions", "{\"prompt\": \"" + prompts[p]
                                + "\", \"max_tokens\": 8, \"temperature\": 0}");
                        assertEquals(200, response.statusCode(), response.body());
                        assertEquals(expected[p], JSON.readTree(response.body()).get("choices").get(0).get("text").asText());
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }
            }, java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()));
        }
        CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(300, java.util.concurrent.TimeUnit.SECONDS);
    }
}
