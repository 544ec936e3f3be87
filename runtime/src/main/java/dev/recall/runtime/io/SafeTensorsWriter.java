package dev.recall.runtime.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recall.runtime.RecallException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes F32 / I32 / BF16 tensors as a safetensors file (reference outputs, synthetic models). */
public final class SafeTensorsWriter {

    private record Entry(String name, DType dtype, long[] shape, byte[] bytes) {
    }

    private final List<Entry> entries = new ArrayList<>();

    public SafeTensorsWriter f32(String name, float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return add(name, DType.F32, shape, b.array(), values.length);
    }

    public SafeTensorsWriter i32(String name, int[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        return add(name, DType.I32, shape, b.array(), values.length);
    }

    /** Stores fp32 values rounded to bf16 (round to nearest even). */
    public SafeTensorsWriter bf16(String name, float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putShort((short) (Float.floatToRawIntBits(dev.recall.kernels.ElementType.roundToBf16(v)) >>> 16));
        }
        return add(name, DType.BF16, shape, b.array(), values.length);
    }

    private SafeTensorsWriter add(String name, DType dtype, long[] shape, byte[] bytes, long count) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != count) {
            throw new IllegalArgumentException(name + ": " + count + " values do not fill shape " + java.util.Arrays.toString(shape));
        }
        entries.add(new Entry(name, dtype, shape, bytes));
        return this;
    }

    public void write(Path file) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        long off = 0;
        for (Entry e : entries) {
            ObjectNode t = header.putObject(e.name);
            t.put("dtype", e.dtype.name());
            var shape = t.putArray("shape");
            for (long d : e.shape) {
                shape.add(d);
            }
            var offs = t.putArray("data_offsets");
            offs.add(off);
            offs.add(off + e.bytes.length);
            off += e.bytes.length;
        }
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        int pad = (8 - h.length % 8) % 8;
        byte[] hp = new byte[h.length + pad];
        System.arraycopy(h, 0, hp, 0, h.length);
        java.util.Arrays.fill(hp, h.length, hp.length, (byte) ' ');
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            try (OutputStream out = Files.newOutputStream(file)) {
                out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(hp.length).array());
                out.write(hp);
                for (Entry e : entries) {
                    out.write(e.bytes);
                }
            }
        } catch (IOException e) {
            throw new RecallException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
