package dev.recall.kernels;

import java.util.Random;

/**
 * Run by {@link KernelProviderTest} in a JVM of its own (options chosen by the test): prints the
 * kernels the provider chose, why (if it fell back), and the bits of a small BF16 product, so the
 * test can check that a JVM without the Vector API computes with the scalar kernels.
 */
public final class KernelChoice {

    private KernelChoice() {
    }

    public static void main(String[] args) {
        Kernels kernels = KernelProvider.get();
        Kernels again = KernelProvider.get();
        WeightMatrix w = TestMatrices.random(ElementType.BF16, 9, 37, new Random(5));
        float[] x = TestMatrices.gaussian(new Random(6), 37, 1);
        float[] y = new float[9];
        kernels.matvec(w, x, 0, y, 0);
        StringBuilder bits = new StringBuilder();
        for (float v : y) {
            bits.append(Integer.toHexString(Float.floatToRawIntBits(v))).append(' ');
        }
        System.out.println("name=" + kernels.name());
        System.out.println("same=" + (kernels == again));
        System.out.println("reason=" + KernelProvider.fallbackReason());
        System.out.println("product=" + bits.toString().strip());
    }
}
