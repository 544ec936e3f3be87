package dev.recall.runtime.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.IoErrors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A model's {@code config.json} with typed accessors. Every failure names the file and the field.
 * Sizes should come from tensor shapes; config values are cross-checks and hyper-parameters.
 */
public final class ModelConfig {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final JsonNode root;

    public ModelConfig(String source, JsonNode root) {
        this.source = source;
        this.root = root;
    }

    public static ModelConfig read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new RecallException("no " + file.getFileName() + " in " + file.getParent());
        }
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node == null || !node.isObject()) {
                throw new RecallException(file + " is not a JSON object");
            }
            return new ModelConfig(file.toString(), node);
        } catch (IOException e) {
            throw new RecallException("cannot parse " + file + ": " + IoErrors.describe(e));
        }
    }

    public static ModelConfig parse(String source, String json) {
        try {
            JsonNode node = JSON.readTree(json);
            if (node == null || !node.isObject()) {
                throw new RecallException(source + " is not a JSON object");
            }
            return new ModelConfig(source, node);
        } catch (IOException e) {
            throw new RecallException("cannot parse " + source + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    public JsonNode json() {
        return root;
    }

    public String source() {
        return source;
    }

    public boolean has(String key) {
        JsonNode n = root.get(key);
        return n != null && !n.isNull();
    }

    public JsonNode node(String key) {
        JsonNode n = root.get(key);
        return n == null ? MissingNode.getInstance() : n;
    }

    /** The first entry of {@code architectures}, or {@code model_type} when absent. */
    public String architecture() {
        JsonNode a = root.get("architectures");
        if (a != null && a.isArray() && !a.isEmpty() && a.get(0).isTextual()) {
            return a.get(0).asText();
        }
        if (a != null && a.isTextual()) {
            return a.asText();
        }
        if (has("model_type")) {
            return string("model_type");
        }
        throw new RecallException(source + " names no architecture (no 'architectures' or 'model_type')");
    }

    public String string(String key) {
        JsonNode n = require(key);
        if (!n.isTextual()) {
            throw wrongType(key, "a string", n);
        }
        return n.asText();
    }

    public String string(String key, String def) {
        return has(key) ? string(key) : def;
    }

    public int integer(String key) {
        JsonNode n = require(key);
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw wrongType(key, "an integer", n);
        }
        return n.asInt();
    }

    public int integer(String key, int def) {
        return has(key) ? integer(key) : def;
    }

    /**
     * Fails when this config states {@code key} and the tensors say otherwise: the sizes come from
     * the weights, a config that contradicts them is damaged or belongs to another checkpoint.
     *
     * @param what where the tensors' value comes from, for the message ("rows of lm_head.weight")
     */
    public void crossCheck(String key, int fromTensors, String what) {
        if (has(key) && integer(key) != fromTensors) {
            throw new RecallException(source() + " says " + key + " = " + integer(key) + " but the weights have "
                    + fromTensors + " (" + what + ")");
        }
    }

    /** An integer that must be at least 1 (a count or a size that something is divided by). */
    public int positiveInteger(String key) {
        int v = integer(key);
        if (v < 1) {
            throw new RecallException(source() + ": " + key + " must be a positive integer, got " + v);
        }
        return v;
    }

    public double number(String key) {
        JsonNode n = require(key);
        if (!n.isNumber()) {
            throw wrongType(key, "a number", n);
        }
        return n.asDouble();
    }

    public double number(String key, double def) {
        return has(key) ? number(key) : def;
    }

    /**
     * A number in (low, high] when {@code lowOpen}, else [low, high], finite; the default when the
     * key is absent. One sentence names the key and the range otherwise: every hyper-parameter a
     * family computes with goes through a bound like this, so a hostile config cannot produce NaN
     * logits or a size that exhausts memory.
     */
    public double number(String key, double def, double low, boolean lowOpen, double high) {
        double v = number(key, def);
        if (!(lowOpen ? v > low : v >= low) || !(v <= high)) {
            throw new RecallException(source + ": " + key + " is " + v + ", outside the range " + (lowOpen ? "(" : "[")
                    + low + ", " + high + "]");
        }
        return v;
    }

    /** A norm epsilon: positive and below 1. */
    public double epsilon(String key, double def) {
        return number(key, def, 0, true, 1);
    }

    /** An integer in [low, high], the default when absent, or one sentence naming the key and the range. */
    public int integer(String key, int def, int low, int high) {
        int v = integer(key, def);
        if (v < low || v > high) {
            throw new RecallException(source + ": " + key + " is " + v + ", outside the range [" + low + ", " + high + "]");
        }
        return v;
    }

    public boolean bool(String key, boolean def) {
        if (!has(key)) {
            return def;
        }
        JsonNode n = root.get(key);
        if (!n.isBoolean()) {
            throw wrongType(key, "true or false", n);
        }
        return n.asBoolean();
    }

    /** An int or a list of ints (e.g. {@code eos_token_id}); empty when absent. */
    public List<Integer> intList(String key) {
        List<Integer> out = new ArrayList<>();
        if (!has(key)) {
            return out;
        }
        JsonNode n = root.get(key);
        if (n.isIntegralNumber()) {
            out.add(n.asInt());
        } else if (n.isArray()) {
            for (JsonNode e : n) {
                if (!e.isIntegralNumber()) {
                    throw wrongType(key, "an integer or a list of integers", n);
                }
                out.add(e.asInt());
            }
        } else {
            throw wrongType(key, "an integer or a list of integers", n);
        }
        return out;
    }

    public Optional<List<String>> stringList(String key) {
        if (!has(key)) {
            return Optional.empty();
        }
        JsonNode n = root.get(key);
        if (!n.isArray()) {
            throw wrongType(key, "a list of strings", n);
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                throw wrongType(key, "a list of strings", n);
            }
            out.add(e.asText());
        }
        return Optional.of(out);
    }

    /** A nested object as its own config (e.g. {@code rope_parameters}); empty when absent. */
    public Optional<ModelConfig> object(String key) {
        if (!has(key)) {
            return Optional.empty();
        }
        JsonNode n = root.get(key);
        if (!n.isObject()) {
            throw wrongType(key, "an object", n);
        }
        return Optional.of(new ModelConfig(source + " → " + key, n));
    }

    private JsonNode require(String key) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            throw new RecallException(source + " is missing the field '" + key + "'");
        }
        return n;
    }

    private RecallException wrongType(String key, String expected, JsonNode n) {
        return new RecallException(source + ": field '" + key + "' should be " + expected + ", found " + n);
    }
}
