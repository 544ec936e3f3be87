package dev.recall.runtime.attention;

import java.util.Arrays;

/**
 * Keys (already rotated to their absolute positions) and values of one attention layer.
 * Unbounded caches grow; windowed caches are a ring of {@code window} slots, so memory is
 * constant in the context length.
 */
public final class KvCache {

    final int kvDim;
    final int window;
    float[] keys;
    float[] values;
    int length;

    /** @param window ring size, or 0 for an unbounded cache */
    public KvCache(int kvDim, int window) {
        this.kvDim = kvDim;
        this.window = window;
        int initial = window > 0 ? window : 64;
        this.keys = new float[initial * kvDim];
        this.values = new float[initial * kvDim];
    }

    private KvCache(KvCache o) {
        this.kvDim = o.kvDim;
        this.window = o.window;
        this.length = o.length;
        int used = window > 0 ? Math.min(length, window) : length;
        this.keys = Arrays.copyOf(o.keys, Math.max(o.keys.length, used * kvDim));
        this.values = Arrays.copyOf(o.values, Math.max(o.values.length, used * kvDim));
    }

    /** Number of tokens seen (the next token's absolute position). */
    public int length() {
        return length;
    }

    public int window() {
        return window;
    }

    /** Slot of absolute position pos in the key/value arrays. */
    int slot(int pos) {
        return window > 0 ? pos % window : pos;
    }

    /** Appends one token's key and value (kvDim each) at position {@link #length()}. */
    void append(float[] k, int ko, float[] v, int vo) {
        if (window == 0 && (length + 1) * kvDim > keys.length) {
            int cap = Math.max(length + 1, keys.length / kvDim * 2);
            keys = Arrays.copyOf(keys, cap * kvDim);
            values = Arrays.copyOf(values, cap * kvDim);
        }
        int s = slot(length) * kvDim;
        System.arraycopy(k, ko, keys, s, kvDim);
        System.arraycopy(v, vo, values, s, kvDim);
        length++;
    }

    public KvCache copy() {
        return new KvCache(this);
    }

    public long sizeBytes() {
        return (long) (keys.length + values.length) * Float.BYTES;
    }
}
