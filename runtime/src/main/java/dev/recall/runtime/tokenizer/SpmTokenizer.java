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
    private final ByteIds byteIds;
    /**
     * Whether no token has a "▁" right after another character than "▁" (true of SentencePiece
     * vocabularies that split on whitespace): then no merge crosses the start of a word, and each word
     * is merged alone, with the same result and in time linear in the text.
     */
    private final boolean wordsMergeAlone;

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
        this.byteIds = new ByteIds(tokens);
        boolean alone = true;
        for (String t : tokens) {
            for (int i = t.indexOf('\u2581', 1); i > 0 && alone; i = t.indexOf('\u2581', i + 1)) {
                alone = t.charAt(i - 1) == '\u2581';
            }
        }
        this.wordsMergeAlone = alone;
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
                mergeWords(piece.replace(' ', '\u2581').getBytes(StandardCharsets.UTF_8), out);
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

    /** Words repeat: their tokens are remembered within one encode call, up to this many words. */
    private static final int WORD_CACHE = 1 << 16;

    /**
     * The merges of one piece: word by word (each "▁" that follows another character starts a word)
     * when no merge can cross a word's start, else the whole piece at once.
     */
    private void mergeWords(byte[] text, IntList out) {
        if (!wordsMergeAlone) {
            merge(text, 0, text.length, out);
            return;
        }
        Map<String, int[]> cache = new HashMap<>();
        IntList word = new IntList(16);
        int start = 0;
        for (int i = 1; i <= text.length; i++) {
            boolean end = i == text.length || isSpaceMark(text, i) && !(i >= 3 && isSpaceMark(text, i - 3));
            if (!end) {
                continue;
            }
            if (i - start > 64) {
                merge(text, start, i, out);
            } else {
                String key = new String(text, start, i - start, StandardCharsets.ISO_8859_1);
                int[] ids = cache.get(key);
                if (ids == null) {
                    word.clear();
                    merge(text, start, i, word);
                    ids = word.toArray();
                    if (cache.size() < WORD_CACHE) {
                        cache.put(key, ids);
                    }
                }
                out.addAll(ids);
            }
            start = i;
        }
    }

    /** "▁" (E2 96 81 in UTF-8) at byte i. */
    private static boolean isSpaceMark(byte[] text, int i) {
        return i + 3 <= text.length && text[i] == (byte) 0xE2 && text[i + 1] == (byte) 0x96 && text[i + 2] == (byte) 0x81;
    }

    /** llm_tokenizer_spm_session::tokenize over the UTF-8 bytes text[from, to). */
    private void merge(byte[] text, int from, int to, IntList out) {
        int n = to - from;
        if (n == 0) {
            return;
        }
        // Symbols: byte ranges [start, start + len) linked in a list; len 0 once merged away.
        int count = 0;
        int[] start = new int[n];
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int offs = from; offs < to; count++) {
            int l = Math.min(utf8Length(text[offs]), to - offs);
            start[count] = offs;
            len[count] = l;
            prev[count] = count - 1;
            next[count] = offs + l == to ? -1 : count + 1;
            offs += l;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((x, y) -> x.score() != y.score()
                ? Float.compare(y.score(), x.score()) : Integer.compare(x.left(), y.left()));
        for (int i = 1; i < count; i++) {
            addBigram(text, start, len, i - 1, i, queue);
        }
        while (!queue.isEmpty()) {
            Bigram bigram = queue.poll();
            int left = bigram.left();
            int right = bigram.right();
            if (len[left] == 0 || len[right] == 0 || len[left] + len[right] != bigram.size()) {
                continue;
            }
            len[left] += len[right];
            len[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            addBigram(text, start, len, prev[left], left, queue);
            addBigram(text, start, len, left, next[left], queue);
        }
        for (int i = 0; i != -1; i = next[i]) {
            resegment(text, start[i], len[i], out);
        }
    }

    private void addBigram(byte[] text, int[] start, int[] len, int left, int right, PriorityQueue<Bigram> queue) {
        if (left == -1 || right == -1) {
            return;
        }
        int size = len[left] + len[right];
        int id = byteIds.get(text, start[left], size);
        if (id >= 0) {
            queue.add(new Bigram(left, right, scores[id], size));
        }
    }

    /**
     * A final symbol as its token, or as its bytes' tokens. (llama.cpp first looks the symbol up
     * among the merges it recorded; a symbol that is no token is one character of the UTF-8 split,
     * and the text of a Java string is valid UTF-8, so no two recorded symbols ever make it up.)
     */
    private void resegment(byte[] text, int from, int length, IntList out) {
        int id = byteIds.get(text, from, length);
        if (id >= 0) {
            out.add(id);
            return;
        }
        for (int j = 0; j < length; j++) {
            out.add(byteTokens[text[from + j] & 0xFF]);
        }
    }

    /**
     * Token ids by their UTF-8 bytes, looked up by a range of a byte array without making a string:
     * open addressing on a 64-bit hash, the bytes compared on a hit. The merge loop asks it once per
     * candidate pair, millions of times for a long prompt.
     */
    private static final class ByteIds {
        private final byte[][] keys;
        private final int[] values;
        private final int mask;

        ByteIds(String[] tokens) {
            int capacity = Integer.highestOneBit(Math.max(16, tokens.length * 2)) * 2;
            keys = new byte[capacity][];
            values = new int[capacity];
            mask = capacity - 1;
            // Later ids win, as llama.cpp's token_to_id does for duplicate texts.
            for (int id = 0; id < tokens.length; id++) {
                byte[] b = tokens[id].getBytes(StandardCharsets.UTF_8);
                int slot = (int) hash(b, 0, b.length) & mask;
                while (keys[slot] != null && !java.util.Arrays.equals(keys[slot], b)) {
                    slot = (slot + 1) & mask;
                }
                keys[slot] = b;
                values[slot] = id;
            }
        }

        int get(byte[] text, int from, int length) {
            int slot = (int) hash(text, from, length) & mask;
            while (keys[slot] != null) {
                byte[] k = keys[slot];
                if (k.length == length && java.util.Arrays.equals(k, 0, length, text, from, from + length)) {
                    return values[slot];
                }
                slot = (slot + 1) & mask;
            }
            return -1;
        }

        private static long hash(byte[] b, int from, int length) {
            long h = 0xcbf29ce484222325L;
            for (int i = from; i < from + length; i++) {
                h = (h ^ (b[i] & 0xFF)) * 0x100000001b3L;
            }
            return h ^ (h >>> 32);
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
