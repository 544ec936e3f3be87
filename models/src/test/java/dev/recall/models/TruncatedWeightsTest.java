package dev.recall.models;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.api.GenerateOptions;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.api.Recall;
import dev.recall.runtime.api.Session;
import dev.recall.runtime.generate.TokenListener;
import dev.recall.runtime.strategy.Prompt;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A weights file truncated after the model loaded: the request fails in one sentence and the JVM
 * lives on. Run in a child JVM in interpreted mode: where the read lands in C2-compiled vector code
 * the fault cannot be caught and the process ends (docs/security.md), which in this test JVM, warm
 * from the other tests, it would.
 */
class TruncatedWeightsTest {

    @TempDir
    Path tmp;

    @Test
    void truncatedAfterLoadingIsOneSentenceForTheRequest() throws Exception {
        Path source = SharedData.resource("golden/mamba");
        Path dir = Files.createDirectories(tmp.resolve("mamba"));
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(source.resolve(f), dir.resolve(f));
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(List.of(java, "--add-modules", "jdk.incubator.vector", "-Xint",
                "-cp", System.getProperty("java.class.path"), Child.class.getName(), dir.toString()))
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("refused: the weights of mamba can no longer be read"), out);
    }

    /** Loads, truncates the weights, generates; prints how the request ended. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            try (LoadedModel model = Recall.load(dir)) {
                Session session = model.session();
                try (FileChannel ch = FileChannel.open(dir.resolve("model.safetensors"), StandardOpenOption.WRITE)) {
                    ch.truncate(ch.size() / 4);
                }
                try {
                    session.generate(Prompt.plain(new int[] {1, 2, 3}), GenerateOptions.greedy(4), TokenListener.NONE);
                    System.out.println("generated from a truncated file");
                } catch (RecallException e) {
                    System.out.println("refused: " + e.getMessage());
                }
            }
        }
    }
}
