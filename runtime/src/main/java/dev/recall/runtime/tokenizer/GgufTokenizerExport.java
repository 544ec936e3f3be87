package dev.recall.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.IoErrors;
import dev.recall.runtime.io.gguf.GgufFile.ValueType;
import dev.recall.runtime.io.gguf.GgufWriter.Value;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * A model directory's tokenizer as GGUF metadata, the way llama.cpp's converter writes it
 * ({@code _set_vocab_gpt2} in conversion/base.py): for a byte-level BPE tokenizer.json, the tokens
 * by id ({@code [PADi]} for ids without one, as UNUSED), their types (special added tokens CONTROL,
 * other added tokens USER_DEFINED), the merges, and the pre-tokenizer name llama.cpp knows its
 * regex by. Anything else is written as {@code tokenizer.ggml.model = "none"}, which llama.cpp
 * loads as a model without a vocabulary; the caller says so.
 */
public final class GgufTokenizerExport {

    private GgufTokenizerExport() {
    }

    /** Hugging Face's regexes of the pre-tokenizers llama.cpp names (their tokenizer.json spelling). */
    private static final Map<String, String> PRE_BY_REGEX = Map.of(
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+", "llama-bpe",
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+", "qwen2");

    /** The outcome: metadata to write, and why the tokenizer was left out when it was. */
    public record Export(Map<String, Value> metadata, String omitted) {
    }

    public static Export of(Path modelDir, int vocabSize, List<Integer> eosIds, int bosId) {
        Map<String, Value> m = new LinkedHashMap<>();
        Path file = dev.recall.runtime.io.ModelFiles.file(modelDir, "tokenizer.json");
        Path gz = dev.recall.runtime.io.ModelFiles.file(modelDir, "tokenizer.json.gz");
        if (!Files.isRegularFile(file) && !Files.isRegularFile(gz)) {
            m.put("tokenizer.ggml.model", Value.string("none"));
            return new Export(m, "the model directory has no tokenizer.json");
        }
        JsonNode root;
        try (InputStream raw = Files.newInputStream(Files.isRegularFile(file) ? file : gz);
             InputStream in = Files.isRegularFile(file) ? raw : new GZIPInputStream(raw)) {
            root = new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new RecallException("cannot read the tokenizer of " + modelDir + ": " + IoErrors.describe(e), e);
        }
        String pre = preTokenizer(root.path("pre_tokenizer"));
        JsonNode model = root.path("model");
        if (pre == null || !model.path("type").asText("BPE").equals("BPE") || !model.path("vocab").isObject()) {
            m.put("tokenizer.ggml.model", Value.string("none"));
            return new Export(m, "its tokenizer is not a byte-level BPE that llama.cpp names");
        }
        String[] tokens = new String[vocabSize];
        long[] types = new long[vocabSize];
        model.path("vocab").fields().forEachRemaining(e -> {
            int id = e.getValue().asInt(-1);
            if (id >= 0 && id < vocabSize) {
                tokens[id] = e.getKey();
                types[id] = 1;
            }
        });
        for (JsonNode t : root.path("added_tokens")) {
            int id = t.path("id").asInt(-1);
            if (id >= 0 && id < vocabSize) {
                tokens[id] = t.path("content").asText();
                types[id] = t.path("special").asBoolean(false) ? 3 : 4;
            }
        }
        List<String> tokenList = new ArrayList<>(vocabSize);
        List<Long> typeList = new ArrayList<>(vocabSize);
        for (int i = 0; i < vocabSize; i++) {
            tokenList.add(tokens[i] == null ? "[PAD" + i + "]" : tokens[i]);
            typeList.add(tokens[i] == null ? 5L : types[i]);
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode merge : model.path("merges")) {
            merges.add(merge.isArray() ? merge.get(0).asText() + " " + merge.get(1).asText() : merge.asText());
        }
        m.put("tokenizer.ggml.model", Value.string("gpt2"));
        m.put("tokenizer.ggml.pre", Value.string(pre));
        m.put("tokenizer.ggml.tokens", Value.array(ValueType.STRING, tokenList));
        m.put("tokenizer.ggml.token_type", Value.array(ValueType.INT32, typeList));
        m.put("tokenizer.ggml.merges", Value.array(ValueType.STRING, merges));
        if (bosId >= 0 && bosId < vocabSize) {
            m.put("tokenizer.ggml.bos_token_id", Value.u32(bosId));
        }
        if (!eosIds.isEmpty() && eosIds.getFirst() >= 0 && eosIds.getFirst() < vocabSize) {
            m.put("tokenizer.ggml.eos_token_id", Value.u32(eosIds.getFirst()));
        }
        return new Export(m, null);
    }

    /** llama.cpp's name for a tokenizer.json pre-tokenizer, or null when it has none. */
    private static String preTokenizer(JsonNode n) {
        String type = n.path("type").asText("");
        if (type.equals("ByteLevel")) {
            return n.path("use_regex").asBoolean(true) ? "gpt-2" : null;
        }
        if (type.equals("Sequence") && n.path("pretokenizers").size() == 2) {
            JsonNode split = n.path("pretokenizers").get(0);
            JsonNode byteLevel = n.path("pretokenizers").get(1);
            if (split.path("type").asText().equals("Split") && byteLevel.path("type").asText().equals("ByteLevel")
                    && !byteLevel.path("use_regex").asBoolean(true)) {
                return PRE_BY_REGEX.get(split.path("pattern").path("Regex").asText());
            }
        }
        return null;
    }
}
