package dev.recall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The {@link Wkv6} recurrence over many tokens in chunked form: the same outputs and final state
 * as the token-by-token scan (up to fp32 rounding), computed a chunk of n tokens at a time with
 * small matrix products instead of n rank-1 updates of the S×S state.
 *
 * <p>Inside a chunk that starts from state S₀, let D_t = w_0 ⊙ … ⊙ w_t be the decay accumulated
 * since the chunk start (per key channel i, D_{−1} = 1). Unrolling the recurrence gives, for token t,
 * <pre>
 *   y_t = (r_t ⊙ D_{t−1})ᵀ S₀                                        (carried state)
 *       + Σ_{s&lt;t} [(r_t ⊙ D_{t−1}) · (k_s ⊘ D_s)] v_s                  (earlier tokens of the chunk)
 *       + [Σ_i r_t[i] u[i] k_t[i]] v_t                                 (the current token's bonus)
 *   S_n = diag(D_{n−1}) S₀ + Σ_s (k_s ⊙ w_{s+1} ⊙ … ⊙ w_{n−1}) v_sᵀ       (state after the chunk)
 * </pre>
 * The products are the sequential scan's own decays, formed relative to the chunk start. Only the
 * division k_s ⊘ D_s can leave the fp32 range, so a chunk ends early once some channel's
 * accumulated decay falls below {@link #MIN_ACCUMULATED_DECAY}; a token whose decay alone is that
 * strong becomes a chunk of one, which is exactly a sequential step. Chunks stay short (16 by
 * default) so the intra-chunk part, which grows with n², stays small next to the state part.
 *
 * <p>Per token the sequential scan reads and writes the whole state (about 7 vector operations per
 * state element); here the three products (intra-chunk, carried state, state update) are register-
 * tiled multiply-adds ({@link #accumulate}), about 2 fused multiply-adds per state element per
 * token, with the state loaded and stored once per chunk. Measured 1.8× the sequential vector scan
 * at head size 64 (docs/performance.md). Short batches (decode) go to the sequential scan, which
 * has no per-chunk set-up.
 */
public final class Wkv6Chunked implements Wkv6 {

    /** Default chunk length: long enough to amortise state traffic, short enough for the n² part. */
    public static final int DEFAULT_CHUNK = 16;
    /** Default batch length from which the chunked form is used (below it, the sequential scan). */
    public static final int DEFAULT_MIN_TOKENS = 32;
    /**
     * Smallest decay accumulated inside a chunk (≈ e^−34.5): k ⊘ D then stays below ~1e15·|k|, far
     * from fp32 overflow, and r ⊙ D above the subnormal range.
     */
    static final float MIN_ACCUMULATED_DECAY = 1e-15f;

    private static final VectorSpecies<Float> SPECIES = VectorLanes.FLOATS;

    private final Wkv6 sequential;
    private final int chunk;
    private final int minTokens;

    /** The chunked form with the default chunk length, the vector scan for short batches. */
    public Wkv6Chunked() {
        this(new Wkv6Vector(), DEFAULT_CHUNK, DEFAULT_MIN_TOKENS);
    }

    /**
     * @param sequential the scan used for decode steps and for batches shorter than minTokens
     * @param chunk      the longest chunk, at least 1
     * @param minTokens  batches of at least this many tokens use the chunked form
     */
    public Wkv6Chunked(Wkv6 sequential, int chunk, int minTokens) {
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk length must be at least 1, got " + chunk);
        }
        this.sequential = sequential;
        this.chunk = chunk;
        this.minTokens = minTokens;
    }

    @Override
    public void step(int size, float[] r, float[] k, float[] v, float[] w, int off, float[] u, int uo,
                     float[] state, int so, float[] y) {
        sequential.step(size, r, k, v, w, off, u, uo, state, so, y);
    }

    @Override
    public void sequence(int size, int t, float[] r, float[] k, float[] v, float[] w, int off, int stride,
                         float[] u, int uo, float[] state, int so, float[] y) {
        if (t < minTokens) {
            sequential.sequence(size, t, r, k, v, w, off, stride, u, uo, state, so, y);
            return;
        }
        Scratch scratch = new Scratch(chunk, size);
        for (int start = 0; start < t; ) {
            int n = scratch.accumulateDecays(size, Math.min(chunk, t - start), w, off + start * stride, stride);
            scratch.scaleInputs(size, n, r, k, w, off + start * stride, stride);
            scratch.attention(size, n, r, k, off + start * stride, stride, u, uo);
            outputs(size, n, v, off + start * stride, stride, state, so, y, scratch);
            updateState(size, n, v, off + start * stride, stride, state, so, scratch);
            start += n;
        }
    }

    /** Per-head working arrays for one chunk, {@code [chunk, size]} row-major unless noted. */
    private static final class Scratch {
        /** D_t: decay accumulated from the chunk start through token t. */
        final float[] decay;
        /** r_t ⊙ D_{t−1}. */
        final float[] rDecayed;
        /** k_s ⊘ D_s (rows s &lt; n − 1 only: the last token is nobody's earlier token). */
        final float[] kUndecayed;
        /** k_s ⊙ w_{s+1} ⊙ … ⊙ w_{n−1}: k_s as it stands in the state at the chunk end. */
        final float[] kToEnd;
        /** [size] running suffix product of decays while forming kToEnd. */
        final float[] suffix;
        /** [chunk, chunk]: A[t, s] for s &lt; t, the bonus score on the diagonal, zero beyond it. */
        final float[] scores;
        final int chunk;

        Scratch(int chunk, int size) {
            this.chunk = chunk;
            decay = new float[chunk * size];
            rDecayed = new float[chunk * size];
            kUndecayed = new float[chunk * size];
            kToEnd = new float[chunk * size];
            suffix = new float[size];
            scores = new float[chunk * chunk];
        }

        /**
         * Fills {@link #decay} for up to {@code max} tokens and returns the chunk length n: token n
         * joins while every channel of D_{n−1} is at least {@link #MIN_ACCUMULATED_DECAY}.
         */
        int accumulateDecays(int size, int max, float[] w, int o, int stride) {
            System.arraycopy(w, o, decay, 0, size);
            int n = 1;
            while (n < max && !anyBelow(decay, (n - 1) * size, size, MIN_ACCUMULATED_DECAY)) {
                multiply(decay, (n - 1) * size, w, o + n * stride, decay, n * size, size);
                n++;
            }
            return n;
        }

        void scaleInputs(int size, int n, float[] r, float[] k, float[] w, int o, int stride) {
            System.arraycopy(r, o, rDecayed, 0, size);
            for (int t = 1; t < n; t++) {
                multiply(r, o + t * stride, decay, (t - 1) * size, rDecayed, t * size, size);
            }
            for (int s = 0; s < n - 1; s++) {
                divide(k, o + s * stride, decay, s * size, kUndecayed, s * size, size);
            }
            java.util.Arrays.fill(suffix, 0, size, 1f);
            for (int s = n - 1; s >= 0; s--) {
                multiply(k, o + s * stride, suffix, 0, kToEnd, s * size, size);
                multiply(suffix, 0, w, o + s * stride, suffix, 0, size);
            }
        }

        /** scores[t, s] = (r_t ⊙ D_{t−1}) · (k_s ⊘ D_s) for s &lt; t; scores[t, t] = Σ r_t u k_t. */
        void attention(int size, int n, float[] r, float[] k, int o, int stride, float[] u, int uo) {
            for (int t = 0; t < n; t++) {
                for (int s = 0; s < t; s++) {
                    scores[t * chunk + s] = dot(rDecayed, t * size, kUndecayed, s * size, size);
                }
                scores[t * chunk + t] = bonus(r, k, o + t * stride, u, uo, size);
                java.util.Arrays.fill(scores, t * chunk + t + 1, t * chunk + n, 0f);
            }
        }
    }

    /**
     * y_t = Σ_{s≤t} scores[t, s] v_s + (r_t ⊙ D_{t−1})ᵀ S₀ for the n tokens of the chunk (scores
     * beyond the diagonal are zero, so the intra-chunk product can run over all n tokens).
     */
    private static void outputs(int size, int n, float[] v, int o, int stride, float[] state, int so, float[] y,
                                Scratch sc) {
        for (int t = 0; t < n; t++) {
            java.util.Arrays.fill(y, o + t * stride, o + t * stride + size, 0f);
        }
        accumulate(n, n, sc.scores, 0, sc.chunk, 1, v, o, stride, y, o, stride, size);
        accumulate(n, size, sc.rDecayed, 0, size, 1, state, so, size, y, o, stride, size);
    }

    /** S ← diag(D_{n−1}) S + Σ_s kToEnd_s ⊗ v_s. */
    private static void updateState(int size, int n, float[] v, int o, int stride, float[] state, int so, Scratch sc) {
        int last = (n - 1) * size;
        for (int i = 0; i < size; i++) {
            scale(state, so + i * size, size, sc.decay[last + i]);
        }
        accumulate(size, n, sc.kToEnd, 0, 1, size, v, o, stride, state, so, size, size);
    }

    /**
     * The one matrix product of the chunked form: {@code c[row, j] += Σ_p a[row, p] · b[p, j]} for
     * row &lt; rows, p &lt; depth, j &lt; width, where a[row, p] is {@code a[aOff + row·aRowStride + p·aDepthStride]},
     * b[p, j] is {@code b[bOff + p·bDepthStride + j]} and c[row, j] is {@code c[cOff + row·cRowStride + j]}.
     * Register tiles of 2 rows × 4 vectors: per step of p, 4 loads of b and 2 broadcasts of a feed 8
     * fused multiply-adds, and c is loaded and stored once.
     */
    static void accumulate(int rows, int depth, float[] a, int aOff, int aRowStride, int aDepthStride,
                           float[] b, int bOff, int bDepthStride, float[] c, int cOff, int cRowStride, int width) {
        int lanes = SPECIES.length();
        int vectorEnd = SPECIES.loopBound(width);
        int row = 0;
        for (; row + 2 <= rows; row += 2) {
            int j = 0;
            for (; j + 4 * lanes <= vectorEnd; j += 4 * lanes) {
                tile2x4(depth, a, aOff + row * aRowStride, aRowStride, aDepthStride, b, bOff + j, bDepthStride,
                        c, cOff + row * cRowStride + j, cRowStride);
            }
            for (; j < vectorEnd; j += lanes) {
                column(depth, a, aOff + row * aRowStride, aDepthStride, b, bOff + j, bDepthStride, c, cOff + row * cRowStride + j);
                column(depth, a, aOff + (row + 1) * aRowStride, aDepthStride, b, bOff + j, bDepthStride,
                        c, cOff + (row + 1) * cRowStride + j);
            }
        }
        for (; row < rows; row++) {
            for (int j = 0; j < vectorEnd; j += lanes) {
                column(depth, a, aOff + row * aRowStride, aDepthStride, b, bOff + j, bDepthStride, c, cOff + row * cRowStride + j);
            }
        }
        for (row = 0; row < rows; row++) {
            for (int j = vectorEnd; j < width; j++) {
                float sum = c[cOff + row * cRowStride + j];
                for (int p = 0; p < depth; p++) {
                    sum += a[aOff + row * aRowStride + p * aDepthStride] * b[bOff + p * bDepthStride + j];
                }
                c[cOff + row * cRowStride + j] = sum;
            }
        }
    }

    /** Two rows × four vectors of c (a starts at row's first element, b and c at the tile's first column). */
    private static void tile2x4(int depth, float[] a, int ao, int aRowStride, int aDepthStride,
                                float[] b, int bo, int bDepthStride, float[] c, int co, int cRowStride) {
        int l = SPECIES.length();
        int c1 = co + cRowStride;
        FloatVector c00 = FloatVector.fromArray(SPECIES, c, co);
        FloatVector c01 = FloatVector.fromArray(SPECIES, c, co + l);
        FloatVector c02 = FloatVector.fromArray(SPECIES, c, co + 2 * l);
        FloatVector c03 = FloatVector.fromArray(SPECIES, c, co + 3 * l);
        FloatVector c10 = FloatVector.fromArray(SPECIES, c, c1);
        FloatVector c11 = FloatVector.fromArray(SPECIES, c, c1 + l);
        FloatVector c12 = FloatVector.fromArray(SPECIES, c, c1 + 2 * l);
        FloatVector c13 = FloatVector.fromArray(SPECIES, c, c1 + 3 * l);
        for (int p = 0; p < depth; p++) {
            int bp = bo + p * bDepthStride;
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bp);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bp + l);
            FloatVector b2 = FloatVector.fromArray(SPECIES, b, bp + 2 * l);
            FloatVector b3 = FloatVector.fromArray(SPECIES, b, bp + 3 * l);
            FloatVector a0 = FloatVector.broadcast(SPECIES, a[ao + p * aDepthStride]);
            FloatVector a1 = FloatVector.broadcast(SPECIES, a[ao + aRowStride + p * aDepthStride]);
            c00 = b0.fma(a0, c00);
            c01 = b1.fma(a0, c01);
            c02 = b2.fma(a0, c02);
            c03 = b3.fma(a0, c03);
            c10 = b0.fma(a1, c10);
            c11 = b1.fma(a1, c11);
            c12 = b2.fma(a1, c12);
            c13 = b3.fma(a1, c13);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + l);
        c02.intoArray(c, co + 2 * l);
        c03.intoArray(c, co + 3 * l);
        c10.intoArray(c, c1);
        c11.intoArray(c, c1 + l);
        c12.intoArray(c, c1 + 2 * l);
        c13.intoArray(c, c1 + 3 * l);
    }

    /** One row × one vector of c. */
    private static void column(int depth, float[] a, int ao, int aDepthStride, float[] b, int bo, int bDepthStride,
                               float[] c, int co) {
        FloatVector acc = FloatVector.fromArray(SPECIES, c, co);
        for (int p = 0; p < depth; p++) {
            acc = FloatVector.fromArray(SPECIES, b, bo + p * bDepthStride)
                    .fma(FloatVector.broadcast(SPECIES, a[ao + p * aDepthStride]), acc);
        }
        acc.intoArray(c, co);
    }

    /** x[from + i] *= factor for i &lt; n. */
    private static void scale(float[] x, int from, int n, float factor) {
        int vectorEnd = SPECIES.loopBound(n);
        int i = 0;
        for (; i < vectorEnd; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, x, from + i).mul(factor).intoArray(x, from + i);
        }
        for (; i < n; i++) {
            x[from + i] *= factor;
        }
    }

    /** out[oo + i] = a[ao + i] · b[bo + i] for i &lt; n. */
    private static void multiply(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int vectorEnd = SPECIES.loopBound(n);
        int i = 0;
        for (; i < vectorEnd; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, a, ao + i).mul(FloatVector.fromArray(SPECIES, b, bo + i)).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            out[oo + i] = a[ao + i] * b[bo + i];
        }
    }

    /** out[oo + i] = a[ao + i] / b[bo + i] for i &lt; n. */
    private static void divide(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int vectorEnd = SPECIES.loopBound(n);
        int i = 0;
        for (; i < vectorEnd; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, a, ao + i).div(FloatVector.fromArray(SPECIES, b, bo + i)).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            out[oo + i] = a[ao + i] / b[bo + i];
        }
    }

    /** Whether some x[from + i], i &lt; n, is below the limit. */
    private static boolean anyBelow(float[] x, int from, int n, float limit) {
        int vectorEnd = SPECIES.loopBound(n);
        int i = 0;
        for (; i < vectorEnd; i += SPECIES.length()) {
            if (FloatVector.fromArray(SPECIES, x, from + i).compare(VectorOperators.LT, limit).anyTrue()) {
                return true;
            }
        }
        for (; i < n; i++) {
            if (x[from + i] < limit) {
                return true;
            }
        }
        return false;
    }

    /** Σ_i r[o + i] · u[uo + i] · k[o + i]: the current token's own score. */
    private static float bonus(float[] r, float[] k, int o, float[] u, int uo, int n) {
        int vectorEnd = SPECIES.loopBound(n);
        FloatVector acc = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i < vectorEnd; i += SPECIES.length()) {
            FloatVector ru = FloatVector.fromArray(SPECIES, r, o + i).mul(FloatVector.fromArray(SPECIES, u, uo + i));
            acc = ru.fma(FloatVector.fromArray(SPECIES, k, o + i), acc);
        }
        float sum = VectorLanes.sumLanes(acc); // fixed order: reduceLanes' differs between JIT tiers
        for (; i < n; i++) {
            sum += r[o + i] * u[uo + i] * k[o + i];
        }
        return sum;
    }

    private static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int lanes = SPECIES.length();
        int vectorEnd = SPECIES.loopBound(n);
        FloatVector acc = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i < vectorEnd; i += lanes) {
            acc = FloatVector.fromArray(SPECIES, a, ao + i).fma(FloatVector.fromArray(SPECIES, b, bo + i), acc);
        }
        float sum = VectorLanes.sumLanes(acc); // fixed order: reduceLanes' differs between JIT tiers
        for (; i < n; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }
}
