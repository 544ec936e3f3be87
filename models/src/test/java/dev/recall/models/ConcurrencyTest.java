package dev.recall.models;

import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
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

/**
 * One loaded model serves several threads, each with its own state: every thread's logits equal those
 * of the same work done alone on one thread. Covers an attention model (KV cache), a
 * selective-state-space model and a linear-attention recurrence.
 *
 * <p>The comparison is exact, with the SIMD kernels too: they compute exp/tanh/softplus from
 * element-wise IEEE operations ({@code dev.recall.kernels.VectorMath}) rather than the Vector API's
 * transcendental lanes, which give different bits before and after C2 compiles them, so a result
 * does not depend on the thread, the JIT tier or what ran before.
 */
class ConcurrencyTest {

    private static final int THREADS = 4;
    private static final int PROMPTS = 6;
    private static final int STEPS = 8;

    private static final float TOLERANCE = 0f;

    /** A prompt, and the tokens then fed one step at a time. */
    private record Work(int[] prompt, int[] steps) {
    }

    /** Distinct prompts of different lengths cut from the golden input ids, each followed by steps. */
    private static List<Work> work(int[] ids) {
        List<Work> work = new ArrayList<>();
        for (int p = 0; p < PROMPTS; p++) {
            int from = (p * 5) % (ids.length / 2);
            int end = Math.min(ids.length - STEPS, from + 6 + 4 * p);
            work.add(new Work(Arrays.copyOfRange(ids, from, end), Arrays.copyOfRange(ids, end, end + STEPS)));
        }
        return work;
    }

    @ParameterizedTest
    @ValueSource(strings = {"golden/llama", "golden/mamba", "golden/rwkv6", "golden/recurrent-gemma"})
    void threadsWithTheirOwnStatesMatchSingleThreadedRuns(String name) throws Exception {
        var dir = SharedData.resource(name);
        List<Work> prompts = work(GoldenCheck.inputIds(dir));
        try (LanguageModel model = ModelLoader.load(dir)) {
            List<float[]> alone = new ArrayList<>();
            for (Work prompt : prompts) {
                alone.add(PromptThenSteps.logits(model, prompt.prompt(), prompt.steps()));
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
                            Work w = prompts.get((i + offset) % PROMPTS);
                            results.add(PromptThenSteps.logits(model, w.prompt(), w.steps()));
                        }
                        return results;
                    };
                    futures.add(pool.submit(work));
                }
                for (int t = 0; t < THREADS; t++) {
                    List<float[]> results = futures.get(t).get();
                    for (int i = 0; i < PROMPTS; i++) {
                        int p = (i + t) % PROMPTS;
                        GoldenCheck.assertClose(name + ": thread " + t + ", prompt " + p, alone.get(p), results.get(i),
                                TOLERANCE, model.info().vocabSize());
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
