package dev.recall.models.llama;

import dev.recall.kernels.ElementType;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.io.Weights;

import java.nio.file.Path;

/**
 * An independent, deliberately naive Llama-layout forward pass for tests: whole sequence at once,
 * a full [T, T] score matrix with an explicit causal (optionally windowed) mask, RoPE written out
 * from the formula, double-precision sums. It shares no code with the model beyond reading the
 * safetensors file, so agreement with it checks the model's caches, windows, GQA and biases.
 */
final class DenseReference {

    private DenseReference() {
    }

    /**
     * Logits [T, V] for ids.
     *
     * @param windows         per layer: query i sees key j iff 0 ≤ i − j < window (0 = no limit)
     * @param bf16Frequencies round the RoPE inverse frequencies to bf16 (what a model cast to bf16
     *                        and back to fp32 in PyTorch ends up using)
     */
    static float[] logits(Path dir, int[] ids, int[] windows, boolean bf16Frequencies) {
        ModelConfig c = ModelConfig.read(dir.resolve("config.json"));
        try (Weights w = Weights.open(dir)) {
            int n = ids.length;
            int d = c.integer("hidden_size");
            int heads = c.integer("num_attention_heads");
            int kvHeads = c.integer("num_key_value_heads", heads);
            int hd = c.integer("head_dim", d / heads);
            double eps = c.number("rms_norm_eps");
            double theta = c.object("rope_parameters").map(p -> p.number("rope_theta")).orElseGet(() -> c.number("rope_theta"));
            int layers = c.integer("num_hidden_layers");

            float[][] emb = rows(w.get("model.embed_tokens.weight"));
            float[][] x = new float[n][];
            for (int i = 0; i < n; i++) {
                x[i] = emb[ids[i]].clone();
            }
            double[] inv = new double[hd / 2];
            for (int i = 0; i < hd / 2; i++) {
                float f = (float) (1.0 / Math.pow(theta, 2.0 * i / hd));
                inv[i] = bf16Frequencies ? ElementType.roundToBf16(f) : f;
            }

            for (int l = 0; l < layers; l++) {
                String p = "model.layers." + l + ".";
                float[][] h = norm(x, w.get(p + "input_layernorm.weight").toFloats(), eps);
                float[][] q = linear(h, w, p + "self_attn.q_proj");
                float[][] k = linear(h, w, p + "self_attn.k_proj");
                float[][] v = linear(h, w, p + "self_attn.v_proj");
                for (int i = 0; i < n; i++) {
                    rope(q[i], heads, hd, i, inv);
                    rope(k[i], kvHeads, hd, i, inv);
                }
                float[][] att = new float[n][heads * hd];
                for (int head = 0; head < heads; head++) {
                    int kvHead = head / (heads / kvHeads);
                    for (int i = 0; i < n; i++) {
                        double[] s = new double[n];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < n; j++) {
                            boolean visible = j <= i && (windows[l] == 0 || i - j < windows[l]);
                            if (!visible) {
                                s[j] = Double.NEGATIVE_INFINITY;
                                continue;
                            }
                            double dot = 0;
                            for (int e = 0; e < hd; e++) {
                                dot += (double) q[i][head * hd + e] * k[j][kvHead * hd + e];
                            }
                            s[j] = dot / Math.sqrt(hd);
                            max = Math.max(max, s[j]);
                        }
                        double sum = 0;
                        for (int j = 0; j < n; j++) {
                            s[j] = Math.exp(s[j] - max);
                            sum += s[j];
                        }
                        for (int e = 0; e < hd; e++) {
                            double o = 0;
                            for (int j = 0; j < n; j++) {
                                o += s[j] / sum * v[j][kvHead * hd + e];
                            }
                            att[i][head * hd + e] = (float) o;
                        }
                    }
                }
                addInto(x, linear(att, w, p + "self_attn.o_proj"));

                h = norm(x, w.get(p + "post_attention_layernorm.weight").toFloats(), eps);
                float[][] gate = linear(h, w, p + "mlp.gate_proj");
                float[][] up = linear(h, w, p + "mlp.up_proj");
                for (int i = 0; i < n; i++) {
                    for (int e = 0; e < gate[i].length; e++) {
                        double g = gate[i][e];
                        gate[i][e] = (float) (g / (1 + Math.exp(-g)) * up[i][e]);
                    }
                }
                addInto(x, linear(gate, w, p + "mlp.down_proj"));
            }

            float[][] out = norm(x, w.get("model.norm.weight").toFloats(), eps);
            float[][] head = rows(w.has("lm_head.weight") && !c.bool("tie_word_embeddings", false)
                    ? w.get("lm_head.weight") : w.get("model.embed_tokens.weight"));
            float[] logits = new float[n * head.length];
            for (int i = 0; i < n; i++) {
                for (int r = 0; r < head.length; r++) {
                    logits[i * head.length + r] = (float) dot(head[r], out[i]);
                }
            }
            return logits;
        }
    }

    private static void rope(float[] x, int nHeads, int hd, int pos, double[] inv) {
        int half = hd / 2;
        for (int h = 0; h < nHeads; h++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) pos * (float) inv[i];
                double cos = Math.cos(angle), sin = Math.sin(angle);
                int a = h * hd + i, b = a + half;
                double x0 = x[a], x1 = x[b];
                x[a] = (float) (x0 * cos - x1 * sin);
                x[b] = (float) (x1 * cos + x0 * sin);
            }
        }
    }

    private static float[][] norm(float[][] x, float[] weight, double eps) {
        float[][] y = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            double ms = dot(x[i], x[i]) / x[i].length;
            double inv = 1 / Math.sqrt(ms + eps);
            y[i] = new float[x[i].length];
            for (int e = 0; e < x[i].length; e++) {
                y[i][e] = (float) (x[i][e] * inv * weight[e]);
            }
        }
        return y;
    }

    private static float[][] linear(float[][] x, Weights w, String name) {
        float[][] weight = rows(w.get(name + ".weight"));
        float[] bias = w.has(name + ".bias") ? w.get(name + ".bias").toFloats() : null;
        float[][] y = new float[x.length][weight.length];
        for (int i = 0; i < x.length; i++) {
            for (int r = 0; r < weight.length; r++) {
                y[i][r] = (float) (dot(weight[r], x[i]) + (bias == null ? 0 : bias[r]));
            }
        }
        return y;
    }

    private static void addInto(float[][] x, float[][] y) {
        for (int i = 0; i < x.length; i++) {
            for (int e = 0; e < x[i].length; e++) {
                x[i][e] += y[i][e];
            }
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    private static float[][] rows(Tensor t) {
        float[] flat = t.toFloats();
        int cols = (int) (t.numel() / t.dim(0));
        float[][] out = new float[t.dim(0)][];
        for (int r = 0; r < out.length; r++) {
            out[r] = java.util.Arrays.copyOfRange(flat, r * cols, (r + 1) * cols);
        }
        return out;
    }
}
