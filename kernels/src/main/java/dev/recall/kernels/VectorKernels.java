package dev.recall.kernels;

/**
 * SIMD implementation of {@link Kernels} on the Vector API. Until a method is vectorised it
 * inherits the scalar loop, so the two can never disagree about what a kernel means.
 */
public class VectorKernels extends ScalarKernels {

    /** The SIMD kernels, or the scalar ones where the Vector API module is not present. */
    static Kernels createOrScalar() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            System.err.println("recall: jdk.incubator.vector is not enabled (--add-modules jdk.incubator.vector); using scalar kernels");
            return new ScalarKernels();
        }
        return new VectorKernels();
    }
}
