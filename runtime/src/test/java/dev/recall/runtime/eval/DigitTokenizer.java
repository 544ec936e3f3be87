package dev.recall.runtime.eval;

import dev.recall.runtime.tokenizer.Tokenizer;

import java.util.OptionalInt;

/**
 * Test tokenizer: id 0 is &lt;|endoftext|&gt;, ids 1–9 are the digits "1"–"9", id 10 is "0",
 * id 11 is " ", and every other character is id 12 + (its code mod (vocab − 12)).
 */
final class DigitTokenizer implements Tokenizer {

    private final int vocab;

    DigitTokenizer(int vocab) {
        this.vocab = vocab;
    }

    @Override
    public int[] encode(String text) {
        return text.chars().map(this::id).toArray();
    }

    private int id(int c) {
        if (c >= '1' && c <= '9') {
            return c - '0';
        }
        return c == '0' ? 10 : c == ' ' ? 11 : 12 + c % (vocab - 12);
    }

    @Override
    public int[] encodeWithSpecialTokens(String text) {
        return encode(text);
    }

    @Override
    public String decode(int[] ids, boolean skipSpecial) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            if (id == 0) {
                if (!skipSpecial) {
                    sb.append("<|endoftext|>");
                }
            } else {
                sb.append(id <= 9 ? (char) ('0' + id) : id == 10 ? "0" : id == 11 ? " " : "?");
            }
        }
        return sb.toString();
    }

    @Override
    public StreamDecoder streamDecoder() {
        return new StreamDecoder() {
            @Override
            public String push(int id) {
                return decode(new int[]{id}, true);
            }

            @Override
            public String flush() {
                return "";
            }
        };
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public OptionalInt tokenToId(String token) {
        return token.equals("<|endoftext|>") ? OptionalInt.of(0) : OptionalInt.empty();
    }

    @Override
    public String idToToken(int id) {
        return null;
    }
}
