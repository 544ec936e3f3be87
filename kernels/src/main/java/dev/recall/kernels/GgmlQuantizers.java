package dev.recall.kernels;

/**
 * ggml's reference quantizers ({@code quantize_row_*_ref} in {@code ggml/src/ggml-quants.c}), the
 * ones llama.cpp's {@code llama-quantize} runs when no importance matrix is given: the same float
 * operations in the same order (ggml-base is compiled without fused multiply-adds on x86), so a
 * block written here is byte for byte the block llama.cpp writes for the same fp32 weights.
 * Each method encodes one block of {@code x} from {@code xo} into {@code out} from {@code oo}.
 */
final class GgmlQuantizers {

    private GgmlQuantizers() {
    }

    /** ggml's nearest_int: round half to even through the float adder, for |v| ≤ 4194303. */
    static int nearestInt(float v) {
        return (Float.floatToRawIntBits(v + 12582912f) & 0x007fffff) - 0x00400000;
    }

    /** C's roundf: half away from zero. */
    static int roundf(float v) {
        double r = Math.floor(Math.abs((double) v) + 0.5);
        return (int) (v < 0 ? -r : r);
    }

    /** ggml_compute_fp32_to_fp16: round to nearest even; NaN becomes the quiet NaN 0x7E00. */
    static short fp16(float f) {
        if (Float.isNaN(f)) {
            return (short) ((Float.floatToRawIntBits(f) >>> 16 & 0x8000) | 0x7E00);
        }
        return Float.floatToFloat16(f);
    }

    static float fp16ToFloat(short h) {
        return Float.float16ToFloat(h);
    }

    static void putHalf(byte[] out, int at, float v) {
        short h = fp16(v);
        out[at] = (byte) h;
        out[at + 1] = (byte) (h >> 8);
    }

    static float half(byte[] out, int at) {
        return fp16ToFloat((short) ((out[at] & 0xFF) | (out[at + 1] << 8)));
    }

    // ---- 32-weight blocks -------------------------------------------------------------------

