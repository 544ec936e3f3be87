package dev.recall.kernels;

/**
 * Element types of stored tensors. F32/BF16/F16 are weight types (activations are always fp32);
 * I32 holds token ids in data files such as reference outputs.
 */
public enum DType {
    F32(4), BF16(2), F16(2), I32(4);

    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }
}
