package dev.recall.runtime.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.IoErrors;
import dev.recall.runtime.strategy.Prompt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One line of passkey_prompts.jsonl: the prompt as token ids ({@code prompt_ids}), its
 * {@code prefix_ids} and {@code query_ids} parts (the context is what lies between), and the
 * needle's {@code key}, {@code length} and {@code depth}.
 */
public record PasskeyPrompt(int length, double depth, String key, int[] promptIds, int[] prefixIds, int[] queryIds) {

    /** The IDK answer of the zoo's reference table (shared/spec/long-context.md: the first token of " unknown."). */
    public static final String IDK_ANSWER = " unknown.";

    public PasskeyPrompt {
        int p = prefixIds.length, q = queryIds.length, n = promptIds.length;
        if (p + q > n || !Arrays.equals(promptIds, 0, p, prefixIds, 0, p)
                || !Arrays.equals(promptIds, n - q, n, queryIds, 0, q)) {
            throw new RecallException("pass-key prompt (length " + length + ", depth " + depth
                    + "): prefix_ids and query_ids are not the start and end of prompt_ids");
        }
    }

    /** prefix / context / query as a strategy sees them. */
    public Prompt prompt() {
        return new Prompt(prefixIds, Arrays.copyOfRange(promptIds, prefixIds.length, promptIds.length - queryIds.length), queryIds);
    }

    public static List<PasskeyPrompt> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new RecallException("pass-key prompt file not found: " + file);
        }
        ObjectMapper json = new ObjectMapper();
        List<PasskeyPrompt> prompts = new ArrayList<>();
        try {
            int lineNo = 0;
            for (String line : Files.readAllLines(file)) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = json.readTree(line);
                for (String field : List.of("length", "depth", "key", "prompt_ids", "prefix_ids", "query_ids")) {
                    if (!n.has(field)) {
                        throw new RecallException(file + " line " + lineNo + ": missing field '" + field + "'");
                    }
                }
                prompts.add(new PasskeyPrompt(n.get("length").asInt(), n.get("depth").asDouble(), n.get("key").asText(),
                        ints(n.get("prompt_ids")), ints(n.get("prefix_ids")), ints(n.get("query_ids"))));
            }
        } catch (IOException e) {
            throw new RecallException("cannot read pass-key prompts " + file + ": " + IoErrors.describe(e));
        }
        if (prompts.isEmpty()) {
            throw new RecallException("pass-key prompt file " + file + " holds no prompts");
        }
        return prompts;
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
