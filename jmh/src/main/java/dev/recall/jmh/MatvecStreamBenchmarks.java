package dev.recall.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
import dev.recall.kernels.VectorKernels;
import dev.recall.kernels.WeightMatrix;

/**
 * Decode's matvec as decode sees it: one product after another over distinct matrices of one
 * layer shape that together fill a buffer far larger than the caches (default 512 MiB), so every
 * weight comes from DRAM, as it does once per token in a real model. {@link #matvecs} is one
 * pass over all of them and {@link #read} one plain streaming read of the same bytes
 * ({@link MemoryBandwidth}'s kernel); bytes / time of each, and their ratio, is the fraction of
 * the read-bandwidth roofline the kernel reaches at that shape. With {@code tokens} above 1 each
 * product is a batched decode step's ({@code Kernels.matvecs}: every weight read once for all
 * tokens). For example
 * {@code java -jar jmh/target/benchmarks.jar MatvecStreamBenchmarks -p shape=1536x768 -p dtype=BF16},
 * or {@code ... MatvecStreamBenchmarks.matvecs -p shape=3072x768 -p dtype=BF16 -p tokens=1,8 -p threads=1,2}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatvecStreamBenchmarks {

    /** rows x cols: mamba-130m's in_proj half and out_proj, a square 4096, llama-1b's up_proj. */
    @Param({"1536x768", "768x1536", "4096x4096", "8192x2048"})
    public String shape;

    @Param({"BF16", "F32"})
    public String dtype;

    @Param({"2"})
    public int threads;

    /** Tokens per product: 1 is decode's matvec, more a batched step's matvecs. */
    @Param({"1"})
    public int tokens;

    @Param({"512"})
    public int sizeMiB;

    private Arena arena;
    private MemorySegment all;
    private WeightMatrix[] matrices;
    private final Kernels k = new VectorKernels();
    private float[] x;
    private float[] y;

    @Setup(Level.Trial)
    public void setup() {
        Parallel.setThreads(threads);
        String[] rc = shape.split("x");
        int rows = Integer.parseInt(rc[0]);
        int cols = Integer.parseInt(rc[1]);
        ElementType type = ElementType.valueOf(dtype);
        long bytes = type.matrixBytes(rows, cols);
        int count = (int) Math.max(1, ((long) sizeMiB << 20) / bytes);
        arena = Arena.ofShared();
        all = arena.allocate(bytes * count, 4096);
        // One random matrix copied into every slot: the values do not matter to the speed, as
        // long as they are ordinary numbers (a subnormal weight would cost a microcode assist).
        WeightMatrix first = KernelBenchmarks.randomMatrix(arena, type, rows, cols, new Random(42));
        matrices = new WeightMatrix[count];
        for (int m = 0; m < count; m++) {
            MemorySegment slot = all.asSlice(bytes * m, bytes);
            MemorySegment.copy(first.data(), 0, slot, 0, bytes);
            matrices[m] = new WeightMatrix(slot, type, rows, cols);
        }
        Random rnd = new Random(7);
        x = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        y = new float[tokens * rows];
        System.out.printf("# %d matrices, %.0f MiB%n", count, all.byteSize() / 1048576.0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] matvecs() {
        for (WeightMatrix w : matrices) {
            k.matvecs(w, x, 0, tokens, y, 0);
        }
        return y;
    }

    @Benchmark
    public float read() {
        return MemoryBandwidth.readAll(all);
    }
}
