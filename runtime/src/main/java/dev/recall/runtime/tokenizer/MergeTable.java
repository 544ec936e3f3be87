package dev.recall.runtime.tokenizer;

/**
 * BPE merges as an open-addressing hash map from a token-id pair to (rank, merged id); a pair is
 * packed into one long so lookups in the merge loop allocate nothing.
 */
final class MergeTable {

    private static final long EMPTY = -1L;

    private final long[] keys;
    private final int[] ranks;
    private final int[] mergedIds;
    private final int mask;
    private int size;

    MergeTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        java.util.Arrays.fill(keys, EMPTY);
        ranks = new int[capacity];
        mergedIds = new int[capacity];
        mask = capacity - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        int i = (int) (h ^ (h >>> 29)) & mask;
        while (keys[i] != EMPTY && keys[i] != key) {
            i = (i + 1) & mask;
        }
        return i;
    }

    /** Adds or replaces a merge (a later duplicate wins, as in the reference's map). */
    void put(int left, int right, int rank, int mergedId) {
        long k = key(left, right);
        int i = slot(k);
        if (keys[i] == EMPTY) {
            if (size + 1 > keys.length * 3 / 4) {
                throw new IllegalStateException("merge table over capacity");
            }
            size++;
            keys[i] = k;
        }
        ranks[i] = rank;
        mergedIds[i] = mergedId;
    }

    /** Index of the entry for the pair, or -1. */
    int find(int left, int right) {
        int i = slot(key(left, right));
        return keys[i] == EMPTY ? -1 : i;
    }

    int rank(int entry) {
        return ranks[entry];
    }

    int mergedId(int entry) {
        return mergedIds[entry];
    }
}
