package dev.recall.runtime.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Streaming decode holds back partial UTF-8 characters split across tokens. */
class TokenizerStreamDecoderTest {

    /**
     * Characters that these vocabularies spell with several byte tokens (byte-level BPE) or
     * {@code <0xXX>} byte-fallback tokens (SentencePiece-style).
     */
    @ParameterizedTest
    @CsvSource({"brown-bpe, 👋", "brown-bpe, 你", "llama3, 🚀", "llama2, 👋", "llama2, 𠀀"})
    void multiByteCharacterIsReleasedWhenComplete(String name, String character) {
        Tokenizer tokenizer = GoldenTokenizerTest.tokenizer(name);
        String text = "ab " + character + " cd";
        int[] ids = tokenizer.encode(text);
        int[] charIds = tokenizer.encode(character);
        assertTrue(charIds.length >= 2, character + " must span several tokens for this test, got " + Arrays.toString(charIds));

        Tokenizer.StreamDecoder stream = tokenizer.streamDecoder();
        StringBuilder out = new StringBuilder();
        int partialPushes = 0;
        for (int id : ids) {
            String piece = stream.push(id);
            assertTrue(!piece.contains("\uFFFD"), "no replacement character may leak: " + piece);
            if (piece.isEmpty()) {
                partialPushes++;
            }
            out.append(piece);
            // Whatever has been released is always a prefix of the full text.
            assertTrue(text.startsWith(out.toString()), "released " + out + " is not a prefix of " + text);
        }
        out.append(stream.flush());
        assertEquals(text, out.toString());
        assertTrue(partialPushes >= 1, "some token must have completed no character");
    }

    @Test
    void byteLevelStreamReleasesCharacterOnlyOnItsLastByte() {
        Tokenizer tokenizer = GoldenTokenizerTest.tokenizer("brown-bpe");
        int[] ids = tokenizer.encode("你");
        Tokenizer.StreamDecoder stream = tokenizer.streamDecoder();
        for (int i = 0; i < ids.length - 1; i++) {
            assertEquals("", stream.push(ids[i]));
        }
        assertEquals("你", stream.push(ids[ids.length - 1]));
        assertEquals("", stream.flush());
    }

    /** A character cut short becomes U+FFFD on flush, the same text a full decode gives. */
    @ParameterizedTest
    @CsvSource({"brown-bpe, 👋, \uFFFD", "llama2, 𠀀, \uFFFD\uFFFD"})
    void incompleteCharacterBecomesReplacementOnFlush(String name, String character, String expected) {
        Tokenizer tokenizer = GoldenTokenizerTest.tokenizer(name);
        int[] charIds = tokenizer.encode(character);
        // llama2 starts with a "▁" token; keep it and two of the four byte tokens.
        int keep = name.equals("llama2") ? 3 : 2;
        int[] partial = Arrays.copyOf(charIds, keep);
        Tokenizer.StreamDecoder stream = tokenizer.streamDecoder();
        StringBuilder out = new StringBuilder();
        for (int id : partial) {
            out.append(stream.push(id));
        }
        assertEquals("", out.toString(), "nothing is released while the character is incomplete");
        String flushed = stream.flush();
        assertEquals(expected, flushed);
        assertEquals(tokenizer.decode(partial), flushed);
    }
}
