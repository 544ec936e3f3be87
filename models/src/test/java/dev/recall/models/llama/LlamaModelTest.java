package dev.recall.models.llama;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelInfo;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.strategy.PlainStrategy;
import dev.recall.runtime.strategy.Prepared;
import dev.recall.runtime.strategy.Prompt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.recall.models.llama.TinyCheckpoint.KV_HEADS;
import static dev.recall.models.llama.TinyCheckpoint.HEAD_DIM;
import static dev.recall.models.llama.TinyCheckpoint.LAYERS;
import static dev.recall.models.llama.TinyCheckpoint.VOCAB;
import static dev.recall.runtime.testing.GoldenCheck.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sliding windows, chunked prefill, state copies and checkpoint validation on small random models. */
class LlamaModelTest {

    private static final float TOL = 1e-4f;

    @TempDir
    Path tmp;

    @Test
    void mistralSlidingWindowMatchesMaskedAttention() {
        Path dir = TinyCheckpoint.write(tmp, "MistralForCausalLM", Map.of("sliding_window", 8), false, 1);
        int[] ids = TinyCheckpoint.randomTokens(2, 20);
        float[] windowed = DenseReference.logits(dir, ids, new int[]{8, 8}, false);
        float[] full = DenseReference.logits(dir, ids, new int[]{0, 0}, false);
        // The window must matter for this test to mean anything: past token 8 the two differ.
        assertTrue(maxAbsDiff(lastRow(windowed, 20), lastRow(full, 20)) > 1e-2, "window has no effect on the test model");

        try (LanguageModel model = ModelLoader.load(dir)) {
            // The configured window applies whatever policy the caller asks for.
            assertClose("prefill", windowed, model.prefill(model.newState(), ids, 0, 20, true), TOL, VOCAB);

            // Decoding token by token walks the ring buffer past its end several times.
            ModelState state = model.newState();
            float[] logits = model.prefill(state, ids, 0, 3, false);
            for (int i = 3; i < 20; i++) {
                assertClose("step " + i, row(windowed, i - 1), logits, TOL, VOCAB);
                logits = model.step(state, ids[i]);
            }
            assertClose("last step", lastRow(windowed, 20), logits, TOL, VOCAB);
            // A windowed cache holds exactly the window: keys and values of 8 tokens per layer.
            assertEquals((long) LAYERS * 2 * 8 * KV_HEADS * HEAD_DIM * Float.BYTES, state.sizeBytes());
        }
    }

    @Test
    void windowAtLeastTheSequenceEqualsFullAttention() {
        Path windowedDir = TinyCheckpoint.write(tmp.resolve("w"), "MistralForCausalLM", Map.of("sliding_window", 20), false, 3);
        Path fullDir = TinyCheckpoint.write(tmp.resolve("f"), "LlamaForCausalLM", Map.of(), false, 3);
        int[] ids = TinyCheckpoint.randomTokens(4, 20);
        try (LanguageModel windowed = ModelLoader.load(windowedDir); LanguageModel full = ModelLoader.load(fullDir)) {
            assertClose("window 20 over 20 tokens", full.prefill(full.newState(), ids, 0, 20, true),
                    windowed.prefill(windowed.newState(), ids, 0, 20, true), 1e-6f, VOCAB);
        }
    }

    @Test
    void requestedWindowPolicyAppliesToLayersWithoutOne() {
        Path dir = TinyCheckpoint.write(tmp, "LlamaForCausalLM", Map.of(), false, 5);
        int[] ids = TinyCheckpoint.randomTokens(6, 20);
        try (LanguageModel model = ModelLoader.load(dir)) {
            float[] logits = model.prefill(model.newState(new AttentionPolicy.SlidingWindow(6)), ids, 0, 20, true);
            assertClose("policy window 6", DenseReference.logits(dir, ids, new int[]{6, 6}, false), logits, TOL, VOCAB);
        }
    }

    @Test
    void qwen2SlidesOnlyWhenEnabledAndFromMaxWindowLayersOn() {
        int[] ids = TinyCheckpoint.randomTokens(8, 20);
        Path off = TinyCheckpoint.write(tmp.resolve("off"), "Qwen2ForCausalLM",
                Map.of("sliding_window", 8, "use_sliding_window", false), true, 7);
        Path on = TinyCheckpoint.write(tmp.resolve("on"), "Qwen2ForCausalLM",
                Map.of("sliding_window", 8, "use_sliding_window", true, "max_window_layers", 1), true, 7);
        Path perLayer = TinyCheckpoint.write(tmp.resolve("types"), "Qwen2ForCausalLM",
                Map.of("sliding_window", 8, "use_sliding_window", true,
                        "layer_types", List.of("sliding_attention", "full_attention")), true, 7);
        try (LanguageModel model = ModelLoader.load(off)) {
            assertClose("disabled", DenseReference.logits(off, ids, new int[]{0, 0}, false),
                    model.prefill(model.newState(), ids, 0, 20, true), TOL, VOCAB);
        }
        try (LanguageModel model = ModelLoader.load(on)) {
            assertClose("layer 1 on", DenseReference.logits(on, ids, new int[]{0, 8}, false),
                    model.prefill(model.newState(), ids, 0, 20, true), TOL, VOCAB);
        }
        try (LanguageModel model = ModelLoader.load(perLayer)) {
            assertClose("layer_types", DenseReference.logits(perLayer, ids, new int[]{8, 0}, false),
                    model.prefill(model.newState(), ids, 0, 20, true), TOL, VOCAB);
        }
    }

