package dev.recall.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code generate --chat}: the prompt goes through the model's chat template. */
class ChatGenerateTest {

    static final Path DEMO = Path.of("../models/zoo-mamba");

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = RecallCli.commandLine(new PrintWriter(out), new PrintWriter(err)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void templatedPromptGivesTheSameReplyAsTheRenderedTextItself(@TempDir Path dir) throws IOException {
        for (String f : new String[]{"config.json", "generation_config.json", "model.safetensors", "tokenizer.json"}) {
            Files.copy(DEMO.resolve(f), dir.resolve(f));
        }
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"eos_token": "<|endoftext|>",
                 "chat_template": "{% for m in messages %}{{ m['role'] | capitalize }} said: {{ m['content'] | trim }}\\n{% endfor %}{% if add_generation_prompt %}The answer was{% endif %}"}
                """);
        Run chat = run("generate", "--model", dir.toString(), "--chat", "--prompt", "  What did the old man see?  ",
                "--max-tokens", "12");
        assertEquals(0, chat.code(), chat.err());
        Run plain = run("generate", "--model", dir.toString(), "--prompt",
                "User said: What did the old man see?\nThe answer was", "--max-tokens", "12");
        assertEquals(0, plain.code(), plain.err());
        assertTrue(!chat.out().isBlank(), "a reply");
        assertEquals(plain.out(), chat.out());
        assertEquals("", chat.err(), "a model with a template needs no notice");
    }

    @Test
    void modelWithoutTemplateUsesThePlainFormatAndSaysSo() {
        Run r = run("generate", "--model", DEMO.toString(), "--chat", "--prompt", "Hello", "--max-tokens", "4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("no chat template"), r.err());
    }

    /** A chat turn is one --prompt; a strategy needs a long-context request (which --chat then wraps). */
    @Test
    void aChatTurnTakesNoStrategy() {
        Run r = run("generate", "--model", DEMO.toString(), "--chat", "--prompt", "x", "--strategy", "oprm");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("a --strategy needs a long-context request"), r.err());
    }
}
