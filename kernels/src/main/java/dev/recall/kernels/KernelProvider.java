package dev.recall.kernels;

/**
 * Chooses the process's {@link Kernels} once, the first time they are asked for (Lucene's
 * {@code VectorizationProvider} pattern). This class names no Vector API type: it checks that the
 * incubator module {@code jdk.incubator.vector} is in the boot layer and only then loads the SIMD
 * kernels, by name, so a JVM started without {@code --add-modules jdk.incubator.vector} runs the
 * scalar kernels instead of failing with {@code NoClassDefFoundError} on the first matrix product.
 *
 * <p>{@code -Drecall.kernels=scalar} forces the scalar kernels. A fallback that was not asked for
 * is reported once, on the {@link System.Logger} named {@code dev.recall.kernels} at WARNING
 * (an embedder silences it through its logging configuration); forced scalar kernels are not.
 */
public final class KernelProvider {

    /** The Vector API's module, which the JVM resolves only when asked ({@code --add-modules}). */
    public static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String VECTOR_KERNELS = "dev.recall.kernels.VectorKernels";

    private KernelProvider() {
    }

    /** The kernels this process computes with: SIMD where the Vector API is usable, else scalar. */
    public static Kernels get() {
        return Chosen.KERNELS;
    }

    /** The reference kernels (plain loops), whatever the process uses. */
    public static Kernels scalar() {
        return Scalar.KERNELS;
    }

    /** Why the SIMD kernels are not in use, or null when they are. */
    public static String fallbackReason() {
        return Chosen.reason;
    }

    private static final class Scalar {
        static final Kernels KERNELS = new ScalarKernels();
    }

    private static final class Chosen {
        static String reason;
        static final Kernels KERNELS = choose();

        private static Kernels choose() {
            if ("scalar".equals(System.getProperty("recall.kernels"))) {
                reason = "-Drecall.kernels=scalar";
                return Scalar.KERNELS;
            }
            if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
                return fallBack("the JVM was started without --add-modules " + VECTOR_MODULE);
            }
            try {
                // Loaded by name: linking VectorKernels needs the Vector API's classes.
                return (Kernels) Class.forName(VECTOR_KERNELS).getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                // Classes that do not link, or a vector shape this CPU lacks (thrown by the
                // constructor, which builds every SIMD kernel): the scalar kernels still run.
                Throwable cause = e instanceof java.lang.reflect.InvocationTargetException t ? t.getCause() : e;
                return fallBack("the Vector API is not usable here (" + cause + ")");
            }
        }

        private static Kernels fallBack(String why) {
            reason = why;
            System.getLogger("dev.recall.kernels").log(System.Logger.Level.WARNING,
                    "Recall runs its scalar kernels, several times slower than its SIMD ones: " + why);
            return Scalar.KERNELS;
        }
    }
}
