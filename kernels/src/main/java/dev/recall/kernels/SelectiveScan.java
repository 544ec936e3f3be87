package dev.recall.kernels;

/**
 * The selective scan of a diagonal state-space layer: E independent channels, each with an
 * N-dimensional fp32 state, driven by per-token step sizes and input/output projections.
 * For every token i, in order, and every channel e:
 * <pre>
 *   s[e,:]  = exp(dt[i,e]·A[e,:]) ⊙ s[e,:] + (dt[i,e]·x[i,e])·B[i,:]
 *   y[i,e]  = s[e,:]·C[i,:] + D[e]·x[i,e]
 * </pre>
 * Channels never interact, so every implementation may split work by channel; the time recurrence
 * is what the variants compute differently ({@link SelectiveScanScalar} is the reference,
 * {@link SelectiveScanVector} vectorises across channels, {@link SelectiveScanChunked} splits time
 * into chunks whose scans run in parallel and are joined through their cumulative decays).
 */
public interface SelectiveScan {

    /**
     * The inputs of one scan, all fp32 and row-major.
     *
     * @param tokens   t, the number of tokens scanned
     * @param channels E
     * @param states   N, the state size per channel
     * @param x        [t, E] input
     * @param dt       [t, E] step sizes (already positive, e.g. after softplus)
     * @param a        [E, N] continuous-time decay rates (negative for a stable state)
     * @param b        [t, N] input projection per token
     * @param c        [t, N] output projection per token
     * @param d        [E] skip connection
     */
    record Inputs(int tokens, int channels, int states, float[] x, float[] dt, float[] a, float[] b,
                  float[] c, float[] d) {

        public Inputs {
            if (tokens < 0 || channels < 0 || states < 0) {
                throw new IllegalArgumentException("negative scan size: t=" + tokens + ", E=" + channels + ", N=" + states);
            }
            requireLength("x", x, (long) tokens * channels);
            requireLength("dt", dt, (long) tokens * channels);
            requireLength("a", a, (long) channels * states);
            requireLength("b", b, (long) tokens * states);
            requireLength("c", c, (long) tokens * states);
            requireLength("d", d, channels);
        }

        /** Checks that the state [E, N] and output [t, E] arrays fit this scan. */
        void checkOutputs(float[] state, float[] y) {
            requireLength("state", state, (long) channels * states);
            requireLength("y", y, (long) tokens * channels);
        }

        private static void requireLength(String name, float[] array, long need) {
            if (array.length < need) {
                throw new IllegalArgumentException(name + " has " + array.length + " elements, the scan needs " + need);
            }
        }
    }

    /**
     * Scans the tokens in order starting from {@code state} ([E, N], updated in place to the state
     * after the last token) and writes y ([t, E]).
     */
    void scan(Inputs in, float[] state, float[] y);

    /**
     * The step sizes from their pre-activation: dt[i, e] = softplus(dt[i, e] + bias[e]) in place,
     * over [tokens, channels] ({@code bias} may be null). This is the reference kernel's
     * {@code delta_bias} / {@code delta_softplus}; softplus is linear above 20, as in torch.
     */
    default void softplusSteps(float[] dt, float[] bias, int tokens, int channels) {
        SelectiveScanSequential.checkSteps(dt, bias, tokens, channels);
        for (int i = 0; i < tokens; i++) {
            for (int e = 0; e < channels; e++) {
                int at = i * channels + e;
                dt[at] = ScalarKernels.softplus(bias == null ? dt[at] : dt[at] + bias[e]);
            }
        }
    }
}
