package dev.recall.runtime.model;

import dev.recall.runtime.RecallException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads what {@link StateOut} wrote. Every count is checked against the bytes left before anything
 * is allocated, so a damaged file is one sentence, not an OutOfMemoryError.
 */
public final class StateIn {

    private final ByteBuffer in;

    public StateIn(byte[] bytes) {
        this.in = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
    }

    public int readInt() {
        if (in.remaining() < Integer.BYTES) {
            throw damaged("it ends early");
        }
        return in.getInt();
    }

    public boolean readBoolean() {
        int v = readInt();
        if (v != 0 && v != 1) {
            throw damaged("a flag reads " + v);
        }
        return v == 1;
    }

    /** A count between 0 and max, named for the error. */
    public int readCount(String what, long max) {
        int n = readInt();
        if (n < 0 || n > max) {
            throw damaged(what + " reads " + n + " (at most " + max + " here)");
        }
        return n;
    }

    public float[] readFloats() {
        int n = readCount("an array length", in.remaining() / Float.BYTES);
        float[] a = new float[n];
        in.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(a);
        in.position(in.position() + n * Float.BYTES);
        return a;
    }

    /** Floats into a[0, expected), refusing any other length. */
    public void readFloatsInto(float[] a, String what) {
        float[] read = readFloats();
        if (read.length != a.length) {
            throw damaged(what + " holds " + read.length + " values where this model has " + a.length);
        }
        System.arraycopy(read, 0, a, 0, a.length);
    }

    public int[] readInts() {
        int n = readCount("an id count", in.remaining() / Integer.BYTES);
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = in.getInt();
        }
        return a;
    }

    /** Whether every byte was read. */
    public boolean atEnd() {
        return !in.hasRemaining();
    }

    public static RecallException damaged(String why) {
        return new RecallException("the state file does not fit this model: " + why);
    }
}
