package dev.recall.models;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.api.Recall;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.io.gguf.GgmlType;
import dev.recall.runtime.io.gguf.GgufFile;
import dev.recall.runtime.io.gguf.GgufFile.ValueType;
import dev.recall.runtime.io.gguf.GgufQuantizer;
import dev.recall.runtime.io.gguf.GgufWriter;
import dev.recall.runtime.io.gguf.GgufWriter.Value;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.OutputStream;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hostile GGUF models, valid as files: a golden model written as GGUF, then rewritten with one
 * hyper-parameter set to a damaging value (zero, negative, huge, a wrong type, missing) or one
 * tensor's shape changed. Loading and running each must either work (finite logits) or fail with
 * the project's one-sentence exception; never another exception, an out-of-memory error or a hang.
 */
class GgufModelFuzzTest {

    @TempDir
    Path tmp;

    private static final Value[] BAD = {Value.u32(0), Value.i32(-1), Value.u32(4_000_000_000L), Value.u64(Long.MAX_VALUE),
            Value.u32(1), Value.u32(7), Value.f32(-1e30), Value.f32(Float.NaN), Value.f32(0), Value.string("x"),
            Value.bool(true), Value.array(ValueType.INT32, List.of(1L, 2L))};

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "mamba", "rwkv6"})
    void damagingMetadataAndShapesEndInOneSentence(String goldenCase) throws Exception {
        Path seed = tmp.resolve(goldenCase + ".gguf");
        Recall.quantize(SharedData.resource("golden/" + goldenCase), GgufQuantizer.FileType.Q8_0, seed, (d, t, u) -> { });
        Map<String, Value> metadata;
        try (GgufFile f = GgufFile.open(seed)) {
            metadata = new LinkedHashMap<>(f.typedMetadata());
        }
        List<String> keys = new ArrayList<>(metadata.keySet());
        SplittableRandom rnd = new SplittableRandom(26);
        int outcomes = 0;
        for (int i = 0; i < 150; i++) {
            Map<String, Value> changed = new LinkedHashMap<>(metadata);
            String key = keys.get(rnd.nextInt(keys.size()));
            if (key.startsWith("tokenizer.ggml.tokens") || key.equals("general.architecture")) {
                continue;
            }
            if (rnd.nextInt(5) == 0) {
                changed.remove(key);
            } else {
                changed.put(key, BAD[rnd.nextInt(BAD.length)]);
            }
            outcomes += tryLoad(rewrite(seed, changed, null, i), key + " = " + changed.get(key));
        }
        try (GgufFile f = GgufFile.open(seed)) {
            for (String name : f.tensors().keySet().stream().limit(12).toList()) {
                outcomes += tryLoad(rewrite(seed, metadata, name, -1), "tensor " + name + " reshaped");
            }
        }
        assertTrue(outcomes > 0, "no case was tried");
    }

    /** The seed file with other metadata, and optionally one tensor given a wrong (but storable) shape. */
    private Path rewrite(Path seed, Map<String, Value> metadata, String reshape, int n) throws Exception {
        Path out = tmp.resolve("case-" + n + "-" + (reshape == null ? "m" : reshape) + ".gguf");
        GgufWriter w = new GgufWriter();
        metadata.forEach(w::put);
        try (GgufFile f = GgufFile.open(seed)) {
            for (Tensor t : f.tensors().values()) {
                long[] shape = t.shape().clone();
                GgmlType type = GgmlType.valueOf(t.typeName());
                if (t.name().equals(reshape) && shape.length >= 1) {
                    // Same bytes, other rows and columns: rows halved and columns doubled where blocks allow.
                    if (shape.length == 2 && shape[0] % 2 == 0) {
                        shape = new long[] {shape[0] / 2, shape[1] * 2};
                    } else {
                        shape = new long[] {1, shape[shape.length - 1] * (t.numel() / shape[shape.length - 1])};
                    }
                }
                byte[] bytes = t.data().toArray(ValueLayout.JAVA_BYTE);
                w.tensor(t.name(), type, shape, stream -> stream.write(bytes));
            }
        }
        try (OutputStream s = Files.newOutputStream(out)) {
            w.write(s);
        }
        return out;
    }

    private static int tryLoad(Path file, String what) {
        float[] logits = null;
        try (LanguageModel m = ModelLoader.load(file)) {
            int[] ids = {1, 2, 3, 4};
            logits = m.prefill(m.newState(), ids, 0, ids.length, false);
        } catch (RecallException expected) {
            assertTrue(!expected.getMessage().contains("\n") && expected.getMessage().length() < 500,
                    what + ": not one short sentence: " + expected.getMessage());
        } catch (Throwable t) {
            fail(what + ": escaped as " + t, t);
        }
        if (logits != null) {
            for (float v : logits) {
                // A model that loads must compute: non-finite output would be a silent failure.
                assertTrue(Float.isFinite(v), what + ": loaded, but computed " + v);
            }
        }
        return 1;
    }
}
