package dev.recall.runtime.tokenizer;

import dev.recall.runtime.RecallException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The RWKV world tokenizer on a small hand-written vocabulary in the official file format. */
class RwkvWorldTokenizerTest {

    /** Ids, Python literals (str and bytes, with escapes) and byte lengths, as in rwkv_vocab_v20230424.txt. */
    private static final String VOCAB = String.join("\n",
            "1 'a' 1",
            "2 'b' 1",
            "3 'ab' 2",
            "4 'abc' 3",
            "5 '\\n' 1",
            "6 b'\\xe4\\xb8' 2",
            "7 b'\\xad' 1",
            "8 '中' 3",
            "9 \"it's\" 4",
            "10 '\\\\' 1",
            "11 ' ' 1",
            "12 'c' 1",
            "13 b'\\xf0\\x9f' 2",
            "14 b'\\x98\\x80' 2",
            "15 '\\u00e9t\\xe9' 5",
            "16 b'\\x80' 1",
            "17 'x y' 3",
            "18 '\\'' 1",
            "19 't' 1",
            "20 'i' 1",
            "21 's' 1",
            "22 'y' 1",
            "23 'x' 1",
            "");

    @TempDir
    static Path dir;
    private static Tokenizer tokenizer;

    @BeforeAll
    static void writeVocab() throws IOException {
        Files.writeString(dir.resolve(Tokenizers.RWKV_WORLD_VOCAB), VOCAB, StandardCharsets.UTF_8);
        tokenizer = Tokenizers.load(dir);
    }

    @Test
    void encodesByGreedyLongestMatchOnUtf8Bytes() {
        assertArrayEquals(new int[] {4, 3}, tokenizer.encode("abcab"));
        assertArrayEquals(new int[] {3, 11, 1}, tokenizer.encode("ab a"));
        // 中 = E4 B8 AD is a whole token; 一 = E4 B8 80 needs the two-byte prefix and a lone byte.
        assertArrayEquals(new int[] {8}, tokenizer.encode("中"));
        assertArrayEquals(new int[] {6, 16}, tokenizer.encode("一"));
        assertArrayEquals(new int[] {13, 14}, tokenizer.encode("😀"));
        assertArrayEquals(new int[] {9, 5, 10, 18}, tokenizer.encode("it's\n\\'"));
        assertArrayEquals(new int[] {15, 19, 17}, tokenizer.encode("ététx y"));
        assertArrayEquals(new int[] {20, 19, 18, 22}, tokenizer.encode("it'y"));
    }

    @Test
    void endOfTextIsIdZero() {
        assertArrayEquals(new int[] {1, 0, 2}, tokenizer.encode("a<|endoftext|>b"));
        assertEquals("a<|endoftext|>b", tokenizer.decode(new int[] {1, 0, 2}));
        assertEquals("ab", tokenizer.decode(new int[] {1, 0, 2}, true));
        assertArrayEquals(tokenizer.encode("ab"), tokenizer.encodeWithSpecialTokens("ab"));
    }

    @Test
    void decodeConcatenatesBytes() {
        assertEquals("一中😀", tokenizer.decode(new int[] {6, 16, 8, 13, 14}));
        assertEquals("\uFFFD", tokenizer.decode(new int[] {6}));
        assertEquals("été", tokenizer.decode(new int[] {15}));
        for (String s : new String[] {"it's abc\n中一", "x y\\ét\u00e9t😀"}) {
            assertEquals(s, tokenizer.decode(tokenizer.encode(s)));
        }
    }

    @Test
    void vocabularyLookups() {
        assertEquals(24, tokenizer.vocabSize());
        assertEquals(8, tokenizer.tokenToId("中").orElseThrow());
        assertEquals(0, tokenizer.tokenToId("<|endoftext|>").orElseThrow());
        assertTrue(tokenizer.tokenToId("zzz").isEmpty());
        assertEquals("x y", tokenizer.idToToken(17));
    }

    @Test
    void streamHoldsPartialCharacters() {
        Tokenizer.StreamDecoder stream = tokenizer.streamDecoder();
        assertEquals("a", stream.push(1));
        assertEquals("", stream.push(13));
        assertEquals("😀", stream.push(14));
        assertEquals("", stream.push(6));
        assertEquals("一", stream.push(16));
        assertEquals("", stream.push(6));
        assertEquals("\uFFFD", stream.flush());
        // An impossible continuation is not held back.
        assertEquals("\uFFFDa", stream.push(7) + stream.push(1));
    }

    @Test
    void unencodableByteIsAClearError() {
        RecallException e = assertThrows(RecallException.class, () -> tokenizer.encode("q"));
        assertTrue(e.getMessage().contains("0x71"), e.getMessage());
    }

    @Test
    void malformedVocabularyNamesTheLine(@TempDir Path bad) throws IOException {
        Path file = bad.resolve(Tokenizers.RWKV_WORLD_VOCAB);
        Files.writeString(file, "1 'a' 1\n2 'bc' 3\n");
        RecallException e = assertThrows(RecallException.class, () -> Tokenizers.load(bad));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        Files.writeString(file, "1 'a' 1\n2 abc 3\n");
        e = assertThrows(RecallException.class, () -> Tokenizers.load(file));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void pythonLiteralEscapes() {
        assertArrayEquals(new byte[] {(byte) 0xE4, (byte) 0xB8}, PythonLiteral.parse("b'\\xe4\\xb8'"));
        assertArrayEquals("é".getBytes(StandardCharsets.UTF_8), PythonLiteral.parse("'\\xe9'"));
        assertArrayEquals("a\tb\0".getBytes(StandardCharsets.UTF_8), PythonLiteral.parse("'a\\tb\\0'"));
        assertArrayEquals("\"'".getBytes(StandardCharsets.UTF_8), PythonLiteral.parse("\"\\\"'\""));
        assertArrayEquals("\\u00e9".getBytes(StandardCharsets.UTF_8), PythonLiteral.parse("b'\\u00e9'"));
        assertArrayEquals("😀".getBytes(StandardCharsets.UTF_8), PythonLiteral.parse("'\\U0001F600'"));
        assertArrayEquals("\\q".getBytes(StandardCharsets.UTF_8), PythonLiteral.parse("'\\q'"));
    }
}
