package dev.recall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD twin of {@link Wkv6Scalar}: the same loops with the value channel j in vector lanes (one
 * state row is contiguous in j), the remainder of a row in a scalar tail. The arithmetic per
 * element is the scalar version's, in the same order.
 */
public final class Wkv6Vector implements Wkv6 {

    private static final VectorSpecies<Float> SPECIES = VectorLanes.FLOATS;

    @Override
    public void step(int size, float[] r, float[] k, float[] v, float[] w, int off, float[] u, int uo,
                     float[] state, int so, float[] y) {
        int vectorEnd = SPECIES.loopBound(size);
        for (int j = 0; j < size; j++) {
            y[off + j] = 0f;
        }
        for (int i = 0; i < size; i++) {
            float ri = r[off + i];
            float ki = k[off + i];
            float wi = w[off + i];
            float uki = u[uo + i] * ki;
            int row = so + i * size;
            int j = 0;
            for (; j < vectorEnd; j += SPECIES.length()) {
                FloatVector vj = FloatVector.fromArray(SPECIES, v, off + j);
                FloatVector sij = FloatVector.fromArray(SPECIES, state, row + j);
                FloatVector yj = FloatVector.fromArray(SPECIES, y, off + j);
                yj.add(sij.add(vj.mul(uki)).mul(ri)).intoArray(y, off + j);
                sij.mul(wi).add(vj.mul(ki)).intoArray(state, row + j);
            }
            for (; j < size; j++) {
                float vj = v[off + j];
                float sij = state[row + j];
                y[off + j] += ri * (sij + uki * vj);
                state[row + j] = wi * sij + ki * vj;
            }
        }
    }
}
