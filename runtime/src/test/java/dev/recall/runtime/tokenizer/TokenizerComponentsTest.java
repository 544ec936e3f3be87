package dev.recall.runtime.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Pipeline pieces the golden tokenizers do not exercise, checked against the reference's documented behavior. */
class TokenizerComponentsTest {

    /** The examples of Hugging Face's SplitDelimiterBehavior documentation. */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "REMOVED; the|final|countdown",
            "ISOLATED; the|-|final|-|-|countdown",
            "MERGED_WITH_PREVIOUS; the-|final-|-|countdown",
            "MERGED_WITH_NEXT; the|-final|-|-countdown",
            "CONTIGUOUS; the|-|final|--|countdown"})
    void splitBehaviors(SplitBehavior behavior, String expected) {
        List<String> out = new ArrayList<>();
        behavior.split("the-final--countdown", Pattern.compile("-"), false, out);
        assertEquals(List.of(expected.split("\\|")), out);
    }

    @Test
    void invertedSplitKeepsTheMatches() {
        List<String> out = new ArrayList<>();
        new PreTokenizer.WhitespaceWords().preTokenize("Hey friend!  How are you?!?", true, out);
        assertEquals(List.of("Hey", "friend", "!", "How", "are", "you", "?!?"), out);
    }

    @Test
    void metaspacePreTokenizer() {
        List<String> out = new ArrayList<>();
        new PreTokenizer.Metaspace("▁", PreTokenizer.Metaspace.PrependScheme.ALWAYS, true)
                .preTokenize("Hey friend!", false, out);
        assertEquals(List.of("▁Hey", "▁friend!"), out);
        out.clear();
        new PreTokenizer.Metaspace("▁", PreTokenizer.Metaspace.PrependScheme.FIRST, false)
                .preTokenize("Hey friend", false, out);
        assertEquals(List.of("Hey▁friend"), out);
    }

    @Test
    void byteLevelPreTokenizerUsesGpt2Words() {
        List<String> out = new ArrayList<>();
        new PreTokenizer.ByteLevel(true, true).preTokenize("Hello my friend, how is your day going?", true, out);
        assertEquals(List.of("ĠHello", "Ġmy", "Ġfriend", ",", "Ġhow", "Ġis", "Ġyour", "Ġday", "Ġgoing", "?"), out);
    }

    @Test
    void decoders() {
        assertEquals(List.of("Hey", " friend!"),
                new Decoder.Metaspace("▁", true).decodeChain(List.of("▁Hey", "▁friend!")));
        // A run of byte tokens that is not valid UTF-8 gives one U+FFFD per byte.
        assertEquals(List.of("a", "\uFFFD", "\uFFFD", "\uFFFD", "\uFFFD", "b"),
                new Decoder.ByteFallback().decodeChain(List.of("a", "<0xE4>", "<0xB8>", "<0xC3>", "<0xA9>", "b")));
        assertEquals(List.of("a", "\uFFFD", "\uFFFD", "b", "é"),
                new Decoder.ByteFallback().decodeChain(List.of("a", "<0xE4>", "<0xB8>", "b", "<0xC3>", "<0xA9>")));
        assertEquals(List.of("ab ", "  c"), new Decoder.Strip(' ', 1, 0).decodeChain(List.of(" ab ", "   c")));
        assertEquals(List.of(" ab", "  c"), new Decoder.Strip(' ', 0, 1).decodeChain(List.of(" ab ", "  c")));
        assertEquals("Hello world", new Decoder.ByteLevel().decode(List.of("Hello", "Ġworld")));
    }

    /** Replacement characters exactly as Rust's String::from_utf8_lossy places them. */
    @ParameterizedTest
    @CsvSource({
            "F09F98, 1", "E441, 1", "EDA080, 3", "C080, 2", "F4908080, 4", "80, 1", "FF41, 1", "E4B8AD, 0"})
    void lossyUtf8(String hex, int replacements) {
        byte[] b = java.util.HexFormat.of().parseHex(hex);
        String s = Utf8.decodeLossy(b);
        assertEquals(replacements, s.chars().filter(c -> c == 0xFFFD).count(), s);
        assertEquals(replacements == 0, Utf8.isValid(b, 0, b.length));
    }
}
