package dev.recall.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.chat.ChatMessage;
import dev.recall.runtime.generate.SamplingOptions;
import dev.recall.runtime.strategy.StrategyOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A {@code /v1/chat/completions} or {@code /v1/completions} request, checked field by field: unknown
 * fields are ignored, as OpenAI does, and a known field of the wrong type or range is a 400 naming
 * it.
 *
 * @param messages   the conversation (chat), or null
 * @param prompt     the prompt text (completions), or null
 * @param maxTokens  the reply's token limit, or null for the server's default
 * @param sampling   how tokens are chosen (its maxTokens is settled later)
 * @param stop       stop strings
 * @param stream     answer as server-sent events
 * @param includeUsage with {@code stream}: a last chunk with the token usage
 * @param logprobs   −1: none; k ≥ 0: each token's log-probability with the k most likely alternatives
 * @param longContext the {@code "recall"} extension: a long-context strategy, or null for none
 * @param ignoreEos  llama-server's {@code ignore_eos}: generate until the token limit or a stop string
 */
record CompletionRequest(List<ChatMessage> messages, String prompt, Integer maxTokens, SamplingOptions sampling,
                         List<String> stop, boolean stream, boolean includeUsage, int logprobs, LongContext longContext,
                         boolean ignoreEos) {

    /**
     * Recall's extension object, {@code "recall": {"strategy": "oprm", "chunk": 2000, ...}}, with the
     * command line's names: the request's {@code prompt} is the long context, read by the strategy
     * between an optional {@code prefix} (instruction) and {@code query} (question).
     */
    record LongContext(StrategyOptions strategy, String prefix, String query) {
    }

    static CompletionRequest parse(JsonNode body, boolean chat) {
        if (body == null || !body.isObject()) {
            throw ApiError.badRequest("the request body must be a JSON object", null);
        }
        List<ChatMessage> messages = chat ? messages(body) : null;
        String prompt = chat ? null : prompt(body);
        Integer maxTokens = integer(body, "max_completion_tokens", 0, Integer.MAX_VALUE);
        if (maxTokens == null) {
            maxTokens = integer(body, "max_tokens", 0, Integer.MAX_VALUE);
        }
        Integer n = integer(body, "n", 1, Integer.MAX_VALUE);
        if (n != null && n != 1) {
            throw ApiError.badRequest("only n = 1 is supported", "n");
        }
        int logprobs = chat ? chatLogprobs(body) : completionLogprobs(body);
        Double temperature = number(body, "temperature", 0, 2);
        Double topP = number(body, "top_p", 0, 1);
        if (topP != null && topP == 0) {
            throw ApiError.badRequest("'top_p' must be in (0, 1]", "top_p");
        }
        Integer topK = integer(body, "top_k", 0, Integer.MAX_VALUE);
        Double minP = number(body, "min_p", 0, 1);
        Double presence = number(body, "presence_penalty", -2, 2);
        Double frequency = number(body, "frequency_penalty", -2, 2);
        Double repetition = number(body, "repetition_penalty", 0, 10);
        if (repetition != null && repetition == 0) {
            throw ApiError.badRequest("'repetition_penalty' must be > 0", "repetition_penalty");
        }
        Long seed = longValue(body, "seed");
        SamplingOptions sampling;
        try {
            sampling = SamplingOptions.builder()
                    .temperature(temperature == null ? 1 : temperature)
                    .topP(topP == null ? 1 : topP)
                    .topK(topK == null ? 0 : topK)
                    .minP(minP == null ? 0 : minP)
                    .presencePenalty(presence == null ? 0 : presence)
                    .frequencyPenalty(frequency == null ? 0 : frequency)
                    .repetitionPenalty(repetition == null ? 1 : repetition)
                    .seed(seed == null ? ThreadLocalRandom.current().nextLong() : seed)
                    .build();
        } catch (RecallException e) {
            throw ApiError.badRequest(e.getMessage(), null);
        }
        boolean stream = bool(body, "stream", false);
        JsonNode streamOptions = body.get("stream_options");
        boolean includeUsage = false;
        if (streamOptions != null && !streamOptions.isNull()) {
            if (!streamOptions.isObject()) {
                throw ApiError.badRequest("'stream_options' must be an object", "stream_options");
            }
            includeUsage = bool(streamOptions, "include_usage", false);
        }
        LongContext longContext = longContext(body);
        if (longContext != null && chat) {
            throw ApiError.badRequest("long-context strategies apply to /v1/completions, where 'prompt' is the context",
                    "recall.strategy");
        }
        return new CompletionRequest(messages, prompt, maxTokens, sampling, stop(body), stream, includeUsage, logprobs,
                longContext, bool(body, "ignore_eos", false));
    }

    private static LongContext longContext(JsonNode body) {
        JsonNode r = body.get("recall");
        if (r == null || r.isNull()) {
            return null;
        }
        if (!r.isObject()) {
            throw ApiError.badRequest("'recall' must be an object", "recall");
        }
        JsonNode name = r.get("strategy");
        if (name == null || !name.isTextual()) {
            throw ApiError.badRequest("'recall.strategy' must be a string: none, oprm or lm-infinite", "recall.strategy");
        }
        StrategyOptions strategy;
        try {
            strategy = switch (StrategyOptions.named(name.asText())) {
                case StrategyOptions.Plain p -> p;
                case StrategyOptions.Oprm o -> oprm(r, o);
                case StrategyOptions.LmInfinite l -> l.withNGlobal(orZero(integer(r, "n_global", 0, Integer.MAX_VALUE)))
                        .withWindow(orZero(integer(r, "window", 0, Integer.MAX_VALUE)))
                        .withDMax(orZero(integer(r, "d_max", 0, Integer.MAX_VALUE)))
                        .withTopK(orZero(integer(r, "top_k_attention", 0, Integer.MAX_VALUE)),
                                orDefault(integer(r, "top_k_from_layer", 0, Integer.MAX_VALUE), -1))
                        .withTrainLength(orZero(integer(r, "train_length", 0, Integer.MAX_VALUE)));
            };
        } catch (RecallException e) {
            throw ApiError.badRequest(e.getMessage(), "recall");
        } catch (ApiError e) {
            if (e.param != null && e.param.startsWith("recall.")) {
                throw e;
            }
            throw ApiError.badRequest(e.getMessage().replaceFirst("'", "'recall."), "recall." + e.param);
        }
        return new LongContext(strategy, text(r, "prefix"), text(r, "query"));
    }

    /** The OPRM options of the extension object, with the CLI's names in snake case. */
    private static StrategyOptions.Oprm oprm(JsonNode r, StrategyOptions.Oprm o) {
        o = o.withChunk(orZero(integer(r, "chunk", 0, Integer.MAX_VALUE)))
                .withTrainLength(orZero(integer(r, "train_length", 0, Integer.MAX_VALUE)))
                .withIdkFilter(bool(r, "idk_filter", true))
                .withIdkInstruction(text(r, "idk_instruction"));
        String select = text(r, "select");
        if (select != null) {
            o = o.withSelection(StrategyOptions.Selection.named(select));
        }
        String phrase = text(r, "idk_phrase");
        if (phrase != null) {
            o = o.withIdkPhrase(phrase);
        }
        JsonNode idk = r.get("idk");
        if (idk != null && !idk.isNull()) {
            List<String> answers = new ArrayList<>();
            if (idk.isTextual()) {
                answers.add(idk.asText());
            } else if (idk.isArray() && !idk.isEmpty()) {
                for (JsonNode a : idk) {
                    if (!a.isTextual()) {
                        throw ApiError.badRequest("'idk' must be a string or a list of strings", "idk");
                    }
                    answers.add(a.asText());
                }
            } else {
                throw ApiError.badRequest("'idk' must be a string or a non-empty list of strings", "idk");
            }
            o = o.withIdk(answers);
        }
        return o;
    }

    private static int orDefault(Integer i, int otherwise) {
        return i == null ? otherwise : i;
    }

    private static int orZero(Integer i) {
        return i == null ? 0 : i;
    }

    private static String text(JsonNode r, String name) {
        JsonNode v = r.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiError.badRequest("'recall." + name + "' must be a string", "recall." + name);
        }
        return v.asText();
    }

    /** Chat: {@code logprobs: true} with {@code top_logprobs} 0..20 alternatives. */
    private static int chatLogprobs(JsonNode body) {
        boolean wanted = bool(body, "logprobs", false);
        Integer top = integer(body, "top_logprobs", 0, 20);
        if (top != null && !wanted) {
            throw ApiError.badRequest("'top_logprobs' needs \"logprobs\": true", "top_logprobs");
        }
        return wanted ? (top == null ? 0 : top) : -1;
    }

    /** Completions: {@code logprobs} is the number of alternatives, 0..5. */
    private static int completionLogprobs(JsonNode body) {
        Integer n = integer(body, "logprobs", 0, 5);
        return n == null ? -1 : n;
    }

    private static List<ChatMessage> messages(JsonNode body) {
        JsonNode list = body.get("messages");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw ApiError.badRequest("'messages' must be a non-empty array", "messages");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode m = list.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) {
                throw ApiError.badRequest(where + " must be an object", where);
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || role.asText().isBlank()) {
                throw ApiError.badRequest(where + ".role must be a string", where + ".role");
            }
            out.add(new ChatMessage(role.asText(), content(m.get("content"), where + ".content")));
        }
        return out;
    }

    /** A message's content: a string, or an array of text parts; null (an assistant's tool call) is "". */
    private static String content(JsonNode c, String where) {
        if (c == null || c.isNull()) {
            return "";
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiError.badRequest(where + " holds a part that is not {\"type\": \"text\", \"text\": ...}; "
                            + "only text is supported", where);
                }
                text.append(part.get("text").asText());
            }
            return text.toString();
        }
        throw ApiError.badRequest(where + " must be a string or an array of text parts", where);
    }

    private static String prompt(JsonNode body) {
        JsonNode p = body.get("prompt");
        if (p != null && p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
            return p.get(0).asText();
        }
        if (p == null || !p.isTextual()) {
            throw ApiError.badRequest("'prompt' must be a string (or an array of one string)", "prompt");
        }
        return p.asText();
    }

    private static List<String> stop(JsonNode body) {
        JsonNode s = body.get("stop");
        if (s == null || s.isNull()) {
            return List.of();
        }
        if (s.isTextual()) {
            return s.asText().isEmpty() ? List.of() : List.of(s.asText());
        }
        if (s.isArray() && s.size() <= 16) {
            List<String> out = new ArrayList<>();
            for (JsonNode x : s) {
                if (!x.isTextual()) {
                    throw ApiError.badRequest("'stop' must be a string or an array of strings", "stop");
                }
                if (!x.asText().isEmpty()) {
                    out.add(x.asText());
                }
            }
            return out;
        }
        throw ApiError.badRequest("'stop' must be a string or an array of at most 16 strings", "stop");
    }

    private static Double number(JsonNode body, String name, double min, double max) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw ApiError.badRequest("'" + name + "' must be a number", name);
        }
        double d = v.asDouble();
        if (!(d >= min && d <= max)) {
            throw ApiError.badRequest("'" + name + "' must be in [" + format(min) + ", " + format(max) + "], got " + v, name);
        }
        return d;
    }

    private static Integer integer(JsonNode body, String name, int min, int max) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw ApiError.badRequest("'" + name + "' must be an integer", name);
        }
        int i = v.asInt();
        if (i < min || i > max) {
            throw ApiError.badRequest("'" + name + "' must be " + (max == Integer.MAX_VALUE ? "at least " + min
                    : "in " + min + ".." + max) + ", got " + i, name);
        }
        return i;
    }

    private static Long longValue(JsonNode body, String name) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiError.badRequest("'" + name + "' must be an integer", name);
        }
        return v.asLong();
    }

    private static boolean bool(JsonNode body, String name, boolean otherwise) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return otherwise;
        }
        if (!v.isBoolean()) {
            throw ApiError.badRequest("'" + name + "' must be true or false", name);
        }
        return v.asBoolean();
    }

    private static String format(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
