package dev.recall.runtime.tokenizer;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Finding tokenizer files, and clear errors for missing, malformed or unsupported ones. */
class TokenizerLoadingTest {

    private static final String MINIMAL = """
            {"added_tokens": [{"id": 3, "content": "<s>", "special": true, "normalized": false,
                               "lstrip": false, "rstrip": false, "single_word": false}],
             "normalizer": %s,
             "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
             "post_processor": null,
             "decoder": {"type": "ByteLevel"},
             "model": {"type": "%s", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": %s}}
            """;

    private static Path write(Path dir, String json) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, json);
        return file;
    }

    @Test
    void loadsDirectoryAndFileAndBothMergeForms(@TempDir Path dir) throws IOException {
        write(dir, MINIMAL.formatted("null", "BPE", "[\"a b\"]"));
        Tokenizer fromDir = Tokenizers.load(dir);
        assertArrayEquals(new int[] {2, 0, 3, 2}, fromDir.encode("aba<s>ab"));
        assertEquals("aba<s>ab", fromDir.decode(new int[] {2, 0, 3, 2}));
        assertEquals("abaab", fromDir.decode(new int[] {2, 0, 3, 2}, true));
        assertEquals(4, fromDir.vocabSize());
        assertEquals("<s>", fromDir.idToToken(3));
        assertEquals(2, fromDir.tokenToId("ab").orElseThrow());

        Path file = write(dir, MINIMAL.formatted("null", "BPE", "[[\"a\", \"b\"]]"));
        assertArrayEquals(new int[] {2, 0, 3, 2}, Tokenizers.load(file).encode("aba<s>ab"));
    }

    @Test
    void missingTokenizerIsAClearError(@TempDir Path dir) {
        RecallException e = assertThrows(RecallException.class, () -> Tokenizers.load(dir));
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("rwkv_vocab_v20230424.txt"),
                e.getMessage());
        assertThrows(RecallException.class, () -> Tokenizers.load(dir.resolve("nothing.json")));
    }

    @Test
    void unsupportedComponentsAreNamed(@TempDir Path dir) throws IOException {
        write(dir, MINIMAL.formatted("null", "Unigram", "[]"));
        RecallException e = assertThrows(RecallException.class, () -> Tokenizers.load(dir));
        assertTrue(e.getMessage().contains("'Unigram'"), e.getMessage());

        write(dir, MINIMAL.formatted("{\"type\": \"BertNormalizer\"}", "BPE", "[]"));
        e = assertThrows(RecallException.class, () -> Tokenizers.load(dir));
        assertTrue(e.getMessage().contains("'BertNormalizer'"), e.getMessage());
    }

    @Test
    void malformedFilesAreClearErrors(@TempDir Path dir) throws IOException {
        write(dir, "{\"model\": ");
        assertThrows(RecallException.class, () -> Tokenizers.load(dir));

        write(dir, MINIMAL.formatted("null", "BPE", "[\"a c\"]"));
        RecallException e = assertThrows(RecallException.class, () -> Tokenizers.load(dir));
        assertTrue(e.getMessage().contains("merge 1"), e.getMessage());

        write(dir, MINIMAL.formatted("null", "BPE", "[\"a b c\"]"));
        e = assertThrows(RecallException.class, () -> Tokenizers.load(dir));
        assertTrue(e.getMessage().contains("merge 1"), e.getMessage());
    }

    @Test
    void everyZooModelTokenizerLoads() throws IOException {
        Path zoo = SharedData.zoo();
        int loaded = 0;
        try (var dirs = Files.list(zoo)) {
            for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
                if (!Files.exists(dir.resolve("tokenizer.json"))) {
                    continue;
                }
                Tokenizer tokenizer = Tokenizers.load(dir);
                assertEquals(4096, tokenizer.vocabSize(), dir.toString());
                String text = "The pass key is 71432. Remember it.";
                assertEquals(text, tokenizer.decode(tokenizer.encode(text)), dir.toString());
                assertEquals(0, tokenizer.tokenToId("<|endoftext|>").orElseThrow());
                loaded++;
            }
        }
        assertEquals(4, loaded, "zoo models with a tokenizer.json");
    }
}
