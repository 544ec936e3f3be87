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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A weights file truncated after the model loaded: the request fails in one sentence, the JVM lives on. */
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
        try (LoadedModel model = Recall.load(dir)) {
            Session session = model.session();
            try (FileChannel ch = FileChannel.open(dir.resolve("model.safetensors"), StandardOpenOption.WRITE)) {
                ch.truncate(ch.size() / 4);
            }
            RecallException e = assertThrows(RecallException.class,
                    () -> session.generate(Prompt.plain(new int[] {1, 2, 3}), GenerateOptions.greedy(4), TokenListener.NONE));
            assertTrue(e.getMessage().contains("can no longer be read") && !e.getMessage().contains("\n"), e.getMessage());
        }
    }
}
