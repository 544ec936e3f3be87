package dev.recall.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.attention.AttentionPolicy;
import dev.recall.runtime.model.Batch;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.model.Sequence;
import dev.recall.runtime.testing.GoldenCheck;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Sequences advanced together by one forward pass get, bit for bit, the logits they get alone:
 * for every family, batches of 1, 3 and 8 with prompts of mixed lengths (below and above the
 * matrix-product threshold, some wanting every logit), states under different attention policies
 * (full, sliding window, LM-Infinite's Λ), greedy decode steps taken together, and a batch that
 * prefills a new prompt beside sequences that decode; and for GGUF files of every quantized type.
 */
class BatchedForwardTest {

    private static final int[] LENGTHS = {1, 17, 3, 48, 2, 5, 30, 12};
    private static final int STEPS = 4;

    @ParameterizedTest
    @ValueSource(strings = {"golden/llama", "golden/llama3-rope", "golden/qwen2", "golden/mamba", "golden/falcon-mamba",
            "golden/recurrent-gemma", "golden/recurrent-gemma-w64", "golden/rwkv6"})
    void aBatchGivesEverySequenceItsOwnLogits(String name) {
        var dir = SharedData.resource(name);
        int[] ids = GoldenCheck.inputIds(dir);
        try (LanguageModel model = ModelLoader.load(dir)) {
            compareBatches(model, ids, LENGTHS, name);
        }
    }

    /**
     * The same for GGUF files of every quantized type: a batch's decode rows go through the
     * several-token quantized matvecs (pairs of tokens for Q4_0 and Q8_0, and for Q4_K and Q6_K at
     * two tokens; a row buffer from three tokens on for the K-quants), which must give each
     * sequence the bits of its own matvec.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-s1/model-Q4_0.gguf", "llama-s1/model-Q8_0.gguf", "llama-s1/model-Q4_K_M.gguf",
            "llama-s1/model-Q5_K_M.gguf", "llama-s1/model-Q6_K.gguf", "qwen2-s3/model-Q4_K_M.gguf"})
    void quantizedWeightsGiveEverySequenceItsOwnLogits(String file) throws IOException {
        Path path = SharedData.shared().resolve("gguf").resolve(file);
        int[] ids = Arrays.stream(Files.readString(path.resolveSibling("input_ids.txt")).trim().split("\\s+"))
                .mapToInt(Integer::parseInt).toArray();
        // Shorter than LENGTHS: these prompts hold 48 ids.
        int[] lengths = {1, 17, 3, 40, 2, 5, 30, 12};
        try (LanguageModel model = ModelLoader.load(path)) {
            compareBatches(model, ids, lengths, file);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"golden/mamba", "golden/rwkv6", "golden/llama", "golden/recurrent-gemma"})
    void aNewPromptJoinsSequencesThatDecode(String name) {
        var dir = SharedData.resource(name);
        int[] ids = GoldenCheck.inputIds(dir);
        try (LanguageModel model = ModelLoader.load(dir)) {
            int vocab = model.info().vocabSize();
            // Alone: two sequences with their prompts, then one step each; a third prompt.
            ModelState a = model.newState();
            ModelState b = model.newState();
            ModelState c = model.newState();
            float[] aPrompt = model.prefill(a, Arrays.copyOfRange(ids, 0, 9));
            float[] bPrompt = model.prefill(b, Arrays.copyOfRange(ids, 3, 5));
            float[] aStep = model.step(a, GoldenCheck.argmax(aPrompt));
            float[] bStep = model.step(b, GoldenCheck.argmax(bPrompt));
            float[] cPrompt = model.prefill(c, Arrays.copyOfRange(ids, 10, 40), 0, 30, true);

            ModelState a2 = model.newState();
            ModelState b2 = model.newState();
            ModelState c2 = model.newState();
            List<float[]> first = model.forward(Batch.of(Sequence.of(a2, Arrays.copyOfRange(ids, 0, 9)),
                    Sequence.of(b2, Arrays.copyOfRange(ids, 3, 5))));
            assertArrayEquals(aPrompt, first.get(0));
            assertArrayEquals(bPrompt, first.get(1));
            int[] cTokens = Arrays.copyOfRange(ids, 10, 40);
            List<float[]> mixed = model.forward(Batch.of(Sequence.of(a2, GoldenCheck.argmax(aPrompt)),
                    new Sequence(c2, cTokens, 0, 30, true), Sequence.of(b2, GoldenCheck.argmax(bPrompt))));
            assertArrayEquals(aStep, mixed.get(0));
            assertArrayEquals(cPrompt, mixed.get(1));
            assertEquals(30 * vocab, mixed.get(1).length);
            assertArrayEquals(bStep, mixed.get(2));
            assertEquals(10, a2.position());
            assertEquals(30, c2.position());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"golden/llama", "golden/mamba", "golden/rwkv6", "golden/recurrent-gemma"})
    void aBadSequenceStopsTheBatchBeforeAnythingRuns(String name) {
        var dir = SharedData.resource(name);
        try (LanguageModel model = ModelLoader.load(dir)) {
            ModelState good = model.newState();
            ModelState bad = model.newState();
            var e = assertThrows(RecallException.class, () -> model.forward(Batch.of(Sequence.of(good, 1, 2, 3),
                    Sequence.of(bad, 1, model.info().vocabSize()))));
            assertTrue(e.getMessage().contains("outside the model's vocabulary"), e.getMessage());
            assertEquals(0, good.position(), "the good sequence did not run");
            ModelState closed = model.newState();
            closed.close();
            assertThrows(IllegalStateException.class, () -> model.forward(Batch.of(Sequence.of(good, 1),
                    Sequence.of(closed, 1))));
            assertEquals(0, good.position());
            assertThrows(IllegalArgumentException.class, () -> Batch.of(Sequence.of(good, 1), Sequence.of(good, 2)));
        }
    }

    /** Batches of 1, 2, 3 and 8: sequence i's prompt is ids[i, i + lengths[i]). */
    private static void compareBatches(LanguageModel model, int[] ids, int[] lengths, String what) {
        for (int b : new int[] {1, 2, 3, 8}) {
            List<int[]> prompts = new ArrayList<>();
            for (int i = 0; i < b; i++) {
                prompts.add(Arrays.copyOfRange(ids, i, i + lengths[i]));
            }
            compare(model, prompts, what + ", batch of " + b);
        }
    }

    /** Prompts alone then STEPS greedy steps alone, against the same in batches. */
    private static void compare(LanguageModel model, List<int[]> prompts, String what) {
        int b = prompts.size();
        List<ModelState> alone = new ArrayList<>();
        List<List<float[]>> expected = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            ModelState state = newState(model, i);
            alone.add(state);
            int[] prompt = prompts.get(i);
            List<float[]> logits = new ArrayList<>();
            float[] last = model.prefill(state, prompt, 0, prompt.length, allLogits(i));
            logits.add(last);
            for (int s = 0; s < STEPS; s++) {
                last = model.step(state, next(last, model));
                logits.add(last);
            }
            expected.add(logits);
        }

        List<ModelState> together = new ArrayList<>();
        List<Sequence> sequences = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            ModelState state = newState(model, i);
            together.add(state);
            int[] prompt = prompts.get(i);
            sequences.add(new Sequence(state, prompt, 0, prompt.length, allLogits(i)));
        }
        List<float[]> got = model.forward(new Batch(sequences));
        for (int s = 0; s <= STEPS; s++) {
            for (int i = 0; i < b; i++) {
                assertArrayEquals(expected.get(i).get(s), got.get(i), what + ", sequence " + i + ", step " + s);
                assertEquals(alone.get(i).position(), together.get(i).position() + (STEPS - s), what);
            }
            if (s < STEPS) {
                List<Sequence> steps = new ArrayList<>();
                for (int i = 0; i < b; i++) {
                    steps.add(Sequence.of(together.get(i), next(got.get(i), model)));
                }
                got = model.forward(new Batch(steps));
            }
        }
    }

    /** Sequences under different attention policies (recurrences ignore them). */
    private static ModelState newState(LanguageModel model, int i) {
        if (model.info().policyAttentionLayers() == 0) {
            return model.newState();
        }
        return switch (i % 3) {
            case 0 -> model.newState();
            case 1 -> model.newState(new AttentionPolicy.SlidingWindow(8));
            default -> model.newState(new AttentionPolicy.Lambda(2, 10));
        };
    }

    private static boolean allLogits(int i) {
        return i % 2 == 1;
    }

    /** The greedy next token after the last row of these logits. */
    private static int next(float[] logits, LanguageModel model) {
        int vocab = model.info().vocabSize();
        return GoldenCheck.argmax(Arrays.copyOfRange(logits, logits.length - vocab, logits.length));
    }
}
