package dev.recall.kernels;

/** The reference selective scan: the recurrence exactly as written, one channel and token at a time. */
public class SelectiveScanScalar extends SelectiveScanSequential {

    /**
     * Exponents below which the decay of a carried state counts as zero: e^−80 ≈ 1.8·10⁻³⁵ times
     * any state is far below the fp32 resolution of the outputs it is added to.
     */
    static final float NEGLIGIBLE_DECAY = -80f;

    @Override
    void scanBlock(Inputs in, int t0, int t1, int e0, int e1, float[] state, float[] y) {
        int channels = in.channels();
        int n = in.states();
        float[] x = in.x();
        float[] dt = in.dt();
        float[] a = in.a();
        float[] b = in.b();
        float[] c = in.c();
        float[] d = in.d();
        for (int e = e0; e < e1; e++) {
            int s0 = e * n;
            for (int i = t0; i < t1; i++) {
                float step = dt[i * channels + e];
                float xi = x[i * channels + e];
                float stepX = step * xi;
                int bc = i * n;
                float acc = 0f;
                for (int k = 0; k < n; k++) {
                    float decay = (float) Math.exp(step * a[s0 + k]);
                    float s = decay * state[s0 + k] + stepX * b[bc + k];
                    state[s0 + k] = s;
                    acc += s * c[bc + k];
                }
                y[i * channels + e] = acc + d[e] * xi;
            }
        }
    }

    @Override
    void carryState(Inputs in, int t0, int t1, int e0, int e1, float[] state, float[] zeroStart) {
        int channels = in.channels();
        int n = in.states();
        float[] a = in.a();
        float[] dt = in.dt();
        for (int e = e0; e < e1; e++) {
            float totalStep = 0f;
            for (int i = t0; i < t1; i++) {
                totalStep += dt[i * channels + e];
            }
            for (int j = e * n; j < (e + 1) * n; j++) {
                state[j] = carriedDecay(a[j] * totalStep) * state[j] + zeroStart[j];
            }
        }
    }

    @Override
    void addCarriedOutput(Inputs in, int t0, int t1, int e0, int e1, float[] start, float[] y) {
        int channels = in.channels();
        int n = in.states();
        float[] a = in.a();
        float[] dt = in.dt();
        float[] c = in.c();
        for (int e = e0; e < e1; e++) {
            float cumulativeStep = 0f;
            for (int i = t0; i < t1; i++) {
                cumulativeStep += dt[i * channels + e];
                float acc = 0f;
                for (int k = 0; k < n; k++) {
                    acc += c[i * n + k] * (carriedDecay(a[e * n + k] * cumulativeStep) * start[e * n + k]);
                }
                y[i * channels + e] += acc;
            }
        }
    }

    /** exp(x) of a decay over many tokens, 0 once negligible. */
    private static float carriedDecay(float x) {
        return x < NEGLIGIBLE_DECAY ? 0f : (float) Math.exp(x);
    }
}
