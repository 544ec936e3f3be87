package dev.recall.runtime.api;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.chat.ChatMessage;
import dev.recall.runtime.chat.GenerationDefaults;
import dev.recall.runtime.generate.TokenListener;
import dev.recall.runtime.strategy.Prompt;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Requests past their limits are refused in one sentence before any work (issue #26 item 5), and the
 * session they were meant for is left exactly as it was.
 */
class RequestLimitsTest {

    private final LoadedModel model = new LoadedModel(Path.of("unused"), new HistoryModel(LetterTokenizer.EOS, true),
            new LetterTokenizer(), GenerationDefaults.huggingFace(List.of(LetterTokenizer.EOS)));
    private final RequestLimits small = new RequestLimits(100, 50, 20);
    private final GenerateOptions options = GenerateOptions.greedy(8).withLimits(small);

    @Test
    void promptTextPastTheLimitIsRefusedBeforeItIsTokenized() {
        Session session = model.session();
        session.generate("hello", options, null);
        int[] before = session.tokens();
        // 10 million characters: refused on its length, without tokenizing it.
        RecallException e = assertThrows(RecallException.class,
                () -> session.generate("x".repeat(10_000_000), options, null));
        assertEquals("the prompt is 10000000 characters long, more than the limit of 100", e.getMessage());
        assertArrayEquals(before, session.tokens());
        // The session goes on as if the refused request had never come.
        Session fresh = model.session();
        fresh.generate("hello", options, null);
        assertEquals(fresh.generate(" more", options, null), session.generate(" more", options, null));
    }

    @Test
    void promptTokensPastTheLimitAreRefused() {
        Session session = model.session();
        RecallException e = assertThrows(RecallException.class, () -> session.generate(
                Prompt.plain(new LetterTokenizer().encode("a".repeat(60))), options, TokenListener.NONE));
        assertEquals("the prompt is 60 tokens long, more than the limit of 50", e.getMessage());
        assertEquals(0, session.tokens().length);
    }

    @Test
    void replyLengthPastTheLimitIsRefused() {
        RecallException e = assertThrows(RecallException.class,
                () -> model.session().generate("hi", options.withMaxTokens(21), null));
        assertEquals("the request asks for up to 21 new tokens, more than the limit of 20", e.getMessage());
    }

    @Test
    void aLongContextRequestCountsAllItsParts() {
        RecallException e = assertThrows(RecallException.class,
                () -> model.prompt("p".repeat(40), "c".repeat(40), "q".repeat(40), small));
        assertEquals("the prompt is 120 characters long, more than the limit of 100", e.getMessage());
    }

    @Test
    void aChatIsBoundedByItsRenderedPromptAndKeepsItsMessages() {
        Chat chat = model.chat();
        chat.send("hi", options, null);
        List<ChatMessage> before = chat.messages();
        RecallException e = assertThrows(RecallException.class, () -> chat.send("y".repeat(200), options, null));
        assertEquals(true, e.getMessage().startsWith("the prompt is "), e.getMessage());
        assertEquals(before, chat.messages());
    }

    @Test
    void filesTooLargeForAnyPromptAreRefusedBeforeReading() {
        RecallException e = assertThrows(RecallException.class, () -> small.checkPromptFileBytes(401, "the context file f.txt"));
        assertEquals("the context file f.txt is 401 bytes, more than a prompt of at most 100 characters can be", e.getMessage());
        small.checkPromptFileBytes(400, "the context file f.txt");
    }

    @Test
    void limitsMustBePositive() {
        assertThrows(RecallException.class, () -> new RequestLimits(0, 1, 1));
        assertThrows(RecallException.class, () -> new RequestLimits(1, 0, 1));
    }
}
