package dev.recall.cli;

import dev.recall.kernels.Parallel;
import dev.recall.runtime.io.SafeTensorsFile;
import dev.recall.runtime.testing.GoldenCheck;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Runs the command line in-process with captured stdout/stderr. */
class RecallCliTest {

    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {
        /** stderr holds exactly one line, starting with "recall: ", and no stack trace. */
        void assertOneErrorLine() {
            assertTrue(err.startsWith("recall: "), () -> "stderr: " + err);
            assertEquals(1, err.lines().count(), () -> "stderr should be one line: " + err);
            assertFalse(err.contains("Exception") || err.contains("\tat "), () -> "no stack trace: " + err);
        }
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = RecallCli.commandLine(new PrintWriter(out), new PrintWriter(err)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void unknownOptionIsAUsageErrorOnOneLine() {
        Run r = run("generate", "--bogus");
        assertEquals(2, r.code());
        r.assertOneErrorLine();
        assertTrue(r.err().contains("--bogus"), r.err());
        assertEquals("", r.out());
    }

    /** A write failure of standard output decides the exit code: a full disk is an error, a closed pipe is not. */
    @Test
    void outputThatCannotBeWrittenIsAnErrorUnlessTheReaderLeft() throws IOException {
        for (String reason : new String[] {"No space left on device", "Broken pipe"}) {
            RecallCli.WatchedOutput stdout = new RecallCli.WatchedOutput(new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    throw new IOException(reason);
                }
            });
            PrintWriter out = new PrintWriter(stdout);
            out.print("text");
            out.flush();
            assertTrue(out.checkError());
            StringWriter err = new StringWriter();
            int code = RecallCli.withOutputFailure(0, stdout.failure, new PrintWriter(err, true));
            if (reason.equals("Broken pipe")) {
                assertEquals(141, code);
                assertEquals("", err.toString());
            } else {
                assertEquals(1, code);
                assertEquals("recall: cannot write to standard output: No space left on device", err.toString().strip());
            }
            assertEquals(2, RecallCli.withOutputFailure(2, stdout.failure, new PrintWriter(new StringWriter())),
                    "an earlier failure keeps its own code");
            assertEquals(reason.equals("Broken pipe") ? 141 : 1,
                    RecallCli.withOutputFailure(RecallCli.EXIT_BROKEN_PIPE, stdout.failure, new PrintWriter(new StringWriter())),
                    "a command ended by the failure (RecallCli.OutputGone) gets the failure's status");
        }
        assertEquals(0, RecallCli.withOutputFailure(0, null, new PrintWriter(new StringWriter())));
    }

    /** A reader that leaves early ends the generation at the next piece: nothing is generated for nobody. */
    @Test
    void generationStopsAtTheFirstPieceStandardOutputCannotTake() {
        ClosedPipe pipe = new ClosedPipe();
        StringWriter err = new StringWriter();
        int code = RecallCli.commandLine(new PrintWriter(pipe), new PrintWriter(err)).execute("generate",
                "--model", Path.of("../models/zoo-mamba").toAbsolutePath().toString(), "--prompt", "The",
                "--max-tokens", "40", "--temperature", "0", "--no-progress");
        assertEquals(RecallCli.EXIT_BROKEN_PIPE, code, err.toString());
        assertEquals("", err.toString(), "a closed pipe is no error of ours");
        assertEquals(1, pipe.writes, "one failed write, then no more tokens");
    }

