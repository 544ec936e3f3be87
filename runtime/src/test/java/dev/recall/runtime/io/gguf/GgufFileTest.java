package dev.recall.runtime.io.gguf;

import dev.recall.kernels.ElementType;
import dev.recall.kernels.QuantizedType;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.io.gguf.GgufFile.ValueType;
import dev.recall.runtime.io.gguf.GgufWriter.Value;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading what {@link GgufWriter} writes, and a clear sentence for each way a file can be wrong. */
class GgufFileTest {

    /** A small file with every metadata type, a nested array and four tensor types. */
    static byte[] sample() {
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", Value.string("llama"));
        w.put("u8", new Value(ValueType.UINT8, 200L, null));
        w.put("i8", new Value(ValueType.INT8, -5L, null));
        w.put("u16", new Value(ValueType.UINT16, 60000L, null));
        w.put("i16", new Value(ValueType.INT16, -300L, null));
        w.put("u32", Value.u32(4_000_000_000L));
        w.put("i32", Value.i32(-7));
        w.put("u64", Value.u64(1L << 40));
        w.put("i64", new Value(ValueType.INT64, -1L << 40, null));
        w.put("f32", Value.f32(1e-5));
        w.put("f64", new Value(ValueType.FLOAT64, 0.1, null));
        w.put("flag", Value.bool(true));
        w.put("tokens", Value.array(ValueType.STRING, List.of("<s>", "é", "▁the")));
        w.put("nested", Value.array(ValueType.ARRAY, List.of(Value.array(ValueType.INT32, List.of(1L, 2L)),
                Value.array(ValueType.INT32, List.of(3L)))));
        float[] f32 = {1, 2, 3, 4, 5, 6, 7, 8};
        w.tensor("a", GgmlType.F32, new long[] {2, 4}, out -> {
            ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : f32) {
                b.putFloat(v);
            }
            out.write(b.array());
        });
        w.tensor("q", GgmlType.Q8_0, new long[] {2, 32}, out -> {
            byte[] blocks = new byte[68];
            for (int r = 0; r < 2; r++) {
                blocks[r * 34] = 0;
                blocks[r * 34 + 1] = 0x3c; // half 1.0
                for (int i = 0; i < 32; i++) {
                    blocks[r * 34 + 2 + i] = (byte) (i - 16 + r);
                }
            }
            out.write(blocks);
        });
        w.tensor("k", GgmlType.Q4_K, new long[] {1, 256}, out -> out.write(new byte[144]));
        w.tensor("n", GgmlType.BF16, new long[] {3}, out -> out.write(new byte[] {(byte) 0x80, 0x3f, 0, 0x40, 0, 0}));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            w.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    @Test
    void readsBackEveryValueTypeAndTensor() {
        GgufFile f = GgufFile.fromBytes("sample.gguf", sample());
        assertEquals(3, f.version());
        assertEquals("llama", f.string("general.architecture"));
        assertEquals(200L, f.integer("u8"));
        assertEquals(-5L, f.integer("i8"));
        assertEquals(60000L, f.integer("u16"));
        assertEquals(-300L, f.integer("i16"));
        assertEquals(4_000_000_000L, f.integer("u32"));
        assertEquals(-7L, f.integer("i32"));
        assertEquals(1L << 40, f.integer("u64"));
        assertEquals(-1L << 40, f.integer("i64"));
        assertEquals(1e-5f, (float) f.number("f32", 0));
        assertEquals(0.1, f.number("f64", 0));
        assertTrue(f.bool("flag", false));
        assertEquals(List.of("<s>", "é", "▁the"), f.array("tokens", String.class));
        assertEquals(List.of(List.of(1L, 2L), List.of(3L)), f.array("nested"));

        Tensor a = f.tensors().get("a");
        assertArrayEquals(new long[] {2, 4}, a.shape());
        assertEquals(ElementType.F32, a.type());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, a.toFloats());
        Tensor q = f.tensors().get("q");
        assertEquals(QuantizedType.Q8_0, q.type());
        assertEquals(-16f, q.matrix().get(0, 0));
        assertEquals(16f, q.matrix().get(1, 31));
        assertEquals(QuantizedType.Q4_K, f.tensors().get("k").type());
        assertArrayEquals(new float[] {1, 2, 0}, f.tensors().get("n").toFloats());
        assertEquals(0, f.tensorInfos().get("q").offset() % 32);
    }

    @Test
    void typedAccessorsNameTheKey() {
        GgufFile f = GgufFile.fromBytes("sample.gguf", sample());
        assertMessage("sample.gguf has no metadata missing.key", () -> f.string("missing.key"));
        assertMessage("sample.gguf: metadata u32 is 4000000000, expected a string", () -> f.string("u32"));
        assertMessage("sample.gguf: metadata general.architecture is llama, expected an integer", () -> f.integer("general.architecture"));
        assertMessage("expected only Long values", () -> f.array("tokens", Long.class));
    }

    @Test
    void refusesDamagedFilesWithOneSentence() {
        byte[] good = sample();
        assertMessage("not a GGUF file (it does not start with \"GGUF\")", () -> parse(set(good, 0, 'X')));
        assertMessage("shorter than GGUF's 24-byte header", () -> parse(Arrays.copyOf(good, 10)));
        assertMessage("GGUF version 1, which Recall does not read", () -> parse(putInt(good, 4, 1)));
        assertMessage("a big-endian GGUF file", () -> parse(putInt(good, 4, Integer.reverseBytes(3))));
        assertMessage("claims 1152921504606846976 tensors", () -> parse(putLong(good, 8, 1L << 60)));
        assertMessage("claims 72057594037927936 metadata entries", () -> parse(putLong(good, 16, 1L << 56)));
        for (int cut : new int[] {30, 200, 700, good.length - 27}) {
            RecallException e = assertThrows(RecallException.class, () -> parse(Arrays.copyOf(good, cut)), "cut at " + cut);
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("corrupt"), e.getMessage());
        }
        // The first key's length field: an absurd length is refused before anything is allocated.
        assertMessage("metadata key 0 is 1099511627776 bytes long", () -> parse(putLong(good, 24, 1L << 40)));
    }

    @Test
    void refusesBadTensorInfos() {
        assertMessage("tensor 'x' has ggml type 77, which is not a type ggml defines", () -> parse(oneTensor(77, 32, 0, 4)));
        assertMessage("tensor 'x' has rows of 33 weights, not a whole number of Q8_0 blocks of 32",
                () -> parse(oneTensor(8, 33, 0, 34)));
        assertMessage("tensor 'x' has offset 8, not a multiple of the alignment 32", () -> parse(oneTensor(0, 4, 8, 64)));
        assertMessage("tensor 'x' (136 bytes at offset 0) runs past the end of the file", () -> parse(oneTensor(8, 128, 0, 100)));
        GgufFile unsupported = parse(oneTensor(10, 256, 0, 84));
        assertNull(unsupported.tensors().get("x").type(), "Q2_K is read but has no weight type");
        assertEquals("Q2_K", unsupported.tensors().get("x").typeName());
    }

    @Test
    void refusesDuplicatesAndOverlaps() {
        GgufWriter w = new GgufWriter();
        w.put("k", Value.u32(1));
        byte[] one = write(w);
        // Claim two entries: the second is read from the zero padding, an empty key.
        assertMessage("metadata key 1 is empty", () -> parse(putLong(one, 16, 2)));
        byte[] two = twoTensors("x", "x");
        assertMessage("tensor 'x' appears twice", () -> parse(two));
        byte[] overlap = twoTensors("x", "y");
        // Point y's offset at x's data.
        int at = indexOf(overlap, "y".getBytes()) + 1 + 4 + 8 + 4;
        assertMessage("tensors 'x' and 'y' overlap", () -> parse(putLong(overlap, at, 0)));
    }

    private static byte[] twoTensors(String a, String b) {
        GgufWriter w = new GgufWriter();
        w.tensor(a, GgmlType.F32, new long[] {8}, out -> out.write(new byte[32]));
        w.tensor(b, GgmlType.F32, new long[] {8}, out -> out.write(new byte[32]));
        return write(w);
    }

    /** A file with one tensor "x" of the given type id, row length and offset, and {@code data} data bytes. */
    private static byte[] oneTensor(int type, long cols, long offset, int data) {
        ByteBuffer b = ByteBuffer.allocate(64 + data).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GgufFile.MAGIC).putInt(3).putLong(1).putLong(0);
        b.putLong(1).put((byte) 'x').putInt(1).putLong(cols).putInt(type).putLong(offset);
        return Arrays.copyOf(b.array(), 64 + data);
    }

    private static byte[] write(GgufWriter w) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            w.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static GgufFile parse(byte[] bytes) {
        return GgufFile.fromBytes("t.gguf", bytes);
    }

    private static byte[] set(byte[] b, int at, int v) {
        byte[] c = b.clone();
        c[at] = (byte) v;
        return c;
    }

    private static byte[] putInt(byte[] b, int at, int v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
        return c;
    }

    private static byte[] putLong(byte[] b, int at, long v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
        return c;
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable run) {
        RecallException e = assertThrows(RecallException.class, run);
        assertTrue(e.getMessage().contains(part), "message: " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }
}
