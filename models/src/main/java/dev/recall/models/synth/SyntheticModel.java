package dev.recall.models.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.DType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Writes a random-weight model directory with the real shapes of a published checkpoint, so that
 * benchmarks run at real sizes without downloads: {@code config.json} in the Hugging Face format the
 * loaders read and one BF16 {@code model.safetensors}, written tensor by tensor (a 1.4B model is
 * 2.8 GB and never in memory at once). No tokenizer is written: the weights are noise, so text in
 * or out would mean nothing; benchmarks feed token ids.
 *
 * <p>Weights are small uniform noise (standard deviation 0.02), norms neutral, and the recurrence
 * parameters in the ranges trained models use (see the family layouts), so activations and logits
 * stay finite through every layer.
 */
public final class SyntheticModel {

    /** What was written. */
    public record Written(Path dir, Preset preset, int layers, long parameters, long bytes) {
    }

    private SyntheticModel() {
    }

    /** The preset ids, for help texts and error messages. */
    public static List<String> presetIds() {
        return Arrays.stream(Preset.values()).map(Preset::id).toList();
    }

    public static List<String> familyIds() {
        return Arrays.stream(SyntheticFamily.values()).map(SyntheticFamily::id).toList();
    }

    /**
     * The preset named by the command line: {@code presetId} if given (and then of {@code familyId}
     * when that is given too), else the family's real-size default.
     */
    public static Preset preset(String presetId, String familyId) {
        SyntheticFamily family = null;
        if (familyId != null) {
            family = Arrays.stream(SyntheticFamily.values()).filter(f -> f.id().equals(familyId.toLowerCase(Locale.ROOT)))
                    .findFirst().orElseThrow(() -> new RecallException("unknown family '" + familyId
                            + "'; known families: " + String.join(", ", familyIds())));
        }
        if (presetId == null) {
            if (family == null) {
                throw new RecallException("name a preset or a family to synthesise; presets: " + String.join(", ", presetIds()));
            }
            presetId = family.defaultPreset();
        }
        String wanted = presetId.toLowerCase(Locale.ROOT);
        Preset preset = Arrays.stream(Preset.values()).filter(p -> p.id().equals(wanted)).findFirst()
                .orElseThrow(() -> new RecallException("unknown preset '" + wanted + "'; known presets: "
                        + String.join(", ", presetIds())));
        if (family != null && preset.family() != family) {
            SyntheticFamily asked = family;
            throw new RecallException("preset " + preset.id() + " is a " + preset.family().id()
                    + " model, not " + asked.id() + "; " + asked.id() + " presets: "
                    + Arrays.stream(Preset.values()).filter(p -> p.family() == asked)
                    .map(Preset::id).collect(Collectors.joining(", ")));
        }
        return preset;
    }

    /**
     * Writes the model into {@code dir} (created if needed; existing config.json and
     * model.safetensors are replaced).
     *
     * @param layers the number of layers, or 0 for the preset's own count (fewer layers make a shallow
     *               model of the same width for quick tests)
     */
    public static Written write(Preset preset, Path dir, long seed, int layers) {
        if (layers < 0) {
            throw new RecallException("the layer count must be positive, got " + layers);
        }
        ObjectNode config = preset.config();
        if (layers > 0) {
            config.put("num_hidden_layers", layers);
        }
        List<TensorSpec> tensors = preset.family().tensors(config);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"),
                    new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n");
        } catch (IOException e) {
            throw new RecallException("cannot write " + dir.resolve("config.json") + ": " + e.getMessage(), e);
        }
        Path file = dir.resolve("model.safetensors");
        List<StreamingSafeTensorsWriter.Entry> entries = tensors.stream()
                .map(t -> new StreamingSafeTensorsWriter.Entry(t.name(), DType.BF16, t.shape())).toList();
        long parameters = 0;
        try (StreamingSafeTensorsWriter writer = new StreamingSafeTensorsWriter(file, entries)) {
            for (TensorSpec t : tensors) {
                writer.write(t.init().values(tensorSeed(seed, t.name())));
                parameters += t.elements();
            }
        }
        long bytes;
        try {
            bytes = Files.size(file);
        } catch (IOException e) {
            throw new RecallException("cannot read back " + file + ": " + e.getMessage(), e);
        }
        return new Written(dir, preset, config.get("num_hidden_layers").asInt(), parameters, bytes);
    }

    /** Each tensor's own stream, from the model seed and its name (independent of file order). */
    private static long tensorSeed(long seed, String name) {
        long h = seed * 0x9E3779B97F4A7C15L;
        for (int i = 0; i < name.length(); i++) {
            h = (h ^ name.charAt(i)) * 0x100000001B3L;
        }
        return h;
    }
}