    @Test
    void longPrefillCrossesChunksAndEqualsDecoding() {
        Path dir = TinyCheckpoint.write(tmp, "LlamaForCausalLM", Map.of(), false, 9);
        int n = LlamaModel.PREFILL_CHUNK + 44;
        int[] ids = TinyCheckpoint.randomTokens(10, n);
        try (LanguageModel model = ModelLoader.load(dir)) {
            float[] all = model.prefill(model.newState(), ids, 0, n, true);
            assertClose("chunked prefill", DenseReference.logits(dir, ids, new int[]{0, 0}, false), all, TOL, VOCAB);
            assertClose("last-token prefill", lastRow(all, n), model.prefill(model.newState(), ids), 1e-6f, VOCAB);

            ModelState state = model.newState();
            float[] logits = model.step(state, ids[0]);
            for (int i = 1; i < n; i++) {
                logits = model.step(state, ids[i]);
            }
            assertEquals(n, state.position());
            assertClose("decoded one by one", lastRow(all, n), logits, TOL, VOCAB);
        }
    }

    @Test
    void copiedStatesEvolveIndependently() {
        Path dir = TinyCheckpoint.write(tmp, "LlamaForCausalLM", Map.of(), false, 11);
        int[] ids = TinyCheckpoint.randomTokens(12, 12);
        try (LanguageModel model = ModelLoader.load(dir)) {
            ModelState original = model.newState();
            model.prefill(original, ids, 0, 10, false);
            ModelState copy = original.copy();
            assertEquals(10, copy.position());
            assertEquals(original.sizeBytes(), copy.sizeBytes());

            float[] fromCopy = model.step(copy, 33);
            float[] fromOriginal = model.step(original, ids[10]);
            assertEquals(11, copy.position());

            int[] branch = Arrays.copyOf(ids, 11);
            branch[10] = 33;
            assertClose("copy continues its own branch", model.prefill(model.newState(), branch), fromCopy, TOL, VOCAB);
            assertClose("original unaffected by the copy", model.prefill(model.newState(), ids, 0, 11, false),
                    fromOriginal, TOL, VOCAB);
        }
    }

    /** A closed state's caches go back to the model and the next state of that length takes them. */
    @Test
    void theNextStateTakesAClosedStatesCacheArrays() {
        Path dir = TinyCheckpoint.write(tmp, "LlamaForCausalLM", Map.of(), false, 13);
        int[] ids = TinyCheckpoint.randomTokens(14, 200);
        try (LanguageModel loaded = ModelLoader.load(dir)) {
            LlamaModel model = (LlamaModel) loaded;
            ModelState first = model.newState();
            first.reserve(ids.length);
            model.prefill(first, ids, 0, ids.length, false);
            long bytes = first.sizeBytes();
            long idle = model.cacheArrays().idleFloats(); // the first small arrays, given back when reserve grew them
            first.close();
            assertEquals(idle * Float.BYTES + bytes, model.cacheArrays().idleFloats() * Float.BYTES, "the whole cache went back");
            ModelState second = model.newState();
            second.reserve(ids.length);
            model.prefill(second, ids, 0, ids.length, false);
            assertEquals(bytes, second.sizeBytes());
            assertEquals(idle, model.cacheArrays().idleFloats(), "the second state took the first one's arrays");
        }
    }

