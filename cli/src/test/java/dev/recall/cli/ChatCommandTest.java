package dev.recall.cli;

import dev.recall.runtime.api.Chat;
import dev.recall.runtime.api.GenerateOptions;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.api.Recall;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code recall chat} on piped input, with the demo model. */
class ChatCommandTest {

    private static final Path DEMO = Path.of("../models/zoo-mamba").toAbsolutePath().normalize();

    private record Run(int code, String out, String err) {
    }

    private static Run chat(String input, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new ChatCommand(new StringReader(input)));
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** The reply the API gives to a fresh chat's first message, greedily. */
    private static String apiReply(Path dir, String message, int maxTokens) {
        try (LoadedModel model = Recall.load(dir)) {
            Chat chat = model.chat();
            return chat.send(message, GenerateOptions.greedy(maxTokens), null);
        }
    }

    /** Once standard output fails (its reader has gone), the chat ends instead of answering the next lines. */
    @Test
    void aChatWhoseOutputFailsEndsAtItsFirstReply() {
        ClosedPipe closed = new ClosedPipe();
        CommandLine cl = RecallCli.commandLine(new PrintWriter(closed), new PrintWriter(new StringWriter()));
        CommandLine chat = new CommandLine(new ChatCommand(new StringReader("hello\nhello again\nand again\n")));
        chat.setOut(cl.getOut());
        chat.setErr(cl.getErr());
        chat.setExecutionExceptionHandler(cl.getExecutionExceptionHandler());
        int code = chat.execute("--model", DEMO.toString(), "--max-tokens", "12", "--temperature", "0", "--no-progress");
        assertEquals(RecallCli.EXIT_BROKEN_PIPE, code);
        assertEquals(1, closed.writes, "the first reply's first piece fails, and nothing more is generated");
    }

    @Test
    void repliesResetsAndReportsTheFallbackFormatOnce() {
        Run r = chat("What is the pass key?\n/reset\n\n/bogus\nWhat is the pass key?\n/quit\nnever read\n",
                "--model", DEMO.toString(), "--max-tokens", "12", "--temperature", "0", "--no-progress");
        assertEquals(0, r.code(), r.err());
        List<String> replies = r.out().lines().toList();
        String expected = apiReply(DEMO, "What is the pass key?", 12);
        assertFalse(expected.isBlank());
        // Each reply is one line (this model's replies have no newline in their first 12 tokens).
        assertEquals(List.of(expected, expected), replies, r.out());
        List<String> errors = r.err().lines().toList();
        assertEquals(3, errors.size(), r.err());
        assertTrue(errors.get(0).contains("no chat template"), r.err());
        assertEquals("recall: conversation reset", errors.get(1));
        assertEquals("recall: unknown command /bogus (commands: /reset, /quit)", errors.get(2));
    }

    @Test
    void aRefusedTurnIsOneLineAndTheChatGoesOn(@TempDir Path dir) throws IOException {
        for (String file : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            Files.copy(DEMO.resolve(file), dir.resolve(file));
        }
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"chat_template": "{% for m in messages %}{% if 'forbidden' in m.content %}{{ raise_exception('no forbidden words') }}{% endif %}{{ m.role }}: {{ m.content }}\\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}"}""");
        Run r = chat("hello\nforbidden thing\nhello\n", "--model", dir.toString(), "--max-tokens", "6",
                "--temperature", "0", "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertEquals(2, r.out().lines().count(), r.out());
        assertEquals(List.of("recall: the chat template of " + dir.resolve("tokenizer_config.json")
                + " refused the conversation: no forbidden words"), r.err().lines().toList());
    }
}
