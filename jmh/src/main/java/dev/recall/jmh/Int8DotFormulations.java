package dev.recall.jmh;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Random;

/**
 * Q8_0 matrix-vector products written three ways with the Vector API, on one thread: fp32
 * activations (Recall's kernels: widen the weight bytes to floats, fused multiply-add), int8
 * activations with 16-bit multiplies (Lucene's int8 dot on 512-bit vectors), and int8 with 32-bit
 * multiplies (Lucene's on 256-bit). llama.cpp's int8 path is {@code vpmaddubsw}/{@code vpdpbusd},
 * which C2 does not emit for any Vector API form; this measures the best that can be written
 * instead (docs/performance.md, "GGUF against llama.cpp"). 512-bit species: an AVX-512 machine.
 * {@code java --add-modules jdk.incubator.vector -cp jmh/target/benchmarks.jar dev.recall.jmh.Int8DotFormulations}
 */
public final class Int8DotFormulations {

    private Int8DotFormulations() {
    }

  static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
  static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
  static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
  static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
  static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
  static int cols = 2048, rows = 8192;
  public static void main(String[] args) {
    Random r = new Random(1);
    byte[] wq = new byte[rows * cols]; r.nextBytes(wq);
    float[] wd = new float[rows * cols / 32]; for (int i = 0; i < wd.length; i++) wd[i] = r.nextFloat();
    float[] x = new float[cols]; for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
    byte[] xq = new byte[cols]; float[] xd = new float[cols / 32];
    for (int b = 0; b < cols / 32; b++) { float amax = 0; for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b*32+j])); xd[b] = amax / 127; for (int j = 0; j < 32; j++) xq[b*32+j] = (byte) Math.round(x[b*32+j] / xd[b]); }
    short[] xs = new short[cols]; for (int i = 0; i < cols; i++) xs[i] = xq[i];
    float[] y = new float[rows];
    for (int rep = 0; rep < 6; rep++) {
      long t0 = System.nanoTime(); for (int it = 0; it < 20; it++) for (int row = 0; row < rows; row++) y[row] = fp32(wq, wd, row, x); long t1 = System.nanoTime();
      for (int it = 0; it < 20; it++) for (int row = 0; row < rows; row++) y[row] = int16(wq, wd, row, xs, xd); long t2 = System.nanoTime();
      for (int it = 0; it < 20; it++) for (int row = 0; row < rows; row++) y[row] = int32(wq, wd, row, xq, xd); long t3 = System.nanoTime();
      if (rep >= 3) System.out.printf("one thread, %dx%d Q8_0 (heap): fp32 activations %.2f, int8 x int16-multiply %.2f, int8 x int32-multiply %.2f Gweights/s%n", rows, cols,
          20.0 * rows * cols / (t1 - t0), 20.0 * rows * cols / (t2 - t1), 20.0 * rows * cols / (t3 - t2));
    }
  }
  static float fp32(byte[] wq, float[] wd, int row, float[] x) {
    FloatVector acc = FloatVector.zero(F);
    int base = row * cols;
    for (int b = 0; b < cols / 32; b++) {
      FloatVector p = FloatVector.zero(F);
      for (int g = 0; g < 32; g += 16) {
        ByteVector q = ByteVector.fromArray(B16, wq, base + b * 32 + g);
        p = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, b * 32 + g), p);
      }
      acc = p.fma(FloatVector.broadcast(F, wd[row * (cols / 32) + b]), acc);
    }
    return acc.reduceLanes(VectorOperators.ADD);
  }
  static float int16(byte[] wq, float[] wd, int row, short[] xs, float[] xd) {
    FloatVector acc = FloatVector.zero(F);
    int base = row * cols;
    for (int b = 0; b < cols / 32; b++) {
      ShortVector w = (ShortVector) ByteVector.fromArray(B32, wq, base + b * 32).convertShape(VectorOperators.B2S, S, 0);
      ShortVector prod = w.mul(ShortVector.fromArray(S, xs, b * 32));
      IntVector sum = ((IntVector) prod.convertShape(VectorOperators.S2I, I, 0)).add((IntVector) prod.convertShape(VectorOperators.S2I, I, 1));
      acc = ((FloatVector) sum.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, wd[row * (cols / 32) + b] * xd[b]), acc);
    }
    return acc.reduceLanes(VectorOperators.ADD);
  }
  static float int32(byte[] wq, float[] wd, int row, byte[] xq, float[] xd) {
    FloatVector acc = FloatVector.zero(F);
    int base = row * cols;
    for (int b = 0; b < cols / 32; b++) {
      IntVector s = IntVector.zero(I);
      for (int g = 0; g < 32; g += 16) {
        IntVector w = (IntVector) ByteVector.fromArray(B16, wq, base + b * 32 + g).convertShape(VectorOperators.B2I, I, 0);
        IntVector xv = (IntVector) ByteVector.fromArray(B16, xq, b * 32 + g).convertShape(VectorOperators.B2I, I, 0);
        s = s.add(w.mul(xv));
      }
      acc = ((FloatVector) s.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, wd[row * (cols / 32) + b] * xd[b]), acc);
    }
    return acc.reduceLanes(VectorOperators.ADD);
  }
}