    @Test
    void versionNamesTheBuildTheJavaRuntimeAndTheSimdWidth() {
        Run r = run("--version");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("recall "), r.out());
        assertTrue(r.out().contains("Java " + Runtime.version()), r.out());
        // The tests run with the Vector API module: the SIMD kernels and their width.
        int bits = Integer.getInteger("recall.vectorBits", jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize());
        assertTrue(r.out().contains("kernels: Vector API, " + bits / 32 + " x float (" + bits + "-bit)"), r.out());
    }

    @Test
    void unknownCommandListsTheCommands() {
        Run r = run("frobnicate");
        assertEquals(2, r.code());
        r.assertOneErrorLine();
        assertTrue(r.err().startsWith("recall: unknown command 'frobnicate' (commands: generate, chat,"), r.err());
        Run sub = run("eval", "frobnicate");
        assertTrue(sub.err().startsWith("recall: unknown command 'frobnicate' (commands: passkey, perplexity, longbench)"), sub.err());
    }

    @Test
    void missingCommandAndMissingRequiredOptionAreUsageErrors() {
        Run none = run();
        assertEquals(2, none.code());
        none.assertOneErrorLine();
        Run logits = run("logits", "--ids", "1,2");
        assertEquals(2, logits.code());
        logits.assertOneErrorLine();
        assertTrue(logits.err().contains("--out"), logits.err());
        Run both = run("generate", "--prompt", "a", "--query", "b");
        assertEquals(2, both.code());
        both.assertOneErrorLine();
    }

    @Test
    void missingModelDirectoryFailsWithOneSentence() {
        Path missing = tmp.resolve("no-such-model");
        for (String[] args : new String[][]{
                {"generate", "--model", missing.toString(), "--prompt", "The"},
                {"info", "--model", missing.toString()},
                {"logits", "--model", missing.toString(), "--ids", "1,2", "--out", tmp.resolve("x.safetensors").toString()}}) {
            Run r = run(args);
            assertEquals(1, r.code(), String.join(" ", args));
            r.assertOneErrorLine();
            assertTrue(r.err().contains("model directory not found"), r.err());
        }
    }

    /** Out-of-range option values are command-line errors (exit 2), found before any model is loaded. */
    @Test
    void badOptionValuesAreUsageErrorsInOneSentence() {
        String[][] cases = {
                {"--temperature", "-1", "temperature"},
                {"--top-p", "2", "top-p"},
                {"--max-tokens", "-1", "max"},
                {"--strategy", "foo", "unknown strategy 'foo'"},
                {"--chunk", "-5", "chunk must not be negative, got -5"},
                {"--min-p", "3", "min-p must be in [0, 1]"},
                {"--presence-penalty", "2.5", "presence penalty must be in [-2, 2]"},
                {"--frequency-penalty", "-3", "frequency penalty must be in [-2, 2]"}};
        for (String[] c : cases) {
            Run r = run("generate", "--model", tmp.resolve("never-loaded").toString(), "--prompt", "The", c[0], c[1]);
            assertEquals(2, r.code(), c[0] + " " + c[1] + ": " + r.err());
            r.assertOneErrorLine();
            assertTrue(r.err().contains(c[2]) && r.err().contains("recall generate --help"), r.err());
        }
    }

    /** An option that none of the run's strategies reads is refused, not ignored, before any model is loaded. */
    @Test
    void aStrategyOptionNoChosenStrategyReadsIsAUsageError() {
        String model = tmp.resolve("never-loaded").toString();
        String[][] refused = {
                {"generate", "--model", model, "--prompt", "The", "--chunk", "100", "--chunk is read only by oprm", "(it uses none)"},
                {"generate", "--model", model, "--prompt", "The", "--strategy", "oprm", "--n-global", "4",
                        "--n-global is read only by lm-infinite", "(it uses oprm)"},
                {"generate", "--model", model, "--prompt", "The", "--train-length", "256",
                        "--train-length is read only by oprm and lm-infinite", "(it uses none)"},
                {"eval", "passkey", "--model", model, "--prompts", "p.jsonl", "--out", tmp.resolve("o.json").toString(),
                        "--strategy", "plain,lm-infinite", "--idk-phrase", "x", "--idk-phrase is read only by oprm",
                        "(it uses plain, lm-infinite)"},
                {"eval", "perplexity", "--model", model, "--text", "t.txt", "--lengths", "64", "--out",
                        tmp.resolve("o.json").toString(), "--d-max", "64", "--d-max is read only by lm-infinite", "(it uses none)"},
                {"bench", "--model", model, "--chunk", "20", "--chunk is read only by oprm", "(it uses none)"},
                {"generate", "--model", model, "--prompt", "The", "--chat", "--d-max", "64",
                        "--d-max is read only by lm-infinite", "(it uses none)"},
                {"generate", "--model", model, "--prompt", "The", "--chat", "--strategy", "oprm",
                        "a --strategy needs a long-context request", "recall generate --help"},
                {"generate", "--model", model, "--prompt", "The", "--strategy", "oprm", "--top-k-attention", "5",
                        "--top-k-attention is read only by lm-infinite", "(it uses oprm)"},
                {"generate", "--model", model, "--prompt", "The", "--strategy", "lm-infinite", "--idk", "x",
                        "--idk is read only by oprm", "(it uses lm-infinite)"}};
        for (String[] c : refused) {
            String[] args = Arrays.copyOf(c, c.length - 2);
            Run r = run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            r.assertOneErrorLine();
            assertTrue(r.err().contains(c[c.length - 2]) && r.err().contains(c[c.length - 1]), r.err());
        }
    }

    @Test
    void threadsOptionSetsTheSharedPool() {
        int before = Parallel.threads();
        try {
            run("info", "--threads", "1", "--model", tmp.resolve("missing").toString());
            assertEquals(1, Parallel.threads());
            Run bad = run("info", "--threads", "0");
            assertEquals(2, bad.code());
            bad.assertOneErrorLine();
            // Thousands of threads would take seconds to start and then only contend for the cores.
            Run tooMany = run("info", "--threads", "100000");
            assertEquals(2, tooMany.code());
            tooMany.assertOneErrorLine();
            assertTrue(tooMany.err().contains("per core"), tooMany.err());
        } finally {
            Parallel.setThreads(before);
        }
    }

    private static Path goldenLlama() {
        Path dir = SharedData.shared().resolve("golden/llama");
        assumeTrue(Files.isDirectory(dir), "golden/llama not found; skipping");
        return dir;
    }

    private static String csv(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    @Test
    void logitsOfTheGoldenLlamaMatchTheReference() {
        Path dir = goldenLlama();
        Path out = tmp.resolve("logits.safetensors");
        try (SafeTensorsFile golden = SafeTensorsFile.open(dir.resolve("golden.safetensors"))) {
            var g = golden.tensors();
            int[] ids = g.get("input_ids").toInts();
            Run r = run("logits", "--model", dir.toString(), "--ids", csv(ids), "--out", out.toString());
            assertEquals(0, r.code(), r.err());
            try (SafeTensorsFile written = SafeTensorsFile.open(out)) {
                var w = written.tensors();
                int vocab = g.get("logits").dim(1);
                assertArrayEquals(ids, w.get("input_ids").toInts());
                assertArrayEquals(new long[]{ids.length, vocab}, w.get("logits").shape());
                GoldenCheck.assertClose("logits", g.get("logits").toFloats(), w.get("logits").toFloats(),
                        GoldenCheck.TOLERANCE, vocab);
            }
        }
    }

    @Test
    void greedyLogitsOfTheGoldenLlamaMatchTheReference() {
        Path dir = goldenLlama();
        Path out = tmp.resolve("greedy.safetensors");
        try (SafeTensorsFile golden = SafeTensorsFile.open(dir.resolve("golden.safetensors"))) {
            var g = golden.tensors();
            int[] prompt = g.get("gen_prompt").toInts();
            int[] genIds = g.get("gen_ids").toInts();
            Run r = run("logits", "--model", dir.toString(), "--ids", csv(prompt), "--greedy",
                    Integer.toString(genIds.length), "--out", out.toString());
            assertEquals(0, r.code(), r.err());
            try (SafeTensorsFile written = SafeTensorsFile.open(out)) {
                var w = written.tensors();
                int vocab = g.get("gen_logits").dim(1);
                assertArrayEquals(genIds, w.get("gen_ids").toInts(), "greedy ids");
                GoldenCheck.assertClose("gen_logits", g.get("gen_logits").toFloats(), w.get("gen_logits").toFloats(),
                        GoldenCheck.TOLERANCE, vocab);
            }
        }
    }

    /** The demo model shipped in the repository (the cli module's tests run in cli/). */
    private static Path demoModel() {
        Path dir = Path.of("../models/zoo-mamba").toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(dir.resolve("config.json")), "demo model not found at " + dir);
        return dir;
    }


    @Test
    void generateStreamsTheGreedyContinuationOfTheModel() {
        Path dir = demoModel();
        Run r = run("generate", "--model", dir.toString(), "--prompt", "The pass key is", "--max-tokens", "12",
                "--verbose");
        assertEquals(0, r.code(), r.err());
        String expected = GoldenCheck.greedyText(dir, "The pass key is", 12);
        assertFalse(expected.isBlank());
        assertEquals(expected + System.lineSeparator(), r.out());
        assertTrue(r.err().contains("generated: "), r.err());
    }

    @Test
    void generateJsonIsOneObjectWithTheTextAndItsCounts() throws IOException {
        Path dir = demoModel();
        Run r = run("generate", "--model", dir.toString(), "--prompt", "The pass key is", "--max-tokens", "12", "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.out().lines().count(), r.out());
        var o = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
        assertEquals(GoldenCheck.greedyText(dir, "The pass key is", 12), o.get("text").asText());
        assertEquals("max_tokens", o.get("stop_reason").asText());
        assertEquals(12, o.get("generated_tokens").asInt());
        assertTrue(o.get("prompt_tokens").asInt() > 0, r.out());
        assertTrue(o.get("decode_tokens_per_s").asDouble() > 0, r.out());
        assertEquals("none", o.get("diagnostics").get("strategy").asText());
        assertFalse(o.has("seed"), "greedy: no seed");

        Run chat = run("generate", "--model", dir.toString(), "--prompt", "Hi", "--chat", "--max-tokens", "4",
                "--temperature", "0.7", "--seed", "5", "--json");
        assertEquals(0, chat.code(), chat.err());
        var c = new com.fasterxml.jackson.databind.ObjectMapper().readTree(chat.out());
        assertEquals(5, c.get("seed").asLong());
        assertTrue(c.get("generated_tokens").asInt() <= 4, chat.out());
    }

    @Test
    void infoJsonHasTheModelsFacts() throws IOException {
        Path dir = demoModel();
        Run r = run("info", "--model", dir.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        var o = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
        assertEquals("mamba", o.get("family").asText());
        assertEquals(4096, o.get("vocabulary").asInt());
        assertEquals(4, o.get("layers").asInt());
        assertEquals("BF16", o.get("weight_dtype").asText());
        assertEquals(155_648, o.get("state_bytes_after_1_token").asLong());
        assertEquals(0, o.get("eos_tokens").get(0).asInt());
    }

    /** The frequency penalty reaches the sampler: a greedy run that repeats itself changes. */
    @Test
    void generateTakesTheFrequencyPenalty() {
        Path dir = demoModel();
        Run plain = run("generate", "--model", dir.toString(), "--prompt", "The", "--max-tokens", "30");
        Run penalised = run("generate", "--model", dir.toString(), "--prompt", "The", "--max-tokens", "30",
                "--frequency-penalty", "1.5");
        assertEquals(0, penalised.code(), penalised.err());
        assertFalse(plain.out().equals(penalised.out()), penalised.out());
    }

    /** A context read once and saved answers its question as a run that reads it all does; a loaded one too. */
    @Test
    void aSavedContextAnswersAsReadingItAgainDoes() {
        Path dir = demoModel();
        String context = dir.resolve("passkey-1024.txt").toString();
        String prefix = "There is a pass key hidden in the text below. Find it and remember it.\n";
        String query = "\nWhat is the pass key? The pass key is";
        Path state = tmp.resolve("doc.state");
        Run oneShot = run("generate", "--model", dir.toString(), "--context-file", context, "--prefix", prefix,
                "--query", query, "--max-tokens", "6");
        Run saving = run("generate", "--model", dir.toString(), "--context-file", context, "--prefix", prefix,
                "--query", query, "--max-tokens", "6", "--save-state", state.toString());
        Run loading = run("generate", "--model", dir.toString(), "--load-state", state.toString(), "--query", query,
                "--max-tokens", "6");
        assertEquals(0, saving.code(), saving.err());
        assertEquals(0, loading.code(), loading.err());
        assertEquals(oneShot.out(), saving.out());
        assertEquals(oneShot.out(), loading.out());

        Run oprm = run("generate", "--model", dir.toString(), "--context-file", context, "--query", query,
                "--strategy", "oprm", "--train-length", "256", "--save-state", tmp.resolve("x.state").toString());
        assertEquals(2, oprm.code());
        assertTrue(oprm.err().contains("OPRM reads every chunk with the query"), oprm.err());
        Run both = run("generate", "--model", dir.toString(), "--load-state", state.toString(), "--context-file", context,
                "--query", query);
        assertEquals(2, both.code());
        assertTrue(both.err().contains("--load-state continues a saved context"), both.err());
        Run otherModel = run("generate", "--model", SharedData.zoo().resolve("llama").toString(), "--load-state",
                state.toString(), "--query", query);
        assertEquals(1, otherModel.code());
        assertTrue(otherModel.err().contains("saved by another model"), otherModel.err());
    }

    @Test
    void generateStopsBeforeAStopString() {
        Path dir = demoModel();
        String full = GoldenCheck.greedyText(dir, "The", 24);
        String stop = full.substring(full.length() / 2, full.length() / 2 + 3);
        Run r = run("generate", "--model", dir.toString(), "--prompt", "The", "--max-tokens", "24", "--stop", stop);
        assertEquals(0, r.code(), r.err());
        assertEquals(full.substring(0, full.indexOf(stop)) + System.lineSeparator(), r.out());
    }

    @Test
    void generateWithZeroMaxTokensPrintsNothing() {
        Path dir = demoModel();
        Run r = run("generate", "--model", dir.toString(), "--prompt", "The", "--max-tokens", "0");
        assertEquals(0, r.code(), r.err());
        assertEquals(System.lineSeparator(), r.out());
    }

    @Test
    void anEmptyPromptStartsFromTheBosToken() {
        Path dir = demoModel();
        Run r = run("generate", "--model", dir.toString(), "--prompt", "", "--max-tokens", "5");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().isBlank(), "some text after BOS");
    }

    /** A command that fails with an error that is not the project's own. */
    @picocli.CommandLine.Command(name = "boom")
    static final class Boom implements java.util.concurrent.Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalStateException("invariant broken");
        }
    }

    private static Run runWithBoom(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = RecallCli.commandLine(new PrintWriter(out), new PrintWriter(err));
        cl.addSubcommand(new Boom());
        return new Run(cl.execute(args), out.toString(), err.toString());
    }

    @Test
    void unexpectedErrorsShowAStackTraceOnlyWithDebug() {
        Run quiet = runWithBoom("boom");
        assertEquals(1, quiet.code());
        assertEquals(1, quiet.err().lines().count(), quiet.err());
        assertTrue(quiet.err().startsWith("recall: unexpected error: java.lang.IllegalStateException: invariant broken"),
                quiet.err());

        Run debug = runWithBoom("boom", "--debug");
        assertEquals(1, debug.code());
        assertTrue(debug.err().lines().count() > 1 && debug.err().contains("\tat "), debug.err());
    }
}
