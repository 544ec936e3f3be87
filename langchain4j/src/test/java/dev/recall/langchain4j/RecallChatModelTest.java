package dev.recall.langchain4j;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.recall.examples.LangChain4jExample;
import dev.recall.runtime.api.GenerateOptions;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.api.Recall;
import dev.recall.runtime.chat.ChatMessage;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LangChain4j's chat models over the Java API answer what the API's own chat answers. */
class RecallChatModelTest {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path DEMO = ROOT.resolve("models/zoo-mamba");
    static LoadedModel model;

    @BeforeAll
    static void load() {
        model = Recall.load(SharedData.zoo().resolve("llama"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** What Recall's own Chat answers, greedily. */
    static String expected(List<ChatMessage> conversation, int maxTokens) {
        GenerateOptions greedy = model.defaultOptions(0).withSampling(model.defaultOptions(0).sampling().toBuilder()
                .temperature(0).maxTokens(maxTokens).build());
        return model.chat().complete(conversation, greedy, null).text();
    }

    @Test
    void answersWhatTheApisChatAnswers() {
        ChatModel chat = RecallChatModel.builder().model(model).maxTokens(12).build();
        ChatResponse response = chat.chat(ChatRequest.builder()
                .messages(SystemMessage.from("Be brief."), UserMessage.from("Once upon a time"))
                .temperature(0.0).build());
        assertEquals(expected(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Once upon a time")), 12),
                response.aiMessage().text());
        assertEquals("llama", response.metadata().modelName());
        assertTrue(response.metadata().tokenUsage().inputTokenCount() > 0);
        assertTrue(response.metadata().finishReason() == FinishReason.LENGTH || response.metadata().finishReason() == FinishReason.STOP);
        // A multi-turn conversation, and the request's own token limit.
        ChatResponse second = chat.chat(ChatRequest.builder()
                .messages(UserMessage.from("Once upon a time"), AiMessage.from(response.aiMessage().text()), UserMessage.from("And then?"))
                .temperature(0.0).maxOutputTokens(5).build());
        assertEquals(expected(List.of(ChatMessage.user("Once upon a time"), ChatMessage.assistant(response.aiMessage().text()),
                ChatMessage.user("And then?")), 5), second.aiMessage().text());
    }

    @Test
    void streamsItsReply() throws Exception {
        StreamingChatModel streaming = RecallChatModel.builder().model(model).maxTokens(12).buildStreaming();
        StringBuilder partials = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(ChatRequest.builder().messages(UserMessage.from("Once upon a time")).temperature(0.0).build(),
                new StreamingChatResponseHandler() {
                    @Override
                    public void onPartialResponse(String partial) {
                        partials.append(partial);
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
        String text = done.get().aiMessage().text();
        assertEquals(expected(List.of(ChatMessage.user("Once upon a time")), 12), text);
        assertEquals(text, partials.toString().strip());
        assertFalse(text.isEmpty());
    }

    @Test
    void toolsAreRefusedClearly() {
        ChatModel chat = RecallChatModel.builder().model(model).build();
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class, () -> chat.chat(ChatRequest.builder()
                .messages(UserMessage.from("hi"))
                .toolSpecifications(ToolSpecification.builder().name("weather").description("the weather").build())
                .build()));
        assertTrue(e.getMessage().contains("tools"), e.getMessage());
    }

    @Test
    void concurrentCallsEachGetTheirAnswer() throws Exception {
        ChatModel chat = RecallChatModel.builder().model(model).maxTokens(8).build();
        String[] prompts = {"The sea", "A cat", "It was", "He said"};
        List<CompletableFuture<String>> answers = new ArrayList<>();
        for (String p : prompts) {
            answers.add(CompletableFuture.supplyAsync(() -> chat.chat(ChatRequest.builder().messages(UserMessage.from(p))
                    .temperature(0.0).build()).aiMessage().text()));
        }
        for (int i = 0; i < prompts.length; i++) {
            assertEquals(expected(List.of(ChatMessage.user(prompts[i])), 8), answers.get(i).get());
        }
    }

    /** The example in docs/embedding.md runs, reproducibly, and the docs show exactly its source. */
    @Test
    void theDocumentedExampleRuns() throws IOException {
        String first = run(DEMO);
        assertFalse(first.isBlank());
        assertEquals(first, run(DEMO));
        String doc = Files.readString(ROOT.resolve("docs/embedding.md"));
        String source = Files.readString(Path.of("src/test/java/dev/recall/examples/LangChain4jExample.java"));
        int start = doc.indexOf("```java\npackage dev.recall.examples;\n\nimport dev.langchain4j");
        assertTrue(start >= 0, "docs/embedding.md should show LangChain4jExample.java");
        int from = doc.indexOf('\n', start) + 1;
        assertEquals(source, doc.substring(from, doc.indexOf("```", from)));
    }

    private static String run(Path dir) {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            LangChain4jExample.main(new String[] {dir.toString()});
        } finally {
            System.setOut(out);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
