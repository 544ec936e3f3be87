package dev.recall.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.SafeTensorsFile;
import dev.recall.runtime.io.SafeTensorsWriter;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A damaged checkpoint must end in a {@link RecallException} (one sentence for the user), never in
 * another exception from deep inside a loader or a kernel. Every golden checkpoint is damaged one
 * place at a time: each tensor reshaped four ways (last or first dimension one shorter, flattened,
 * a scalar), and each numeric or list config value made zero, negative or empty. Each damaged
 * copy is loaded and, when it loads, prefilled with a few tokens; a consistent smaller model (a
 * conv one tap shorter) may load and run, anything else must be refused with a RecallException.
 */
class DamagedCheckpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"mamba", "falcon-mamba", "llama", "qwen2", "recurrent-gemma", "rwkv6"})
    void everyDamagedTensorEndsInARecallException(String name, @TempDir Path tmp) throws IOException {
        Path source = SharedData.resource("golden/" + name);
        Map<String, Tensor> tensors;
        List<String> failures = new ArrayList<>();
        try (SafeTensorsFile file = SafeTensorsFile.open(source.resolve("model.safetensors"))) {
            tensors = file.tensors();
            Map<String, Function<Tensor, Reshaped>> damages = new LinkedHashMap<>();
            damages.put("last dimension one shorter", t -> shorter(t, t.rank() - 1));
            damages.put("first dimension one shorter", t -> shorter(t, 0));
            damages.put("flattened", t -> t.rank() < 2 ? null : new Reshaped(t.toFloats(), new long[] {t.numel()}));
            damages.put("a scalar", t -> t.rank() == 0 ? null : new Reshaped(new float[] {t.toFloats()[0]}, new long[0]));
            for (Tensor victim : tensors.values()) {
                for (Map.Entry<String, Function<Tensor, Reshaped>> damage : damages.entrySet()) {
                    Reshaped r = damage.getValue().apply(victim);
                    if (r == null) {
                        continue;
                    }
                    Path dir = Files.createDirectories(tmp.resolve("case"));
                    Files.copy(source.resolve("config.json"), dir.resolve("config.json"),
                            StandardCopyOption.REPLACE_EXISTING);
                    SafeTensorsWriter writer = new SafeTensorsWriter();
                    for (Tensor t : tensors.values()) {
                        if (t == victim) {
                            writer.f32(t.name(), r.values, r.shape);
                        } else {
                            writer.f32(t.name(), t.toFloats(), t.shape());
                        }
                    }
                    writer.write(dir.resolve("model.safetensors"));
                    check(dir, victim.name() + " " + damage.getKey(), failures);
                }
            }
        }
        failIfAny(failures, "damaged copies of " + name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mamba", "falcon-mamba", "llama", "qwen2", "recurrent-gemma", "rwkv6"})
    void everyDamagedConfigValueEndsInARecallException(String name, @TempDir Path tmp) throws IOException {
        Path source = SharedData.resource("golden/" + name);
        ObjectNode config = configOf(source);
        List<String> failures = new ArrayList<>();
        for (Iterator<String> keys = config.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            JsonNode value = config.get(key);
            List<JsonNode> damaged = new ArrayList<>();
            if (value.isNumber()) {
                damaged.add(JSON.getNodeFactory().numberNode(0));
                damaged.add(JSON.getNodeFactory().numberNode(-1));
            } else if (value.isArray()) {
                damaged.add(JSON.createArrayNode());
            }
            for (JsonNode bad : damaged) {
                check(withConfigValue(source, config, key, bad, tmp.resolve("case")), key + " = " + bad, failures);
            }
        }
        failIfAny(failures, "damaged configs of " + name);
    }

    /** A config whose sizes contradict the weights belongs to another checkpoint: refused by name. */
    @ParameterizedTest
    @ValueSource(strings = {"mamba", "falcon-mamba", "llama", "qwen2", "recurrent-gemma", "rwkv6"})
    void aConfigContradictingTheWeightsIsRefusedByName(String name, @TempDir Path tmp) throws IOException {
        Path source = SharedData.resource("golden/" + name);
        ObjectNode config = configOf(source);
        for (String key : List.of("vocab_size", "hidden_size", "num_hidden_layers")) {
            Path dir = withConfigValue(source, config, key, JSON.getNodeFactory().numberNode(config.get(key).asInt() + 1),
                    tmp.resolve(key));
            RecallException e = assertThrows(RecallException.class, () -> ModelLoader.load(dir).close(), key);
            assertTrue(e.getMessage().contains(key), e.getMessage());
        }
    }

    /** An EOS id past the vocabulary could never end a reply (generation would run to its limit): refused by name. */
    @ParameterizedTest
    @ValueSource(strings = {"mamba", "falcon-mamba", "llama", "qwen2", "recurrent-gemma", "rwkv6"})
    void anEosIdOutsideTheVocabularyIsRefused(String name, @TempDir Path tmp) throws IOException {
        Path source = SharedData.resource("golden/" + name);
        ObjectNode config = configOf(source);
        int vocab;
        try (LanguageModel model = ModelLoader.load(source)) {
            vocab = model.info().vocabSize();
        }
        for (int bad : new int[] {vocab, -1}) {
            Path dir = withConfigValue(source, config, "eos_token_id", JSON.getNodeFactory().numberNode(bad), tmp.resolve("eos" + bad));
            RecallException e = assertThrows(RecallException.class, () -> ModelLoader.load(dir).close(), "eos " + bad);
            assertTrue(e.getMessage().contains("eos_token_id " + bad) && e.getMessage().contains(vocab + " tokens"), e.getMessage());
        }
    }

    /** The checkpoint's config.json as an editable tree. */
    private static ObjectNode configOf(Path checkpoint) throws IOException {
        return (ObjectNode) JSON.readTree(checkpoint.resolve("config.json").toFile());
    }

    /** Fails listing every case in {@code failures}, if there is any. */
    private static void failIfAny(List<String> failures, String what) {
        if (!failures.isEmpty()) {
            fail(failures.size() + " " + what + " did not end in a RecallException:\n" + String.join("\n", failures));
        }
    }

    /** The checkpoint's weights in {@code dir} (created or overwritten) beside its config with {@code key} set to {@code value}. */
    private static Path withConfigValue(Path source, ObjectNode config, String key, JsonNode value, Path dir)
            throws IOException {
        Files.createDirectories(dir);
        Files.copy(source.resolve("model.safetensors"), dir.resolve("model.safetensors"), StandardCopyOption.REPLACE_EXISTING);
        ObjectNode copy = config.deepCopy();
        copy.set(key, value);
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(copy));
        return dir;
    }

    private record Reshaped(float[] values, long[] shape) {
    }

    /** The tensor with dimension {@code axis} one shorter (its last slice dropped), or null if that empties it. */
    private static Reshaped shorter(Tensor t, int axis) {
        if (t.rank() == 0 || t.shape()[axis] < 2) {
            return null;
        }
        long[] shape = t.shape().clone();
        shape[axis]--;
        float[] v = t.toFloats();
        long inner = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        long outer = t.numel() / (t.shape()[axis] * inner);
        float[] out = new float[Math.toIntExact(outer * shape[axis] * inner)];
        int o = 0;
        for (long b = 0; b < outer; b++) {
            int from = Math.toIntExact(b * t.shape()[axis] * inner);
            int n = Math.toIntExact(shape[axis] * inner);
            System.arraycopy(v, from, out, o, n);
            o += n;
        }
        return new Reshaped(out, shape);
    }

    /** Loads and prefills the damaged copy; records anything but success or a RecallException. */
    private static void check(Path dir, String what, List<String> failures) {
        try (LanguageModel model = ModelLoader.load(dir)) {
            int[] ids = new int[4];
            Arrays.setAll(ids, i -> i % Math.max(1, model.info().vocabSize()));
            model.prefill(model.newState(), ids);
        } catch (RecallException expected) {
            // the user hears one sentence
        } catch (RuntimeException | Error e) {
            failures.add("  " + what + ": " + e);
        }
    }
}
