package dev.recall.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The kernels are chosen once per process, and a JVM without the Vector API module runs the
 * scalar kernels (saying so once) instead of failing on its first matrix product.
 */
class KernelProviderTest {

    @Test
    void theTestJvmGetsTheSimdKernelsOnceAndForAll() {
        Kernels kernels = KernelProvider.get();
        assertSame(kernels, KernelProvider.get());
        assertEquals("vector", kernels.name());
        assertNull(KernelProvider.fallbackReason());
        assertTrue(kernels.describe().startsWith("Vector API, " + VectorLanes.LANES + " x float"), kernels.describe());
        assertEquals("scalar", KernelProvider.scalar().name());
    }

    @Test
    void withoutTheVectorModuleTheScalarKernelsRunAndSaySoOnce() throws Exception {
        Child child = run(List.of());
        assertEquals("scalar", child.fields.get("name"), child.toString());
        assertEquals("true", child.fields.get("same"), child.toString());
        assertTrue(child.fields.get("reason").contains("--add-modules jdk.incubator.vector"), child.toString());
        assertEquals(product(new ScalarKernels()), child.fields.get("product"), "the scalar kernels' bits");
        assertEquals(1, count(child.err, "Recall runs its scalar kernels"), child.err);
        assertFalse(child.err.contains("Exception") || child.err.contains("Error:"), child.err);
    }

    @Test
    void withTheVectorModuleTheSimdKernelsRunSilently() throws Exception {
        Child child = run(List.of("--add-modules", "jdk.incubator.vector"));
        assertEquals("vector", child.fields.get("name"), child.toString());
        assertEquals("null", child.fields.get("reason"), child.toString());
        assertEquals(product(new VectorKernels()), child.fields.get("product"), "the SIMD kernels' bits");
        assertFalse(child.err.contains("Recall"), child.err); // the JVM's own incubator notice only
    }

    @Test
    void scalarKernelsAskedForAreNotReportedAsAFallback() throws Exception {
        Child child = run(List.of("--add-modules", "jdk.incubator.vector", "-Drecall.kernels=scalar"));
        assertEquals("scalar", child.fields.get("name"), child.toString());
        assertEquals("-Drecall.kernels=scalar", child.fields.get("reason"));
        assertFalse(child.err.contains("Recall"), child.err);
    }

    /** What {@link KernelChoice} prints for the product, computed here with the given kernels. */
    private static String product(Kernels kernels) {
        WeightMatrix w = TestMatrices.random(ElementType.BF16, 9, 37, new Random(5));
        float[] x = TestMatrices.gaussian(new Random(6), 37, 1);
        float[] y = new float[9];
        kernels.matvec(w, x, 0, y, 0);
        List<String> bits = new ArrayList<>();
        for (float v : y) {
            bits.add(Integer.toHexString(Float.floatToRawIntBits(v)));
        }
        return String.join(" ", bits);
    }

    private record Child(Map<String, String> fields, String err) {
    }

    private static Child run(List<String> jvmOptions) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(InterpretedJvm.vectorOptions());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), KernelChoice.class.getName()));
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child timed out");
        String errText = new String(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), errText);
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : new String(out, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return new Child(fields, errText);
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
