package dev.recall.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.recall.runtime.api.Chat;
import dev.recall.runtime.api.GenerateOptions;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.generate.GenerationResult;
import dev.recall.runtime.generate.SamplingOptions;
import dev.recall.runtime.generate.StopReason;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * What {@link RecallChatModel} and {@link RecallStreamingChatModel} share: a LangChain4j request
 * turned into a conversation and options, answered by a {@link Chat} of the model. One chat is
 * kept, so that a conversation growing turn by turn feeds only its new part; a request that comes
 * while it is busy gets a chat of its own.
 */
final class RecallChat {

    private final LoadedModel model;
    private final String modelName;
    private final int maxTokens;
    private final Long seed;
    private final Chat shared;
    private final ReentrantLock sharedLock = new ReentrantLock();

    RecallChat(LoadedModel model, String modelName, int maxTokens, Long seed) {
        this.model = Objects.requireNonNull(model, "model");
        this.modelName = modelName != null ? modelName : model.directory().getFileName().toString();
        if (maxTokens < 0) {
            throw new IllegalArgumentException("maxTokens must be ≥ 0");
        }
        this.maxTokens = maxTokens;
        this.seed = seed;
        this.shared = model.chat();
    }

    String modelName() {
        return modelName;
    }

    ChatResponse answer(ChatRequest request, Consumer<String> onText) {
        List<dev.recall.runtime.chat.ChatMessage> conversation = conversation(request.messages());
        GenerateOptions options = options(request.parameters());
        GenerationResult result;
        if (sharedLock.tryLock()) {
            try {
                result = shared.complete(conversation, options, onText);
            } finally {
                sharedLock.unlock();
            }
        } else {
            result = model.chat().complete(conversation, options, onText);
        }
        return ChatResponse.builder()
                .aiMessage(AiMessage.from(result.text()))
                .metadata(ChatResponseMetadata.builder()
                        .modelName(modelName)
                        .tokenUsage(new TokenUsage(result.promptTokens(), result.ids().length))
                        .finishReason(result.stopReason() == StopReason.MAX_TOKENS ? FinishReason.LENGTH : FinishReason.STOP)
                        .build())
                .build();
    }

    /** The model's generation_config.json defaults, overridden by what the request sets. */
    private GenerateOptions options(ChatRequestParameters p) {
        if (p != null && p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
            throw new UnsupportedFeatureException("Recall's LangChain4j models do not call tools");
        }
        GenerateOptions defaults = model.defaultOptions(seed != null ? seed : ThreadLocalRandom.current().nextLong());
        SamplingOptions.Builder s = defaults.sampling().toBuilder().maxTokens(maxTokens);
        List<String> stops = List.of();
        if (p != null) {
            if (p.temperature() != null) {
                s.temperature(p.temperature());
            }
            if (p.topP() != null) {
                s.topP(p.topP());
            }
            if (p.topK() != null) {
                s.topK(p.topK());
            }
            if (p.presencePenalty() != null) {
                s.presencePenalty(p.presencePenalty());
            }
            if (p.frequencyPenalty() != null) {
                s.frequencyPenalty(p.frequencyPenalty());
            }
            if (p.maxOutputTokens() != null) {
                s.maxTokens(p.maxOutputTokens());
            }
            if (p.stopSequences() != null) {
                stops = p.stopSequences();
            }
        }
        return defaults.withSampling(s.build()).withStopStrings(stops);
    }

    /** LangChain4j's messages as the chat template's {role, content}. */
    private static List<dev.recall.runtime.chat.ChatMessage> conversation(List<ChatMessage> messages) {
        List<dev.recall.runtime.chat.ChatMessage> out = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            out.add(switch (m) {
                case SystemMessage s -> dev.recall.runtime.chat.ChatMessage.system(s.text());
                case UserMessage u -> dev.recall.runtime.chat.ChatMessage.user(text(u));
                case AiMessage a -> dev.recall.runtime.chat.ChatMessage.assistant(a.text() == null ? "" : a.text());
                case ToolExecutionResultMessage t -> new dev.recall.runtime.chat.ChatMessage("tool", t.text());
                default -> throw new UnsupportedFeatureException("messages of type " + m.type() + " are not supported");
            });
        }
        return out;
    }

    private static String text(UserMessage u) {
        StringBuilder text = new StringBuilder();
        for (Content c : u.contents()) {
            if (!(c instanceof TextContent t)) {
                throw new UnsupportedFeatureException("only text content is supported, not " + c.type());
            }
            text.append(t.text());
        }
        return text.toString();
    }
}
