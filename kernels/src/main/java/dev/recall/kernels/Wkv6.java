package dev.recall.kernels;

/**
 * The RWKV-6 "WKV" recurrence of one head with key/value size S: a matrix state {@code state[i, j]}
 * (key channel i, value channel j, row-major S×S, fp32) read by the receptance and updated with a
 * per-channel decay. For each token:
 * <pre>
 *   y[j]       = Σ_i r[i] · (state[i, j] + u[i] · k[i] · v[j])
 *   state[i,j] = w[i] · state[i, j] + k[i] · v[j]
 * </pre>
 * u is the per-head "bonus" for the current token (time_faaaa), w the data-dependent decay in (0, 1).
 *
 * <p>{@link Wkv6Scalar} is the reference loop, {@link Wkv6Vector} its SIMD twin; tests compare them.
 * {@link Wkv6Chunked} computes long sequences in chunks with small matrix products; tests compare
 * it with the scalar loop.
 */
public interface Wkv6 {

    /**
     * One token of one head. r, k, v, w and y are read/written at {@code [off, off + size)};
     * u at {@code [uo, uo + size)}; the state at {@code [so, so + size²)}.
     */
    void step(int size, float[] r, float[] k, float[] v, float[] w, int off, float[] u, int uo,
              float[] state, int so, float[] y);

    /**
     * t tokens of one head in order, carrying the state. r, k, v, w and y are {@code [t, stride]}
     * row-major buffers (all heads of a layer side by side); this head's channels start at {@code off}.
     */
    default void sequence(int size, int t, float[] r, float[] k, float[] v, float[] w, int off, int stride,
                          float[] u, int uo, float[] state, int so, float[] y) {
        for (int s = 0; s < t; s++) {
            step(size, r, k, v, w, off + s * stride, u, uo, state, so, y);
        }
    }
}
