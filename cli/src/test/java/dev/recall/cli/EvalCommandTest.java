package dev.recall.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvalCommandTest {

    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    /** The recall command line, with its error handling. */
    private int run(String... args) {
        CommandLine cl = RecallCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void passkeyWritesResultsAndChartForEachMethod() throws IOException {
        Path zoo = SharedData.zoo();
        List<String> lines = Files.readAllLines(zoo.resolve("passkey_prompts.jsonl"));
        Path prompts = tmp.resolve("p.jsonl");
        // Two 256-token prompts and one 1024-token prompt.
        Files.write(prompts, List.of(lines.get(0), lines.get(1), lines.get(12)));
        Path json = tmp.resolve("out/passkey.json");
        Path svg = tmp.resolve("out/passkey.svg");
        int code = run("eval", "passkey", "--model", zoo.resolve("mamba").toString(), "--prompts", prompts.toString(),
                // "none" is another name of plain, reported as plain.
                "--method", "none,oprm", "--train-length", "256", "--out", json.toString(), "--plot", svg.toString());
        assertEquals(0, code, err.toString());
        JsonNode result = new ObjectMapper().readTree(json.toFile());
        JsonNode reference = new ObjectMapper().readTree(zoo.resolve("mamba/reference_eval.json").toFile());
        int[] refIndex = {0, 1, 12};
        for (String method : List.of("plain", "oprm")) {
            JsonNode m = result.get("passkey").get(method);
            assertEquals(method, m.get("method").asText());
            assertEquals(3, m.get("rows").size());
            for (int i = 0; i < 3; i++) {
                JsonNode row = m.get("rows").get(i);
                JsonNode ref = reference.get("passkey_rows").get(refIndex[i]);
                assertEquals(ref.get(method).asText(), row.get("answer").asText(), method + " row " + i);
                assertEquals(ref.get(method + "_ok").asBoolean(), row.get("correct").asBoolean());
                if (method.equals("oprm")) {
                    assertEquals(ref.get("oprm_chosen").asInt(), row.get("chosen_chunk").asInt());
                    assertEquals(ref.get("oprm_entropies").size(), row.get("entropies").size());
                } else {
                    assertTrue(row.get("chosen_chunk").isNull());
                }
            }
            double expected256 = (reference.get("passkey_rows").get(0).get(method + "_ok").asBoolean() ? 0.5 : 0)
                    + (reference.get("passkey_rows").get(1).get(method + "_ok").asBoolean() ? 0.5 : 0);
            assertEquals(expected256, m.get("accuracy").get("256").asDouble(), 1e-12);
        }
        String chart = Files.readString(svg);
        assertEquals(2, chart.split("<polyline").length - 1);
        assertTrue(chart.contains(">oprm</text>") && chart.contains(">plain</text>"));
        assertTrue(out.toString().contains("accuracy at   256"), out.toString());
    }

    @Test
    void perplexityWritesEachStrategy() throws IOException {
        Path shared = SharedData.shared();
        Path json = tmp.resolve("ppl.json");
        Path svg = tmp.resolve("ppl.svg");
        int code = run("eval", "perplexity", "--model", shared.resolve("zoo/llama").toString(),
                "--text", shared.resolve("corpus/brown_heldout.txt").toString(), "--lengths", "32,96",
                "--strategy", "none,lm-infinite", "--n-global", "4", "--window", "64", "--d-max", "64", "--out", json.toString(),
                "--plot", svg.toString());
        assertEquals(0, code, err.toString());
        JsonNode ppl = new ObjectMapper().readTree(json.toFile()).get("perplexity");
        double plain32 = ppl.get("none").get("32").asDouble();
        assertTrue(plain32 > 1 && plain32 < 4096, "a perplexity between 1 and the vocabulary size: " + plain32);
        assertEquals(plain32, ppl.get("lm-infinite").get("32").asDouble(), 1e-3 * plain32,
                "within d_max, Λ attention is ordinary attention");
        assertTrue(Math.abs(ppl.get("none").get("96").asDouble() - ppl.get("lm-infinite").get("96").asDouble()) > 1e-6,
                "beyond d_max the Λ shape changes the predictions");
        assertEquals(2, Files.readString(svg).split("<polyline").length - 1);
    }

    @Test
    void errorsAreOneLine() throws IOException {
        Path zoo = SharedData.zoo();
        Path prompts = tmp.resolve("p.jsonl");
        Files.write(prompts, List.of(Files.readAllLines(zoo.resolve("passkey_prompts.jsonl")).getFirst()));
        assertEquals(1, run("eval", "passkey", "--model", zoo.resolve("mamba").toString(), "--prompts", prompts.toString(),
                "--strategy", "lm-infinite", "--out", tmp.resolve("x.json").toString()));
        assertTrue(err.toString().contains("recall: LM-Infinite changes attention"), err.toString());
        assertEquals(2, run("eval", "passkey", "--model", zoo.resolve("mamba").toString(), "--prompts", prompts.toString(),
                "--strategy", "oprm", "--select", "best", "--out", tmp.resolve("x.json").toString()));
        assertTrue(err.toString().contains("entropy-summary"), err.toString());
        assertEquals(2, run("eval", "passkey", "--model", zoo.resolve("mamba").toString(), "--prompts", prompts.toString()));
        assertEquals(2, run("eval"));
        assertEquals(1, run("eval", "perplexity", "--model", zoo.resolve("llama").toString(), "--text",
                tmp.resolve("missing.txt").toString(), "--lengths", "8", "--out", tmp.resolve("y.json").toString()));
        assertTrue(err.toString().contains("text file not found"), err.toString());
    }
}
