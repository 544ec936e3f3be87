package dev.recall.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.recall.runtime.api.LoadedModel;

/**
 * LangChain4j's {@link ChatModel} over a model loaded with Recall, in-process: the conversation goes
 * through the model's chat template and its generation_config.json defaults, which the request's
 * parameters (temperature, top-p, top-k, penalties, max output tokens, stop sequences) override.
 * Tools and JSON response formats are not supported. The model stays the caller's to close.
 */
public final class RecallChatModel implements ChatModel {

    private final RecallChat chat;

    private RecallChatModel(RecallChat chat) {
        this.chat = chat;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        return chat.answer(request, null);
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    /** Options of {@link RecallChatModel} and {@link RecallStreamingChatModel}. */
    public static final class Builder {
        LoadedModel model;
        String modelName;
        int maxTokens = 256;
        Long seed;

        Builder() {
        }

        /** The model (required). */
        public Builder model(LoadedModel model) {
            this.model = model;
            return this;
        }

        /** The name in responses' metadata (default: the model's file or folder name). */
        public Builder modelName(String name) {
            this.modelName = name;
            return this;
        }

        /** Reply length when a request sets no max output tokens (default 256). */
        public Builder maxTokens(int n) {
            this.maxTokens = n;
            return this;
        }

        /** A fixed sampling seed, for reproducible answers (default: a fresh one per request). */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        public RecallChatModel build() {
            return new RecallChatModel(new RecallChat(model, modelName, maxTokens, seed));
        }

        public RecallStreamingChatModel buildStreaming() {
            return new RecallStreamingChatModel(new RecallChat(model, modelName, maxTokens, seed));
        }
    }
}
