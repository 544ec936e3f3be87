package dev.recall.runtime.io;

import dev.recall.kernels.ElementType;
import dev.recall.kernels.WeightType;

/**
 * Element types of tensors in a safetensors file. F32/BF16/F16 are weights, computed with through
 * their {@link WeightType}; I32 holds token ids in data files such as reference outputs.
 */
public enum DType {
    F32(4, ElementType.F32), BF16(2, ElementType.BF16), F16(2, ElementType.F16), I32(4, null);

    public final int bytes;
    private final WeightType weightType;

    DType(int bytes, WeightType weightType) {
        this.bytes = bytes;
        this.weightType = weightType;
    }

    /** The weight type of a floating-point tensor; null for I32, which is no weight. */
    public WeightType weightType() {
        return weightType;
    }
}
