package dev.recall.runtime.tokenizer;

import dev.recall.runtime.io.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The RWKV world vocabulary through GGUF: a vocabulary file written as llama.cpp's converter writes
 * it (tokens as Python bytes reprs) and read back tokenizes exactly as the file itself, including
 * tokens with quotes, backslashes, control characters and bytes that are not UTF-8 on their own.
 */
class RwkvVocabulariesTest {

    @TempDir
    Path tmp;

    @Test
    void reprMatchesPythonsBytesRepr() {
        assertEquals("abc", RwkvVocabularies.repr("abc".getBytes(StandardCharsets.UTF_8)));
        assertEquals("\\xff\\x00\\n\\t\\r\\\\", RwkvVocabularies.repr(new byte[] {(byte) 0xff, 0, '\n', '\t', '\r', '\\'}));
        assertEquals("it's", RwkvVocabularies.repr("it's".getBytes(StandardCharsets.UTF_8)), "b\"it's\": no escape");
        assertEquals("\\'\"", RwkvVocabularies.repr("'\"".getBytes(StandardCharsets.UTF_8)), "b'\\'\"'");
        assertEquals("\\xe4\\xb8\\xad", RwkvVocabularies.repr("中".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aVocabularyWrittenAsGgufTokenizesAsTheFile() throws Exception {
        String vocab = String.join("\n",
                "1 b'\\x00' 1", "2 b'\\xe4' 1", "3 b'\\xb8' 1", "4 b'\\xad' 1", "5 ' ' 1", "6 'a' 1", "7 'b' 1",
                "8 'ab' 2", "9 ' ab' 3", "10 '中' 3", "11 \"it's\" 4", "12 '\\\\' 1", "13 '\\n' 1", "14 b'\\xe4\\xb8' 2",
                "15 'i' 1", "16 't' 1", "17 's' 1", "18 \"'\" 1", "19 '\"' 1") + "\n";
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(Tokenizers.RWKV_WORLD_VOCAB), vocab);
        Tokenizer direct = Tokenizers.load(dir);

        Map<String, GgufWriter.Value> metadata = RwkvVocabularies.ggufMetadata(dir, 24);
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufWriter.Value.string("rwkv6"));
        metadata.forEach(w::put);
        Path gguf = tmp.resolve("vocab.gguf");
        try (OutputStream out = Files.newOutputStream(gguf)) {
            w.write(out);
        }
        Tokenizer viaGguf = Tokenizers.forModel(gguf);
        for (String text : new String[] {"ab ab", "中中 it's", "\\\n\u0000ab", "'\"it's\"'", "bits"}) {
            assertArrayEquals(direct.encode(text), viaGguf.encode(text), text);
            assertEquals(direct.decode(direct.encode(text)), viaGguf.decode(viaGguf.encode(text)), text);
        }
        assertEquals(24, viaGguf.vocabSize(), "padded to the vocabulary size");
    }
}
