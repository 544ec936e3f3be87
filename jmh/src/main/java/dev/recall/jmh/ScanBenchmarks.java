package dev.recall.jmh;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.recall.kernels.KernelProvider;
import dev.recall.kernels.Kernels;
import dev.recall.kernels.Parallel;
import dev.recall.kernels.SelectiveScan;
import dev.recall.kernels.SelectiveScanChunked;
import dev.recall.kernels.Wkv6;
import dev.recall.kernels.Wkv6Chunked;
import dev.recall.kernels.Wkv6Vector;

/**
 * The recurrences alone over a {@value #TOKENS}-token prefill at real layer shapes, sequential
 * against chunked, in tokens/s (JMH ops/s, one op = one token):
 * <ul>
 *   <li>{@code wkv6}: RWKV-6 1B6 time mixing, 32 heads of 64, heads spread over the threads as the
 *       model does; {@code sequential} is the token-by-token vector scan, {@code chunked} the
 *       {@link Wkv6Chunked} form;</li>
 *   <li>{@code rglru}: RecurrentGemma-2b, width 2560; one form only (channel blocks over the whole
 *       sequence: the parallel form of an element-wise recurrence);</li>
 *   <li>{@code selective}: Mamba-130m, 1536 channels × 16 states, the vector scan against
 *       {@link SelectiveScanChunked} (chunks of 256).</li>
 * </ul>
 * Example: {@code java -jar jmh/target/benchmarks.jar ScanBenchmarks -p threads=1}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ScanBenchmarks {

    /** The kernels the runtime would choose (SIMD under the suite's JVM options). */
    private static final Kernels KERNELS = KernelProvider.get();

    static final int TOKENS = 4096;

    /** Thread count shared by all scans (0: the runtime default, all cores). */
    @State(Scope.Benchmark)
    public static class Threads {
        @Param({"0"})
        public int threads;

        @Setup(Level.Trial)
        public void apply() {
            if (threads > 0) {
                Parallel.setThreads(threads);
            }
        }
    }

    @State(Scope.Benchmark)
    public static class WkvInputs {
        static final int HEADS = 32;
        static final int HEAD_SIZE = 64;

        @Param({"sequential", "chunked"})
        public String form;

        Wkv6 wkv;
        float[] r, k, v, w, u, state, y;

        @Setup(Level.Trial)
        public void setup() {
            Random rnd = new Random(1);
            int n = TOKENS * HEADS * HEAD_SIZE;
            wkv = form.equals("chunked") ? new Wkv6Chunked() : new Wkv6Vector();
            r = gaussian(rnd, n);
            k = gaussian(rnd, n);
            v = gaussian(rnd, n);
            w = new float[n];
            for (int i = 0; i < n; i++) {
                w[i] = (float) Math.exp(-Math.exp(-6 + 5 * rnd.nextDouble())); // decays as the model makes them
            }
            u = gaussian(rnd, HEADS * HEAD_SIZE);
            state = new float[HEADS * HEAD_SIZE * HEAD_SIZE];
            y = new float[n];
        }
    }

    @State(Scope.Benchmark)
    public static class LruInputs {
        static final int WIDTH = 2560;
        float[] x, inputGate, recurrenceGate, softplus, state, out;

        @Setup(Level.Trial)
        public void setup() {
            Random rnd = new Random(2);
            x = gaussian(rnd, TOKENS * WIDTH);
            inputGate = gaussian(rnd, TOKENS * WIDTH);
            recurrenceGate = gaussian(rnd, TOKENS * WIDTH);
            softplus = new float[WIDTH];
            for (int c = 0; c < WIDTH; c++) {
                softplus[c] = (float) Math.log1p(Math.exp(-4 + 4 * rnd.nextDouble()));
            }
            state = new float[WIDTH];
            out = new float[TOKENS * WIDTH];
        }
    }

    @State(Scope.Benchmark)
    public static class SsmInputs {
        static final int CHANNELS = 1536;
        static final int STATES = 16;

        @Param({"sequential", "chunked"})
        public String form;

        SelectiveScan scan;
        SelectiveScan.Inputs inputs;
        float[] state, y;

        @Setup(Level.Trial)
        public void setup() {
            Random rnd = new Random(3);
            scan = form.equals("chunked") ? new SelectiveScanChunked(256) : KERNELS.selectiveScan(1, CHANNELS);
            float[] dt = new float[TOKENS * CHANNELS];
            for (int i = 0; i < dt.length; i++) {
                dt[i] = (float) Math.exp(Math.log(0.001) + rnd.nextDouble() * Math.log(100)); // 0.001 … 0.1
            }
            float[] a = new float[CHANNELS * STATES];
            for (int i = 0; i < a.length; i++) {
                a[i] = -(1 + i % STATES);
            }
            inputs = new SelectiveScan.Inputs(TOKENS, CHANNELS, STATES, gaussian(rnd, TOKENS * CHANNELS), dt, a,
                    gaussian(rnd, TOKENS * STATES), gaussian(rnd, TOKENS * STATES), gaussian(rnd, CHANNELS));
            state = new float[CHANNELS * STATES];
            y = new float[TOKENS * CHANNELS];
        }
    }

    @Benchmark
    @OperationsPerInvocation(TOKENS)
    public float[] wkv6(Threads threads, WkvInputs in) {
        int stride = WkvInputs.HEADS * WkvInputs.HEAD_SIZE;
        int size = WkvInputs.HEAD_SIZE;
        Arrays.fill(in.state, 0f);
        Parallel.forRange(WkvInputs.HEADS, 1, (from, to) -> {
            for (int h = from; h < to; h++) {
                in.wkv.sequence(size, TOKENS, in.r, in.k, in.v, in.w, h * size, stride, in.u, h * size,
                        in.state, h * size * size, in.y);
            }
        });
        return in.y;
    }

    @Benchmark
    @OperationsPerInvocation(TOKENS)
    public float[] rglru(Threads threads, LruInputs in) {
        KERNELS.rgLru().scan(in.x, in.inputGate, in.recurrenceGate, in.softplus, in.state, LruInputs.WIDTH, TOKENS,
                true, in.out);
        return in.out;
    }

    @Benchmark
    @OperationsPerInvocation(TOKENS)
    public float[] selective(Threads threads, SsmInputs in) {
        Arrays.fill(in.state, 0f);
        in.scan.scan(in.inputs, in.state, in.y);
        return in.y;
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }
}
