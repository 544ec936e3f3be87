package dev.recall.runtime.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recall.runtime.RecallException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code .safetensors} file, memory-mapped read-only. Tensors are zero-copy views into the
 * mapping; the file stays mapped until {@link #close()}.
 *
 * <p>Format: 8-byte little-endian header length N, N bytes of JSON, then the data area. Every
 * entry is validated (dtype, shape, offsets inside the data area, byte size = numel × dtype size,
 * no overlaps) before any tensor is handed out, so a bad file fails at open with one clear message.
 */
public final class SafeTensorsFile implements AutoCloseable {

    /** Header JSON larger than this is refused (the format's own reference limit is 100 MB). */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final Arena arena;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    private SafeTensorsFile(Path path, Arena arena, Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafeTensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment all = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            SafeTensorsFile f = parse(path, arena, all, size);
            return f;
        } catch (NoSuchFileException e) {
            arena.close();
            throw new RecallException("weights file not found: " + path);
        } catch (IOException e) {
            arena.close();
            throw new RecallException("cannot read weights file " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Parses an in-memory safetensors image (tests, fuzzing). */
    public static SafeTensorsFile fromBytes(String name, byte[] bytes) {
        MemorySegment seg = MemorySegment.ofArray(bytes);
        return parse(Path.of(name), null, seg, bytes.length);
    }

    private static SafeTensorsFile parse(Path path, Arena arena, MemorySegment all, long size) {
        String where = path.getFileName() == null ? path.toString() : path.getFileName().toString();
        if (size < 8) {
            throw new RecallException(where + " is not a safetensors file: " + size + " bytes, shorter than the 8-byte header length");
        }
        long n = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 2 || n > size - 8 || n > MAX_HEADER_BYTES) {
            throw new RecallException(where + " is truncated or corrupt: header length " + Long.toUnsignedString(n)
                    + " does not fit in a file of " + size + " bytes");
        }
        byte[] headerBytes = all.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        JsonNode header;
        try {
            header = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new RecallException(where + " has a malformed JSON header: " + e.getOriginalMessage());
        }
        if (header == null || !header.isObject()) {
            throw new RecallException(where + " has a header that is not a JSON object");
        }
        long dataStart = 8 + n;
        long dataSize = size - dataStart;
        MemorySegment dataArea = all.asSlice(dataStart, dataSize);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode entry = e.getValue();
            if (name.equals("__metadata__")) {
                if (entry.isObject()) {
                    entry.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                }
                continue;
            }
            String ctx = where + ": tensor '" + name + "'";
            if (!entry.isObject()) {
                throw new RecallException(ctx + " has no dtype/shape/data_offsets entry");
            }
            DType dtype = dtype(ctx, entry.get("dtype"));
            long[] shape = shape(ctx, entry.get("shape"));
            JsonNode offs = entry.get("data_offsets");
            if (offs == null || !offs.isArray() || offs.size() != 2 || !offs.get(0).canConvertToLong()
                    || !offs.get(1).canConvertToLong() || !offs.get(0).isIntegralNumber() || !offs.get(1).isIntegralNumber()) {
                throw new RecallException(ctx + " has invalid data_offsets (expected [begin, end])");
            }
            long begin = offs.get(0).asLong();
            long end = offs.get(1).asLong();
            if (begin < 0 || end < begin || end > dataSize) {
                throw new RecallException(ctx + " has data_offsets [" + begin + ", " + end
                        + ") outside the data area of " + dataSize + " bytes (file truncated?)");
            }
            long want;
            try {
                long numel = 1;
                for (long d : shape) {
                    numel = Math.multiplyExact(numel, d);
                }
                want = Math.multiplyExact(numel, (long) dtype.bytes);
            } catch (ArithmeticException overflow) {
                throw new RecallException(ctx + " has a shape too large to address: " + java.util.Arrays.toString(shape));
            }
            if (end - begin != want) {
                throw new RecallException(ctx + " holds " + (end - begin) + " bytes but " + dtype + " "
                        + java.util.Arrays.toString(shape) + " needs " + want);
            }
            ranges.add(new long[]{begin, end});
            tensors.put(name, new Tensor(name, dtype, shape, dataArea.asSlice(begin, end - begin)));
        }
        ranges.sort((a, b) -> Long.compare(a[0], b[0]));
        for (int i = 1; i < ranges.size(); i++) {
            if (ranges.get(i)[0] < ranges.get(i - 1)[1]) {
                throw new RecallException(where + " has overlapping tensors at data offset " + ranges.get(i)[0]);
            }
        }
        return new SafeTensorsFile(path, arena, Collections.unmodifiableMap(tensors), metadata);
    }

    private static DType dtype(String ctx, JsonNode node) {
        if (node == null || !node.isTextual()) {
            throw new RecallException(ctx + " has no dtype");
        }
        return switch (node.asText()) {
            case "F32" -> DType.F32;
            case "BF16" -> DType.BF16;
            case "F16" -> DType.F16;
            case "I32" -> DType.I32;
            default -> throw new RecallException(ctx + " has unsupported dtype " + node.asText()
                    + " (supported: F32, BF16, F16, I32)");
        };
    }

    private static long[] shape(String ctx, JsonNode node) {
        if (node == null || !node.isArray()) {
            throw new RecallException(ctx + " has no shape");
        }
        long[] shape = new long[node.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = node.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                throw new RecallException(ctx + " has an invalid shape " + node);
            }
            shape[i] = d.asLong();
        }
        return shape;
    }

    public Path path() {
        return path;
    }

    public Map<String, Tensor> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public void close() {
        if (arena != null && arena.scope().isAlive()) {
            arena.close();
        }
    }
}
