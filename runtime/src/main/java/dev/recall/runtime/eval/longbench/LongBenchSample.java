package dev.recall.runtime.eval.longbench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.IoErrors;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One line of a LongBench JSONL file: the fields the harness reads ({@code input}, {@code context},
 * {@code answers}, {@code all_classes}, {@code length}; others such as {@code dataset} and
 * {@code _id} are ignored). {@code length} is LongBench's own measure (words, or characters for
 * Chinese), which its buckets use.
 */
public record LongBenchSample(String input, String context, List<String> answers, List<String> allClasses, int length) {

    public LongBenchSample {
        answers = List.copyOf(answers);
        allClasses = List.copyOf(allClasses);
    }

    /** Reads every line (blank lines skipped); each problem is one sentence naming the line. */
    public static List<LongBenchSample> read(Path file) {
        ObjectMapper json = new ObjectMapper();
        List<LongBenchSample> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int number = 0;
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = json.readTree(line);
                } catch (IOException e) {
                    throw new RecallException(file.getFileName() + " line " + number + " is not JSON: "
                            + IoErrors.describe(e));
                }
                out.add(parse(node, file.getFileName() + " line " + number));
            }
        } catch (NoSuchFileException e) {
            throw new RecallException("LongBench data file not found: " + file);
        } catch (IOException e) {
            throw new RecallException("cannot read " + file + ": " + IoErrors.describe(e), e);
        }
        if (out.isEmpty()) {
            throw new RecallException(file + " holds no samples");
        }
        return out;
    }

    static LongBenchSample parse(JsonNode node, String where) {
        if (node == null || !node.isObject()) {
            throw new RecallException(where + " is not a JSON object");
        }
        return new LongBenchSample(text(node, "input", where), text(node, "context", where),
                strings(node, "answers", where, false), strings(node, "all_classes", where, true), length(node, where));
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new RecallException(where + ": '" + field + "' must be a string");
        }
        return v.asText();
    }

    private static List<String> strings(JsonNode node, String field, String where, boolean nullable) {
        JsonNode v = node.get(field);
        if (nullable && (v == null || v.isNull())) {
            return List.of();
        }
        if (v == null || !v.isArray() || (!nullable && v.isEmpty())) {
            throw new RecallException(where + ": '" + field + "' must be a " + (nullable ? "list of strings or null"
                    : "non-empty list of strings"));
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw new RecallException(where + ": '" + field + "' must hold strings only");
            }
            out.add(e.asText());
        }
        return out;
    }

    private static int length(JsonNode node, String where) {
        JsonNode v = node.get("length");
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
            throw new RecallException(where + ": 'length' must be a whole number ≥ 0");
        }
        return v.asInt();
    }
}
