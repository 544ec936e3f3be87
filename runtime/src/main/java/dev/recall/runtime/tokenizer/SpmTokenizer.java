package dev.recall.runtime.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.PriorityQueue;

/**
 * The SentencePiece-style tokenizer of GGUF files whose {@code tokenizer.ggml.model} is "llama",
 * exactly as llama.cpp's {@code llm_tokenizer_spm} runs it: special-token text is cut out first
 * (longest token first), each remaining piece gets a leading space where it starts the text or
 * follows a special token ({@code add_space_prefix}), spaces become "▁", the piece is split into
 * UTF-8 characters, and neighbouring symbols are merged while their concatenation is a token,
 * highest score first (the leftmost pair on ties). A final symbol that is no token is written as
 * its bytes' {@code <0xXX>} tokens.
 */
final class SpmTokenizer implements Tokenizer {

    /** GGUF token types (tokenizer.ggml.token_type). */
    static final int NORMAL = 1;
    static final int UNKNOWN = 2;
    static final int CONTROL = 3;
    static final int USER_DEFINED = 4;
    static final int UNUSED = 5;
    static final int BYTE = 6;

    private final String[] tokens;
    private final float[] scores;
    private final int[] types;
    private final Map<String, Integer> ids;
    /** Tokens cut out of the text before merging, longest first (control and unknown only when parsing special text). */
    private final List<Integer> specials;
    private final int bos;
    private final int eos;
    private final int unknown;
    private final boolean addBos;
    private final boolean addEos;
    private final boolean addSpacePrefix;
    private final int[] byteTokens = new int[256];

    SpmTokenizer(String[] tokens, float[] scores, int[] types, int bos, int eos, int unknown, boolean addBos,
                 boolean addEos, boolean addSpacePrefix) {
        this.tokens = tokens;
        this.scores = scores;
        this.types = types;
        this.bos = bos;
        this.eos = eos;
        this.unknown = unknown;
        this.addBos = addBos;
        this.addEos = addEos;
        this.addSpacePrefix = addSpacePrefix;
        this.ids = new HashMap<>(tokens.length * 2);
        List<Integer> special = new ArrayList<>();
        for (int i = 0; i < tokens.length; i++) {
            ids.put(tokens[i], i);
            if ((types[i] == CONTROL || types[i] == USER_DEFINED || types[i] == UNKNOWN) && !tokens[i].isEmpty()) {
                special.add(i);
            }
        }
        special.sort(Comparator.comparingInt((Integer i) -> -tokens[i].getBytes(StandardCharsets.UTF_8).length));
        this.specials = List.copyOf(special);
        for (int b = 0; b < 256; b++) {
            Integer id = ids.get(String.format("<0x%02X>", b));
            if (id == null) {
                id = ids.get(new String(new byte[] {(byte) b}, StandardCharsets.ISO_8859_1));
            }
            byteTokens[b] = id == null ? unknown : id;
        }
    }

    @Override
    public int[] encode(String text) {
        return encode(text, false, true);
    }

    @Override
    public int[] encodeWithSpecialTokens(String text) {
        return encode(text, true, true);
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        boolean previousSpecial = true;
        if (addSpecial && addBos && bos >= 0) {
            out.add(bos);
        }
        for (Object fragment : partition(text, parseSpecial)) {
            if (fragment instanceof Integer id) {
                out.add(id);
                previousSpecial = true;
            } else {
                String piece = (String) fragment;
                if (addSpacePrefix && previousSpecial) {
                    piece = " " + piece;
                }
                merge(piece.replace(' ', '\u2581').getBytes(StandardCharsets.UTF_8), out);
                previousSpecial = false;
            }
        }
        if (addSpecial && addEos && eos >= 0) {
            out.add(eos);
        }
        return out.toArray();
    }

    /** llama.cpp's tokenizer_st_partition: the text cut at every special token, one token at a time. */
    private List<Object> partition(String text, boolean parseSpecial) {
        List<Object> fragments = new ArrayList<>();
        if (!text.isEmpty()) {
            fragments.add(text);
        }
        for (int id : specials) {
            if (!parseSpecial && (types[id] == CONTROL || types[id] == UNKNOWN)) {
                continue;
            }
            String t = tokens[id];
            List<Object> next = new ArrayList<>(fragments.size());
            for (Object f : fragments) {
                if (!(f instanceof String s)) {
                    next.add(f);
                    continue;
                }
                int from = 0;
                int at;
                while ((at = s.indexOf(t, from)) >= 0) {
                    if (at > from) {
                        next.add(s.substring(from, at));
                    }
                    next.add(id);
                    from = at + t.length();
                }
                if (from < s.length()) {
                    next.add(s.substring(from));
                }
            }
            fragments = next;
        }
        return fragments;
    }

