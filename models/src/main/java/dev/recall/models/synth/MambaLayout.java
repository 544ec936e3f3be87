package dev.recall.models.synth;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

import static dev.recall.models.synth.TensorSpec.of;

/**
 * Tensors of a Mamba-1 checkpoint ({@code backbone.*}) for a config, initialised the way the
 * reference initialises a fresh model where it matters for finite activations: A_log = log(1..N)
 * (S4D-real), step sizes log-uniform in [0.001, 0.1] through the dt_proj bias, D = 1.
 */
final class MambaLayout {

    private static final double DT_MIN = 0.001;
    private static final double DT_MAX = 0.1;

    private MambaLayout() {
    }

    static List<TensorSpec> tensors(ObjectNode c) {
        int hidden = c.get("hidden_size").asInt();
        int inner = c.get("intermediate_size").asInt();
        int states = c.get("state_size").asInt();
        int kernel = c.get("conv_kernel").asInt();
        int rank = c.get("time_step_rank").asInt();
        int vocab = c.get("vocab_size").asInt();
        Init weight = Init.noise(0.02);
        List<TensorSpec> t = new ArrayList<>();
        t.add(of("backbone.embeddings.weight", weight, vocab, hidden));
        for (int i = 0; i < c.get("num_hidden_layers").asInt(); i++) {
            String p = "backbone.layers." + i + ".";
            t.add(of(p + "norm.weight", Init.constant(1), hidden));
            t.add(of(p + "mixer.in_proj.weight", weight, 2L * inner, hidden));
            double convBound = 1 / Math.sqrt(kernel);
            t.add(of(p + "mixer.conv1d.weight", Init.uniform(-convBound, convBound), inner, 1, kernel));
            t.add(of(p + "mixer.conv1d.bias", Init.constant(0), inner));
            t.add(of(p + "mixer.x_proj.weight", weight, rank + 2L * states, inner));
            double dtBound = 1 / Math.sqrt(rank);
            t.add(of(p + "mixer.dt_proj.weight", Init.uniform(-dtBound, dtBound), inner, rank));
            t.add(of(p + "mixer.dt_proj.bias", Init.random(rnd -> {
                double dt = Math.exp(Math.log(DT_MIN) + rnd.nextDouble() * (Math.log(DT_MAX) - Math.log(DT_MIN)));
                return dt + Math.log(-Math.expm1(-dt)); // softplus⁻¹(dt)
            }), inner));
            t.add(of(p + "mixer.A_log", Init.byIndex(index -> Math.log(1 + index % states)), inner, states));
            t.add(of(p + "mixer.D", Init.constant(1), inner));
            t.add(of(p + "mixer.out_proj.weight", weight, hidden, inner));
        }
        t.add(of("backbone.norm_f.weight", Init.constant(1), hidden));
        if (!c.get("tie_word_embeddings").asBoolean()) {
            t.add(of("lm_head.weight", weight, vocab, hidden));
        }
        return t;
    }
}
