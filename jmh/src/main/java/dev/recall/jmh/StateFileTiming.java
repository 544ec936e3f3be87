package dev.recall.jmh;

import dev.recall.runtime.api.GenerateOptions;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.api.Recall;
import dev.recall.runtime.api.Session;
import dev.recall.runtime.generate.GenerationResult;
import dev.recall.runtime.generate.TokenListener;
import dev.recall.runtime.strategy.Prompt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reading a context once and saving it, against restoring the saved state: prefill time, save time,
 * restore time, file size, and whether a question gets the same answer both ways (docs/performance.md).
 * {@code java --add-modules jdk.incubator.vector -cp jmh/target/benchmarks.jar dev.recall.jmh.StateFileTiming MODEL_DIR TOKENS}
 */
public final class StateFileTiming {

    private StateFileTiming() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        int n = Integer.parseInt(args[1]);
        Path file = Files.createTempFile("recall-state-timing", ".state");
        try (LoadedModel m = Recall.load(dir)) {
            m.warmUp();
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = (31 * i + 7) % m.info().vocabSize();
            }
            int[] question = {11, 12, 13, 14};
            long t0 = System.nanoTime();
            Session s = m.session();
            s.generate(Prompt.plain(ids), GenerateOptions.greedy(0), TokenListener.NONE);
            long t1 = System.nanoTime();
            s.save(file);
            long t2 = System.nanoTime();
            GenerationResult direct = s.generate(Prompt.plain(question), GenerateOptions.greedy(8), TokenListener.NONE);
            long t3 = System.nanoTime();
            Session r = m.restore(file);
            long t4 = System.nanoTime();
            GenerationResult restored = r.generate(Prompt.plain(question), GenerateOptions.greedy(8), TokenListener.NONE);
            System.out.printf("%s %d tokens: prefill %.2f s, save %.3f s, restore %.3f s, file %.1f MB, same answer %b%n",
                    dir.getFileName(), n, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t4 - t3) / 1e9, Files.size(file) / 1e6,
                    Arrays.equals(direct.ids(), restored.ids()));
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
