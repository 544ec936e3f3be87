package dev.recall.runtime.tokenizer;

import java.util.Arrays;

/**
 * Streaming decode in the manner of Hugging Face's {@code DecodeStream}: the ids since the last
 * emitted boundary are decoded together with one token of context (so decoders that strip a
 * leading space at the start of text behave as in a full decode), and text is released only when
 * it grows and does not end in U+FFFD, i.e. no UTF-8 character is still incomplete. Works for any
 * decoder chain, byte-level or byte-fallback alike.
 */
final class PrefixStreamDecoder implements Tokenizer.StreamDecoder {

    private final Tokenizer tokenizer;
    private final boolean skipSpecial;
    private int[] ids = new int[16];
    private int count;
    /** Decoded text of ids[0, prefixIndex), already emitted. */
    private String prefix = "";
    private int prefixIndex;

    PrefixStreamDecoder(Tokenizer tokenizer, boolean skipSpecial) {
        this.tokenizer = tokenizer;
        this.skipSpecial = skipSpecial;
    }

    @Override
    public String push(int id) {
        if (count == ids.length) {
            ids = Arrays.copyOf(ids, count * 2);
        }
        ids[count++] = id;
        String text = tokenizer.decode(Arrays.copyOf(ids, count), skipSpecial);
        if (text.length() <= prefix.length() || text.endsWith(String.valueOf(Utf8.REPLACEMENT))
                || !text.startsWith(prefix)) {
            return "";
        }
        String fresh = text.substring(prefix.length());
        // Keep the ids after the previous boundary as context for the next token.
        int keepFrom = prefixIndex;
        int kept = count - keepFrom;
        System.arraycopy(ids, keepFrom, ids, 0, kept);
        count = kept;
        prefixIndex = kept;
        prefix = tokenizer.decode(Arrays.copyOf(ids, count), skipSpecial);
        return fresh;
    }

    @Override
    public String flush() {
        String text = tokenizer.decode(Arrays.copyOf(ids, count), skipSpecial);
        String rest = text.length() > prefix.length() && text.startsWith(prefix) ? text.substring(prefix.length()) : "";
        prefix = "";
        prefixIndex = 0;
        count = 0;
        return rest;
    }
}
