package dev.recall.kernels;

/**
 * The element-wise part of Griffin's Real-Gated Linear Recurrent Unit (RG-LRU), run over a batch
 * of tokens: from the gate pre-activations it forms the decay and the normalised input of each
 * channel and advances the fp32 state one token at a time,
 * <pre>
 *   gx = σ(inputGate),  r = σ(recurrenceGate),  log a = −8 · r · softplus(Λ)
 *   a = exp(log a),  m = sqrt(1 − exp(2 · log a))
 *   h = a ⊙ h + x ⊙ gx ⊙ m
 * </pre>
 * except at the first token of a sequence, where a = 0 and m = 1 (the state starts from the input
 * alone). The block-diagonal gate projections are plain matrix products and stay with the model.
 *
 * <p>This class is the plain-loop reference; {@link RgLruVector} is its SIMD twin, and tests
 * compare the two. Channels are independent, so both may split the channel range across threads.
 */
public class RgLru {

    /**
     * Advances the state over t tokens.
     *
     * @param x              [t, width] recurrence input (the temporal conv output)
     * @param inputGate      [t, width] input-gate pre-activations (block-diagonal projection of x plus bias)
     * @param recurrenceGate [t, width] recurrence-gate pre-activations
     * @param softplusParam  [width] softplus of the learned recurrent parameter Λ
     * @param h              [width] fp32 state carried from the previous token, updated in place
     * @param width          number of channels
     * @param t              number of tokens
     * @param resetAtFirst   token 0 is the first of the sequence (absolute position 0)
     * @param out            [t, width] receives the state after each token
     */
    public void scan(float[] x, float[] inputGate, float[] recurrenceGate, float[] softplusParam, float[] h,
                     int width, int t, boolean resetAtFirst, float[] out) {
        for (int i = 0; i < t; i++) {
            boolean reset = resetAtFirst && i == 0;
            int row = i * width;
            for (int c = 0; c < width; c++) {
                h[c] = step(x[row + c], inputGate[row + c], recurrenceGate[row + c], softplusParam[c], h[c], reset);
                out[row + c] = h[c];
            }
        }
    }

    /**
     * One channel, one token, in the reference's fp32 operation order: returns the new state.
     * Also used by the vector twin for the channels left over after the last full vector.
     */
    static float step(float x, float inputGatePre, float recurrenceGatePre, float softplusParam, float h, boolean reset) {
        float gx = ScalarKernels.sigmoid(inputGatePre);
        float r = ScalarKernels.sigmoid(recurrenceGatePre);
        float logA = -8f * r * softplusParam;
        float a = (float) Math.exp(logA);
        float aSquared = (float) Math.exp(2f * logA);
        float m = (float) Math.sqrt(1f - aSquared);
        float gated = x * gx;
        if (reset) {
            return gated;
        }
        return a * h + gated * m;
    }
}
