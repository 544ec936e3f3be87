package dev.recall.models;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hyper-parameters a config supplies are range-checked before the model computes with them: each
 * damaging value is one sentence naming the key (#26's examples: rotary factors past 1 or negative,
 * an enormous head size, negative epsilons that made NaN logits).
 */
class ConfigValidationTest {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({
            "llama, partial_rotary_factor, 1.5, partial_rotary_factor",
            "llama, partial_rotary_factor, 3, partial_rotary_factor",
            "llama, partial_rotary_factor, -1, partial_rotary_factor",
            "llama, head_dim, 2147483647, head_dim",
            "llama, rms_norm_eps, -1e300, rms_norm_eps",
            "llama, max_position_embeddings, -7, max_position_embeddings",
            "recurrent-gemma, rms_norm_eps, -1e300, rms_norm_eps",
            "recurrent-gemma, logits_soft_cap, -1, logits_soft_cap",
            "recurrent-gemma, attention_window_size, -3, attention_window_size",
            "mamba, layer_norm_epsilon, -1e300, layer_norm_epsilon",
            "falcon-mamba, mixer_rms_eps, 0, mixer_rms_eps",
            "rwkv6, layer_norm_epsilon, -1e300, layer_norm_epsilon",
            "rwkv6, head_size_divisor, 0, head_size_divisor"})
    void damagingValueIsOneSentenceNamingTheKey(String goldenCase, String key, String value, String named) throws Exception {
        Path source = SharedData.resource("golden/" + goldenCase);
        Path dir = Files.createDirectories(tmp.resolve(goldenCase + "-" + key + value));
        Files.copy(source.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(source.resolve("config.json").toFile());
        config.set(key, json.readTree(value));
        Files.writeString(dir.resolve("config.json"), config.toString());
        RecallException e = assertThrows(RecallException.class, () -> ModelLoader.load(dir).close(), key + " = " + value);
        assertTrue(e.getMessage().contains(named) && !e.getMessage().contains("\n") && e.getMessage().length() < 300,
                key + " = " + value + ": " + e.getMessage());
    }
}
