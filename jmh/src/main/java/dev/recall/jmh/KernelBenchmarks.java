package dev.recall.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
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

import dev.recall.kernels.ElementType;
import dev.recall.kernels.Kernels;
import dev.recall.kernels.Parallel;
import dev.recall.kernels.ScalarKernels;
import dev.recall.kernels.VectorKernels;
import dev.recall.kernels.WeightMatrix;

/**
 * Matrix kernels, scalar against SIMD, on weights in native memory as a memory-mapped checkpoint
 * holds them. Time per call; to turn it into rates:
 * <ul>
 *   <li>matvec streams the matrix once: GB/s = rows·cols·bytes(dtype) / time (compare with
 *       {@link MemoryBandwidth});</li>
 *   <li>matmul does 2·rows·cols·tokens flops: GFLOP/s = 2·rows·cols·tokens / time.</li>
 * </ul>
 * Defaults are short (a few seconds per case, 16 cases); the Vector API only reaches speed once
 * C2 has compiled the kernels (interpreted vector code is ~1000x slower), hence the 6 s warm-up.
 * Narrow the run with {@code -p}, e.g.
 * {@code java -jar jmh/target/benchmarks.jar KernelBenchmarks.matmul -p kernels=vector -p dtype=BF16}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelBenchmarks {

    @Param({"vector", "scalar"})
    public String kernels;

    @Param({"F32", "BF16"})
    public String dtype;

    /** rows x cols of the weight matrix. */
    @Param({"2048x2048", "4096x1024"})
    public String shape;

    /** Tokens per matmul (a prefill chunk). */
    @Param({"256"})
    public int tokens;

    /** Worker threads for the kernels (1 measures one core). */
    @Param({"1"})
    public int threads;

    private Arena arena;
    private Kernels k;
    private WeightMatrix w;
    private float[] x;
    private float[] y;
    private float[] xs;
    private float[] ys;

    @Setup(Level.Trial)
    public void setup() {
        k = "scalar".equals(kernels) ? new ScalarKernels() : new VectorKernels();
        Parallel.setThreads(threads);
        String[] rc = shape.split("x");
        int rows = Integer.parseInt(rc[0]);
        int cols = Integer.parseInt(rc[1]);
        arena = Arena.ofShared();
        w = randomMatrix(arena, ElementType.valueOf(dtype), rows, cols, new Random(42));
        Random rnd = new Random(7);
        x = new float[cols];
        xs = new float[tokens * cols];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) rnd.nextGaussian();
        }
        System.arraycopy(xs, 0, x, 0, cols);
        y = new float[rows];
        ys = new float[tokens * rows];
        if (k instanceof VectorKernels) {
            System.out.println("# vector shape: " + VectorKernels.shape());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] matvec() {
        k.matvec(w, x, 0, y, 0);
        return y;
    }

    @Benchmark
    public float[] matmul() {
        k.matmul(w, xs, tokens, ys);
        return ys;
    }

    /** N(0, 1) weights in the given dtype, little-endian in native memory. */
    static WeightMatrix randomMatrix(Arena arena, ElementType dtype, int rows, int cols, Random rnd) {
        long n = (long) rows * cols;
        MemorySegment seg = arena.allocate(n * dtype.blockBytes(), 64);
        var f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        var i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) {
            float v = (float) rnd.nextGaussian();
            switch (dtype) {
                case F32 -> seg.setAtIndex(f32, i, v);
                case BF16 -> seg.setAtIndex(i16, i, (short) (Float.floatToRawIntBits(ElementType.roundToBf16(v)) >>> 16));
                case F16 -> seg.setAtIndex(i16, i, Float.floatToFloat16(v));
            }
        }
        return new WeightMatrix(seg, dtype, rows, cols);
    }
}
