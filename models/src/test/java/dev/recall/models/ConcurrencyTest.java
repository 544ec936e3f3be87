package dev.recall.models;

import dev.recall.runtime.io.SafeTensorsFile;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;
import dev.recall.runtime.testing.GoldenCheck;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * One loaded model serves several threads, each with its own state: every thread's logits equal, bit
 * for bit, those of the same work done alone on one thread. Covers an attention model (KV cache), a
 * selective-state-space model and a linear-attention recurrence.
 */
class ConcurrencyTest {

    private static final int THREADS = 4;
    private static final int PROMPTS = 6;
    private static final int STEPS = 8;

    /** Prefill logits of every prompt token, then the logits of STEPS greedy steps, as one array. */
    private static float[] run(LanguageModel model, int[] prompt) {
        int vocab = model.info().vocabSize();
        ModelState state = model.newState();
        float[] all = model.prefill(state, prompt, 0, prompt.length, true);
        float[] out = Arrays.copyOf(all, all.length + STEPS * vocab);
        float[] last = Arrays.copyOfRange(all, all.length - vocab, all.length);
        for (int s = 0; s < STEPS; s++) {
            last = model.step(state, GoldenCheck.argmax(last));
            System.arraycopy(last, 0, out, all.length + s * vocab, vocab);
        }
        return out;
    }

    /** Distinct prompts of different lengths cut from the golden input ids. */
    private static List<int[]> prompts(int[] ids) {
        List<int[]> prompts = new ArrayList<>();
        for (int p = 0; p < PROMPTS; p++) {
            int from = (p * 5) % (ids.length / 2);
            int length = 6 + 4 * p;
            prompts.add(Arrays.copyOfRange(ids, from, Math.min(ids.length, from + length)));
        }
        return prompts;
    }

    @ParameterizedTest
    @ValueSource(strings = {"golden/llama", "golden/mamba", "golden/rwkv6"})
    void threadsWithTheirOwnStatesMatchSingleThreadedRuns(String name) throws Exception {
        var dir = SharedData.resource(name);
        int[] ids;
        try (SafeTensorsFile golden = SafeTensorsFile.open(dir.resolve("golden.safetensors"))) {
            ids = golden.tensors().get("input_ids").toInts();
        }
        List<int[]> prompts = prompts(ids);
        try (LanguageModel model = ModelLoader.load(dir)) {
            List<float[]> alone = new ArrayList<>();
            for (int[] prompt : prompts) {
                alone.add(run(model, prompt));
            }
            CyclicBarrier start = new CyclicBarrier(THREADS);
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<List<float[]>>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int offset = t;
                    Callable<List<float[]>> work = () -> {
                        start.await();
                        // Each thread walks the prompts from a different one, so different prompts overlap.
                        List<float[]> results = new ArrayList<>();
                        for (int i = 0; i < PROMPTS; i++) {
                            results.add(run(model, prompts.get((i + offset) % PROMPTS)));
                        }
                        return results;
                    };
                    futures.add(pool.submit(work));
                }
                for (int t = 0; t < THREADS; t++) {
                    List<float[]> results = futures.get(t).get();
                    for (int i = 0; i < PROMPTS; i++) {
                        int p = (i + t) % PROMPTS;
                        assertArrayEquals(alone.get(p), results.get(i), name + ": thread " + t + ", prompt " + p);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
