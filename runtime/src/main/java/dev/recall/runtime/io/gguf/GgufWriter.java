package dev.recall.runtime.io.gguf;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF version 3 in one pass, the way llama.cpp lays files out: the header, the metadata,
 * the tensor infos, padding to the alignment, then each tensor's bytes (each padded to the
 * alignment), in the order they were added. Metadata values carry their GGUF type explicitly,
 * because llama.cpp reads keys with typed getters ({@code llama.block_count} must be a UINT32).
 * Tensor bytes come from a {@link TensorData} when the tensors are written, so a converter can
 * stream a model that is never whole in memory.
 */
public final class GgufWriter {

    /** A metadata value with its GGUF type; arrays hold values of one element type. */
    public record Value(GgufFile.ValueType type, Object value, GgufFile.ValueType elementType) {

        public static Value u32(long v) {
            return new Value(GgufFile.ValueType.UINT32, v, null);
        }

        public static Value i32(long v) {
            return new Value(GgufFile.ValueType.INT32, v, null);
        }

        public static Value u64(long v) {
            return new Value(GgufFile.ValueType.UINT64, v, null);
        }

        public static Value f32(double v) {
            return new Value(GgufFile.ValueType.FLOAT32, (float) v, null);
        }

        public static Value bool(boolean v) {
            return new Value(GgufFile.ValueType.BOOL, v, null);
        }

        public static Value string(String v) {
            return new Value(GgufFile.ValueType.STRING, v, null);
        }

        /** An array of values of the element type (Long, Float, Double, Boolean, String or List). */
        public static Value array(GgufFile.ValueType elementType, List<?> values) {
            return new Value(GgufFile.ValueType.ARRAY, values, elementType);
        }
    }

    /** Writes a tensor's bytes, exactly {@code bytes} of them. */
    @FunctionalInterface
    public interface TensorData {
        void write(OutputStream out) throws IOException;
    }

    private record Entry(String name, GgmlType type, long[] shape, long bytes, TensorData data) {
    }

    private final Map<String, Value> metadata = new LinkedHashMap<>();
    private final List<Entry> tensors = new ArrayList<>();
    private final int alignment;

    public GgufWriter() {
        this(GgufFile.DEFAULT_ALIGNMENT);
    }

    public GgufWriter(int alignment) {
        this.alignment = alignment;
    }

    public GgufWriter put(String key, Value value) {
        metadata.put(key, value);
        return this;
    }

    /**
     * Adds a tensor of the given shape (rows first, as {@link GgufFile} reads it back; the file
     * stores the dimensions reversed).
     */
    public GgufWriter tensor(String name, GgmlType type, long[] shape, TensorData data) {
        long elements = 1;
        for (long d : shape) {
            elements = Math.multiplyExact(elements, d);
        }
        if (shape.length > 0 && shape[shape.length - 1] % type.blockElements() != 0) {
            throw new IllegalArgumentException(name + ": rows of " + shape[shape.length - 1] + " are not whole " + type + " blocks");
        }
        tensors.add(new Entry(name, type, shape.clone(), elements / type.blockElements() * type.blockBytes(), data));
        return this;
    }

    /** Writes the file to {@code out} (not closed). */
    public void write(OutputStream out) throws IOException {
        Sink s = new Sink(out);
        s.i32(GgufFile.MAGIC);
        s.i32(3);
        s.i64(tensors.size());
        s.i64(metadata.size() + (alignment != GgufFile.DEFAULT_ALIGNMENT ? 1 : 0));
        if (alignment != GgufFile.DEFAULT_ALIGNMENT) {
            s.string("general.alignment");
            s.value(Value.u32(alignment));
        }
        for (var e : metadata.entrySet()) {
            s.string(e.getKey());
            s.value(e.getValue());
        }
        long offset = 0;
        for (Entry t : tensors) {
            s.string(t.name());
            s.i32(t.shape().length);
            for (int d = t.shape().length - 1; d >= 0; d--) {
                s.i64(t.shape()[d]);
            }
            s.i32(t.type().id());
            s.i64(offset);
            offset += pad(t.bytes());
        }
        s.zeros(pad(s.written) - s.written);
        for (Entry t : tensors) {
            long before = s.written;
            t.data().write(s);
            long wrote = s.written - before;
            if (wrote != t.bytes()) {
                throw new IOException("tensor " + t.name() + " wrote " + wrote + " bytes, its shape and type need " + t.bytes());
            }
            s.zeros(pad(t.bytes()) - t.bytes());
        }
        s.flush();
    }

    private long pad(long n) {
        return (n + alignment - 1) / alignment * alignment;
    }

    /** Little-endian primitives over an output stream, counting bytes. */
    private static final class Sink extends OutputStream {
        private final OutputStream out;
        private final ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        long written;

        Sink(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            written++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            written += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        void i32(int v) throws IOException {
            buf.clear();
            buf.putInt(v);
            write(buf.array(), 0, 4);
        }

        void i64(long v) throws IOException {
            buf.clear();
            buf.putLong(v);
            write(buf.array(), 0, 8);
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            write(b, 0, b.length);
        }

        void zeros(long n) throws IOException {
            for (long i = 0; i < n; i++) {
                write(0);
            }
        }

        void value(Value v) throws IOException {
            i32(v.type().ordinal());
            raw(v.type(), v.value(), v.elementType());
        }

        private void raw(GgufFile.ValueType type, Object v, GgufFile.ValueType elementType) throws IOException {
            switch (type) {
                case UINT8, INT8 -> write((int) (long) (Long) v);
                case UINT16, INT16 -> {
                    long n = (Long) v;
                    write((int) (n & 0xFF));
                    write((int) ((n >> 8) & 0xFF));
                }
                case UINT32, INT32 -> i32((int) (long) (Long) v);
                case UINT64, INT64 -> i64((Long) v);
                case FLOAT32 -> i32(Float.floatToRawIntBits(((Number) v).floatValue()));
                case FLOAT64 -> i64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
                case BOOL -> write((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                case ARRAY -> {
                    List<?> list = (List<?>) v;
                    i32(elementType.ordinal());
                    i64(list.size());
                    for (Object o : list) {
                        if (elementType == GgufFile.ValueType.ARRAY) {
                            Value inner = (Value) o;
                            raw(GgufFile.ValueType.ARRAY, inner.value(), inner.elementType());
                        } else {
                            raw(elementType, o, null);
                        }
                    }
                }
            }
        }
    }
}
