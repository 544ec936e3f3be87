package dev.recall.runtime.model;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Where a model state writes itself for a state file: ints, booleans and float arrays, little-endian. */
public final class StateOut {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final DataOutputStream out = new DataOutputStream(bytes);

    public void writeInt(int v) {
        try {
            out.writeInt(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array never fails
        }
    }

    public void writeBoolean(boolean v) {
        writeInt(v ? 1 : 0);
    }

    /** A length, then the n floats of a from offset. */
    public void writeFloats(float[] a, int off, int n) {
        writeInt(n);
        ByteBuffer b = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(a, off, n);
        bytes.writeBytes(b.array());
    }

    public void writeFloats(float[] a) {
        writeFloats(a, 0, a.length);
    }

    /** A length, then the ints. */
    public void writeInts(int[] a) {
        writeInt(a.length);
        for (int v : a) {
            writeInt(v);
        }
    }

    public byte[] toByteArray() {
        return bytes.toByteArray();
    }
}
