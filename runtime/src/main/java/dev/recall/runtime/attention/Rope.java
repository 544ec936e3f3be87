package dev.recall.runtime.attention;

import dev.recall.kernels.Kernels;
import dev.recall.runtime.config.RopeConfig;

/**
 * Rotary position embedding on the first {@code rot} dims of each head (partial rotary leaves the
 * rest untouched), with Hugging Face's rotate-half pairing (i, i + rot/2) or, for the q/k rows of
 * a Llama GGUF file, ggml's adjacent pairing (2i, 2i + 1). Frequencies follow transformers:
 * default, linear (positions / factor) and llama3 scaling, computed in fp32 like the reference;
 * a GGUF file may instead carry llama.cpp's per-pair frequency divisors ({@code rope_freqs}).
 */
public final class Rope {

    /** Which dims of a head rotate together. */
    public enum Pairing {
        /** (i, i + rot/2): Hugging Face's rotate_half. */
        HALVES,
        /** (2i, 2i + 1): ggml's normal RoPE, for rows permuted by llama.cpp's converter. */
        ADJACENT
    }

    private final Pairing pairing;
    private final int headDim;
    private final int rotaryDim;
    private final float[] invFreq;
    private final float positionScale;
    private final Kernels kernels;

    public Rope(RopeConfig cfg, int headDim, Kernels kernels) {
        this(cfg, headDim, kernels, Pairing.HALVES, null);
    }

    /**
     * @param freqFactors null, or one divisor per pair for its inverse frequency (llama.cpp's
     *                    {@code rope_freqs} tensor, which stands for llama3 scaling in GGUF files)
     */
    public Rope(RopeConfig cfg, int headDim, Kernels kernels, Pairing pairing, float[] freqFactors) {
        this.kernels = kernels;
        this.pairing = pairing;
        this.headDim = headDim;
        int rot = (int) (headDim * cfg.partialRotaryFactor());
        this.rotaryDim = rot - (rot % 2);
        int half = rotaryDim / 2;
        this.invFreq = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / rotaryDim;
            invFreq[i] = (float) (1.0 / Math.pow(cfg.theta(), exponent));
        }
        if (cfg.type().equals("llama3")) {
            double f = cfg.factor(), low = cfg.lowFreqFactor(), high = cfg.highFreqFactor();
            double l0 = cfg.originalMaxPositions();
            double lowWavelen = l0 / low, highWavelen = l0 / high;
            for (int i = 0; i < half; i++) {
                double inv = invFreq[i];
                double wavelen = 2 * Math.PI / inv;
                if (wavelen > lowWavelen) {
                    inv = inv / f;
                } else if (wavelen >= highWavelen) {
                    double s = (l0 / wavelen - low) / (high - low);
                    inv = (1 - s) * inv / f + s * inv;
                }
                invFreq[i] = (float) inv;
            }
        }
        if (freqFactors != null) {
            if (freqFactors.length != half) {
                throw new IllegalArgumentException(freqFactors.length + " rotary frequency factors for " + half + " pairs");
            }
            for (int i = 0; i < half; i++) {
                invFreq[i] = invFreq[i] / freqFactors[i];
            }
        }
        this.positionScale = cfg.type().equals("linear") ? (float) (1.0 / cfg.factor()) : 1f;
    }

    public int headDim() {
        return headDim;
    }

    public int rotaryDim() {
        return rotaryDim;
    }

    /** Rotary pairs per head (rotaryDim / 2): the length of the cos and sin arrays of {@link #angles}. */
    public int pairs() {
        return rotaryDim / 2;
    }

    /** cos and sin of every pair's angle at absolute position pos, into arrays of {@link #pairs()}. */
    public void angles(int pos, float[] cos, float[] sin) {
        // The angle is formed in fp32 (position × inverse frequency), as the reference does.
        float p = pos * positionScale;
        for (int i = 0; i < invFreq.length; i++) {
            float angle = p * invFreq[i];
            cos[i] = (float) Math.cos(angle);
            sin[i] = (float) Math.sin(angle);
        }
    }

    /** Rotates nHeads consecutive heads of x starting at off by angles from {@link #angles}. */
    public void rotate(float[] x, int off, int nHeads, float[] cos, float[] sin) {
        if (pairing == Pairing.ADJACENT) {
            kernels.rotateAdjacent(x, off, nHeads, headDim, rotaryDim, cos, sin);
        } else {
            kernels.rotateHalf(x, off, nHeads, headDim, rotaryDim, cos, sin);
        }
    }

    /** Rotates nHeads consecutive heads of x starting at off to absolute position pos. */
    public void rotate(float[] x, int off, int nHeads, int pos) {
        float[] cos = new float[pairs()];
        float[] sin = new float[pairs()];
        angles(pos, cos, sin);
        rotate(x, off, nHeads, cos, sin);
    }
}
