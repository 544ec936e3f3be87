package dev.recall.examples;

import dev.recall.runtime.testing.GoldenCheck;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the example of docs/embedding.md on the demo model and checks what it prints. */
class EmbeddingExampleTest {

    /** The cli module's tests run in cli/; the demo model and the docs are beside it. */
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path MODEL = ROOT.resolve("models/zoo-mamba");

    private static String runExample() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            EmbeddingExample.run(MODEL.toString(), out);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static final List<String> LABELS =
            List.of("continuation", "after snapshot", "after restore", "sampled", "scored", "cancelled", "chat format",
                    "reply");

    /** The example's "label:value" fields; generated values may span lines. */
    private static Map<String, String> fields(String output) {
        Map<String, String> out = new LinkedHashMap<>();
        String current = null;
        for (String line : output.split("\n", -1)) {
            int colon = line.indexOf(':');
            String label = colon < 0 ? null : line.substring(0, colon);
            if (label != null && LABELS.contains(label) && !out.containsKey(label)) {
                current = label;
                out.put(label, line.substring(colon + 1));
            } else if (current != null) {
                out.put(current, out.get(current) + "\n" + line);
            }
        }
        // The last field ends with the final println's newline.
        out.computeIfPresent("reply", (k, v) -> v.endsWith("\n") ? v.substring(0, v.length() - 1) : v);
        return out;
    }

    @Test
    void theDocumentedExampleRunsAndIsReproducible() {
        String output = runExample();
        Map<String, String> f = fields(output);
        assertEquals(LABELS, List.copyOf(f.keySet()), output);
        // Greedy decoding through the API equals argmax decoding straight on the model.
        assertEquals(GoldenCheck.greedyText(MODEL, "The pass key is", 16), f.get("continuation"));
        assertFalse(f.get("continuation").isBlank());
        // Restoring the snapshot reproduces the continuation.
        assertEquals(f.get("after snapshot"), f.get("after restore"));
        assertFalse(f.get("after snapshot").isEmpty());
        assertEquals("plain", f.get("chat format"));
        assertTrue(f.get("scored").startsWith("4 tokens, stopped by MAX_TOKENS, first token logprob -"), f.get("scored"));
        assertEquals("3 tokens, CANCELLED", f.get("cancelled"));
        // Everything, the seeded sample included, is the same on a second run.
        assertEquals(output, runExample());
    }

    /**
     * A JVM started with none of the options docs/embedding.md recommends (no --add-modules
     * jdk.incubator.vector, no --enable-native-access) runs the example on the scalar kernels,
     * prints the same text, and says once on stderr why it is slower.
     */
    @Test
    void theExampleRunsWithoutTheVectorModuleAndPrintsTheSameText() throws Exception {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), EmbeddingExample.class.getName(), MODEL.toString());
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the example timed out");
        assertEquals(0, p.exitValue(), err);
        assertEquals(runExample(), new String(out, StandardCharsets.UTF_8));
        assertEquals(1, err.split("Recall runs its scalar kernels", -1).length - 1, err);
        assertTrue(err.contains("--add-modules jdk.incubator.vector"), err);
    }

    @Test
    void theDocsShowExactlyTheExampleSource() throws IOException {
        String doc = Files.readString(ROOT.resolve("docs/embedding.md"));
        String source = Files.readString(Path.of("src/test/java/dev/recall/examples/EmbeddingExample.java"));
        int start = doc.indexOf("```java\npackage dev.recall.examples;", doc.indexOf("## The complete example"));
        assertTrue(start >= 0, "docs/embedding.md should show EmbeddingExample.java");
        int from = doc.indexOf('\n', start) + 1;
        assertEquals(source, doc.substring(from, doc.indexOf("```", from)));
    }

}
