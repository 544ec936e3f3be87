package dev.recall.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recall.kernels.Parallel;
import dev.recall.runtime.io.SafeTensorsFile;
import dev.recall.runtime.io.SafeTensorsWriter;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code recall synth} and {@code recall bench}, run in-process. */
class SynthBenchCommandTest {

    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = RecallCli.commandLine(new PrintWriter(out), new PrintWriter(err));
        // Registered in RecallCli's subcommand list; added here too while that list does not name them yet.
        if (!cl.getSubcommands().containsKey("synth")) {
            cl.addSubcommand("synth", new SynthCommand());
        }
        if (!cl.getSubcommands().containsKey("bench")) {
            cl.addSubcommand("bench", new BenchCommand());
        }
        cl.setOut(new PrintWriter(out)); // again, for subcommands added after the streams were set
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void synthWritesALoadableModelAndBenchReportsEveryField() throws Exception {
        Path dir = tmp.resolve("mamba");
        Run synth = run("synth", "--family", "mamba", "--preset", "zoo-mamba", "--layers", "2", "--seed", "3",
                "--out", dir.toString());
        assertEquals(0, synth.code(), synth.err());
        assertTrue(synth.out().contains("zoo-mamba") && synth.out().contains("2 layers"), synth.out());
        assertTrue(Files.isRegularFile(dir.resolve("config.json")));

        int threads = Parallel.threads();
        Run bench = run("bench", "--model", dir.toString(), "--prompt-tokens", "40", "--gen-tokens", "3", "--json");
        assertEquals(0, bench.code(), bench.err());
        JsonNode r = new ObjectMapper().readTree(bench.out());
        for (String field : new String[]{"prefill_tokens_per_s", "decode_tokens_per_s", "bandwidth_bytes_per_s",
                "decode_roofline_fraction", "peak_rss_bytes", "baseline_rss_bytes", "rss_budget_bytes", "state_bytes",
                "file_rss_bytes", "anon_rss_bytes",
                // HotSpot counts allocation per thread; every decode step at least returns fresh logits.
                "prefill_allocated_bytes_per_token", "decode_allocated_bytes_per_token"}) {
            assertTrue(r.get(field).asDouble() > 0, field + " = " + r.get(field));
        }
        assertEquals(threads, r.get("threads").asInt());
        try (LanguageModel lm = ModelLoader.load(dir)) {
            assertEquals(lm.info().weightBytes(), r.get("weight_bytes").asLong());
            assertEquals(lm.info().streamedBytesPerToken() + r.get("state_bytes").asLong(), r.get("decode_bytes_per_token").asLong());
        }
        // The budget is the JVM's baseline plus the weights and the state plus 10 % (its verdict depends
        // on the process, which here has run other tests, so only the arithmetic is checked).
        long modelBytes = r.get("weight_bytes").asLong() + r.get("state_bytes").asLong();
        assertEquals(r.get("baseline_rss_bytes").asLong() + (long) (1.1 * modelBytes), r.get("rss_budget_bytes").asLong());
        assertTrue(r.get("rss_within_budget").isBoolean());
        assertEquals(40, r.get("prompt_tokens").asInt());
        assertEquals("mamba", r.get("family").asText());
        double fraction = r.get("decode_roofline_fraction").asDouble();
        double expected = r.get("decode_tokens_per_s").asDouble() / r.get("decode_roofline_tokens_per_s").asDouble();
        assertEquals(expected, fraction, 1e-9 * expected);
    }

    @Test
    void benchDecodesABatchTogether() throws Exception {
        Path dir = tmp.resolve("llama-batch");
        assertEquals(0, run("synth", "--preset", "zoo-llama", "--layers", "1", "--out", dir.toString()).code());
        Run bench = run("bench", "--model", dir.toString(), "--prompt-tokens", "9", "--gen-tokens", "3", "--batch", "3",
                "--json");
        assertEquals(0, bench.code(), bench.err());
        JsonNode r = new ObjectMapper().readTree(bench.out());
        assertEquals(3, r.get("batch").asInt());
        assertTrue(r.get("decode_tokens_per_s").asDouble() > 0, bench.out());
        assertTrue(r.get("prefill_tokens_per_s").asDouble() > 0, bench.out());
        Run bad = run("bench", "--model", dir.toString(), "--batch", "0");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--batch"), bad.err());
    }

    /** A model without a tokenizer loads for what needs none (info, bench) and is refused in one sentence where text is needed. */
    @Test
    void aModelWithoutATokenizerWorksWithIdsAndSaysSoForText() {
        Path dir = tmp.resolve("no-tokenizer");
        assertEquals(0, run("synth", "--preset", "zoo-mamba", "--layers", "1", "--out", dir.toString()).code());
        Run info = run("info", "--model", dir.toString());
        assertEquals(0, info.code(), info.err());
        Run generate = run("generate", "--model", dir.toString(), "--prompt", "The");
        assertEquals(1, generate.code());
        assertTrue(generate.err().contains("has no tokenizer") && generate.err().lines().count() == 1, generate.err());
    }