    /** A bigram candidate: symbols left and right, merged into a token of this score and byte length. */
    private record Bigram(int left, int right, float score, int size) {
    }

    /** llm_tokenizer_spm_session::tokenize over the UTF-8 bytes of one piece. */
    private void merge(byte[] text, IntList out) {
        int n = text.length;
        if (n == 0) {
            return;
        }
        // Symbols: byte ranges [start, start + len) linked in a list; len 0 once merged away.
        List<int[]> symbols = new ArrayList<>(); // {start, len, prev, next}
        for (int offs = 0; offs < n; ) {
            int len = Math.min(utf8Length(text[offs]), n - offs);
            int index = symbols.size();
            symbols.add(new int[] {offs, len, index - 1, offs + len == n ? -1 : index + 1});
            offs += len;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> a.score() != b.score()
                ? Float.compare(b.score(), a.score()) : Integer.compare(a.left(), b.left()));
        for (int i = 1; i < symbols.size(); i++) {
            addBigram(text, symbols, i - 1, i, queue);
        }
        while (!queue.isEmpty()) {
            Bigram bigram = queue.poll();
            int[] left = symbols.get(bigram.left());
            int[] right = symbols.get(bigram.right());
            if (left[1] == 0 || right[1] == 0 || left[1] + right[1] != bigram.size()) {
                continue;
            }
            left[1] += right[1];
            right[1] = 0;
            left[3] = right[3];
            if (right[3] >= 0) {
                symbols.get(right[3])[2] = bigram.left();
            }
            addBigram(text, symbols, left[2], bigram.left(), queue);
            addBigram(text, symbols, bigram.left(), left[3], queue);
        }
        for (int i = 0; i != -1; i = symbols.get(i)[3]) {
            resegment(text, symbols.get(i), out);
        }
    }

    private void addBigram(byte[] text, List<int[]> symbols, int left, int right, PriorityQueue<Bigram> queue) {
        if (left == -1 || right == -1) {
            return;
        }
        int[] l = symbols.get(left);
        int[] r = symbols.get(right);
        String merged = new String(text, l[0], l[1] + r[1], StandardCharsets.UTF_8);
        Integer id = ids.get(merged);
        if (id == null) {
            return;
        }
        queue.add(new Bigram(left, right, scores[id], l[1] + r[1]));
    }

    /**
     * A final symbol as its token, or as its bytes' tokens. (llama.cpp first looks the symbol up
     * among the merges it recorded; a symbol that is no token is one character of the UTF-8 split,
     * and the text of a Java string is valid UTF-8, so no two recorded symbols ever make it up.)
     */
    private void resegment(byte[] text, int[] symbol, IntList out) {
        Integer id = ids.get(new String(text, symbol[0], symbol[1], StandardCharsets.UTF_8));
        if (id != null) {
            out.add(id);
            return;
        }
        for (int j = 0; j < symbol[1]; j++) {
            out.add(byteTokens[text[symbol[0] + j] & 0xFF]);
        }
    }


    /** llama.cpp's unicode_len_utf8: the length a lead byte announces (1 for a stray continuation byte). */
    private static int utf8Length(byte lead) {
        int high = (lead & 0xFF) >> 4;
        return high < 8 ? 1 : high < 12 ? 1 : high < 14 ? 2 : high == 14 ? 3 : 4;
    }

    @Override
    public String decode(int[] ids, boolean skipSpecial) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 0 || id >= tokens.length) {
                continue;
            }
            int type = types[id];
            if (type == BYTE) {
                String t = tokens[id];
                bytes.write(t.length() == 6 && t.startsWith("<0x") ? Integer.parseInt(t.substring(3, 5), 16) : '?');
            } else if (type == CONTROL || type == UNKNOWN || type == UNUSED) {
                if (!skipSpecial) {
                    bytes.writeBytes(tokens[id].getBytes(StandardCharsets.UTF_8));
                }
            } else {
                bytes.writeBytes(tokens[id].replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8));
            }
        }
        String text = Utf8.decodeLossy(bytes.toByteArray());
        // The space added before the text is not part of it (Hugging Face's Strip decoder).
        return addSpacePrefix && text.startsWith(" ") ? text.substring(1) : text;
    }

    @Override
    public StreamDecoder streamDecoder() {
        return new PrefixStreamDecoder(this, false);
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    @Override
    public OptionalInt tokenToId(String token) {
        Integer id = ids.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public String idToToken(int id) {
        return id >= 0 && id < tokens.length ? tokens[id] : null;
    }
}
