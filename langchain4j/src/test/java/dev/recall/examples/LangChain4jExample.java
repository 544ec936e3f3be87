package dev.recall.examples;

import dev.langchain4j.model.chat.ChatModel;
import dev.recall.langchain4j.RecallChatModel;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.api.Recall;

import java.nio.file.Path;

/** A LangChain4j chat model running in-process on Recall: no server, no HTTP. */
public final class LangChain4jExample {

    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : "models/zoo-mamba");
        try (LoadedModel model = Recall.load(dir)) {
            ChatModel chat = RecallChatModel.builder()
                    .model(model)
                    .maxTokens(16)
                    .seed(42)
                    .build();
            System.out.println(chat.chat("Tell me about the sea."));
        }
    }
}
