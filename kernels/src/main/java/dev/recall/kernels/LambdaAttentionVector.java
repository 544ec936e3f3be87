package dev.recall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD {@link LambdaAttention} on the Vector API: dot products and value sums run across the head
 * dimension, the exponentials across the tile's scores; tails shorter than a vector run the scalar
 * loop.
 */
public final class LambdaAttentionVector extends LambdaAttention {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int W = S.length();
    private static final Kernels SCALAR = new ScalarKernels();

    @Override
    public void fold(float[] q, int qo, float scale, float[] keys, float[] values, int off, int stride, int rows,
                     Accumulator acc) {
        int d = acc.headDim;
        float[] scores = acc.scores;
        float[] weighted = acc.weighted;
        int dVec = S.loopBound(d);
        for (int t0 = 0; t0 < rows; t0 += TILE) {
            int n = Math.min(TILE, rows - t0);
            float tileMax = Float.NEGATIVE_INFINITY;
            for (int r = 0; r < n; r++) {
                int ko = off + (t0 + r) * stride;
                FloatVector s = FloatVector.zero(S);
                int i = 0;
                for (; i < dVec; i += W) {
                    s = FloatVector.fromArray(S, q, qo + i).fma(FloatVector.fromArray(S, keys, ko + i), s);
                }
                float dot = s.reduceLanes(VectorOperators.ADD);
                for (; i < d; i++) {
                    dot += q[qo + i] * keys[ko + i];
                }
                scores[r] = dot * scale;
                tileMax = Math.max(tileMax, scores[r]);
            }
            raiseMax(acc, tileMax, SCALAR);
            float max = acc.max;
            float sum = 0f;
            int r = 0;
            int nVec = S.loopBound(n);
            for (; r < nVec; r += W) {
                FloatVector p = FloatVector.fromArray(S, scores, r).sub(max).lanewise(VectorOperators.EXP);
                p.intoArray(scores, r);
                sum += p.reduceLanes(VectorOperators.ADD);
            }
            for (; r < n; r++) {
                scores[r] = (float) Math.exp(scores[r] - max);
                sum += scores[r];
            }
            acc.sum += sum;
            for (r = 0; r < n; r++) {
                int vo = off + (t0 + r) * stride;
                FloatVector p = FloatVector.broadcast(S, scores[r]);
                int i = 0;
                for (; i < dVec; i += W) {
                    p.fma(FloatVector.fromArray(S, values, vo + i), FloatVector.fromArray(S, weighted, i))
                            .intoArray(weighted, i);
                }
                for (; i < d; i++) {
                    weighted[i] += scores[r] * values[vo + i];
                }
            }
        }
    }
}
