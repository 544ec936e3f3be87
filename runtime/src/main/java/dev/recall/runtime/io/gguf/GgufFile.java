package dev.recall.runtime.io.gguf;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.Tensor;

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
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (versions 2 and 3), memory-mapped read-only: its metadata and its tensors as
 * zero-copy views, in Hugging Face's order of dimensions (rows first).
 *
 * <p>Format (ggml's {@code docs/gguf.md}, little-endian): magic "GGUF", version (u32), tensor count
 * (u64), metadata count (u64); the metadata, each a key (u64 length + UTF-8), a value type (u32)
 * and a value (arrays: element type, u64 count, elements; arrays may nest); the tensor infos, each
 * a name, a dimension count (u32, at most 4), the dimensions (u64, innermost first), a ggml type
 * (u32) and an offset (u64) into the data section, which starts at the next multiple of
 * {@code general.alignment} (default 32) after the infos.
 *
 * <p>Everything is validated before a tensor is handed out, with one sentence per problem: counts
 * and lengths against the bytes left in the file (so a hostile count cannot allocate), nesting
 * depth, unique keys and names, known types, rows that are whole blocks, sizes that are the type's
 * geometry times the shape, aligned offsets inside the file and no two tensors overlapping.
 */
public final class GgufFile implements AutoCloseable {

    /** "GGUF" read as a little-endian u32. */
    static final int MAGIC = 0x46554747;
    static final int DEFAULT_ALIGNMENT = 32;
    /** ggml's GGML_MAX_DIMS. */
    static final int MAX_DIMS = 4;
    /** Deepest nesting of arrays accepted (ggml writes none). */
    static final int MAX_NESTING = 8;
    /** Longest key or tensor name accepted. */
    static final int MAX_NAME_BYTES = 1 << 16;

    /** Metadata value types, by their number in the file. */
    public enum ValueType {
        UINT8(1), INT8(1), UINT16(2), INT16(2), UINT32(4), INT32(4), FLOAT32(4), BOOL(1), STRING(8), ARRAY(12),
        UINT64(8), INT64(8), FLOAT64(8);

        /** The fewest bytes a value of this type occupies (a string's length, an array's header). */
        final int minBytes;

        ValueType(int minBytes) {
            this.minBytes = minBytes;
        }

        static ValueType byId(long id) {
            return id >= 0 && id < values().length ? values()[(int) id] : null;
        }
    }

    /** A tensor's entry: its ggml type, its shape (rows first) and its bytes in the data section. */
    public record TensorInfo(String name, GgmlType type, long[] shape, long offset, long bytes) {
    }

    private final Path path;
    private final Arena arena;
    private final int version;
    private final int alignment;
    private final Map<String, Object> metadata;
    private final Map<String, GgufWriter.Value> typedMetadata;
    private final Map<String, TensorInfo> infos;
    private final Map<String, Tensor> tensors;

    private GgufFile(Path path, Arena arena, int version, int alignment, Map<String, Object> metadata,
                     Map<String, GgufWriter.Value> typedMetadata, Map<String, TensorInfo> infos, Map<String, Tensor> tensors) {
        this.typedMetadata = Collections.unmodifiableMap(typedMetadata);
        this.path = path;
        this.arena = arena;
        this.version = version;
        this.alignment = alignment;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.infos = Collections.unmodifiableMap(infos);
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /** Whether the file starts with GGUF's magic (a cheap test for choosing a reader). */
    public static boolean looksLikeGguf(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            return ch.read(b) == 4 && b.getInt(0) == MAGIC;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    public static GgufFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment all = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return parse(path, arena, all, size);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new RecallException("GGUF file not found: " + path);
        } catch (IOException e) {
            arena.close();
            throw new RecallException("cannot read GGUF file " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Parses an in-memory GGUF image (tests, fuzzing). */
    public static GgufFile fromBytes(String name, byte[] bytes) {
        return parse(Path.of(name), null, MemorySegment.ofArray(bytes), bytes.length);
    }

    private static GgufFile parse(Path path, Arena arena, MemorySegment all, long size) {
        String where = path.getFileName() == null ? path.toString() : path.getFileName().toString();
        Reader in = new Reader(where, all, size);
        if (size < 24) {
            throw new RecallException(where + " is not a GGUF file: " + size + " bytes, shorter than GGUF's 24-byte header");
        }
        int magic = in.i32();
        if (magic != MAGIC) {
            throw new RecallException(where + " is not a GGUF file (it does not start with \"GGUF\")");
        }
        int version = in.i32();
        if (version == 1) {
            throw new RecallException(where + " is GGUF version 1, which Recall does not read (versions 2 and 3 are supported; "
                    + "convert it again with a current llama.cpp)");
        }
        if (version != 2 && version != 3) {
            throw new RecallException(where + " has GGUF version " + Integer.toUnsignedString(version)
                    + (Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3
                    ? " as read little-endian: a big-endian GGUF file, which Recall does not read"
                    : ", which Recall does not read (2 and 3 are supported)"));
        }
        long tensorCount = in.u64("the tensor count");
        long kvCount = in.u64("the metadata count");
        // Each metadata entry takes at least 13 bytes, each tensor info at least 29: a count that
        // could not fit in the file is refused before anything is allocated for it.
        if (kvCount > in.remaining() / 13) {
            throw new RecallException(where + " is corrupt: it claims " + Long.toUnsignedString(kvCount)
                    + " metadata entries, more than its " + size + " bytes can hold");
        }
        if (tensorCount > in.remaining() / 29) {
            throw new RecallException(where + " is corrupt: it claims " + Long.toUnsignedString(tensorCount)
                    + " tensors, more than its " + size + " bytes can hold");
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        Map<String, GgufWriter.Value> typed = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = in.name("metadata key " + i);
            ValueType type = in.valueType("metadata '" + shown(key) + "'");
            GgufWriter.Value value = in.value(type, "metadata '" + shown(key) + "'", 0);
            typed.put(key, value);
            if (metadata.put(key, plain(value)) != null) {
                throw new RecallException(where + " is corrupt: metadata key '" + shown(key) + "' appears twice");
            }
        }
        int alignment = DEFAULT_ALIGNMENT;
        Object a = metadata.get("general.alignment");
        if (a != null) {
            if (!(a instanceof Long n) || n <= 0 || n > (1 << 30) || Long.bitCount(n) != 1) {
                throw new RecallException(where + ": general.alignment is " + a + ", expected a power of two");
            }
            alignment = (int) (long) n;
        }

        List<TensorInfo> list = new ArrayList<>();
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = in.name("tensor name " + i);
            String ctx = where + ": tensor '" + shown(name) + "'";
            long dims = Integer.toUnsignedLong(in.i32());
            if (dims > MAX_DIMS) {
                throw new RecallException(ctx + " has " + dims + " dimensions, more than GGUF's " + MAX_DIMS);
            }
            long[] ne = new long[(int) dims];
            for (int d = 0; d < dims; d++) {
                ne[d] = in.u64(ctx + "'s dimension " + d);
                if (ne[d] < 0) {
                    throw new RecallException(ctx + " has dimension " + Long.toUnsignedString(ne[d]) + ", too large to address");
                }
            }
            long typeId = Integer.toUnsignedLong(in.i32());
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) {
                throw new RecallException(ctx + " has ggml type " + typeId + ", which is not a type ggml defines");
            }
            long offset = in.u64(ctx + "'s offset");
            long elements = 1;
            long bytes;
            try {
                for (long d : ne) {
                    elements = Math.multiplyExact(elements, d);
                }
                if (ne.length > 0 && ne[0] % type.blockElements() != 0) {
                    throw new RecallException(ctx + " has rows of " + ne[0] + " weights, not a whole number of "
                            + type + " blocks of " + type.blockElements());
                }
                bytes = Math.multiplyExact(elements / type.blockElements(), (long) type.blockBytes());
            } catch (ArithmeticException overflow) {
                throw new RecallException(ctx + " has a shape too large to address");
            }
            if (offset < 0 || offset % alignment != 0) {
                throw new RecallException(ctx + " has offset " + Long.toUnsignedString(offset)
                        + ", not a multiple of the alignment " + alignment);
            }
            long[] shape = new long[ne.length];
            for (int d = 0; d < ne.length; d++) {
                shape[d] = ne[ne.length - 1 - d];
            }
            TensorInfo info = new TensorInfo(name, type, shape, offset, bytes);
            if (infos.put(name, info) != null) {
                throw new RecallException(where + " is corrupt: tensor '" + shown(name) + "' appears twice");
            }
            list.add(info);
        }
        long dataStart = (in.position() + alignment - 1) / alignment * alignment;
        // A file without tensors (a vocabulary-only GGUF) may end without the padding.
        if (list.isEmpty()) {
            dataStart = Math.min(dataStart, size);
        }
        if (dataStart > size) {
            throw new RecallException(where + " is truncated: it ends before its tensor data begins");
        }
        long dataSize = size - dataStart;
        List<TensorInfo> byOffset = new ArrayList<>(list);
        byOffset.sort(Comparator.comparingLong(TensorInfo::offset));
        long end = 0;
        String previous = null;
        for (TensorInfo t : byOffset) {
            if (t.offset() > dataSize || t.bytes() > dataSize - t.offset()) {
                throw new RecallException(where + " is truncated: tensor '" + shown(t.name()) + "' (" + t.bytes()
                        + " bytes at offset " + t.offset() + ") runs past the end of the file");
            }
            if (t.offset() < end) {
                throw new RecallException(where + " is corrupt: tensors '" + shown(previous) + "' and '" + shown(t.name()) + "' overlap");
            }
            end = t.offset() + t.bytes();
            previous = t.name();
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (TensorInfo t : list) {
            MemorySegment data = all.asSlice(dataStart + t.offset(), t.bytes());
            tensors.put(t.name(), new Tensor(t.name(), t.type().weightType(), t.type().name(), t.shape(), data));
        }
        return new GgufFile(path, arena, version, alignment, metadata, typed, infos, tensors);
    }

    /** A typed value as plain Java values: arrays as lists of plain values. */
    private static Object plain(GgufWriter.Value v) {
        if (v.type() != ValueType.ARRAY) {
            return v.value();
        }
        List<?> items = (List<?>) v.value();
        if (v.elementType() != ValueType.ARRAY) {
            return items;
        }
        List<Object> out = new ArrayList<>(items.size());
        for (Object item : items) {
            out.add(plain((GgufWriter.Value) item));
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * A name from the file as an error message may show it: control characters escaped and at most
     * 80 characters, so a hostile name cannot break or flood the one-line message.
     */
    static String shown(String name) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < name.length() && b.length() < 80; i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) || c == '\u2028' || c == '\u2029') {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.length() < 80 ? b.toString() : b + "…";
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    /**
     * Every metadata value: Long (integers of every width; UINT64 above 2⁶³ − 1 wraps), Float,
     * Double, Boolean, String, or a List of these for an array.
     */
    public Map<String, Object> metadata() {
        return metadata;
    }

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    private String where() {
        return path.getFileName() == null ? path.toString() : path.getFileName().toString();
    }

    private Object required(String key) {
        Object v = metadata.get(key);
        if (v == null) {
            throw new RecallException(where() + " has no metadata " + key);
        }
        return v;
    }

    /** A string value, or a one-sentence error when it is missing or not a string. */
    public String string(String key) {
        if (required(key) instanceof String s) {
            return s;
        }
        throw new RecallException(where() + ": metadata " + key + " is " + metadata.get(key) + ", expected a string");
    }

    public String string(String key, String fallback) {
        return has(key) ? string(key) : fallback;
    }

    /** An integer value (any width). */
    public long integer(String key) {
        if (required(key) instanceof Long n) {
            return n;
        }
        throw new RecallException(where() + ": metadata " + key + " is " + metadata.get(key) + ", expected an integer");
    }

    public long integer(String key, long fallback) {
        return has(key) ? integer(key) : fallback;
    }

    /** A number value: a float of either width, or an integer. */
    public double number(String key, double fallback) {
        if (!has(key)) {
            return fallback;
        }
        return switch (metadata.get(key)) {
            case Float f -> f;
            case Double d -> d;
            case Long n -> n;
            default -> throw new RecallException(where() + ": metadata " + key + " is " + metadata.get(key) + ", expected a number");
        };
    }

    public boolean bool(String key, boolean fallback) {
        if (!has(key)) {
            return fallback;
        }
        if (metadata.get(key) instanceof Boolean b) {
            return b;
        }
        throw new RecallException(where() + ": metadata " + key + " is " + metadata.get(key) + ", expected true or false");
    }

    /** An array value, or a one-sentence error. */
    public List<?> array(String key) {
        if (required(key) instanceof List<?> list) {
            return list;
        }
        throw new RecallException(where() + ": metadata " + key + " is not an array");
    }

    /** An array whose every element is of {@code type}, or a one-sentence error naming the key. */
    public <T> List<T> array(String key, Class<T> type) {
        List<?> list = array(key);
        for (Object o : list) {
            if (!type.isInstance(o)) {
                throw new RecallException(where() + ": metadata " + key + " holds " + o + ", expected only "
                        + type.getSimpleName() + " values");
            }
        }
        @SuppressWarnings("unchecked")
        List<T> typed = (List<T>) list;
        return typed;
    }

    /** Every metadata value with its GGUF type, as a writer copies it (llama.cpp checks the types). */
    public Map<String, GgufWriter.Value> typedMetadata() {
        return typedMetadata;
    }

    public Map<String, TensorInfo> tensorInfos() {
        return infos;
    }

    /** The tensors, rows-first, as zero-copy views into the mapping. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    @Override
    public void close() {
        if (arena != null && arena.scope().isAlive()) {
            arena.close();
        }
    }

    /** Bounds-checked little-endian reads from the start of the file. */
    private static final class Reader {
        private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        private final String where;
        private final MemorySegment s;
        private final long size;
        private long pos;
        private String what = "the header";

        Reader(String where, MemorySegment s, long size) {
            this.where = where;
            this.s = s;
            this.size = size;
        }

        long position() {
            return pos;
        }

        long remaining() {
            return size - pos;
        }

        private long take(long n) {
            if (n < 0 || n > size - pos) {
                throw new RecallException(where + " is truncated: " + what + " runs past the end of the file");
            }
            long at = pos;
            pos += n;
            return at;
        }

        int i32() {
            return s.get(I32, take(4));
        }

        long u64(String what) {
            this.what = what;
            return s.get(I64, take(8));
        }

        String name(String what) {
            this.what = what;
            long n = s.get(I64, take(8));
            if (n < 0 || n > MAX_NAME_BYTES) {
                throw new RecallException(where + " is corrupt: " + what + " is " + Long.toUnsignedString(n)
                        + " bytes long (at most " + MAX_NAME_BYTES + ")");
            }
            if (n == 0) {
                throw new RecallException(where + " is corrupt: " + what + " is empty");
            }
            return utf8(n);
        }

        private String utf8(long n) {
            long at = take(n);
            byte[] bytes = s.asSlice(at, n).toArray(ValueLayout.JAVA_BYTE);
            return new String(bytes, StandardCharsets.UTF_8);
        }

        ValueType valueType(String what) {
            this.what = what;
            long id = Integer.toUnsignedLong(i32());
            ValueType t = ValueType.byId(id);
            if (t == null) {
                throw new RecallException(where + " is corrupt: " + what + " has value type " + id
                        + ", which GGUF does not define");
            }
            return t;
        }

        GgufWriter.Value value(ValueType type, String what, int depth) {
            this.what = what;
            Object v = switch (type) {
                case UINT8 -> (long) (s.get(ValueLayout.JAVA_BYTE, take(1)) & 0xFF);
                case INT8 -> (long) s.get(ValueLayout.JAVA_BYTE, take(1));
                case UINT16 -> (long) (s.get(I16, take(2)) & 0xFFFF);
                case INT16 -> (long) s.get(I16, take(2));
                case UINT32 -> Integer.toUnsignedLong(s.get(I32, take(4)));
                case INT32 -> (long) s.get(I32, take(4));
                case UINT64, INT64 -> s.get(I64, take(8));
                case FLOAT32 -> s.get(F32, take(4));
                case FLOAT64 -> s.get(F64, take(8));
                case BOOL -> {
                    byte b = s.get(ValueLayout.JAVA_BYTE, take(1));
                    if (b != 0 && b != 1) {
                        throw new RecallException(where + " is corrupt: " + what + " is a bool of value " + b);
                    }
                    yield b == 1;
                }
                case STRING -> {
                    long n = s.get(I64, take(8));
                    if (n < 0 || n > remaining()) {
                        throw new RecallException(where + " is truncated: " + what + " is a string of "
                                + Long.toUnsignedString(n) + " bytes, past the end of the file");
                    }
                    yield utf8(n);
                }
                case ARRAY -> {
                    if (depth >= MAX_NESTING) {
                        throw new RecallException(where + " is corrupt: " + what + " nests arrays more than "
                                + MAX_NESTING + " deep");
                    }
                    ValueType element = valueType(what);
                    long n = s.get(I64, take(8));
                    if (n < 0 || n > remaining() / element.minBytes) {
                        throw new RecallException(where + " is truncated: " + what + " is an array of "
                                + Long.toUnsignedString(n) + " " + element + " values, more than the file holds");
                    }
                    List<Object> list = new ArrayList<>((int) n);
                    for (long i = 0; i < n; i++) {
                        GgufWriter.Value item = value(element, what, depth + 1);
                        list.add(element == ValueType.ARRAY ? item : item.value());
                    }
                    yield new GgufWriter.Value(ValueType.ARRAY, Collections.unmodifiableList(list), element);
                }
            };
            return v instanceof GgufWriter.Value array ? array : new GgufWriter.Value(type, v, null);
        }
    }
}
