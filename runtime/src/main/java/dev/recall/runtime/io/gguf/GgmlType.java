package dev.recall.runtime.io.gguf;

import dev.recall.kernels.ElementType;
import dev.recall.kernels.QuantizedType;
import dev.recall.kernels.WeightType;

/**
 * The tensor types a GGUF file may name, by ggml's numeric id, with their block geometry (from
 * ggml's type-traits table; gguf-py's {@code GGML_QUANT_SIZES}). The geometry of every type is
 * known so that a file is validated whole even where Recall cannot compute with one of its types;
 * {@link #weightType()} is null for those, and loading a model with such a tensor is refused by name.
 */
public enum GgmlType {
    F32(0, 1, 4, ElementType.F32),
    F16(1, 1, 2, ElementType.F16),
    Q4_0(2, 32, 18, QuantizedType.Q4_0),
    Q4_1(3, 32, 20, QuantizedType.Q4_1),
    Q5_0(6, 32, 22, QuantizedType.Q5_0),
    Q5_1(7, 32, 24, QuantizedType.Q5_1),
    Q8_0(8, 32, 34, QuantizedType.Q8_0),
    Q8_1(9, 32, 36, null),
    Q2_K(10, 256, 84, null),
    Q3_K(11, 256, 110, null),
    Q4_K(12, 256, 144, QuantizedType.Q4_K),
    Q5_K(13, 256, 176, QuantizedType.Q5_K),
    Q6_K(14, 256, 210, QuantizedType.Q6_K),
    Q8_K(15, 256, 292, null),
    IQ2_XXS(16, 256, 66, null),
    IQ2_XS(17, 256, 74, null),
    IQ3_XXS(18, 256, 98, null),
    IQ1_S(19, 256, 50, null),
    IQ4_NL(20, 32, 18, null),
    IQ3_S(21, 256, 110, null),
    IQ2_S(22, 256, 82, null),
    IQ4_XS(23, 256, 136, null),
    I8(24, 1, 1, null),
    I16(25, 1, 2, null),
    I32(26, 1, 4, null),
    I64(27, 1, 8, null),
    F64(28, 1, 8, null),
    IQ1_M(29, 256, 56, null),
    BF16(30, 1, 2, ElementType.BF16),
    TQ1_0(34, 256, 54, null),
    TQ2_0(35, 256, 66, null),
    MXFP4(39, 32, 17, null),
    NVFP4(40, 64, 36, null),
    Q1_0(41, 128, 18, null),
    Q2_0(42, 64, 18, null);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockElements;
    private final int blockBytes;
    private final WeightType weightType;

    GgmlType(int id, int blockElements, int blockBytes, WeightType weightType) {
        this.id = id;
        this.blockElements = blockElements;
        this.blockBytes = blockBytes;
        this.weightType = weightType;
    }

    /** The type with this id, or null when ggml has none. */
    public static GgmlType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }

    /** The ggml type that stores a weight type (for writing GGUF). */
    public static GgmlType of(WeightType type) {
        for (GgmlType t : values()) {
            if (t.weightType == type) {
                return t;
            }
        }
        throw new IllegalArgumentException("no ggml type for " + type.name());
    }

    public int id() {
        return id;
    }

    public int blockElements() {
        return blockElements;
    }

    public int blockBytes() {
        return blockBytes;
    }

    /** The weight type Recall computes with, or null where it has none for this ggml type. */
    public WeightType weightType() {
        return weightType;
    }
}
