package dev.recall.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The numeric building blocks of every model, and the one object a model computes with. Two
 * implementations exist: {@link ScalarKernels}, plain loops that are the reference, and
 * {@code VectorKernels}, the SIMD version built on the Vector API. {@link KernelProvider} chooses
 * one when the process starts; models receive it when they load and never look one up. Tests run
 * every kernel through both and compare.
 *
 * <p>Arrays are fp32, row-major, addressed with explicit offsets so callers can work inside larger
 * activation buffers without copying.
 */
public interface Kernels {

    /** "vector" or "scalar". */
    String name();

    /** What computes: the implementation and, for SIMD, the vector shape ("16 x float (512-bit)"). */
    String describe();

    /**
     * Whether {@link #matvec} and {@link #matmul} can compute with weights of this type. A model
     * whose tensor is of a type the kernels do not support is refused when it loads.
     */
    boolean supports(WeightType type);

    /** The attention kernel (online softmax over key/value rows) of this implementation. */
    LambdaAttention attention();

    /**
     * The selective scan for a batch of {@code tokens} tokens over {@code channels} channels (the
     * SIMD implementation switches to a chunked scan for long prompts on many threads).
     */
    SelectiveScan selectiveScan(int tokens, int channels);

    /** The RWKV-6 WKV recurrence of this implementation. */
    Wkv6 wkv6();

    /** Griffin's RG-LRU of this implementation. */
    RgLru rgLru();

    /**
     * The sum of the little-endian floats stored in bytes [from, to) of {@code s}, read the way
     * the matvec kernels read weights: a probe of memory read bandwidth ({@code recall bench}).
     * from and to are multiples of 256 bytes.
     */
    double sumFloats(MemorySegment s, long from, long to);

    /** Σ a[ao+i]·b[bo+i] for i in [0, n). */
    float dot(float[] a, int ao, float[] b, int bo, int n);

    /** y[yo + r] = Σ_c W[r, c]·x[xo + c] for every row r of W. */
    void matvec(WeightMatrix w, float[] x, int xo, float[] y, int yo);

    /**
     * Y = X·Wᵀ for a batch: x is {@code [t, w.cols]}, y is {@code [t, w.rows]} (row-major).
     * Prefill runs every linear layer through this.
     */
    default void matmul(WeightMatrix w, float[] x, int t, float[] y) {
        matmul(w, x, 0, t, y, 0);
    }

    /**
     * {@link #matmul} of the t rows of x starting at offset xo, into the rows of y starting at
     * offset yo: a run of a batch's rows. An output's bits depend only on its own row and on t
     * being below {@link #matmulMinRows()} or not, never on which rows share the call.
     */
    void matmul(WeightMatrix w, float[] x, int xo, int t, float[] y, int yo);

    /**
     * y[j, ·] = W·x[j, ·] for n rows (from offsets xo and yo), each with exactly {@link #matvec}'s
     * arithmetic: one decode step of n sequences, every weight read once for all of them.
     */
    void matvecs(WeightMatrix w, float[] x, int xo, int n, float[] y, int yo);

    /**
     * The fewest rows {@link #matmul} computes as a matrix product; fewer are computed as
     * {@link #matvecs}. A batch of several sequences groups the rows of those that bring fewer
     * (decode steps) into one matvecs, so that each sequence gets the bits it would alone.
     */
    int matmulMinRows();

    /**
     * RMS normalisation: y = x · rsqrt(mean(x²) + eps) · (weightShift + w). weightShift is 0 for
     * Llama/Mamba and 1 for Gemma's (1 + w) convention. w may be null (no weight, FalconMamba).
     */
    void rmsNorm(float[] x, int xo, float[] w, float weightShift, float eps, float[] y, int yo, int n);

    /** In-place softmax over x[off .. off+n). */
    void softmax(float[] x, int off, int n);

    /** y[yo+i] += a · x[xo+i]. */
    void axpy(float a, float[] x, int xo, float[] y, int yo, int n);

    /** y[yo+i] += x[xo+i]. */
    void add(float[] x, int xo, float[] y, int yo, int n);

    /** x[off+i] *= s. */
    void scale(float[] x, int off, int n, float s);

    /** gate[i] = silu(gate[i]) · up[i] (SwiGLU). */
    void siluMul(float[] gate, float[] up, int n);

    /** gate[i] = gelu_tanh(gate[i]) · up[i] (GeGLU with the tanh approximation). */
    void geluTanhMul(float[] gate, float[] up, int n);

    /**
     * Depthwise causal convolution over time: out[i, c] = bias[c] + Σ_k taps[k, c] · in[i + k, c]
     * for i in [0, t) and c in [0, channels). {@code in} is [K − 1 + t, channels] (the K − 1
     * inputs before the batch, then the batch), {@code taps} is [K, channels] with tap K − 1 on
     * the current token, {@code bias} may be null (zero), {@code out} is [t, channels]. Each
     * product is rounded, then added, tap by tap from k = 0 (no fused multiply-add).
     */
    void causalConv(float[] in, int t, int channels, float[] taps, int kernelSize, float[] bias, float[] out);

    /** x[off+i] = silu(x[off+i]). */
    void silu(float[] x, int off, int n);

    /** x[off+i] = gelu_tanh(x[off+i]). */
    void geluTanh(float[] x, int off, int n);

    /**
     * Rotary position embedding, rotate-half pairing: for each of nHeads heads of headDim values at
     * x[off + h·headDim], pairs (i, i + rotaryDim/2) for i < rotaryDim/2 are rotated by the angle
     * whose cosine and sine are cos[i], sin[i]; dims from rotaryDim on are left as they are
     * (partial rotary).
     */
    void rotateHalf(float[] x, int off, int nHeads, int headDim, int rotaryDim, float[] cos, float[] sin);

    /**
     * Rotary position embedding with adjacent pairing (2i, 2i + 1) for i < rotaryDim/2: ggml's
     * "normal" RoPE, the layout llama.cpp's converter gives Llama's q and k rows (it interleaves
     * each head's two halves, so HF's pair (i, i + half) becomes (2i, 2i + 1)). Each pair gets
     * {@link #rotateHalf}'s arithmetic, so a permuted head rotates to exactly the permuted result.
     */
    void rotateAdjacent(float[] x, int off, int nHeads, int headDim, int rotaryDim, float[] cos, float[] sin);
}
