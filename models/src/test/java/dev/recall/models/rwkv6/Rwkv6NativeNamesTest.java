package dev.recall.models.rwkv6;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.SafeTensorsFile;
import dev.recall.runtime.io.SafeTensorsWriter;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.testing.GoldenCheck;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoints converted from the native RWKV .pth files name the tensors differently; they load the same. */
class Rwkv6NativeNamesTest {

    private static final Path GOLDEN = SharedData.resource("golden/rwkv6");

    /** The native name of each golden tensor, written out case by case. */
    private static String nativeName(String hfName) {
        String n = hfName.startsWith("rwkv.") ? hfName.substring("rwkv.".length()) : hfName;
        if (n.equals("embeddings.weight")) {
            return "emb.weight";
        }
        if (n.startsWith("blocks.0.pre_ln.")) {
            return "blocks.0.ln0." + n.substring("blocks.0.pre_ln.".length());
        }
        return n.replace(".attention.", ".att.").replace(".feed_forward.", ".ffn.");
    }

    /** Copies the golden model with every tensor renamed, as fp32, plus its config. */
    private static Path renamedCopy(Path dir, UnaryOperator<String> rename) throws IOException {
        SafeTensorsWriter writer = new SafeTensorsWriter();
        try (SafeTensorsFile weights = SafeTensorsFile.open(GOLDEN.resolve("model.safetensors"))) {
            for (Map.Entry<String, Tensor> e : weights.tensors().entrySet()) {
                String name = rename.apply(e.getKey());
                if (name != null) {
                    writer.f32(name, e.getValue().toFloats(), e.getValue().shape());
                }
            }
        }
        writer.write(dir.resolve("model.safetensors"));
        Files.copy(GOLDEN.resolve("config.json"), dir.resolve("config.json"));
        return dir;
    }

    @Test
    void nativeNamedCheckpointGivesIdenticalLogits(@TempDir Path dir) throws IOException {
        renamedCopy(dir, Rwkv6NativeNamesTest::nativeName);
        try (SafeTensorsFile written = SafeTensorsFile.open(dir.resolve("model.safetensors"))) {
            Set<String> names = written.tensors().keySet();
            for (String expected : new String[]{"emb.weight", "blocks.0.ln0.weight", "blocks.0.ln0.bias",
                    "blocks.1.att.time_faaaa", "blocks.1.att.time_maa_w1", "blocks.1.ffn.key.weight",
                    "ln_out.weight", "head.weight"}) {
                assertTrue(names.contains(expected), "renamed checkpoint holds " + expected);
            }
            assertFalse(names.stream().anyMatch(n -> n.startsWith("rwkv.")), "no Hugging Face names left");
        }

        int[] ids = GoldenCheck.inputIds(GOLDEN);
        try (LanguageModel hf = ModelLoader.load(GOLDEN); LanguageModel nativeModel = ModelLoader.load(dir)) {
            assertEquals(hf.info().layers(), nativeModel.info().layers());
            float[] expected = hf.prefill(hf.newState(), ids, 0, ids.length, true);
            float[] actual = nativeModel.prefill(nativeModel.newState(), ids, 0, ids.length, true);
            assertArrayEquals(expected, actual);
        }
    }

    @Test
    void checkpointWithoutEmbeddingsIsRefusedClearly(@TempDir Path dir) throws IOException {
        renamedCopy(dir, n -> n.equals("rwkv.embeddings.weight") ? null : n);
        RecallException e = assertThrows(RecallException.class, () -> ModelLoader.load(dir));
        assertTrue(e.getMessage().contains("rwkv.embeddings.weight") && e.getMessage().contains("emb.weight"), e.getMessage());
    }

    @Test
    void missingTensorIsNamedInItsStoredSpelling(@TempDir Path dir) throws IOException {
        renamedCopy(dir, n -> n.equals("rwkv.blocks.1.attention.gate.weight") ? null : nativeName(n));
        RecallException e = assertThrows(RecallException.class, () -> ModelLoader.load(dir));
        assertTrue(e.getMessage().contains("blocks.1.att.gate.weight"), e.getMessage());
    }
}
