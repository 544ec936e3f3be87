package dev.recall.runtime.config;

import dev.recall.runtime.RecallException;

/**
 * Rotary embedding parameters, read from either config style: transformers ≥ 5
 * {@code rope_parameters: {rope_theta, rope_type, factor, ...}} or the hub's legacy top-level
 * {@code rope_theta} + {@code rope_scaling}.
 */
public record RopeConfig(double theta, String type, double factor, double lowFreqFactor, double highFreqFactor,
                         int originalMaxPositions, double partialRotaryFactor) {

    public static RopeConfig from(ModelConfig c) {
        ModelConfig params = c.object("rope_parameters").orElse(null);
        ModelConfig scaling = c.object("rope_scaling").orElse(null);
        double theta = params != null && params.has("rope_theta") ? params.number("rope_theta") : c.number("rope_theta", 10000.0);
        ModelConfig s = params != null ? params : scaling;
        String type = "default";
        double factor = 1, low = 1, high = 4;
        int orig = c.integer("max_position_embeddings", 0);
        if (s != null) {
            type = s.has("rope_type") ? s.string("rope_type") : s.string("type", "default");
            factor = s.number("factor", 1.0);
            low = s.number("low_freq_factor", 1.0);
            high = s.number("high_freq_factor", 4.0);
            orig = s.integer("original_max_position_embeddings", orig);
        }
        if (params != null && scaling != null && "default".equals(type)) {
            // transformers ≥ 5 with a legacy block still present: the legacy block describes the scaling.
            type = scaling.has("rope_type") ? scaling.string("rope_type") : scaling.string("type", "default");
            factor = scaling.number("factor", 1.0);
            low = scaling.number("low_freq_factor", 1.0);
            high = scaling.number("high_freq_factor", 4.0);
            orig = scaling.integer("original_max_position_embeddings", orig);
        }
        double partial = params != null && params.has("partial_rotary_factor")
                ? params.number("partial_rotary_factor") : c.number("partial_rotary_factor", 1.0);
        if (!(type.equals("default") || type.equals("llama3") || type.equals("linear"))) {
            throw new RecallException(c.source() + ": rope type '" + type + "' is not supported (supported: default, linear, llama3)");
        }
        requireRange(c, "rope_theta", theta, 1, 1e12);
        requireRange(c, "partial_rotary_factor", partial, Double.MIN_VALUE, 1);
        if (!type.equals("default")) {
            requireRange(c, "rope scaling factor", factor, 1e-6, 1e6);
        }
        if (type.equals("llama3")) {
            requireRange(c, "low_freq_factor", low, 1e-6, 1e6);
            requireRange(c, "high_freq_factor", high, low * (1 + 1e-9), 1e6);
            if (orig < 1) {
                throw new RecallException(c.source() + ": llama3 rope scaling needs original_max_position_embeddings ≥ 1, got " + orig);
            }
        }
        return new RopeConfig(theta, type, factor, low, high, orig, partial);
    }

    /** A value in [min, max] and finite, or one sentence naming the key and the range. */
    static void requireRange(ModelConfig c, String key, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw new RecallException(c.source() + ": " + key + " is " + value + ", outside the range "
                    + (min == Double.MIN_VALUE ? "(0" : "[" + min) + ", " + max + "]");
        }
    }
}