    @Test
    void oneModelServesManyThreads() throws Exception {
        Path dir = TinyCheckpoint.write(tmp, "MistralForCausalLM", Map.of("sliding_window", 8), false, 16);
        int[] ids = TinyCheckpoint.randomTokens(17, 40);
        try (LanguageModel model = ModelLoader.load(dir)) {
            float[] expected = model.prefill(model.newState(), ids, 0, ids.length, true);
            try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
                List<java.util.concurrent.Future<float[]>> results = new java.util.ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    results.add(pool.submit(() -> model.prefill(model.newState(), ids, 0, ids.length, true)));
                }
                for (var r : results) {
                    assertClose("concurrent prefill", expected, r.get(), 0f, VOCAB);
                }
            }
        }
    }

    /**
     * A long prompt goes through the strategies in 512-token pieces; the cache is sized once for
     * all of them (the prompt plus an eighth), not doubled piece by piece, and the logits are
     * those of one prefill.
     */
    @Test
    void aPromptPrefilledInPiecesSizesTheCacheOnce() {
        Path dir = TinyCheckpoint.write(tmp.resolve("pieces"), "LlamaForCausalLM", Map.of("max_position_embeddings", 4096), false, 17);
        int n = 1300;
        int[] ids = new int[n];
        Arrays.setAll(ids, i -> (i * 7 + 3) % VOCAB);
        try (LanguageModel model = ModelLoader.load(dir)) {
            Prepared pieces = new PlainStrategy().prepare(model, Prompt.plain(ids));
            long perSlot = 2L * LAYERS * KV_HEADS * HEAD_DIM * Float.BYTES; // keys and values, every layer
            assertEquals((n + n / 8) * perSlot, pieces.state().sizeBytes(), "1300 tokens and an eighth, not 2304 slots");
            ModelState whole = model.newState();
            assertArrayEquals(model.prefill(whole, ids), pieces.logits());
        }
    }

    @Test
    void infoComesFromTensorsAndConfig() {
        Path dir = TinyCheckpoint.write(tmp, "MistralForCausalLM", Map.of("sliding_window", 8), false, 13);
        try (LanguageModel model = ModelLoader.load(dir)) {
            ModelInfo info = model.info();
            assertEquals("llama", info.family());
            assertEquals("MistralForCausalLM", info.architecture());
            assertEquals(VOCAB, info.vocabSize());
            assertEquals(TinyCheckpoint.HIDDEN, info.hiddenSize());
            assertEquals(LAYERS, info.layers());
            assertEquals(LAYERS, info.attentionLayers());
            assertEquals(LAYERS, info.windowedAttentionLayers(), "sliding_window applies to every layer");
            assertEquals(0, info.policyAttentionLayers());
            assertEquals(64, info.trainingLength());
            assertEquals("F32", info.weightDtype());
            assertEquals(info.parameterCount() * 4, info.weightBytes());
            assertEquals(1, info.bosTokenId());
            assertEquals(List.of(2), info.eosTokenIds());
        }
    }

    @Test
    void tiedHeadUsesTheEmbedding() {
        Path dir = TinyCheckpoint.write(tmp, "LlamaForCausalLM", Map.of("tie_word_embeddings", true), false, 14);
        int[] ids = TinyCheckpoint.randomTokens(15, 10);
        try (LanguageModel model = ModelLoader.load(dir)) {
            // The reference reads the embedding as head whenever tie_word_embeddings is set.
            assertClose("tied", DenseReference.logits(dir, ids, new int[2], false),
                    model.prefill(model.newState(), ids, 0, 10, true), TOL, VOCAB);
        }
    }

    @Test
    void configThatContradictsTheTensorsIsRefused() {
        Path heads = TinyCheckpoint.write(tmp.resolve("heads"), "LlamaForCausalLM", Map.of("num_attention_heads", 8), false, 1);
        assertMessage(heads, "num_attention_heads = 8");
        Path kv = TinyCheckpoint.write(tmp.resolve("kv"), "LlamaForCausalLM", Map.of("num_key_value_heads", 4), false, 1);
        assertMessage(kv, "num_key_value_heads = 4");
        Path ff = TinyCheckpoint.write(tmp.resolve("ff"), "LlamaForCausalLM", Map.of("intermediate_size", 64), false, 1);
        assertMessage(ff, "intermediate_size = 64");
        Path act = TinyCheckpoint.write(tmp.resolve("act"), "LlamaForCausalLM", Map.of("hidden_act", "gelu"), false, 1);
        assertMessage(act, "hidden_act 'gelu'");
        Path bias = TinyCheckpoint.write(tmp.resolve("bias"), "LlamaForCausalLM", Map.of("attention_bias", true), false, 1);
        assertMessage(bias, "attention_bias");
    }

    @Test
    void tokenOutsideTheVocabularyIsRefused() {
        Path dir = TinyCheckpoint.write(tmp, "LlamaForCausalLM", Map.of(), false, 1);
        try (LanguageModel model = ModelLoader.load(dir)) {
            RecallException e = assertThrows(RecallException.class, () -> model.prefill(model.newState(), new int[]{3, VOCAB}));
            assertTrue(e.getMessage().contains("token id " + VOCAB), e.getMessage());
        }
    }

    private static void assertMessage(Path dir, String fragment) {
        RecallException e = assertThrows(RecallException.class, () -> ModelLoader.load(dir).close());
        assertTrue(e.getMessage().contains(fragment), () -> "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }

    private static float[] row(float[] logits, int i) {
        return Arrays.copyOfRange(logits, i * VOCAB, (i + 1) * VOCAB);
    }

    private static float[] lastRow(float[] logits, int n) {
        return row(logits, n - 1);
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        float worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }
}
