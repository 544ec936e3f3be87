package dev.recall.kernels;

/** Plain-loop reference of {@link Wkv6}: the formula as written, key channel i outer, value channel j inner. */
public final class Wkv6Scalar implements Wkv6 {

    @Override
    public void step(int size, float[] r, float[] k, float[] v, float[] w, int off, float[] u, int uo,
                     float[] state, int so, float[] y) {
        for (int j = 0; j < size; j++) {
            y[off + j] = 0f;
        }
        for (int i = 0; i < size; i++) {
            float ri = r[off + i];
            float ki = k[off + i];
            float wi = w[off + i];
            float uki = u[uo + i] * ki;
            int row = so + i * size;
            for (int j = 0; j < size; j++) {
                float vj = v[off + j];
                float sij = state[row + j];
                y[off + j] += ri * (sij + uki * vj);
                state[row + j] = wi * sij + ki * vj;
            }
        }
    }
}