    @Test
    void benchPrintsATableWithoutJson() {
        Path dir = tmp.resolve("rwkv");
        assertEquals(0, run("synth", "--preset", "zoo-rwkv6", "--layers", "1", "--out", dir.toString()).code());
        Run bench = run("bench", "--model", dir.toString(), "--prompt-tokens", "33", "--gen-tokens", "2");
        assertEquals(0, bench.code(), bench.err());
        assertTrue(bench.out().contains("prefill_tokens_per_s:"), bench.out());
        assertTrue(bench.out().contains("decode_roofline_fraction:"), bench.out());
    }

    /** A directory that already holds files (a real model's, say) is only written with --force. */
    @Test
    void synthRefusesADirectoryWithFilesUnlessForced() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("real-model"));
        Files.writeString(dir.resolve("tokenizer.json"), "{}");
        Run refused = run("synth", "--preset", "zoo-mamba", "--layers", "1", "--out", dir.toString());
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("--force"), refused.err());
        assertFalse(Files.exists(dir.resolve("model.safetensors")), "nothing was written");
        Run forced = run("synth", "--preset", "zoo-mamba", "--layers", "1", "--force", "--out", dir.toString());
        assertEquals(0, forced.code(), forced.err());
        assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")));
    }

    /** Weights that make NaN logits end bench with the decode loop's sentence, not a report of speeds. */
    @Test
    void benchRefusesAModelWhoseLogitsAreNotNumbers() throws Exception {
        Path dir = tmp.resolve("nan-mamba");
        assertEquals(0, run("synth", "--preset", "zoo-mamba", "--layers", "1", "--out", dir.toString()).code());
        Path file = dir.resolve("model.safetensors");
        SafeTensorsWriter damaged = new SafeTensorsWriter();
        int replaced = 0;
        try (SafeTensorsFile weights = SafeTensorsFile.open(file)) {
            for (Tensor t : weights.tensors().values()) {
                float[] values = t.toFloats();
                if (t.name().endsWith("norm_f.weight")) {
                    Arrays.fill(values, Float.NaN);
                    replaced++;
                }
                damaged.f32(t.name(), values, t.shape());
            }
        }
        assertEquals(1, replaced, "the synthesized Mamba has one final norm");
        damaged.write(file);
        Run bench = run("bench", "--model", dir.toString(), "--prompt-tokens", "8", "--gen-tokens", "2", "--json");
        assertEquals(1, bench.code(), bench.out());
        assertEquals("recall: the model produced a logit of NaN: its weights are probably damaged (NaN or infinite values)",
                bench.err().strip());
    }

    /** OPRM in bench: the random prompt's last ids are the query of every chunk of the rest. */
    @Test
    void benchRunsOprmOverChunks() throws Exception {
        Path dir = tmp.resolve("oprm-mamba");
        assertEquals(0, run("synth", "--preset", "zoo-mamba", "--layers", "1", "--out", dir.toString()).code());
        Run bench = run("bench", "--model", dir.toString(), "--strategy", "oprm", "--chunk", "20",
                "--prompt-tokens", "76", "--gen-tokens", "2", "--json");
        assertEquals(0, bench.code(), bench.err());
        JsonNode r = new ObjectMapper().readTree(bench.out());
        assertEquals("oprm", r.get("strategy").asText());
        assertTrue(r.get("prefill_tokens_per_s").asDouble() > 0);
        // No chunk and no training length: the OPRM reference's 2,000 tokens, so the 76 are one chunk.
        Run noChunk = run("bench", "--model", dir.toString(), "--strategy", "oprm", "--prompt-tokens", "76",
                "--gen-tokens", "2", "--json");
        assertEquals(0, noChunk.code(), noChunk.err());
    }

    @Test
    void badPresetAndBadLengthsAreOneLineErrors() {
        Run badPreset = run("synth", "--preset", "gpt-5", "--out", tmp.resolve("x").toString());
        assertEquals(2, badPreset.code());
        assertTrue(badPreset.err().startsWith("recall: unknown preset 'gpt-5'"), badPreset.err());
        assertEquals(1, badPreset.err().lines().count(), badPreset.err());

        Run mismatch = run("synth", "--family", "llama", "--preset", "mamba-130m", "--out", tmp.resolve("y").toString());
        assertEquals(2, mismatch.code());
        assertTrue(mismatch.err().contains("llama-1b"), mismatch.err());

        Run badLength = run("bench", "--model", tmp.toString(), "--prompt-tokens", "0");
        assertEquals(2, badLength.code());
        assertTrue(badLength.err().contains("--prompt-tokens"), badLength.err());
    }
}
