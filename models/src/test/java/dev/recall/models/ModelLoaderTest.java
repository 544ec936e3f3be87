package dev.recall.models;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading errors a user can make, each one clear sentence. */
class ModelLoaderTest {

    static String failure(Path dir) {
        return assertThrows(RecallException.class, () -> ModelLoader.load(dir)).getMessage();
    }

    @Test
    void everyFamilyIsRegistered() {
        var archs = ModelLoader.supportedArchitectures();
        for (String a : new String[]{"LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "MambaForCausalLM",
                "FalconMambaForCausalLM", "RecurrentGemmaForCausalLM", "Rwkv6ForCausalLM"}) {
            assertTrue(archs.contains(a), a + " missing from " + archs);
        }
    }

    @Test
    void unknownArchitectureListsTheSupportedOnes(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"GPTNeoXForCausalLM\"]}");
        String m = failure(dir);
        assertTrue(m.contains("unsupported architecture 'GPTNeoXForCausalLM'") && m.contains("LlamaForCausalLM")
                && m.contains("Rwkv6ForCausalLM"), m);
    }

    @Test
    void missingDirectoryConfigAndWeights(@TempDir Path dir) throws IOException {
        assertTrue(failure(dir.resolve("nope")).contains("model directory not found"));
        assertTrue(failure(dir).contains("no config.json"));
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"]}");
        assertTrue(failure(dir).contains("no model.safetensors"));
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": ");
        assertTrue(failure(dir).contains("cannot parse"));
    }

    @Test
    void missingTensorIsNamed(@TempDir Path dir) throws IOException {
        Path golden = SharedData.resource("golden/llama");
        Files.copy(golden.resolve("config.json"), dir.resolve("config.json"));
        new dev.recall.runtime.io.SafeTensorsWriter().f32("model.embed_tokens.weight", new float[512 * 64], 512, 64)
                .write(dir.resolve("model.safetensors"));
        String m = failure(dir);
        assertTrue(m.contains("model.layers.0") && m.contains("in the model weights"), m);
    }

    @Test
    void wrongFieldTypeNamesTheField(@TempDir Path dir) throws IOException {
        Path golden = SharedData.resource("golden/rwkv6");
        String cfg = Files.readString(golden.resolve("config.json")).replace("\"layer_norm_epsilon\": 1e-05", "\"layer_norm_epsilon\": \"small\"");
        assertTrue(cfg.contains("\"small\""), "the test must really corrupt the field");
        Files.writeString(dir.resolve("config.json"), cfg);
        Files.copy(golden.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        String m = failure(dir);
        assertTrue(m.contains("layer_norm_epsilon") && m.contains("a number"), m);
    }
}
