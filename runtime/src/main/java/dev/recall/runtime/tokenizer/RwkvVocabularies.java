package dev.recall.runtime.tokenizer;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.gguf.GgufFile;
import dev.recall.runtime.io.gguf.GgufFile.ValueType;
import dev.recall.runtime.io.gguf.GgufWriter.Value;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The RWKV "world" vocabulary as GGUF stores it ({@code tokenizer.ggml.model = "rwkv"}, llama.cpp's
 * {@code _set_vocab_rwkv_world}): id 0 is {@code <s>} (control), each other token is the text of
 * Python's {@code repr} of its bytes without the {@code b'…'} (so {@code \xff}, {@code \n}, {@code \\}
 * and {@code \'} are escapes, and every token is valid UTF-8), padded with {@code [PADi]} (unused)
 * to the vocabulary size.
 */
public final class RwkvVocabularies {

    private RwkvVocabularies() {
    }

    /** The tokenizer of a GGUF file whose tokenizer model is "rwkv". */
    static Tokenizer fromGguf(GgufFile file, List<String> tokens, int[] types) {
        byte[][] bytes = new byte[tokens.size()][];
        for (int id = 1; id < tokens.size(); id++) {
            if (types[id] == SpmTokenizer.NORMAL || types[id] == SpmTokenizer.USER_DEFINED) {
                bytes[id] = unescape(tokens.get(id), file);
            }
        }
        return RwkvWorldTokenizer.of(bytes);
    }

    /** The metadata for a model directory's RWKV vocabulary file, or null when it has none. */
    public static Map<String, Value> ggufMetadata(Path modelDir, int vocabSize) {
        Path file = dev.recall.runtime.io.ModelFiles.file(modelDir, Tokenizers.RWKV_WORLD_VOCAB);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        byte[][] vocabulary = RwkvWorldTokenizer.readVocabulary(file);
        List<String> tokens = new ArrayList<>();
        List<Long> types = new ArrayList<>();
        tokens.add("<s>");
        types.add((long) SpmTokenizer.CONTROL);
        for (int id = 1; id < Math.max(vocabSize, vocabulary.length); id++) {
            boolean present = id < vocabulary.length && vocabulary[id] != null;
            tokens.add(present ? repr(vocabulary[id]) : "[PAD" + id + "]");
            types.add((long) (present ? SpmTokenizer.NORMAL : SpmTokenizer.UNUSED));
        }
        Map<String, Value> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", Value.string("rwkv"));
        m.put("tokenizer.ggml.tokens", Value.array(ValueType.STRING, tokens));
        m.put("tokenizer.ggml.token_type", Value.array(ValueType.INT32, types));
        return m;
    }

    /** Python's repr of bytes without the surrounding b'…' (or b"…"). */
    static String repr(byte[] bytes) {
        boolean single = false;
        boolean dbl = false;
        for (byte b : bytes) {
            single |= b == '\'';
            dbl |= b == '"';
        }
        char quote = single && !dbl ? '"' : '\'';
        StringBuilder s = new StringBuilder();
        for (byte x : bytes) {
            int b = x & 0xFF;
            if (b == quote || b == '\\') {
                s.append('\\').append((char) b);
            } else if (b == '\t') {
                s.append("\\t");
            } else if (b == '\n') {
                s.append("\\n");
            } else if (b == '\r') {
                s.append("\\r");
            } else if (b < 0x20 || b >= 0x7f) {
                s.append(String.format("\\x%02x", b));
            } else {
                s.append((char) b);
            }
        }
        return s.toString();
    }

    /** The bytes a token's escaped text stands for (llama.cpp's llama_unescape_rwkv_token). */
    static byte[] unescape(String text, GgufFile file) {
        byte[] in = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        for (int i = 0; i < in.length; i++) {
            if (in[i] != '\\' || i + 1 >= in.length) {
                out.write(in[i]);
                continue;
            }
            byte c = in[++i];
            switch (c) {
                case 't' -> out.write('\t');
                case 'n' -> out.write('\n');
                case 'r' -> out.write('\r');
                case 'x' -> {
                    if (i + 2 >= in.length) {
                        throw new RecallException(file.path().getFileName() + ": RWKV token '" + text + "' ends in a cut \\x escape");
                    }
                    try {
                        out.write(Integer.parseInt(new String(in, i + 1, 2, StandardCharsets.US_ASCII), 16));
                    } catch (RuntimeException e) {
                        throw new RecallException(file.path().getFileName() + ": RWKV token '" + text + "' has a bad \\x escape");
                    }
                    i += 2;
                }
                default -> out.write(c);
            }
        }
        return out.toByteArray();
    }
}
