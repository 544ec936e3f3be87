package dev.recall.runtime.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-pair encoding as in Hugging Face's {@code models::bpe}: a word starts as one symbol per
 * character (or its byte-fallback tokens, or unk) and the lowest-ranked adjacent pair is merged
 * repeatedly. The merge loop uses a priority queue over a linked list of symbols, so long words
 * (SentencePiece-style models give whole segments as one word) cost O(n log n).
 */
final class BpeModel {

    /** Words at least this long (UTF-16 units) are not cached; mirrors the reference's limit. */
    private static final int MAX_CACHED_WORD = 256;
    private static final int CACHE_CAPACITY = 10_000;

    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    private final MergeTable merges;
    private final Integer unkId;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    private final String continuingSubwordPrefix;
    private final String endOfWordSuffix;
    /** Id of each {@code <0xXX>} token, or -1; only filled when byteFallback. */
    private final int[] byteTokens = new int[256];
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    BpeModel(Map<String, Integer> vocab, MergeTable merges, String unkToken, boolean fuseUnk, boolean byteFallback,
             boolean ignoreMerges, String continuingSubwordPrefix, String endOfWordSuffix) {
        this.vocab = vocab;
        this.merges = merges;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        this.continuingSubwordPrefix = continuingSubwordPrefix;
        this.endOfWordSuffix = endOfWordSuffix;
        int maxId = -1;
        for (int id : vocab.values()) {
            maxId = Math.max(maxId, id);
        }
        idToToken = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            idToToken[e.getValue()] = e.getKey();
        }
        this.unkId = unkToken == null ? null : vocab.get(unkToken);
        Arrays.fill(byteTokens, -1);
        if (byteFallback) {
            for (int b = 0; b < 256; b++) {
                Integer id = vocab.get(String.format("<0x%02X>", b));
                byteTokens[b] = id == null ? -1 : id;
            }
        }
    }

    Integer tokenToId(String token) {
        return vocab.get(token);
    }

    String idToToken(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    /** One past the largest id of the model's vocabulary. */
    int size() {
        return idToToken.length;
    }

    /** Appends the ids of one pre-tokenized word. */
    void tokenize(String word, IntList out) {
        if (word.isEmpty()) {
            return;
        }
        if (ignoreMerges) {
            Integer id = vocab.get(word);
            if (id != null) {
                out.add(id);
                return;
            }
        }
        int[] cached = cache.get(word);
        if (cached == null) {
            cached = mergeWord(word);
            if (word.length() < MAX_CACHED_WORD && cache.size() < CACHE_CAPACITY) {
                cache.put(word, cached);
            }
        }
        out.addAll(cached);
    }

    private int[] mergeWord(String w) {
        Word word = new Word(w.length());
        int pendingUnk = -1;
        int n = w.length();
        for (int i = 0; i < n; ) {
            int end = i + Character.charCount(w.codePointAt(i));
            String s = w.substring(i, end);
            if (continuingSubwordPrefix != null && i > 0) {
                s = continuingSubwordPrefix + s;
            }
            if (endOfWordSuffix != null && end == n) {
                s = s + endOfWordSuffix;
            }
            i = end;
            Integer id = vocab.get(s);
            if (id != null) {
                if (pendingUnk >= 0) {
                    word.add(pendingUnk);
                    pendingUnk = -1;
                }
                word.add(id);
                continue;
            }
            if (byteFallback && addByteTokens(word, s)) {
                continue;
            }
            if (unkId != null) {
                if (pendingUnk >= 0 && !fuseUnk) {
                    word.add(pendingUnk);
                }
                pendingUnk = unkId;
            }
        }
        if (pendingUnk >= 0) {
            word.add(pendingUnk);
        }
        word.mergeAll(merges);
        return word.ids();
    }

    /** Adds the {@code <0xXX>} tokens of s's bytes when the vocabulary has all of them. */
    private boolean addByteTokens(Word word, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (byteTokens[b & 0xFF] < 0) {
                return false;
            }
        }
        for (byte b : bytes) {
            word.add(byteTokens[b & 0xFF]);
        }
        return true;
    }

    /** A word being merged: symbols in arrays linked by prev/next, merged-away ones marked dead. */
    private static final class Word {
        private int[] ids;
        private int[] prev;
        private int[] next;
        private boolean[] dead;
        private int size;

        Word(int capacity) {
            ids = new int[Math.max(1, capacity)];
            prev = new int[ids.length];
            next = new int[ids.length];
            dead = new boolean[ids.length];
        }

        void add(int id) {
            if (size == ids.length) {
                int cap = size * 2;
                ids = Arrays.copyOf(ids, cap);
                prev = Arrays.copyOf(prev, cap);
                next = Arrays.copyOf(next, cap);
                dead = Arrays.copyOf(dead, cap);
            }
            ids[size] = id;
            prev[size] = size - 1;
            next[size] = size + 1;
            size++;
        }

        /**
         * Merges until no adjacent pair has a merge, always taking the lowest rank and then the
         * leftmost position; stale queue entries are recognised by re-checking the pair.
         */
        void mergeAll(MergeTable merges) {
            if (size > 0) {
                next[size - 1] = -1;
            }
            MergeQueue queue = new MergeQueue(size);
            for (int i = 0; i + 1 < size; i++) {
                int e = merges.find(ids[i], ids[i + 1]);
                if (e >= 0) {
                    queue.push(merges.rank(e), i, merges.mergedId(e));
                }
            }
            while (!queue.isEmpty()) {
                int pos = queue.topPos();
                int mergedId = queue.topMergedId();
                queue.pop();
                if (dead[pos] || next[pos] < 0) {
                    continue;
                }
                int right = next[pos];
                int e = merges.find(ids[pos], ids[right]);
                if (e < 0 || merges.mergedId(e) != mergedId) {
                    continue;
                }
                ids[pos] = mergedId;
                dead[right] = true;
                next[pos] = next[right];
                if (next[right] >= 0) {
                    prev[next[right]] = pos;
                }
                if (prev[pos] >= 0) {
                    int p = prev[pos];
                    int pe = merges.find(ids[p], ids[pos]);
                    if (pe >= 0) {
                        queue.push(merges.rank(pe), p, merges.mergedId(pe));
                    }
                }
                if (next[pos] >= 0) {
                    int ne = merges.find(ids[pos], ids[next[pos]]);
                    if (ne >= 0) {
                        queue.push(merges.rank(ne), pos, merges.mergedId(ne));
                    }
                }
            }
        }

        int[] ids() {
            IntList out = new IntList(size);
            for (int i = 0; i < size; i++) {
                if (!dead[i]) {
                    out.add(ids[i]);
                }
            }
            return out.toArray();
        }
    }

    /** Binary min-heap of (rank, position) with the merged id carried alongside. */
    private static final class MergeQueue {
        private long[] keys;
        private int[] mergedIds;
        private int size;

        MergeQueue(int capacity) {
            keys = new long[Math.max(4, capacity)];
            mergedIds = new int[keys.length];
        }

        boolean isEmpty() {
            return size == 0;
        }

        int topPos() {
            return (int) keys[0];
        }

        int topMergedId() {
            return mergedIds[0];
        }

        void push(int rank, int pos, int mergedId) {
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, size * 2);
                mergedIds = Arrays.copyOf(mergedIds, size * 2);
            }
            long key = ((long) rank << 32) | pos;
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (keys[parent] <= key) {
                    break;
                }
                keys[i] = keys[parent];
                mergedIds[i] = mergedIds[parent];
                i = parent;
            }
            keys[i] = key;
            mergedIds[i] = mergedId;
        }

        void pop() {
            size--;
            long key = keys[size];
            int id = mergedIds[size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && keys[child + 1] < keys[child]) {
                    child++;
                }
                if (keys[child] >= key) {
                    break;
                }
                keys[i] = keys[child];
                mergedIds[i] = mergedIds[child];
                i = child;
            }
            keys[i] = key;
            mergedIds[i] = id;
        }
    }
}
