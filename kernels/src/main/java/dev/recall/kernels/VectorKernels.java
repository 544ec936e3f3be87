package dev.recall.kernels;

import static dev.recall.kernels.VectorLanes.FLOATS;
import static dev.recall.kernels.VectorLanes.LANES;
import static dev.recall.kernels.VectorLanes.sumLanes;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * SIMD implementation of {@link Kernels} on the Vector API. Each method runs whole vectors of
 * {@link VectorLanes#LANES} and finishes the leftover elements with the same formula in scalar
 * code. Element-wise kernels (add, scale, axpy, rmsNorm's scaling) perform exactly the scalar
 * operations and so agree with {@link ScalarKernels} bit for bit; reductions and transcendental
 * functions agree to fp32 rounding. Matrix products live in {@link VectorMatrixKernels}.
 *
 * <p>Exponentials and tanh come from {@link VectorMath}, not {@code lanewise(EXP/TANH)}, whose
 * last bit differs between the interpreter and C2: results must not change with JIT warm-up or
 * with the thread that computes them. Scalar tails use VectorMath's scalar twins, so an element
 * gets the same bits whether it falls in a vector or in the tail.
 */
public final class VectorKernels implements Kernels {

    private static final float GELU_C = (float) Math.sqrt(2.0 / Math.PI);
    private static final float GELU_CUBE = 0.044715f;

    private final LambdaAttention attention;
    private final SelectiveScanSequential selectiveScan;
    private final SelectiveScan chunkedScan;
    private final Wkv6 wkv6;
    private final RgLru rgLru;

    /**
     * Builds every SIMD kernel, so that a machine without a usable vector shape fails here, while
     * {@link KernelProvider} can still fall back to the scalar kernels, not at the first product.
     */
    public VectorKernels() {
        VectorLanes.describe();
        attention = new LambdaAttentionVector();
        selectiveScan = new SelectiveScanVector();
        chunkedScan = new SelectiveScanChunked(SelectiveScanChunked.DEFAULT_CHUNK, selectiveScan);
        // -Drecall.wkv=sequential turns the chunked prefill off (for A/B benchmarks).
        wkv6 = "sequential".equals(System.getProperty("recall.wkv")) ? new Wkv6Vector() : new Wkv6Chunked();
        rgLru = RgLruVector.create();
    }

    /** The vector shape in use, e.g. "16 x float (512-bit)", for logs and benchmark reports. */
    public static String shape() {
        return VectorLanes.describe();
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public String describe() {
        return "Vector API, " + VectorLanes.describe();
    }

    /** The weight types with a SIMD product: a pattern switch over the sealed types, so a new type must be listed. */
    @Override
    public boolean supports(WeightType type) {
        return switch (type) {
            case ElementType e -> true;
            case QuantizedType q -> VectorQuantKernels.available();
        };
    }

    @Override
    public LambdaAttention attention() {
        return attention;
    }

    /**
     * The chunked scan when the prompt is long ({@link SelectiveScanChunked#pays}) and the
     * sequential scan's channel groups are too few to keep every thread busy, else the sequential
     * one (decode always). The chunked scan does about 1.7 times the work, so with a channel group
     * for every thread the sequential scan is faster: at Mamba widths (E ≥ 512, 32 groups of 16)
     * only machines with more than 32 threads choose the chunked one.
     */
    @Override
    public SelectiveScan selectiveScan(int tokens, int channels) {
        return SelectiveScanChunked.pays(tokens, channels, Parallel.threads()) ? chunkedScan : selectiveScan;
    }

    @Override
    public Wkv6 wkv6() {
        return wkv6;
    }

    @Override
    public RgLru rgLru() {
        return rgLru;
    }

    /** Four independent vector accumulators, so the adds never wait on each other. */
    @Override
    public double sumFloats(MemorySegment s, long from, long to) {
        long step = FLOATS.vectorByteSize();
        FloatVector a0 = FloatVector.zero(FLOATS), a1 = a0, a2 = a0, a3 = a0;
        for (long off = from; off < to; off += 4 * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(FLOATS, s, off, VectorLanes.LE));
            a1 = a1.add(FloatVector.fromMemorySegment(FLOATS, s, off + step, VectorLanes.LE));
            a2 = a2.add(FloatVector.fromMemorySegment(FLOATS, s, off + 2 * step, VectorLanes.LE));
            a3 = a3.add(FloatVector.fromMemorySegment(FLOATS, s, off + 3 * step, VectorLanes.LE));
        }
        return sumLanes(a0.add(a1).add(a2).add(a3));
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int n) {
        int bound = FLOATS.loopBound(n);
        FloatVector acc0 = FloatVector.zero(FLOATS);
        FloatVector acc1 = acc0;
        int i = 0;
        // Two accumulators hide the fma latency; their split depends only on n, never on timing.
        for (; i + 2 * LANES <= bound; i += 2 * LANES) {
            acc0 = FloatVector.fromArray(FLOATS, a, ao + i).fma(FloatVector.fromArray(FLOATS, b, bo + i), acc0);
            acc1 = FloatVector.fromArray(FLOATS, a, ao + i + LANES)
                    .fma(FloatVector.fromArray(FLOATS, b, bo + i + LANES), acc1);
        }
        for (; i < bound; i += LANES) {
            acc0 = FloatVector.fromArray(FLOATS, a, ao + i).fma(FloatVector.fromArray(FLOATS, b, bo + i), acc0);
        }
        float s = sumLanes(acc0.add(acc1));
        for (; i < n; i++) {
            s = Math.fma(a[ao + i], b[bo + i], s);
        }
        return s;
    }

    @Override
    public void matvec(WeightMatrix w, float[] x, int xo, float[] y, int yo) {
        switch (w.type()) {
            case ElementType e -> VectorMatrixKernels.matvec(w, x, xo, y, yo);
            case QuantizedType q -> VectorQuantKernels.matvec(w, x, xo, y, yo);
        }
    }

    @Override
    public void matmul(WeightMatrix w, float[] x, int xo, int t, float[] y, int yo) {
        switch (w.type()) {
            case ElementType e -> VectorMatrixKernels.matmul(w, x, xo, t, y, yo);
            case QuantizedType q -> {
                if (t < VectorMatrixKernels.MIN_MATMUL_TOKENS) {
                    VectorQuantKernels.matvecs(w, x, xo, t, y, yo);
                } else {
                    VectorMatrixKernels.matmul(w, x, xo, t, y, yo);
                }
            }
        }
    }

    @Override
    public void matvecs(WeightMatrix w, float[] x, int xo, int n, float[] y, int yo) {
        switch (w.type()) {
            case ElementType e -> VectorMatrixKernels.matvecs(w, x, xo, n, y, yo);
            case QuantizedType q -> VectorQuantKernels.matvecs(w, x, xo, n, y, yo);
        }
    }

    @Override
    public int matmulMinRows() {
        return VectorMatrixKernels.MIN_MATMUL_TOKENS;
    }

    @Override
    public void rmsNorm(float[] x, int xo, float[] w, float weightShift, float eps, float[] y, int yo, int n) {
        float ss = dot(x, xo, x, xo, n);
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        int bound = FLOATS.loopBound(n);
        int i = 0;
        if (w == null) {
            for (; i < bound; i += LANES) {
                FloatVector.fromArray(FLOATS, x, xo + i).mul(inv).intoArray(y, yo + i);
            }
            for (; i < n; i++) {
                y[yo + i] = x[xo + i] * inv;
            }
        } else {
            for (; i < bound; i += LANES) {
                FloatVector v = FloatVector.fromArray(FLOATS, x, xo + i).mul(inv);
                v.mul(FloatVector.fromArray(FLOATS, w, i).add(weightShift)).intoArray(y, yo + i);
            }
            for (; i < n; i++) {
                y[yo + i] = x[xo + i] * inv * (weightShift + w[i]);
            }
        }
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        if (n == 0) {
            return;
        }
        int bound = FLOATS.loopBound(n);
        int i = 0;
        FloatVector maxv = FloatVector.broadcast(FLOATS, Float.NEGATIVE_INFINITY);
        for (; i < bound; i += LANES) {
            maxv = maxv.max(FloatVector.fromArray(FLOATS, x, off + i));
        }
        float max = maxv.reduceLanes(VectorOperators.MAX); // max is exact in any order
        for (; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        FloatVector sumv = FloatVector.zero(FLOATS);
        for (i = 0; i < bound; i += LANES) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(FLOATS, x, off + i).sub(max));
            e.intoArray(x, off + i);
            sumv = sumv.add(e);
        }
        float sum = sumLanes(sumv);
        for (; i < n; i++) {
            float e = VectorMath.expScalar(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        scale(x, off, n, 1f / sum);
    }

    @Override
    public void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
        int bound = FLOATS.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector.fromArray(FLOATS, y, yo + i).add(FloatVector.fromArray(FLOATS, x, xo + i).mul(a))
                    .intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += a * x[xo + i];
        }
    }

    @Override
    public void add(float[] x, int xo, float[] y, int yo, int n) {
        int bound = FLOATS.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector.fromArray(FLOATS, y, yo + i).add(FloatVector.fromArray(FLOATS, x, xo + i))
                    .intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += x[xo + i];
        }
    }

    @Override
    public void scale(float[] x, int off, int n, float s) {
        int bound = FLOATS.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector.fromArray(FLOATS, x, off + i).mul(s).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] *= s;
        }
    }

    @Override
    public void siluMul(float[] gate, float[] up, int n) {
        elementwise(n, (from, to) -> siluMulRange(gate, up, from, to));
    }

    private static void siluMulRange(float[] gate, float[] up, int from, int to) {
        int bound = from + FLOATS.loopBound(to - from);
        int i = from;
        for (; i < bound; i += LANES) {
            VectorMath.silu(FloatVector.fromArray(FLOATS, gate, i)).mul(FloatVector.fromArray(FLOATS, up, i))
                    .intoArray(gate, i);
        }
        for (; i < to; i++) {
            gate[i] = VectorMath.siluScalar(gate[i]) * up[i];
        }
    }

    @Override
    public void geluTanhMul(float[] gate, float[] up, int n) {
        elementwise(n, (from, to) -> geluTanhMulRange(gate, up, from, to));
    }

    private static void geluTanhMulRange(float[] gate, float[] up, int from, int to) {
        int bound = from + FLOATS.loopBound(to - from);
        int i = from;
        for (; i < bound; i += LANES) {
            geluTanh(FloatVector.fromArray(FLOATS, gate, i)).mul(FloatVector.fromArray(FLOATS, up, i))
                    .intoArray(gate, i);
        }
        for (; i < to; i++) {
            gate[i] = geluTanhScalar(gate[i]) * up[i];
        }
    }

    /** Multiply-adds per parallel block of the causal conv. */
    private static final int CONV_GRAIN = 1 << 16;

    @Override
    public void causalConv(float[] in, int t, int channels, float[] taps, int kernelSize, float[] bias, float[] out) {
        // Channels are independent: a prefill splits them over the threads in whole vectors, so
        // each channel takes the path (vector or scalar tail) it takes unsplit; a decode step's
        // one token runs inline.
        int vectors = (channels + LANES - 1) / LANES;
        int grain = Math.max(1, CONV_GRAIN / Math.max(1, t * kernelSize * LANES));
        Parallel.forRange(vectors, grain, (from, to) -> causalConvChannels(in, t, channels, taps, kernelSize, bias, out,
                from * LANES, Math.min(channels, to * LANES)));
    }

    private static void causalConvChannels(float[] in, int t, int channels, float[] taps, int kernelSize, float[] bias,
            float[] out, int c0, int c1) {
        int bound = c0 + FLOATS.loopBound(c1 - c0);
        for (int i = 0; i < t; i++) {
            int row = i * channels;
            for (int c = c0; c < bound; c += LANES) {
                // Same operations as the scalar twin: start from the bias (or zero), then add each
                // rounded product in tap order.
                FloatVector acc = bias == null ? FloatVector.zero(FLOATS) : FloatVector.fromArray(FLOATS, bias, c);
                for (int k = 0; k < kernelSize; k++) {
                    acc = acc.add(FloatVector.fromArray(FLOATS, taps, k * channels + c)
                            .mul(FloatVector.fromArray(FLOATS, in, (i + k) * channels + c)));
                }
                acc.intoArray(out, row + c);
            }
        }
        ScalarKernels.causalConvRange(in, t, channels, taps, kernelSize, bias, out, bound, c1);
    }

    @Override
    public void silu(float[] x, int off, int n) {
        elementwise(n, (from, to) -> siluRange(x, off, from, to));
    }

    private static void siluRange(float[] x, int off, int from, int to) {
        int bound = from + FLOATS.loopBound(to - from);
        int i = from;
        for (; i < bound; i += LANES) {
            VectorMath.silu(FloatVector.fromArray(FLOATS, x, off + i)).intoArray(x, off + i);
        }
        for (; i < to; i++) {
            x[off + i] = VectorMath.siluScalar(x[off + i]);
        }
    }

    /** Elements per parallel block of an element-wise kernel; shorter runs stay on the calling thread. */
    private static final int ELEMENTWISE_GRAIN = 1 << 15;

    /**
     * Runs body over [0, n) in blocks that start at multiples of LANES, so that every element
     * takes the path (vector loop or scalar tail) it takes in one unsplit pass: the split never
     * changes a bit. Prefill batches (hundreds of thousands of elements) share the threads;
     * a decode step's few thousand run inline.
     */
    private static void elementwise(int n, Parallel.RangeTask body) {
        int vectors = (n + LANES - 1) / LANES;
        Parallel.forRange(vectors, ELEMENTWISE_GRAIN / LANES, (from, to) -> body.run(from * LANES, Math.min(n, to * LANES)));
    }

    @Override
    public void geluTanh(float[] x, int off, int n) {
        elementwise(n, (from, to) -> geluTanhRange(x, off, from, to));
    }

    private static void geluTanhRange(float[] x, int off, int from, int to) {
        int bound = from + FLOATS.loopBound(to - from);
        int i = from;
        for (; i < bound; i += LANES) {
            geluTanh(FloatVector.fromArray(FLOATS, x, off + i)).intoArray(x, off + i);
        }
        for (; i < to; i++) {
            x[off + i] = geluTanhScalar(x[off + i]);
        }
    }

    /** ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    private static FloatVector geluTanh(FloatVector v) {
        FloatVector inner = v.mul(v).mul(v).mul(GELU_CUBE).add(v).mul(GELU_C);
        return v.mul(0.5f).mul(VectorMath.tanh(inner).add(1f));
    }

    /** The scalar twin of {@link #geluTanh(FloatVector)}: the same operations, the same bits. */
    static float geluTanhScalar(float v) {
        float inner = (v * v * v * GELU_CUBE + v) * GELU_C;
        return v * 0.5f * (VectorMath.tanhScalar(inner) + 1f);
    }

    @Override
    public void rotateAdjacent(float[] x, int off, int nHeads, int headDim, int rotaryDim, float[] cos, float[] sin) {
        ScalarKernels.rotateAdjacentPairs(x, off, nHeads, headDim, rotaryDim, cos, sin);
    }

    @Override
    public void rotateHalf(float[] x, int off, int nHeads, int headDim, int rotaryDim, float[] cos, float[] sin) {
        int half = rotaryDim / 2;
        int bound = FLOATS.loopBound(half);
        for (int h = 0; h < nHeads; h++) {
            int b = off + h * headDim;
            int i = 0;
            // Separate mul and sub/add (no fma) so every lane rounds exactly like the scalar twin.
            for (; i < bound; i += LANES) {
                FloatVector x0 = FloatVector.fromArray(FLOATS, x, b + i);
                FloatVector x1 = FloatVector.fromArray(FLOATS, x, b + i + half);
                FloatVector c = FloatVector.fromArray(FLOATS, cos, i);
                FloatVector sn = FloatVector.fromArray(FLOATS, sin, i);
                x0.mul(c).sub(x1.mul(sn)).intoArray(x, b + i);
                x1.mul(c).add(x0.mul(sn)).intoArray(x, b + i + half);
            }
            ScalarKernels.rotatePairs(x, b, i, half, cos, sin);
        }
    }
}
