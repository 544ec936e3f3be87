package dev.recall.runtime.api;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.chat.ChatMessage;
import dev.recall.runtime.chat.GenerationDefaults;
import dev.recall.runtime.generate.TokenListener;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.strategy.StrategyOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatTest {

    private static final String TEMPLATE = "{% if messages|length > 4 %}{{ raise_exception('at most two turns') }}{% endif %}"
            + "{% for m in messages %}{{ m.role }}: {{ m.content }}{{ eos_token }}{% endfor %}"
            + "{% if add_generation_prompt %}assistant:{% endif %}";

    private final LetterTokenizer tokenizer = new LetterTokenizer();
    private final GenerateOptions greedy = GenerateOptions.greedy(40);

    private static LoadedModel model(Path dir, boolean declareEos) {
        return new LoadedModel(dir, new HistoryModel(LetterTokenizer.EOS, declareEos), new LetterTokenizer(),
                GenerationDefaults.huggingFace(List.of()));
    }

    @Test
    void withoutATemplateThePlainFormatIsUsed(@TempDir Path dir) {
        LoadedModel model = model(dir, true);
        Chat chat = model.chat();
        assertTrue(chat.usesFallbackFormat());
        String reply = chat.send("hi", greedy, null);
        assertEquals(List.of(ChatMessage.user("hi"), ChatMessage.assistant(reply)), chat.messages());
        String prompt = Chat.PLAIN.render(List.of(ChatMessage.user("hi")), true);
        assertEquals("User: hi\nAssistant:", prompt);
        String expected = model.session().generateTranscript(tokenizer.encode(prompt),
                greedy.withStopStrings(Chat.PLAIN_STOPS), TokenListener.NONE).text().strip();
        assertEquals(expected, reply);
    }

    @Test
    void eachTurnEqualsRenderingTheWholeConversationAfresh(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\", \"chat_template\": \""
                + TEMPLATE.replace("\"", "\\\"") + "\"}");
        // The model's config names no EOS: the template's eos_token must end the turns.
        LoadedModel model = model(dir, false);
        Chat chat = model.chat();
        assertFalse(chat.usesFallbackFormat());
        chat.system("be kind");
        StringBuilder streamed = new StringBuilder();
        String first = chat.send("hello", greedy, streamed::append);
        assertEquals(first, streamed.toString().strip());
        String second = chat.send("tell me more", greedy, null);
        // A reply shorter than the limit ended at </s>: the template's EOS ends turns.
        assertTrue(Math.min(first.length(), second.length()) < 39, first + " / " + second);

        List<ChatMessage> upToSecond = chat.messages().subList(0, 4);
        String prompt = model.chatTemplate().orElseThrow().render(upToSecond, true);
        assertTrue(prompt.startsWith("system: be kind</s>user: hello</s>assistant: "), prompt);
        String expected = model.session().generateTranscript(tokenizer.encode(prompt), greedy, TokenListener.NONE,
                List.of(LetterTokenizer.EOS)).text().strip();
        assertEquals(expected, second);
        assertEquals(5, chat.messages().size());
        assertEquals(ChatMessage.assistant(second), chat.messages().get(4));
    }

    /**
     * A long-context request with chat: prefix + context + query are one user turn, the turn's
     * markers encoded apart from the text; OPRM's query carries its IDK instruction.
     */
    @Test
    void aLongContextRequestIsWrappedInOneUserTurn(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\", \"chat_template\": \""
                + TEMPLATE.replace("\"", "\\\"") + "\"}");
        LoadedModel model = model(dir, false);
        StrategyOptions oprm = StrategyOptions.oprm().withIdkInstruction("say error if not there");
        Prompt wrapped = model.prompt("read ", "the long text", "who", oprm, true, RequestLimits.DEFAULT);
        assertArrayEquals(Prompt.concat(tokenizer.encode("user: "), tokenizer.encode("read ")), wrapped.prefix());
        assertArrayEquals(tokenizer.encode("the long text"), wrapped.context());
        String query = "who say error if not there";
        assertArrayEquals(Prompt.concat(tokenizer.encode(query), tokenizer.encode("</s>assistant:")), wrapped.query());
        // Without chat the parts are the text alone; LM-Infinite's query gets no instruction.
        Prompt bare = model.prompt("read ", "the long text", "who", StrategyOptions.lmInfinite(), false, RequestLimits.DEFAULT);
        assertEquals("who", tokenizer.decode(bare.query()));
        // Without a template, the plain format's markers wrap it.
        LoadedModel plain = model(dir.resolve("none"), false);
        Prompt p = plain.prompt(null, "text", "q", StrategyOptions.none(), true, RequestLimits.DEFAULT);
        assertEquals("user: text", tokenizer.decode(p.prefix()) + tokenizer.decode(p.context()));
        assertEquals("q\nassistant:", tokenizer.decode(p.query()));
    }

    @Test
    void aRefusedTurnIsNotKept(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\", \"chat_template\": \""
                + TEMPLATE.replace("\"", "\\\"") + "\"}");
        Chat chat = model(dir, false).chat();
        chat.send("one", greedy, null);
        chat.send("two", greedy, null);
        RecallException e = assertThrows(RecallException.class, () -> chat.send("three", greedy, null));
        assertTrue(e.getMessage().endsWith("refused the conversation: at most two turns"), e.getMessage());
        assertEquals(4, chat.messages().size());
        chat.reset();
        assertTrue(chat.messages().isEmpty());
        assertTrue(chat.session().isFresh());
    }

    /**
     * A whole conversation brought at once (an OpenAI-style request, assistant turns included)
     * gets the reply that sending its user turns one by one got, and its usage counts the whole
     * rendered conversation.
     */
    @Test
    void aWholeConversationGetsTheReplyTheTurnsGotOneByOne(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\", \"chat_template\": \""
                + TEMPLATE.replace("\"", "\\\"") + "\"}");
        LoadedModel model = model(dir, false);
        Chat byTurns = model.chat();
        String first = byTurns.send("hello", greedy, null);
        String second = byTurns.send("tell me more", greedy, null);

        Chat whole = model.chat();
        var r1 = whole.complete(List.of(ChatMessage.user("hello")), greedy, null);
        assertEquals(first, r1.text());
        List<ChatMessage> grown = List.of(ChatMessage.user("hello"), ChatMessage.assistant(first),
                ChatMessage.user("tell me more"));
        var r2 = whole.complete(grown, greedy, null);
        assertEquals(second, r2.text());
        assertEquals(byTurns.messages(), whole.messages());
        String rendered = model.chatTemplate().orElseThrow().render(grown, true);
        assertEquals(tokenizer.encode(rendered).length, r2.promptTokens(), "usage counts the whole conversation");

        // A conversation the template refuses leaves the chat as it was.
        List<ChatMessage> tooLong = List.of(ChatMessage.user("a"), ChatMessage.assistant("b"), ChatMessage.user("c"),
                ChatMessage.assistant("d"), ChatMessage.user("e"));
        assertThrows(RecallException.class, () -> whole.complete(tooLong, greedy, null));
        assertEquals(byTurns.messages(), whole.messages());
    }
}
