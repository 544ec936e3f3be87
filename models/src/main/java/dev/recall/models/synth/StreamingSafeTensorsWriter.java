package dev.recall.models.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recall.kernels.ElementType;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.DType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

/**
 * Writes a safetensors file tensor by tensor: the header (all names, shapes and offsets) first, then
 * each tensor's data in header order, streamed through a small buffer. Unlike the runtime's
 * in-memory {@code SafeTensorsWriter} it never holds more than one buffer of data, so it can write
 * multi-gigabyte checkpoints. Only F32 and BF16 are written (what synthetic models need).
 */
public final class StreamingSafeTensorsWriter implements AutoCloseable {

    /** One tensor of the file: its name, dtype and shape. */
    public record Entry(String name, DType dtype, long[] shape) {

        public Entry {
            if (dtype != DType.F32 && dtype != DType.BF16) {
                throw new IllegalArgumentException(name + ": only F32 and BF16 are written, not " + dtype);
            }
        }

        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        long bytes() {
            return elements() * (dtype == DType.F32 ? 4 : 2);
        }
    }

    /** The values of one tensor, produced in row-major order. */
    @FunctionalInterface
    public interface Values {
        /** Fills {@code out[0, n)} with the values at flat indices {@code [first, first + n)}. */
        void fill(long first, float[] out, int n);
    }

    private static final int BUFFER_VALUES = 1 << 20;

    private final Path file;
    private final List<Entry> entries;
    private final FileChannel channel;
    private final ByteBuffer buffer;
    private final float[] values = new float[BUFFER_VALUES];
    private int next;

    /** Creates (or replaces) the file and writes its header. */
    public StreamingSafeTensorsWriter(Path file, List<Entry> entries) {
        this.file = file;
        this.entries = List.copyOf(entries);
        this.buffer = ByteBuffer.allocateDirect(BUFFER_VALUES * 4).order(ByteOrder.LITTLE_ENDIAN);
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            byte[] header = header(this.entries);
            ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            prefix.putLong(header.length).put(header).flip();
            writeFully(prefix);
        } catch (IOException e) {
            throw new RecallException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes the data of the next tensor in header order. */
    public void write(Values source) {
        if (next >= entries.size()) {
            throw new IllegalStateException("all " + entries.size() + " tensors of " + file + " are already written");
        }
        Entry entry = entries.get(next++);
        long total = entry.elements();
        try {
            for (long first = 0; first < total; first += BUFFER_VALUES) {
                int n = (int) Math.min(BUFFER_VALUES, total - first);
                source.fill(first, values, n);
                buffer.clear();
                if (entry.dtype() == DType.F32) {
                    for (int i = 0; i < n; i++) {
                        buffer.putFloat(values[i]);
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        buffer.putShort(bf16Bits(values[i]));
                    }
                }
                buffer.flip();
                writeFully(buffer);
            }
        } catch (IOException e) {
            throw new RecallException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Closes the file; fails when some tensor of the header was never written. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new RecallException("cannot write " + file + ": " + e.getMessage(), e);
        }
        if (next != entries.size()) {
            throw new IllegalStateException(file + " was closed after " + next + " of " + entries.size() + " tensors");
        }
    }

    /** The upper half of the value rounded to bf16 (the runtime's own rounding). */
    private static short bf16Bits(float v) {
        return (short) (Float.floatToRawIntBits(ElementType.roundToBf16(v)) >>> 16);
    }

    private static byte[] header(List<Entry> entries) {
        ObjectNode header = new ObjectMapper().createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = header.putObject(e.name());
            t.put("dtype", e.dtype().name());
            var shape = t.putArray("shape");
            for (long d : e.shape()) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(offset).add(offset + e.bytes());
            offset += e.bytes();
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        // Pad with spaces so the data starts 8-byte aligned (the format allows trailing spaces).
        byte[] padded = Arrays.copyOf(json, json.length + (8 - json.length % 8) % 8);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        return padded;
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }
}
