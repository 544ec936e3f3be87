package dev.recall.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;

/**
 * LangChain4j's {@link StreamingChatModel} over a model loaded with Recall, in-process: as
 * {@link RecallChatModel}, with the reply's text handed to the handler as soon as it is final
 * (never text that might still turn out to be a stop sequence). The handler is called on the
 * caller's thread; errors reach {@code onError}. Build with {@link RecallChatModel.Builder#buildStreaming()}.
 */
public final class RecallStreamingChatModel implements StreamingChatModel {

    private final RecallChat chat;

    RecallStreamingChatModel(RecallChat chat) {
        this.chat = chat;
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        ChatResponse response;
        try {
            response = chat.answer(request, handler::onPartialResponse);
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        handler.onCompleteResponse(response);
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }
}
