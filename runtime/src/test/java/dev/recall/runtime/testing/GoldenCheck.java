package dev.recall.runtime.testing;

import dev.recall.kernels.KernelProvider;
import dev.recall.kernels.Kernels;
import dev.recall.runtime.io.SafeTensorsFile;
import dev.recall.runtime.io.Tensor;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.tokenizer.Tokenizer;
import dev.recall.runtime.tokenizer.Tokenizers;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Compares a model against reference outputs from Hugging Face transformers (golden.safetensors):
 * full-sequence prefill logits, then greedy decoding step by step through the state.
 */
public final class GoldenCheck {

    public static final float TOLERANCE = 1e-3f;

    private GoldenCheck() {
    }

    /** The token ids a golden case was run on ({@code input_ids} of its golden.safetensors). */
    public static int[] inputIds(Path caseDir) {
        try (SafeTensorsFile golden = SafeTensorsFile.open(caseDir.resolve("golden.safetensors"))) {
            return golden.tensors().get("input_ids").toInts();
        }
    }

    /**
     * Golden case directory (model + golden.safetensors): prefill logits within 1e-3, the greedy
     * ids identical, and each step's logits within 1e-3.
     */
    public static void checkCase(Path caseDir) {
        checkCase(caseDir, KernelProvider.get());
    }

    /** {@link #checkCase(Path)} with the model computing on the given kernels. */
    public static void checkCase(Path caseDir, Kernels kernels) {
        try (LanguageModel model = ModelLoader.load(caseDir, kernels);
             SafeTensorsFile golden = SafeTensorsFile.open(caseDir.resolve("golden.safetensors"))) {
            var g = golden.tensors();
            int vocab = model.info().vocabSize();
            int[] ids = g.get("input_ids").toInts();
            float[] expected = g.get("logits").toFloats();
            float[] logits = model.prefill(model.newState(), ids, 0, ids.length, true);
            assertClose("prefill logits", expected, logits, TOLERANCE, vocab);

            // Prefill in two pieces with the state carried equals one piece.
            ModelState split = model.newState();
            int cut = ids.length / 3;
            model.prefill(split, ids, 0, cut, false);
            float[] tail = model.prefill(split, ids, cut, ids.length, true);
            assertClose("prefill in two pieces", Arrays.copyOfRange(expected, cut * vocab, ids.length * vocab), tail, TOLERANCE, vocab);

            if (g.containsKey("gen_ids")) {
                int[] prompt = g.get("gen_prompt").toInts();
                int[] genIds = g.get("gen_ids").toInts();
                Tensor genLogitsT = g.get("gen_logits");
                float[] genLogits = genLogitsT.toFloats();
                ModelState state = model.newState();
                float[] step = model.prefill(state, prompt);
                int[] got = new int[genIds.length];
                for (int i = 0; i < genIds.length; i++) {
                    assertClose("step " + i + " logits", Arrays.copyOfRange(genLogits, i * vocab, (i + 1) * vocab), step, TOLERANCE, vocab);
                    got[i] = argmax(step);
                    assertEquals(prompt.length + i, state.position(), "state position");
                    step = model.step(state, genIds[i]);
                }
                assertArrayEquals(genIds, got, "greedy ids");
            }
        }
    }

    /** Zoo model: 64-token logits in golden.safetensors within 1e-3. */
    public static void checkZooLogits(Path modelDir) {
        checkZooLogits(modelDir, KernelProvider.get());
    }

    /** {@link #checkZooLogits(Path)} with the model computing on the given kernels. */
    public static void checkZooLogits(Path modelDir, Kernels kernels) {
        try (LanguageModel model = ModelLoader.load(modelDir, kernels);
             SafeTensorsFile golden = SafeTensorsFile.open(modelDir.resolve("golden.safetensors"))) {
            int[] ids = golden.tensors().get("input_ids").toInts();
            float[] expected = golden.tensors().get("logits").toFloats();
            float[] logits = model.prefill(model.newState(), ids, 0, ids.length, true);
            assertClose("zoo logits", expected, logits, TOLERANCE, model.info().vocabSize());
        }
    }

    /**
     * The greedy continuation of a prompt computed directly from the model API (prefill, then argmax
     * and step until n tokens or an EOS id), decoded: the oracle for what generate should print.
     */
    public static String greedyText(Path dir, String prompt, int n) {
        Tokenizer tokenizer = Tokenizers.load(dir);
        try (LanguageModel model = ModelLoader.load(dir)) {
            ModelState state = model.newState();
            float[] logits = model.prefill(state, tokenizer.encodeWithSpecialTokens(prompt));
            int[] ids = new int[n];
            int count = 0;
            while (count < n) {
                int id = argmax(logits);
                if (model.info().eosTokenIds().contains(id)) {
                    break;
                }
                ids[count++] = id;
                logits = model.step(state, id);
            }
            return tokenizer.decode(Arrays.copyOf(ids, count));
        }
    }

    public static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    public static void assertClose(String what, float[] expected, float[] actual, float tol, int rowLength) {
        assertEquals(expected.length, actual.length, what + ": length");
        float worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            float d = Math.abs(expected[i] - actual[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        final float w = worst;
        final int a = at;
        assertTrue(w <= tol, () -> what + ": max |Δ| " + w + " at row " + (a / rowLength) + " col " + (a % rowLength)
                + " (expected " + expected[a] + ", got " + actual[a] + ")");
    }
}
