package dev.recall.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every string of golden_encodings.json must encode and decode exactly as tokenizers 0.23.2 did. */
class GoldenTokenizerTest {

    private static JsonNode golden() throws IOException {
        return new ObjectMapper().readTree(SharedData.resource("tokenizers/golden_encodings.json").toFile());
    }

    private static final Map<String, Tokenizer> LOADED = new ConcurrentHashMap<>();

    /** Each reference tokenizer, loaded once for all tests (Gemma's vocabulary takes a while). */
    static Tokenizer tokenizer(String name) {
        return LOADED.computeIfAbsent(name, n -> Tokenizers.load(tokenizerFile(n)));
    }

    private static Path tokenizerFile(String name) {
        Path dir = SharedData.resource("tokenizers");
        Path plain = dir.resolve(name + ".tokenizer.json");
        return Files.exists(plain) ? plain : dir.resolve(name + ".tokenizer.json.gz");
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "brown-bpe", "llama2", "gemma3"})
    void matchesReferenceEncodings(String name) throws IOException {
        JsonNode entries = golden().path("tokenizers").path(name);
        assertEquals(24, entries.size(), "golden entries for " + name);
        Tokenizer tokenizer = tokenizer(name);
        List<String> failures = new ArrayList<>();
        for (JsonNode entry : entries) {
            String text = entry.get("text").asText();
            int[] ids = ints(entry.get("ids"));
            int[] withSpecial = ints(entry.get("ids_with_special"));
            String decoded = entry.get("decoded").asText();
            int[] actual = tokenizer.encode(text);
            if (!java.util.Arrays.equals(ids, actual)) {
                failures.add("encode " + quote(text) + ": expected " + java.util.Arrays.toString(ids)
                        + " got " + java.util.Arrays.toString(actual));
            }
            int[] actualSpecial = tokenizer.encodeWithSpecialTokens(text);
            if (!java.util.Arrays.equals(withSpecial, actualSpecial)) {
                failures.add("encodeWithSpecialTokens " + quote(text) + ": expected "
                        + java.util.Arrays.toString(withSpecial) + " got " + java.util.Arrays.toString(actualSpecial));
            }
            // The reference decoded the plain ids with skip_special_tokens.
            String actualDecoded = tokenizer.decode(ids, true);
            if (!decoded.equals(actualDecoded)) {
                failures.add("decode " + quote(text) + ": expected " + quote(decoded) + " got " + quote(actualDecoded));
            }
            assertEquals(decoded, tokenizer.decode(withSpecial, true), "decode with special tokens skipped");
        }
        assertTrue(failures.isEmpty(), name + ": " + failures.size() + " mismatches:\n" + String.join("\n", failures));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "brown-bpe", "llama2", "gemma3"})
    void streamingDecodeReproducesFullDecode(String name) throws IOException {
        Tokenizer tokenizer = tokenizer(name);
        for (JsonNode entry : golden().path("tokenizers").path(name)) {
            int[] ids = ints(entry.get("ids"));
            Tokenizer.StreamDecoder stream = tokenizer.streamDecoder();
            StringBuilder sb = new StringBuilder();
            for (int id : ids) {
                String piece = stream.push(id);
                assertFalse(piece.contains("\uFFFD") && !entry.get("decoded").asText().contains("\uFFFD"),
                        "a partial character leaked from the stream for " + quote(entry.get("text").asText()));
                sb.append(piece);
            }
            sb.append(stream.flush());
            assertEquals(entry.get("decoded").asText(), sb.toString(), name + " stream of " + quote(entry.get("text").asText()));
        }
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp == 0x7F) {
                sb.append(String.format("\\x%02x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.append('"').toString();
    }
}
