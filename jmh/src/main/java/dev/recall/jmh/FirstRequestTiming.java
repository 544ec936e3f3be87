package dev.recall.jmh;

import dev.recall.runtime.api.GenerateOptions;
import dev.recall.runtime.api.LoadedModel;
import dev.recall.runtime.api.Recall;
import dev.recall.runtime.generate.GenerationResult;
import dev.recall.runtime.generate.TokenListener;
import dev.recall.runtime.strategy.Prompt;

import java.nio.file.Path;

/**
 * The first request of a fresh JVM (a 128-token prompt and 16 greedy tokens), with or without
 * {@link LoadedModel#warmUp()} before it (docs/performance.md).
 * {@code java --add-modules jdk.incubator.vector -cp jmh/target/benchmarks.jar dev.recall.jmh.FirstRequestTiming MODEL_DIR cold|warm}
 */
public final class FirstRequestTiming {

    private FirstRequestTiming() {
    }

    public static void main(String[] args) {
        boolean warm = args[1].equals("warm");
        try (LoadedModel m = Recall.load(Path.of(args[0]))) {
            long t0 = System.nanoTime();
            if (warm) {
                m.warmUp();
            }
            long t1 = System.nanoTime();
            int[] ids = new int[128];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = (7 * i + 3) % m.info().vocabSize();
            }
            long t2 = System.nanoTime();
            GenerationResult r = m.session().generate(Prompt.plain(ids), GenerateOptions.greedy(16), TokenListener.NONE);
            long t3 = System.nanoTime();
            System.out.printf("%s: warm-up %.2f s, first request %.2f s (%d tokens)%n", args[1], (t1 - t0) / 1e9,
                    (t3 - t2) / 1e9, r.ids().length);
        }
    }
}
