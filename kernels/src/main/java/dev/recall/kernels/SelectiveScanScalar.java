package dev.recall.kernels;

/** The reference selective scan: the recurrence exactly as written, one channel and token at a time. */
public class SelectiveScanScalar extends SelectiveScanSequential {

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
}
