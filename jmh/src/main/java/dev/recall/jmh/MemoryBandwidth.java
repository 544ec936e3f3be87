package dev.recall.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
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
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Read bandwidth of main memory: the ceiling for decode-time matvec, which streams every weight
 * once per token. The buffer (default 512 MiB) is far larger than any cache, so the rate is DRAM's.
 * As a benchmark, GB/s = sizeMiB·2²⁰ / time; {@link #main} prints GB/s directly without JMH:
 * {@code java --add-modules jdk.incubator.vector -cp jmh/target/benchmarks.jar dev.recall.jmh.MemoryBandwidth [MiB] [threads]}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MemoryBandwidth {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Bytes each parallel task reads (a multiple of every vector size). */
    private static final long CHUNK = 1 << 20;

    @Param({"512"})
    public int sizeMiB;

    @Param({"1"})
    public int threads;

    private Arena arena;
    private MemorySegment data;

    @Setup(Level.Trial)
    public void setup() {
        Parallel.setThreads(threads);
        arena = Arena.ofShared();
        data = allocate(arena, (long) sizeMiB << 20);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float read() {
        return readAll(data);
    }

    /** A buffer of the given size with every page touched, so reads hit real memory. */
    static MemorySegment allocate(Arena arena, long bytes) {
        MemorySegment seg = arena.allocate(bytes, 4096);
        seg.fill((byte) 1);
        return seg;
    }

    /**
     * Reads every float of the segment once with vector loads and returns their sum (so the JIT
     * cannot drop the reads). Chunks of 1 MiB are spread over {@link Parallel}'s threads.
     */
    static float readAll(MemorySegment seg) {
        int chunks = (int) (seg.byteSize() / CHUNK);
        float[] partial = new float[chunks];
        Parallel.forRange(chunks, 1, (from, to) -> {
            for (int c = from; c < to; c++) {
                partial[c] = readChunk(seg, c * CHUNK);
            }
        });
        float s = 0;
        for (float p : partial) {
            s += p;
        }
        return s;
    }

    private static float readChunk(MemorySegment seg, long start) {
        long step = F.vectorByteSize();
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (long off = start; off < start + CHUNK; off += 4 * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, seg, off, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, seg, off + step, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, seg, off + 2 * step, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, seg, off + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    /**
     * Best read rate in GB/s (10⁹ bytes per second) over a few passes of a buffer of the given size;
     * a quick roofline figure without a JMH run.
     */
    public static double measureGBs(long bytes, int passes) {
        try (Arena a = Arena.ofShared()) {
            MemorySegment seg = allocate(a, bytes / CHUNK * CHUNK);
            double best = 0;
            float sink = 0;
            for (int p = 0; p < passes; p++) {
                long t0 = System.nanoTime();
                sink += readAll(seg);
                long ns = System.nanoTime() - t0;
                best = Math.max(best, seg.byteSize() / (double) ns);
            }
            if (Float.isNaN(sink)) {
                throw new AssertionError("unreachable: the buffer holds finite values");
            }
            return best;
        }
    }

    public static void main(String[] args) {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 512;
        if (args.length > 1) {
            Parallel.setThreads(Integer.parseInt(args[1]));
        }
        double gbs = measureGBs(mib << 20, 8);
        System.out.printf("read bandwidth: %.1f GB/s (%d MiB buffer, %d threads, %d-bit vectors)%n",
                gbs, mib, Parallel.threads(), F.vectorBitSize());
    }
}
