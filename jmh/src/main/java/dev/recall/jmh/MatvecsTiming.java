package dev.recall.jmh;

import dev.recall.kernels.ElementType;
import dev.recall.kernels.Kernels;
import dev.recall.kernels.Parallel;
import dev.recall.kernels.QuantizedType;
import dev.recall.kernels.VectorKernels;
import dev.recall.kernels.WeightMatrix;
import dev.recall.kernels.WeightType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/**
 * A quick reading of {@code Kernels.matvecs} for one weight type, shape, token count and thread
 * count: COUNT distinct matrices (default: as many as fill 256 MiB, so every weight comes from
 * DRAM; 1 keeps one matrix in cache), one product after another, best of the passes after four of
 * warm-up. Prints GFLOP/s (BF16) or Gweights/s (quantized). Used for the kernel experiments in
 * docs/performance.md, where a JMH run per variant would take too long:
 * {@code java --add-modules jdk.incubator.vector -cp jmh/target/benchmarks.jar dev.recall.jmh.MatvecsTiming TYPE ROWS COLS TOKENS THREADS [COUNT]}
 * with TYPE one of BF16, Q8_0, Q4_0, Q4_K, Q6_K.
 */
public final class MatvecsTiming {

    private MatvecsTiming() {
    }

    public static void main(String[] args) {
        WeightType type = args[0].equals("BF16") ? ElementType.BF16 : QuantizedType.valueOf(args[0]);
        int rows = Integer.parseInt(args[1]);
        int cols = Integer.parseInt(args[2]);
        int tokens = Integer.parseInt(args[3]);
        Parallel.setThreads(Integer.parseInt(args[4]));
        long bytes = type.matrixBytes(rows, cols);
        int count = args.length > 5 ? Integer.parseInt(args[5]) : (int) Math.max(1, (256L << 20) / bytes);
        Kernels k = new VectorKernels();
        Random rnd = new Random(1);
        MemorySegment one = type instanceof QuantizedType q ? randomBlocks(q, bytes, rnd) : randomBf16(bytes, rnd);
        MemorySegment all = Arena.ofAuto().allocate(bytes * count, 4096);
        WeightMatrix[] matrices = new WeightMatrix[count];
        for (int m = 0; m < count; m++) {
            MemorySegment.copy(one, 0, all, bytes * m, bytes);
            matrices[m] = new WeightMatrix(all.asSlice(bytes * m, bytes), type, rows, cols);
        }
        float[] x = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] y = new float[tokens * rows];
        int passes = count < 4 ? 2000 : 12;
        double best = 0;
        for (int pass = 0; pass < passes; pass++) {
            long t0 = System.nanoTime();
            for (WeightMatrix w : matrices) {
                k.matvecs(w, x, 0, tokens, y, 0);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (pass >= 4) {
                best = Math.max(best, (double) rows * cols * tokens * count / seconds);
            }
        }
        boolean quantized = type instanceof QuantizedType;
        System.out.printf("%s %dx%d tokens=%d threads=%d matrices=%d: best %.1f %s%n", args[0], rows, cols, tokens,
                Parallel.threads(), count, quantized ? best / tokens / 1e9 : 2 * best / 1e9,
                quantized ? "Gweights/s" : "GFLOP/s");
    }

    /** Normal bf16 numbers (a subnormal weight would cost a microcode assist). */
    private static MemorySegment randomBf16(long bytes, Random rnd) {
        MemorySegment s = Arena.ofAuto().allocate(bytes, 64);
        for (long i = 0; i < bytes / 2; i++) {
            s.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i,
                    (short) (Float.floatToRawIntBits(ElementType.roundToBf16((float) rnd.nextGaussian())) >>> 16));
        }
        return s;
    }

    /** Random quants with every block's half-precision scale (and min) set to 0.01. */
    private static MemorySegment randomBlocks(QuantizedType type, long bytes, Random rnd) {
        byte[] b = new byte[(int) bytes];
        rnd.nextBytes(b);
        short h = Float.floatToFloat16(0.01f);
        for (int at = 0; at < bytes; at += type.blockBytes()) {
            int[] scales = type == QuantizedType.Q6_K ? new int[] {208} : new int[] {0, 2};
            for (int o : scales) {
                b[at + o] = (byte) h;
                b[at + o + 1] = (byte) (h >> 8);
            }
        }
        return MemorySegment.ofArray(b);
    }
}
