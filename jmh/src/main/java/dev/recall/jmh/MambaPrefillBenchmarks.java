package dev.recall.jmh;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.recall.kernels.Parallel;
import dev.recall.kernels.ScalarKernels;
import dev.recall.kernels.SelectiveScan;
import dev.recall.kernels.SelectiveScanChunked;
import dev.recall.kernels.SelectiveScanScalar;
import dev.recall.kernels.SelectiveScanVector;
import dev.recall.runtime.model.LanguageModel;
import dev.recall.runtime.model.ModelLoader;
import dev.recall.runtime.model.ModelState;

/**
 * The Mamba selective scan on its own, and a whole Mamba model consuming a long prompt. Time per
 * call; tokens/s = tokens / time.
 * <ul>
 *   <li>{@code scan}: one layer's scan of {@code tokens} tokens (E = {@code channels}, N = 16, as the
 *       zoo Mamba and Mamba-130m have per layer) by the scalar reference, the sequential vector
 *       scan, or the chunked scan;</li>
 *   <li>{@code modelPrefill} against {@code modelStepLoop}: the zoo Mamba ({@code -p zoo=DIR},
 *       default {@code ../shared/zoo/mamba}, run from the worktree root) taking the same
 *       {@code promptTokens} tokens in one prefill or one {@link LanguageModel#step} per token.</li>
 * </ul>
 * Example: {@code java --add-modules jdk.incubator.vector -jar jmh/target/benchmarks.jar
 * MambaPrefillBenchmarks.model -f 1 -wi 2 -w 2s -i 2 -r 4s}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MambaPrefillBenchmarks {

    private static final int STATES = 16;

    /** One layer's scan inputs, random but shaped like a trained Mamba's. */
    @State(Scope.Benchmark)
    public static class ScanCase {
        /** scalar, vector (sequential, split by channel groups) or chunked (split by time as well). */
        @Param({"vector", "chunked"})
        public String scan;

        @Param({"4096"})
        public int tokens;

        @Param({"512"})
        public int channels;

        /** Worker threads. */
        @Param({"2"})
        public int threads;

        SelectiveScan scanner;
        SelectiveScan.Inputs inputs;
        float[] state;
        float[] y;

        @Setup(Level.Trial)
        public void setup() {
            Parallel.setThreads(threads);
            scanner = switch (scan) {
                case "scalar" -> new SelectiveScanScalar();
                case "vector" -> new SelectiveScanVector();
                case "chunked" -> new SelectiveScanChunked(SelectiveScanChunked.DEFAULT_CHUNK);
                default -> throw new IllegalArgumentException("unknown scan " + scan);
            };
            Random rnd = new Random(3);
            float[] a = new float[channels * STATES];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) -Math.exp(rnd.nextGaussian());
            }
            float[] dt = new float[tokens * channels];
            for (int i = 0; i < dt.length; i++) {
                dt[i] = ScalarKernels.softplus((float) rnd.nextGaussian() - 2f);
            }
            inputs = new SelectiveScan.Inputs(tokens, channels, STATES, gaussian(rnd, tokens * channels), dt, a,
                    gaussian(rnd, tokens * STATES), gaussian(rnd, tokens * STATES), gaussian(rnd, channels));
            state = new float[channels * STATES];
            y = new float[tokens * channels];
        }
    }

    /** The zoo Mamba and a random prompt. */
    @State(Scope.Benchmark)
    public static class ModelCase {
        /** Directory of the Mamba checkpoint. */
        @Param({"../shared/zoo/mamba"})
        public String zoo;

        @Param({"4096"})
        public int promptTokens;

        /** Worker threads. */
        @Param({"2"})
        public int modelThreads;

        LanguageModel model;
        int[] prompt;

        @Setup(Level.Trial)
        public void setup() {
            Parallel.setThreads(modelThreads);
            Path dir = Path.of(zoo);
            if (!Files.isDirectory(dir)) {
                throw new IllegalStateException("no model at " + zoo + " (set -p zoo=DIR)");
            }
            model = ModelLoader.load(dir);
            Random rnd = new Random(5);
            prompt = new int[promptTokens];
            for (int i = 0; i < promptTokens; i++) {
                prompt[i] = rnd.nextInt(model.info().vocabSize());
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            model.close();
        }
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    @Benchmark
    public float[] scan(ScanCase c) {
        Arrays.fill(c.state, 0f);
        c.scanner.scan(c.inputs, c.state, c.y);
        return c.y;
    }

    /** The whole prompt in one prefill (the model batches it internally). */
    @Benchmark
    public float[] modelPrefill(ModelCase c) {
        ModelState s = c.model.newState();
        return c.model.prefill(s, c.prompt);
    }

    /** The same prompt one {@link LanguageModel#step} per token: the baseline prefill must beat. */
    @Benchmark
    public float[] modelStepLoop(ModelCase c) {
        ModelState s = c.model.newState();
        float[] logits = null;
        for (int token : c.prompt) {
            logits = c.model.step(s, token);
        }
        return logits;
    }
}
