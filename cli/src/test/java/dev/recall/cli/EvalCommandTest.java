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

    /**
     * LongBench from the command line on the demo model: every strategy's predictions are scored
     * again here with the task's metric, and the totals and buckets are LongBench's rounding of them.
     */
    @Test
    void longbenchScoresEachStrategyAndWritesTableJsonAndChart() throws IOException {
        Path zoo = SharedData.zoo();
        String text = Files.readString(SharedData.shared().resolve("corpus/brown_heldout.txt")).substring(0, 5000);
        ObjectMapper mapper = new ObjectMapper();
        List<String> lines = new java.util.ArrayList<>();
        int[] lengths = {1200, 5000, 9000};
        for (int i = 0; i < 3; i++) {
            var row = mapper.createObjectNode();
            row.put("input", "What is said of the jury?");
            row.put("context", text.substring(i * 1000, i * 1000 + 2500));
            row.putArray("answers").add("the jury said it did find").add("Atlanta");
            row.putNull("all_classes");
            row.put("length", lengths[i]);
            lines.add(mapper.writeValueAsString(row));
        }
        Path data = tmp.resolve("hotpotqa.jsonl");
        Files.write(data, lines);
        Path json = tmp.resolve("lb.json");
        Path svg = tmp.resolve("lb.svg");
        int code = run("eval", "longbench", "--model", zoo.resolve("llama").toString(), "--data", data.toString(),
                "--task", "hotpotqa", "--strategy", "none,oprm,lm-infinite", "--chunk", "200", "--window", "128",
                "--d-max", "128", "--max-tokens", "8", "--out", json.toString(), "--plot", svg.toString());
        assertEquals(0, code, err.toString());
        JsonNode r = mapper.readTree(json.toFile());
        assertEquals("qa_f1", r.get("metric").asText());
        for (String strategy : List.of("plain", "oprm", "lm-infinite")) {
            JsonNode res = r.get("results").get(strategy);
            double sum = 0;
            for (JsonNode row : res.get("rows")) {
                String pred = row.get("pred").asText();
                double best = Math.max(dev.recall.runtime.eval.longbench.LongBenchMetrics.qaF1(pred, "the jury said it did find"),
                        dev.recall.runtime.eval.longbench.LongBenchMetrics.qaF1(pred, "Atlanta"));
                assertEquals(best, row.get("score").asDouble(), 1e-12, strategy + ": " + pred);
                sum += best;
                assertEquals(strategy.equals("oprm"), row.has("chosen_chunk"));
            }
            assertEquals(Math.round(100 * sum / 3 * 100) / 100.0, res.get("score").asDouble(), 1e-9);
            assertEquals(res.get("rows").get(2).get("score").asDouble() * 100, res.get("buckets").get("8k+").asDouble(), 0.006);
            assertTrue(out.toString().contains("| " + strategy + " | "), out.toString());
        }
        assertTrue(out.toString().contains("| hotpotqa | all | 0-4k | 4-8k | 8k+ |"), out.toString());
        assertEquals(3, Files.readString(svg).split("<polyline").length - 1);
        // Again with each sample's plain prediction as its answer: plain now scores 100 everywhere.
        JsonNode plainRows = r.get("results").get("plain").get("rows");
        List<String> again = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            var row = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(lines.get(i));
            row.putArray("answers").add(plainRows.get(i).get("pred").asText());
            again.add(mapper.writeValueAsString(row));
        }
        Files.write(data, again);
        assertEquals(0, run("eval", "longbench", "--model", zoo.resolve("llama").toString(), "--data", data.toString(),
                "--task", "hotpotqa", "--max-tokens", "8", "--out", json.toString()), err.toString());
        JsonNode self = mapper.readTree(json.toFile()).get("results").get("plain");
        assertEquals(100.0, self.get("score").asDouble(), 0, self.toString());
        assertEquals(100.0, self.get("buckets").get("4-8k").asDouble(), 0);
        // Bad input: one line each.
        assertEquals(2, run("eval", "longbench", "--model", zoo.resolve("llama").toString(), "--data", data.toString(),
                "--task", "mmlu", "--out", json.toString()));
        assertTrue(err.toString().contains("unknown LongBench task 'mmlu'"), err.toString());
        Files.writeString(data, "{\"input\": 3}\n");
        assertEquals(1, run("eval", "longbench", "--model", zoo.resolve("llama").toString(), "--data", data.toString(),
                "--task", "hotpotqa", "--out", json.toString()));
        assertTrue(err.toString().contains("hotpotqa.jsonl line 1: 'input' must be a string"), err.toString());
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
        assertEquals(2, run("eval", "passkey", "--model", zoo.resolve("mamba").toString(), "--prompts", prompts.toString(),
                "--strategy", "oprm", "--idk-instruction", "Say so.", "--out", tmp.resolve("x.json").toString()));
        assertTrue(err.toString().contains("token ids"), err.toString());
        assertEquals(2, run("eval", "passkey", "--model", zoo.resolve("mamba").toString(), "--prompts", prompts.toString()));
        assertEquals(2, run("eval"));
        assertEquals(1, run("eval", "perplexity", "--model", zoo.resolve("llama").toString(), "--text",
                tmp.resolve("missing.txt").toString(), "--lengths", "8", "--out", tmp.resolve("y.json").toString()));
        assertTrue(err.toString().contains("text file not found"), err.toString());
    }
}
