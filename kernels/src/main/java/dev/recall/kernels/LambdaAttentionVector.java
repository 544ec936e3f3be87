package dev.recall.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD {@link LambdaAttention} on the Vector API. Scores: four key rows at a time share each
 * loaded query vector (four independent FMA chains, one lane sum per row). Exponentials: across
 * the tile's scores. Weighted values: four vectors of the head dimension held in registers while
 * the tile's rows stream through. Tails shorter than a vector run scalar loops.
 *
 * <p>Deterministic in every JIT tier: {@code reduceLanes(ADD)} and {@code lanewise(EXP)} give
 * different roundings in the interpreter's fallback and in compiled code, which would make a
 * result depend on warm-up and on which thread ran it. Lane sums come from
 * {@link VectorLanes#sumLanes} (a fixed butterfly) and exponentials from {@link VectorMath#exp},
 * whose scalar twin gives the tail the same bits a lane would.
 */
public final class LambdaAttentionVector extends LambdaAttention {

    private static final VectorSpecies<Float> S = VectorLanes.FLOATS;
    private static final int W = S.length();

    @Override
    protected void foldTile(float[] q, int qo, float scale, float[] keys, float[] values, int off, int stride, int n,
                            Accumulator acc) {
        float[] scores = acc.scores;
        scores(q, qo, acc.headDim, scale, keys, off, stride, n, scores);
        float tileMax = Float.NEGATIVE_INFINITY;
        for (int r = 0; r < n; r++) {
            tileMax = Math.max(tileMax, scores[r]);
        }
        raiseMax(acc, tileMax);
        acc.sum += exponentiate(scores, n, acc.max);
        accumulate(scores, values, off, stride, n, acc.weighted, acc.headDim);
    }

    @Override
    protected void scoreTile(float[] q, int qo, int d, float scale, float[] keys, int off, int stride, int n,
                             float[] scores) {
        scores(q, qo, d, scale, keys, off, stride, n, scores);
    }

    /** scores[r] = scale · q·keys[off + r·stride] for r in [0, n). */
    private static void scores(float[] q, int qo, int d, float scale, float[] keys, int off, int stride, int n,
                               float[] scores) {
        int dVec = S.loopBound(d);
        int r = 0;
        for (; r + 4 <= n; r += 4) {
            int k0 = off + r * stride, k1 = k0 + stride, k2 = k1 + stride, k3 = k2 + stride;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            int i = 0;
            for (; i < dVec; i += W) {
                FloatVector qv = FloatVector.fromArray(S, q, qo + i);
                a0 = qv.fma(FloatVector.fromArray(S, keys, k0 + i), a0);
                a1 = qv.fma(FloatVector.fromArray(S, keys, k1 + i), a1);
                a2 = qv.fma(FloatVector.fromArray(S, keys, k2 + i), a2);
                a3 = qv.fma(FloatVector.fromArray(S, keys, k3 + i), a3);
            }
            float s0 = VectorLanes.sumLanes(a0), s1 = VectorLanes.sumLanes(a1), s2 = VectorLanes.sumLanes(a2),
                    s3 = VectorLanes.sumLanes(a3);
            for (; i < d; i++) {
                float x = q[qo + i];
                s0 += x * keys[k0 + i];
                s1 += x * keys[k1 + i];
                s2 += x * keys[k2 + i];
                s3 += x * keys[k3 + i];
            }
            scores[r] = s0 * scale;
            scores[r + 1] = s1 * scale;
            scores[r + 2] = s2 * scale;
            scores[r + 3] = s3 * scale;
        }
        for (; r < n; r++) {
            int ko = off + r * stride;
            FloatVector a = FloatVector.zero(S);
            int i = 0;
            for (; i < dVec; i += W) {
                a = FloatVector.fromArray(S, q, qo + i).fma(FloatVector.fromArray(S, keys, ko + i), a);
            }
            float s = VectorLanes.sumLanes(a);
            for (; i < d; i++) {
                s += q[qo + i] * keys[ko + i];
            }
            scores[r] = s * scale;
        }
    }

    /** scores[r] = exp(scores[r] − max) for r in [0, n); returns their sum. */
    private static float exponentiate(float[] scores, int n, float max) {
        float sum = 0f;
        int r = 0;
        for (int nVec = S.loopBound(n); r < nVec; r += W) {
            FloatVector p = VectorMath.exp(FloatVector.fromArray(S, scores, r).sub(max));
            p.intoArray(scores, r);
            sum += VectorLanes.sumLanes(p);
        }
        for (; r < n; r++) {
            scores[r] = VectorMath.expScalar(scores[r] - max);
            sum += scores[r];
        }
        return sum;
    }

    /** weighted[i] += Σ_r p[r] · values[off + r·stride + i]. */
    private static void accumulate(float[] p, float[] values, int off, int stride, int n, float[] weighted, int d) {
        int i = 0;
        for (; i + 4 * W <= d; i += 4 * W) {
            FloatVector w0 = FloatVector.fromArray(S, weighted, i), w1 = FloatVector.fromArray(S, weighted, i + W);
            FloatVector w2 = FloatVector.fromArray(S, weighted, i + 2 * W), w3 = FloatVector.fromArray(S, weighted, i + 3 * W);
            for (int r = 0; r < n; r++) {
                int vo = off + r * stride + i;
                FloatVector pr = FloatVector.broadcast(S, p[r]);
                w0 = pr.fma(FloatVector.fromArray(S, values, vo), w0);
                w1 = pr.fma(FloatVector.fromArray(S, values, vo + W), w1);
                w2 = pr.fma(FloatVector.fromArray(S, values, vo + 2 * W), w2);
                w3 = pr.fma(FloatVector.fromArray(S, values, vo + 3 * W), w3);
            }
            w0.intoArray(weighted, i);
            w1.intoArray(weighted, i + W);
            w2.intoArray(weighted, i + 2 * W);
            w3.intoArray(weighted, i + 3 * W);
        }
        for (; i + W <= d; i += W) {
            FloatVector w = FloatVector.fromArray(S, weighted, i);
            for (int r = 0; r < n; r++) {
                w = FloatVector.broadcast(S, p[r]).fma(FloatVector.fromArray(S, values, off + r * stride + i), w);
            }
            w.intoArray(weighted, i);
        }
        for (; i < d; i++) {
            float w = weighted[i];
            for (int r = 0; r < n; r++) {
                w += p[r] * values[off + r * stride + i];
            }
            weighted[i] = w;
        }
    }
}
