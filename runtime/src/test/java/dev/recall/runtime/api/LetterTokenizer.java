package dev.recall.runtime.api;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.tokenizer.Tokenizer;

import java.util.OptionalInt;

/** Test double: one token per character of "a".."z", space, newline, ':', plus the special "&lt;/s&gt;" (id 29). */
final class LetterTokenizer implements Tokenizer {

    static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz \n:";
    static final int EOS = ALPHABET.length();
    static final int VOCAB = EOS + 1;

    @Override
    public int[] encode(String text) {
        int[] ids = new int[text.length()];
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            // The special token is matched in text, as added tokens are.
            if (text.startsWith("</s>", i)) {
                ids[n++] = EOS;
                i += 3;
                continue;
            }
            int id = ALPHABET.indexOf(Character.toLowerCase(text.charAt(i)));
            if (id < 0) {
                throw new RecallException("letter tokenizer cannot encode '" + text.charAt(i) + "'");
            }
            ids[n++] = id;
        }
        return java.util.Arrays.copyOf(ids, n);
    }

    @Override
    public int[] encodeWithSpecialTokens(String text) {
        return encode(text);
    }

    @Override
    public String decode(int[] ids, boolean skipSpecial) {
        StringBuilder b = new StringBuilder();
        for (int id : ids) {
            if (id == EOS) {
                if (!skipSpecial) {
                    b.append("</s>");
                }
            } else {
                b.append(ALPHABET.charAt(id));
            }
        }
        return b.toString();
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
        return VOCAB;
    }

    @Override
    public OptionalInt tokenToId(String token) {
        if (token.equals("</s>")) {
            return OptionalInt.of(EOS);
        }
        int id = token.length() == 1 ? ALPHABET.indexOf(token.charAt(0)) : -1;
        return id < 0 ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public String idToToken(int id) {
        return id == EOS ? "</s>" : id >= 0 && id < EOS ? String.valueOf(ALPHABET.charAt(id)) : null;
    }
}
