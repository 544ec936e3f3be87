package dev.recall.kernels;

/** Plain-loop reference of {@link LambdaAttention}: the SIMD version is tested against it. */
public final class LambdaAttentionScalar extends LambdaAttention {

    @Override
    protected void foldTile(float[] q, int qo, float scale, float[] keys, float[] values, int off, int stride, int n,
                            Accumulator acc) {
        int d = acc.headDim;
        float[] scores = acc.scores;
        scoreTile(q, qo, d, scale, keys, off, stride, n, scores);
        float tileMax = Float.NEGATIVE_INFINITY;
        for (int r = 0; r < n; r++) {
            tileMax = Math.max(tileMax, scores[r]);
        }
        raiseMax(acc, tileMax);
        float sum = 0f;
        for (int r = 0; r < n; r++) {
            float p = (float) Math.exp(scores[r] - acc.max);
            sum += p;
            int vo = off + r * stride;
            for (int i = 0; i < d; i++) {
                acc.weighted[i] += p * values[vo + i];
            }
        }
        acc.sum += sum;
    }

    @Override
    protected void scoreTile(float[] q, int qo, int d, float scale, float[] keys, int off, int stride, int n,
                             float[] scores) {
        for (int r = 0; r < n; r++) {
            int ko = off + r * stride;
            float s = 0f;
            for (int i = 0; i < d; i++) {
                s += q[qo + i] * keys[ko + i];
            }
            scores[r] = s * scale;
        }
    }
}
