package dev.recall.runtime.io;

import dev.recall.kernels.WeightMatrix;
import dev.recall.kernels.WeightType;
import dev.recall.runtime.RecallException;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named tensor viewing its bytes in place (memory-mapped, zero-copy), in Hugging Face's order of
 * dimensions (rows first; a GGUF file's reversed dimensions are turned around when it is read).
 *
 * @param type     the weight type of a floating-point or quantized tensor; null for integer data
 *                 (the I32 token ids of reference files)
 * @param typeName the type as the file names it ("BF16", "Q4_K", "I32")
 */
public record Tensor(String name, WeightType type, String typeName, long[] shape, MemorySegment data) {

    /** A tensor of a safetensors element type. */
    public Tensor(String name, DType dtype, long[] shape, MemorySegment data) {
        this(name, dtype.weightType(), dtype.name(), shape, data);
    }

    /** Whether this tensor holds 32-bit integers rather than weights. */
    public boolean isIntegers() {
        return type == null && typeName.equals("I32");
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension i (negative: counted from the last); a file whose tensor lacks it gets a clear error. */
    public int dim(int i) {
        int axis = i < 0 ? shape.length + i : i;
        if (axis < 0 || axis >= shape.length) {
            throw new RecallException("tensor " + name + " has shape " + shapeString() + ", which has no dimension " + i);
        }
        long size = shape[axis];
        if (size > Integer.MAX_VALUE) {
            throw new RecallException("tensor " + name + " has shape " + shapeString() + ": dimension " + i + " is too large");
        }
        return (int) size;
    }

    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    /** Elements widened to a fresh fp32 array (for small vectors: norms, biases, decays). */
    public float[] toFloats() {
        long n = numel();
        if (isIntegers()) {
            int[] ints = toInts();
            float[] out = new float[ints.length];
            for (int i = 0; i < ints.length; i++) {
                out[i] = ints[i];
            }
            return out;
        }
        if (n > Integer.MAX_VALUE) {
            throw new RecallException("tensor " + name + " is too large to copy to the heap");
        }
        float[] out = new float[(int) n];
        new WeightMatrix(data, weightType(), 1, (int) n).row(0, out, 0);
        return out;
    }

    /** Elements of an I32 tensor (token ids). */
    public int[] toInts() {
        if (!isIntegers()) {
            throw new RecallException("tensor " + name + " is " + typeName + ", expected I32");
        }
        return data.toArray(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN));
    }

    /**
     * A 2-D view: the first dimension is rows, the product of the rest is columns
     * (so a conv weight [C, 1, K] reads as [C, K]).
     */
    public WeightMatrix matrix() {
        if (shape.length == 0) {
            throw new RecallException("tensor " + name + " is a scalar, expected a matrix");
        }
        long cols = numel() / Math.max(1, shape[0]);
        return new WeightMatrix(data, weightType(), dim(0), Math.toIntExact(cols));
    }

    /** The weight type of a weight tensor; integer data, or a type Recall cannot decode, is refused by name. */
    public WeightType weightType() {
        if (type == null) {
            throw new RecallException("tensor " + name + " is " + typeName + ", expected "
                    + (isIntegers() ? "a floating-point weight" : "a weight type Recall can compute with"));
        }
        return type;
    }

    /** Checks the shape, failing with a message that names the tensor. */
    public Tensor expectShape(long... expected) {
        if (!Arrays.equals(shape, expected)) {
            throw new RecallException("tensor " + name + " has shape " + shapeString() + ", expected "
                    + Arrays.toString(expected));
        }
        return this;
    }
}