    static void q8_0(float[] x, int xo, byte[] out, int oo) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[xo + j]));
        }
        float d = amax / ((1 << 7) - 1);
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(out, oo, d);
        for (int j = 0; j < 32; j++) {
            out[oo + 2 + j] = (byte) roundf(x[xo + j] * id);
        }
    }

    /** Q4_0 and Q5_0: d = max / −2^(bits−1), q = trunc(x/d + 2^(bits−1) + 0.5) capped. */
    static void q4_0(float[] x, int xo, byte[] out, int oo) {
        float d = signedMax(x, xo) / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(out, oo, d);
        for (int j = 0; j < 16; j++) {
            int xi0 = Math.min(15, (byte) (int) (x[xo + j] * id + 8.5f));
            int xi1 = Math.min(15, (byte) (int) (x[xo + 16 + j] * id + 8.5f));
            out[oo + 2 + j] = (byte) (xi0 | xi1 << 4);
        }
    }

    static void q4_1(float[] x, int xo, byte[] out, int oo) {
        float[] mm = minMax(x, xo);
        float min = mm[0];
        float d = (mm[1] - min) / ((1 << 4) - 1);
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(out, oo, d);
        putHalf(out, oo + 2, min);
        for (int j = 0; j < 16; j++) {
            int xi0 = Math.min(15, (byte) (int) ((x[xo + j] - min) * id + 0.5f));
            int xi1 = Math.min(15, (byte) (int) ((x[xo + 16 + j] - min) * id + 0.5f));
            out[oo + 4 + j] = (byte) (xi0 | xi1 << 4);
        }
    }

    static void q5_0(float[] x, int xo, byte[] out, int oo) {
        float d = signedMax(x, xo) / -16;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(out, oo, d);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int xi0 = Math.min(31, (byte) (int) (x[xo + j] * id + 16.5f)) & 0xFF;
            int xi1 = Math.min(31, (byte) (int) (x[xo + 16 + j] * id + 16.5f)) & 0xFF;
            out[oo + 6 + j] = (byte) ((xi0 & 0x0F) | (xi1 & 0x0F) << 4);
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        putInt(out, oo + 2, qh);
    }

    static void q5_1(float[] x, int xo, byte[] out, int oo) {
        float[] mm = minMax(x, xo);
        float min = mm[0];
        float d = (mm[1] - min) / ((1 << 5) - 1);
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(out, oo, d);
        putHalf(out, oo + 2, min);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int xi0 = (int) ((x[xo + j] - min) * id + 0.5f) & 0xFF;
            int xi1 = (int) ((x[xo + 16 + j] - min) * id + 0.5f) & 0xFF;
            out[oo + 8 + j] = (byte) ((xi0 & 0x0F) | (xi1 & 0x0F) << 4);
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        putInt(out, oo + 4, qh);
    }

    /** The value of largest magnitude (the first of equal magnitudes). */
    private static float signedMax(float[] x, int xo) {
        float amax = 0f;
        float max = 0f;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    private static float[] minMax(float[] x, int xo) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        return new float[] {min, max};
    }

    private static void putInt(byte[] out, int at, int v) {
        out[at] = (byte) v;
        out[at + 1] = (byte) (v >> 8);
        out[at + 2] = (byte) (v >> 16);
        out[at + 3] = (byte) (v >> 24);
    }

    // ---- K-quants (256-weight super-blocks) ------------------------------------------------

    private static final float GROUP_MAX_EPS = 1e-15f;

    /** make_qx_quants with qw = NULL: symmetric quants in [−nmax, nmax) with a scale search. */
    static float makeQxQuants(int n, int nmax, float[] x, int xo, byte[] l8, int lo, int rmseType) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) {
                l8[lo + i] = 0;
            }
            return 0f;
        }
        float iscale = -nmax / max;
        if (rmseType == 0) {
            for (int i = 0; i < n; i++) {
                int l = nearestInt(iscale * x[xo + i]);
                l8[lo + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
            }
            return 1 / iscale;
        }
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = nearestInt(iscale * x[xo + i]);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            l8[lo + i] = (byte) (l + nmax);
            float w = weight(x[xo + i], rmseType);
            sumlx += w * x[xo + i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                int l = nearestInt(iscale * x[xo + i]);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                float w = weight(x[xo + i], rmseType);
                sumlx += w * x[xo + i] * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    int l = nearestInt(iscale * x[xo + i]);
                    l8[lo + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    private static float weight(float x, int rmseType) {
        return switch (rmseType) {
            case 1 -> x * x;
            case 2 -> 1;
            case 3 -> Math.abs(x);
            default -> (float) Math.sqrt(Math.abs(x));
        };
    }

    /**
     * make_qkx2_quants: asymmetric quants in [0, nmax] with a min, the scale and min searched over
     * nstep + 1 candidate scales. Returns the scale; the min (negated, as ggml stores it) goes to
     * {@code theMin[0]}.
     */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xo, float[] weights, byte[] l8, int lo, float[] theMin,
                                byte[] aux, float rmin, float rdelta, int nstep) {
        float min = x[xo];
        float max = x[xo];
        float sumW = weights[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            if (x[xo + i] < min) {
                min = x[xo + i];
            }
            if (x[xo + i] > max) {
                max = x[xo + i];
            }
            float w = weights[i];
            sumW += w;
            sumX += w * x[xo + i];
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            for (int i = 0; i < n; i++) {
                l8[lo + i] = 0;
            }
            theMin[0] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = nearestInt(iscale * (x[xo + i] - min));
            int q = Math.max(0, Math.min(nmax, l));
            l8[lo + i] = (byte) q;
            float diff = scale * q + min - x[xo + i];
            diff = diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1) {
            theMin[0] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXl = 0;
            for (int i = 0; i < n; i++) {
                int l = nearestInt(iscale * (x[xo + i] - min));
                l = Math.max(0, Math.min(nmax, l));
                aux[i] = (byte) l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXl += w * l * x[xo + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXl - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * (aux[i] & 0xFF) + thisMin - x[xo + i];
                    diff = diff * diff;
                    curError += weights[i] * diff;
                }
                if (curError < bestError) {
                    for (int i = 0; i < n; i++) {
                        l8[lo + i] = aux[i];
                    }
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[0] = -min;
        return scale;
    }

    /** quantize_row_q4_K_ref (fiveBits false) and quantize_row_q5_K_ref (true) for one super-block. */
    static void q45K(float[] x, int xo, byte[] out, int oo, boolean fiveBits) {
        int nmax = fiveBits ? 31 : 15;
        byte[] l8 = new byte[256];
        byte[] aux = new byte[32];
        float[] weights = new float[32];
        float[] mins = new float[8];
        float[] scales = new float[8];
        float[] theMin = new float[1];
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[xo + 32 * j + l] * x[xo + 32 * j + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                weights[l] = avX + Math.abs(x[xo + 32 * j + l]);
            }
            scales[j] = fiveBits
                    ? makeQkx2Quants(32, nmax, x, xo + 32 * j, weights, l8, 32 * j, theMin, aux, -0.5f, 0.1f, 15)
                    : makeQkx2Quants(32, nmax, x, xo + 32 * j, weights, l8, 32 * j, theMin, aux, -1.f, 0.1f, 20);
            mins[j] = theMin[0];
            if (scales[j] > maxScale) {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin) {
                maxMin = mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
        float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
        int sc = oo + 4;
        for (int j = 0; j < 12; j++) {
            out[sc + j] = 0;
        }
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
            if (j < 4) {
                out[sc + j] = (byte) ls;
                out[sc + j + 4] = (byte) lm;
            } else {
                out[sc + j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                out[sc + j - 4] |= (byte) ((ls >> 4) << 6);
                out[sc + j] |= (byte) ((lm >> 4) << 6);
            }
        }
        putHalf(out, oo, maxScale / 63.f);
        putHalf(out, oo + 2, maxMin / 63.f);
        float d0 = half(out, oo);
        float dmin0 = half(out, oo + 2);
        for (int j = 0; j < 8; j++) {
            int s = kScale(out, sc, j);
            int m = kMin(out, sc, j);
            float d = d0 * s;
            if (d == 0) {
                continue;
            }
            float dm = dmin0 * m;
            for (int ii = 0; ii < 32; ii++) {
                int l = nearestInt((x[xo + 32 * j + ii] + dm) / d);
                l8[32 * j + ii] = (byte) Math.max(0, Math.min(nmax, l));
            }
        }
        if (!fiveBits) {
            int q = oo + 16;
            for (int j = 0; j < 256; j += 64, q += 32) {
                for (int l = 0; l < 32; l++) {
                    out[q + l] = (byte) (l8[j + l] | (l8[j + l + 32] << 4));
                }
            }
            return;
        }
        int qh = oo + 16;
        int ql = oo + 48;
        for (int j = 0; j < 32; j++) {
            out[qh + j] = 0;
        }
        int m1 = 1;
        int m2 = 2;
        for (int n = 0; n < 256; n += 64, m1 <<= 2, m2 <<= 2, ql += 32) {
            for (int j = 0; j < 32; j++) {
                int l1 = l8[n + j];
                if (l1 > 15) {
                    l1 -= 16;
                    out[qh + j] |= (byte) m1;
                }
                int l2 = l8[n + j + 32];
                if (l2 > 15) {
                    l2 -= 16;
                    out[qh + j] |= (byte) m2;
                }
                out[ql + j] = (byte) (l1 | (l2 << 4));
            }
        }
    }

    static void q6K(float[] x, int xo, byte[] out, int oo) {
        byte[] l8 = new byte[256];
        float[] scales = new float[16];
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float scale = makeQxQuants(16, 32, x, xo + 16 * ib, l8, 16 * ib, 1);
            scales[ib] = scale;
            float abs = Math.abs(scale);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scale;
            }
        }
        if (maxAbsScale < GROUP_MAX_EPS) {
            java.util.Arrays.fill(out, oo, oo + 210, (byte) 0);
            putHalf(out, oo + 208, 0f);
            return;
        }
        float iscale = -128.f / maxScale;
        putHalf(out, oo + 208, 1 / iscale);
        for (int ib = 0; ib < 16; ib++) {
            out[oo + 192 + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
        }
        float d0 = half(out, oo + 208);
        for (int j = 0; j < 16; j++) {
            float d = d0 * out[oo + 192 + j];
            if (d == 0) {
                continue;
            }
            for (int ii = 0; ii < 16; ii++) {
                int l = nearestInt(x[xo + 16 * j + ii] / d);
                l8[16 * j + ii] = (byte) (Math.max(-32, Math.min(31, l)) + 32);
            }
        }
        int ql = oo;
        int qh = oo + 128;
        for (int j = 0; j < 256; j += 128, ql += 64, qh += 32) {
            for (int l = 0; l < 32; l++) {
                int q1 = l8[j + l] & 0xF;
                int q2 = l8[j + l + 32] & 0xF;
                int q3 = l8[j + l + 64] & 0xF;
                int q4 = l8[j + l + 96] & 0xF;
                out[ql + l] = (byte) (q1 | (q3 << 4));
                out[ql + l + 32] = (byte) (q2 | (q4 << 4));
                out[qh + l] = (byte) ((l8[j + l] >> 4) | ((l8[j + l + 32] >> 4) << 2) | ((l8[j + l + 64] >> 4) << 4)
                        | ((l8[j + l + 96] >> 4) << 6));
            }
        }
    }

    private static int kScale(byte[] q, int at, int j) {
        return j < 4 ? q[at + j] & 63 : (q[at + j + 4] & 0x0F) | (((q[at + j - 4] & 0xFF) >>> 6) << 4);
    }

    private static int kMin(byte[] q, int at, int j) {
        return j < 4 ? q[at + j + 4] & 63 : ((q[at + j + 4] & 0xFF) >>> 4) | (((q[at + j] & 0xFF) >>> 6) << 4);
    }
}
