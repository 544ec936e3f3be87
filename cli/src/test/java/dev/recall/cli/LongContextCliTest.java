package dev.recall.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's long-context example through the command line on the shipped demo model, and the
 * bad inputs of long-context requests: each is one clear line and a non-zero exit.
 */
class LongContextCliTest {

    static final String PREFIX = "There is a pass key hidden in the text below. Find it and remember it.\n";
    static final String QUERY = "\nWhat is the pass key? The pass key is";
    static final Path DEMO = Path.of(System.getProperty("recall.demo.model", "../models/zoo-mamba"));

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
        void assertOneErrorLine(String fragment) {
            assertOneErrorLine(fragment, 1);
        }

        /** As {@link #assertOneErrorLine(String)} with the given exit code (2: a command-line error). */
        void assertOneErrorLine(String fragment, int expectedCode) {
            assertEquals(expectedCode, code, () -> "exit code; stderr: " + err);
            assertTrue(err.startsWith("recall: ") && err.contains(fragment), () -> "stderr: " + err);
            assertEquals(1, err.lines().count(), () -> "one line: " + err);
            assertFalse(err.contains("\tat "), () -> "no stack trace: " + err);
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = RecallCli.commandLine(new PrintWriter(out), new PrintWriter(err)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    String[] passkey(String... extra) {
        String[] base = {"generate", "--model", DEMO.toString(), "--context-file", DEMO.resolve("passkey-1024.txt").toString(),
                "--prefix", PREFIX, "--query", QUERY, "--max-tokens", "6"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void oprmRecoversTheKeyThatThePlainPromptLoses() {
        Run plain = run(passkey());
        assertEquals(0, plain.code(), plain.err());
        assertFalse(plain.out().contains("92238"), plain.out());
        Run oprm = run(passkey("--strategy", "oprm", "--train-length", "256", "--verbose"));
        assertEquals(0, oprm.code(), oprm.err());
        assertEquals(" 92238.", oprm.out().stripTrailing());
        assertTrue(oprm.err().contains("chunk_size: 224") && oprm.err().contains("chosen_chunk: 1"), oprm.err());
    }

    @Test
    void lmInfiniteOnAModelWithoutAttentionIsRefused() {
        run(passkey("--strategy", "lm-infinite")).assertOneErrorLine("attention");
    }

    @Test
    void oprmWithoutATrainingLengthOrChunkIsRefused() {
        run(passkey("--strategy", "oprm")).assertOneErrorLine("training length");
    }

    @Test
    void emptyContextIsRefusedForOprm() throws IOException {
        Path empty = Files.writeString(tmp.resolve("empty.txt"), "");
        run("generate", "--model", DEMO.toString(), "--context-file", empty.toString(), "--query", QUERY,
                "--strategy", "oprm", "--chunk", "64").assertOneErrorLine("context");
    }

    @Test
    void contextShorterThanOneChunkIsOneChunk() throws IOException {
        Path small = Files.writeString(tmp.resolve("small.txt"), " The pass key is 12345. Remember it. 12345 is the pass key. ");
        Run r = run("generate", "--model", DEMO.toString(), "--context-file", small.toString(), "--prefix", PREFIX,
                "--query", QUERY, "--strategy", "oprm", "--train-length", "256", "--max-tokens", "6", "--verbose");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("chunks: 1"), r.err());
    }

    @Test
    void contextFileThatIsNotUtf8IsRefused() throws IOException {
        Path bad = Files.write(tmp.resolve("bad.txt"), new byte[]{'a', (byte) 0xff, (byte) 0xfe, 'b'});
        run("generate", "--model", DEMO.toString(), "--context-file", bad.toString(), "--query", QUERY)
                .assertOneErrorLine("UTF-8");
    }

    @Test
    void missingContextFileAndUnknownStrategyAreRefused() {
        run("generate", "--model", DEMO.toString(), "--context-file", tmp.resolve("none.txt").toString(), "--query", QUERY)
                .assertOneErrorLine("context file not found");
        run(passkey("--strategy", "magic")).assertOneErrorLine("unknown strategy 'magic'", 2);
    }

    @Test
    void tokenIdsOutOfRangeAreRefused() {
        run("logits", "--model", DEMO.toString(), "--ids", "1,99999", "--out", tmp.resolve("x.safetensors").toString())
                .assertOneErrorLine("99999");
        run("logits", "--model", DEMO.toString(), "--ids", "-3", "--out", tmp.resolve("x.safetensors").toString())
                .assertOneErrorLine("-3");
    }
}
