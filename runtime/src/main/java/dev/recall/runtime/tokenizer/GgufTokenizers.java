package dev.recall.runtime.tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.gguf.GgufFile;

import java.util.List;
import java.util.Map;

/**
 * The tokenizer stored in a GGUF file's {@code tokenizer.ggml.*} metadata, read as llama.cpp's
 * {@code llama_vocab} reads it:
 * <ul>
 *   <li>{@code gpt2}: byte-level BPE. The vocabulary and merges go through the same pipeline as a
 *       tokenizer.json (Recall's Hugging Face implementation), with the pre-tokenizer regexes
 *       llama.cpp uses for the file's {@code tokenizer.ggml.pre} (src/llama-vocab.cpp), applied one
 *       after another as a sequence of isolating splits, then the byte-level mapping.</li>
 *   <li>{@code llama}: SentencePiece-style merging by score ({@link SpmTokenizer}).</li>
 * </ul>
 * Control tokens are special (their text is matched only when special text is parsed),
 * user-defined tokens are always matched, as llama.cpp does.
 */
public final class GgufTokenizers {

    private GgufTokenizers() {
    }

    /** The regexes of the {@code tokenizer.ggml.pre} values Recall supports, from llama.cpp's llama-vocab.cpp. */
    private static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    private static final String LLAMA3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final Map<String, List<String>> PRE = Map.ofEntries(
            Map.entry("default", List.of("[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2, "\\p{N}+", "[0-9][0-9][0-9]")),
            Map.entry("gpt-2", List.of(GPT2)),
            Map.entry("phi-2", List.of(GPT2)),
            Map.entry("mpt", List.of(GPT2)),
            Map.entry("olmo", List.of(GPT2)),
            Map.entry("llama3", List.of(LLAMA3)),
            Map.entry("llama-v3", List.of(LLAMA3)),
            Map.entry("llama-bpe", List.of(LLAMA3)),
            Map.entry("falcon3", List.of(LLAMA3)),
            Map.entry("dbrx", List.of(LLAMA3)),
            Map.entry("smaug-bpe", List.of(LLAMA3)),
            Map.entry("qwen2", List.of(QWEN2)),
            Map.entry("deepseek-r1-qwen", List.of(QWEN2)),
            Map.entry("stablelm2", List.of(QWEN2)),
            Map.entry("falcon", List.of("[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2, "[0-9][0-9][0-9]")),
            Map.entry("starcoder", List.of("\\p{N}", GPT2)),
            Map.entry("refact", List.of("\\p{N}", GPT2)),
            Map.entry("smollm", List.of("\\p{N}", GPT2)),
            Map.entry("deepseek-llm", List.of("[\r\n]",
                    "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\uD801\uDC00-\uD801\uDC4F\uD801\uDCB0-\uD801\uDCD3\uD801\uDCD8-\uD801\uDCFB\uD803\uDC80-\uD803\uDCB2\uD803\uDCC0-\uD803\uDCF2\uD806\uDCA0-\uD806\uDCDF\uD83A\uDD00-\uD83A\uDD43]+",
                    "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+",
                    "\\s+$",
                    "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+",
                    "\\p{N}+")),
            Map.entry("deepseek-coder", List.of("[\r\n]",
                    "\\s?\\p{L}+",
                    "\\s?\\p{P}+",
                    "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+",
                    "\\p{N}")));
    /** Pre-tokenizers whose whole words are looked up before merging (llama.cpp's ignore_merges). */
    private static final List<String> IGNORE_MERGES = List.of("llama3", "llama-v3", "llama-bpe", "falcon3");

    /** Whether the file carries a tokenizer. */
    public static boolean present(GgufFile file) {
        String model = file.string("tokenizer.ggml.model", "none");
        return !model.equals("none") && !model.equals("no_vocab");
    }

    /** The file's tokenizer, or one sentence saying why it cannot be used. */
    public static Tokenizer load(GgufFile file) {
        String where = file.path().getFileName().toString();
        String model = file.string("tokenizer.ggml.model");
        List<String> tokens = file.array("tokenizer.ggml.tokens", String.class);
        int n = tokens.size();
        int[] types = new int[n];
        if (file.has("tokenizer.ggml.token_type")) {
            List<Long> t = file.array("tokenizer.ggml.token_type", Long.class);
            if (t.size() != n) {
                throw new RecallException(where + ": tokenizer.ggml.token_type has " + t.size() + " entries for " + n + " tokens");
            }
            for (int i = 0; i < n; i++) {
                types[i] = (int) (long) t.get(i);
            }
        } else {
            java.util.Arrays.fill(types, SpmTokenizer.NORMAL);
        }
        int bos = tokenId(file, "tokenizer.ggml.bos_token_id", n);
        int eos = tokenId(file, "tokenizer.ggml.eos_token_id", n);
        int unknown = tokenId(file, "tokenizer.ggml.unknown_token_id", n);
        return switch (model) {
            case "llama" -> {
                List<Float> s = file.array("tokenizer.ggml.scores", Float.class);
                if (s.size() != n) {
                    throw new RecallException(where + ": tokenizer.ggml.scores has " + s.size() + " entries for " + n + " tokens");
                }
                float[] scores = new float[n];
                for (int i = 0; i < n; i++) {
                    scores[i] = s.get(i);
                }
                yield new SpmTokenizer(tokens.toArray(String[]::new), scores, types, bos, eos, unknown,
                        file.bool("tokenizer.ggml.add_bos_token", true), file.bool("tokenizer.ggml.add_eos_token", false),
                        file.bool("tokenizer.ggml.add_space_prefix", true));
            }
            case "gpt2" -> bytePairs(file, where, tokens, types, bos, eos, false);
            case "gemma4" -> bytePairs(file, where, tokens, types, bos, eos, true);
            case "rwkv" -> RwkvVocabularies.fromGguf(file, tokens, types);
            default -> throw new RecallException(where + " has a '" + model + "' tokenizer, which Recall does not support"
                    + " (supported: gpt2 byte-level BPE with the pre-tokenizers " + String.join(", ", new java.util.TreeSet<>(PRE.keySet()))
                    + "; llama SentencePiece; gemma4; rwkv world)");
        };
    }

    /**
     * Byte-pair merging: byte-level (gpt2) or, for gemma4, SentencePiece-style BPE over raw UTF-8
     * with spaces as "▁", split only at newlines, bytes of unknown characters as {@code <0xXX>}.
     */
    private static Tokenizer bytePairs(GgufFile file, String where, List<String> tokens, int[] types, int bos, int eos,
                                       boolean sentencePiece) {
        String pre = sentencePiece ? "gemma4" : file.string("tokenizer.ggml.pre", "default");
        List<String> regexes = sentencePiece ? List.of("[^\n]+|[\n]+") : PRE.get(pre);
        if (regexes == null) {
            throw new RecallException(where + " uses the pre-tokenizer '" + pre + "', which Recall does not support"
                    + " (supported: " + String.join(", ", new java.util.TreeSet<>(PRE.keySet())) + ")");
        }
        JsonNodeFactory json = JsonNodeFactory.instance;
        ObjectNode root = json.objectNode();
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.put("ignore_merges", IGNORE_MERGES.contains(pre));
        ObjectNode vocab = model.putObject("vocab");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < tokens.size(); i++) {
            vocab.put(tokens.get(i), i);
            if (types[i] == SpmTokenizer.CONTROL || types[i] == SpmTokenizer.USER_DEFINED || types[i] == SpmTokenizer.UNKNOWN) {
                ObjectNode t = added.addObject();
                t.put("id", i);
                t.put("content", tokens.get(i));
                t.put("special", types[i] != SpmTokenizer.USER_DEFINED);
                t.put("normalized", false);
            }
        }
        ArrayNode merges = model.putArray("merges");
        for (String m : file.array("tokenizer.ggml.merges", String.class)) {
            merges.add(m);
        }
        ObjectNode preTokenizer = root.putObject("pre_tokenizer");
        preTokenizer.put("type", "Sequence");
        ArrayNode steps = preTokenizer.putArray("pretokenizers");
        for (String regex : regexes) {
            ObjectNode split = steps.addObject();
            split.put("type", "Split");
            split.putObject("pattern").put("Regex", regex);
            split.put("behavior", "Isolated");
            split.put("invert", false);
        }
        if (sentencePiece) {
            ObjectNode normalizer = root.putObject("normalizer");
            normalizer.put("type", "Replace");
            normalizer.putObject("pattern").put("String", " ");
            normalizer.put("content", "\u2581");
            model.put("byte_fallback", true);
            ObjectNode decoder = root.putObject("decoder");
            decoder.put("type", "Sequence");
            ArrayNode chain = decoder.putArray("decoders");
            ObjectNode replace = chain.addObject();
            replace.put("type", "Replace");
            replace.putObject("pattern").put("String", "\u2581");
            replace.put("content", " ");
            chain.addObject().put("type", "ByteFallback");
            chain.addObject().put("type", "Fuse");
        } else {
            ObjectNode byteLevel = steps.addObject();
            byteLevel.put("type", "ByteLevel");
            byteLevel.put("add_prefix_space", false);
            byteLevel.put("use_regex", false);
            root.putObject("decoder").put("type", "ByteLevel");
        }
        boolean addBos = file.bool("tokenizer.ggml.add_bos_token", IGNORE_MERGES.contains(pre) || sentencePiece) && bos >= 0;
        boolean addEos = file.bool("tokenizer.ggml.add_eos_token", false) && eos >= 0;
        if (addBos || addEos) {
            ObjectNode post = root.putObject("post_processor");
            post.put("type", "TemplateProcessing");
            ArrayNode single = post.putArray("single");
            ObjectNode specials = post.putObject("special_tokens");
            if (addBos) {
                single.addObject().putObject("SpecialToken").put("id", "bos");
                specials.putObject("bos").putArray("ids").add(bos);
            }
            single.addObject().putObject("Sequence").put("id", "A");
            if (addEos) {
                single.addObject().putObject("SpecialToken").put("id", "eos");
                specials.putObject("eos").putArray("ids").add(eos);
            }
        }
        return TokenizerJson.fromTree(file.path(), root);
    }

    private static int tokenId(GgufFile file, String key, int n) {
        if (!file.has(key)) {
            return -1;
        }
        long id = file.integer(key);
        if (id < 0 || id >= n) {
            throw new RecallException(file.path().getFileName() + ": " + key + " is " + id + ", outside the "
                    + n + "-token vocabulary");
        }
        return (int) id;
    }
}
