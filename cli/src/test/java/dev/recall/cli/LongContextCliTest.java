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
        // The zoo's reference table: the IDK answer " unknown." and no instruction (a base model).
        Run oprm = run(passkey("--strategy", "oprm", "--train-length", "256", "--idk", " unknown.", "--idk-instruction", "",
                "--verbose"));
        assertEquals(0, oprm.code(), oprm.err());
        assertEquals(" 92238.", oprm.out().stripTrailing());
        assertTrue(oprm.err().contains("chunk_size: 224") && oprm.err().contains("chosen_chunk: 1"), oprm.err());
    }

    /** The API's message, and the command line's flag for the setting it names. */
    @Test
    void lmInfiniteOnAModelWithoutAttentionIsRefused() {
        run(passkey("--strategy", "lm-infinite")).assertOneErrorLine("use OPRM for recurrent models (--strategy)");
    }

    /** The demo model's config states no training length: OPRM takes the reference's 2,000-token chunks. */
    @Test
    void oprmWithoutATrainingLengthOrChunkUsesTheReferencesChunk() {
        Run r = run(passkey("--strategy", "oprm", "--verbose"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("chunk_size: 2000") && r.err().contains("chunks: 1"), r.err());
        assertTrue(r.err().contains("selection: entropy"), r.err());
    }

    /** The reference's options from the command line: the IDK set, the instruction, the selection rules. */
    @Test
    void oprmReferenceOptions() {
        Run base = run(passkey("--strategy", "oprm", "--chunk", "224", "--json"));
        Run noInstruction = run(passkey("--strategy", "oprm", "--chunk", "224", "--idk-instruction", "", "--json"));
        assertEquals(0, base.code(), base.err());
        // The instruction is part of every chunk's query: the prompt is longer by its tokens.
        assertTrue(promptTokens(base) > promptTokens(noInstruction), base.out() + noInstruction.out());
        Run off = run(passkey("--strategy", "oprm", "--chunk", "224", "--no-idk-filter", "--json"));
        assertEquals(promptTokens(noInstruction), promptTokens(off), "no filter, no instruction");
        assertTrue(off.out().contains("\"idk_tokens\":[]"), off.out());
        Run two = run(passkey("--strategy", "oprm", "--chunk", "224", "--idk", " unknown.", "--idk", " nothing", "--json"));
        assertTrue(two.out().matches("(?s).*\"idk_tokens\":\\[\\d+,\\d+\\].*"), two.out());
        Run last = run(passkey("--strategy", "oprm", "--chunk", "224", "--select", "last", "--verbose"));
        assertEquals(0, last.code(), last.err());
        assertTrue(last.err().contains("selection: last") && last.err().contains("chunks: 1"), last.err());
        Run summary = run(passkey("--strategy", "oprm", "--chunk", "224", "--select", "entropy-summary", "--verbose"));
        assertTrue(summary.err().contains("selection: entropy-summary") && summary.err().contains("idk_tokens: []"),
                summary.err());
        run(passkey("--strategy", "oprm", "--select", "best")).assertOneErrorLine("entropy-summary", 2);
        run(passkey("--strategy", "oprm", "--window", "64")).assertOneErrorLine("--window is read only by lm-infinite", 2);
        run(passkey("--strategy", "lm-infinite", "--select", "last")).assertOneErrorLine("--select is read only by oprm", 2);
    }

    /** LM-Infinite's separate window and limit and its top-k attention from the command line (zoo Llama). */
    @Test
    void lmInfiniteTopKFromTheCommandLine() throws IOException {
        String llama = dev.recall.runtime.testing.SharedData.zoo().resolve("llama").toString();
        Path context = Files.writeString(tmp.resolve("ctx.txt"), Files.readString(
                dev.recall.runtime.testing.SharedData.shared().resolve("corpus/brown_heldout.txt")).substring(0, 4000));
        Run r = run("generate", "--model", llama, "--context-file", context.toString(), "--query", QUERY,
                "--strategy", "lm-infinite", "--window", "128", "--d-max", "96", "--top-k-attention", "5",
                "--top-k-from-layer", "1", "--max-tokens", "4", "--verbose");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("window: 128") && r.err().contains("d_max: 96")
                && r.err().contains("top_k_attention: 5") && r.err().contains("top_k_from_layer: 1"), r.err());
        run("generate", "--model", llama, "--prompt", "The", "--strategy", "lm-infinite", "--top-k-attention", "5",
                "--top-k-from-layer", "9").assertOneErrorLine("the model has 4 layers (0 to 3) (--top-k-from-layer)");
    }

    /** With --chat, every chunk prompt is one user turn: the plain format's markers around it on the demo model. */
    @Test
    void chatWrapsTheRequestInOneTurn() {
        Run plain = run(passkey("--strategy", "oprm", "--chunk", "224", "--json"));
        Run chat = run(passkey("--strategy", "oprm", "--chunk", "224", "--chat", "--json"));
        assertEquals(0, chat.code(), chat.err());
        assertTrue(promptTokens(chat) > promptTokens(plain), chat.out());
        run(passkey("--chat", "--save-state", tmp.resolve("s").toString())).assertOneErrorLine("--save-state", 2);
    }

    private static int promptTokens(Run r) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"prompt_tokens\":(\\d+)").matcher(r.out());
        assertTrue(m.find(), r.out());
        return Integer.parseInt(m.group(1));
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
