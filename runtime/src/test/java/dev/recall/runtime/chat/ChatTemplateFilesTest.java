package dev.recall.runtime.chat;

import dev.recall.runtime.RecallException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where templates and their special tokens come from in a model directory. */
class ChatTemplateFilesTest {

    private static final List<ChatMessage> HELLO = List.of(ChatMessage.user("hi"));

    @Test
    void stringTemplateWithSpecialTokensAsObjects(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>", "pad_token": null,
                 "chat_template": "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}"}""");
        ChatTemplate t = ChatTemplate.find(dir).orElseThrow();
        assertEquals(Map.of("bos_token", "<s>", "eos_token", "</s>"), t.specialTokens());
        assertEquals("<s>[user]hi</s>", t.render(HELLO, true));
    }

    @Test
    void listOfNamedTemplatesUsesDefault(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"chat_template": [{"name": "tool_use", "template": "TOOLS"},
                                   {"name": "default", "template": "DEFAULT {{ messages[0]['content'] }}"}]}""");
        assertEquals("DEFAULT hi", ChatTemplate.find(dir).orElseThrow().render(HELLO, false));
    }

    @Test
    void listWithoutDefaultIsRefused(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"chat_template": [{"name": "tool_use", "template": "TOOLS"}]}""");
        RecallException e = assertThrows(RecallException.class, () -> ChatTemplate.find(dir));
        assertTrue(e.getMessage().contains("none named 'default'"), e.getMessage());
    }

    @Test
    void chatTemplateJinjaFileWins(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<e>\", \"chat_template\": \"OLD\"}");
        Files.writeString(dir.resolve("chat_template.jinja"), "NEW {{ messages|length }}{{ eos_token }}\n");
        assertEquals("NEW 1<e>", ChatTemplate.find(dir).orElseThrow().render(HELLO, false));
    }

    @Test
    void noTemplateIsEmpty(@TempDir Path dir) throws IOException {
        assertTrue(ChatTemplate.find(dir).isEmpty());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\"}");
        assertTrue(ChatTemplate.find(dir).isEmpty());
    }

    @Test
    void strftimeNowReadsTheClock() {
        String today = ChatTemplate.of("{{ strftime_now('%Y') }}", Map.of(), "t").render(HELLO, false);
        assertEquals(String.valueOf(LocalDateTime.now().getYear()), today);
    }
}
