package dev.recall.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class in a second JVM that only interprets ({@code -Xint}), so every Vector API
 * operation there takes its Java fallback, and reads back the bits it wrote with {@link #write}.
 * Tests compare them with the same computation compiled by C2 in the test's own JVM.
 */
final class InterpretedJvm {

    private InterpretedJvm() {
    }

    /** The ints {@code main} wrote, given a file path as its one argument. */
    static int[] run(Class<?> main) throws IOException, InterruptedException {
        Path out = Files.createTempFile("recall-xint", ".bin");
        try {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xint",
                    "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path")));
            command.addAll(vectorOptions());
            command.add(main.getName());
            command.add(out.toString());
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] log = p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(300, TimeUnit.SECONDS), "interpreted run timed out");
            assertEquals(0, p.exitValue(), "interpreted run failed: " + new String(log));
            try (DataInputStream in = new DataInputStream(Files.newInputStream(out))) {
                int[] values = new int[in.readInt()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = in.readInt();
                }
                return values;
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /**
     * The options that decide this JVM's vector width, for a child JVM that must compute with the
     * same lanes: {@code -Drecall.vectorBits} and the JVM's own {@code -XX:UseAVX}, {@code -XX:UseSSE}
     * and {@code -XX:MaxVectorSize} (the tests run on 8 lanes with {@code -XX:UseAVX=2}).
     */
    static List<String> vectorOptions() {
        List<String> options = new ArrayList<>();
        String bits = System.getProperty("recall.vectorBits");
        if (bits != null) {
            options.add("-Drecall.vectorBits=" + bits);
        }
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-XX:UseAVX=") || arg.startsWith("-XX:UseSSE=") || arg.startsWith("-XX:MaxVectorSize=")) {
                options.add(arg);
            }
        }
        return options;
    }

    /** What the child's main writes: the values, for {@link #run} to read. */
    static void write(String path, int[] values) throws IOException {
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(path)))) {
            out.writeInt(values.length);
            for (int v : values) {
                out.writeInt(v);
            }
        }
    }
}
