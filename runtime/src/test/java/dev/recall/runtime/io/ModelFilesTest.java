package dev.recall.runtime.io;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.tokenizer.Tokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Files a model names stay inside it: links are followed only within the directory or its cache repository. */
class ModelFilesTest {

    @TempDir
    Path tmp;

    @Test
    void aLinkOutOfTheModelIsRefusedNamingTheFile() throws Exception {
        Path model = Files.createDirectories(tmp.resolve("model"));
        Path secret = Files.writeString(tmp.resolve("secret.txt"), "{% raw %}private{% endraw %}");
        Files.createSymbolicLink(model.resolve("chat_template.jinja"), secret);
        RecallException e = assertThrows(RecallException.class, () -> ModelFiles.file(model, "chat_template.jinja"));
        assertTrue(e.getMessage().contains("chat_template.jinja") && e.getMessage().contains("outside the model directory"),
                e.getMessage());
        assertThrows(RecallException.class, () -> ModelFiles.file(model, "../secret.txt"));
        // The tokenizer loader goes through the same check.
        Files.createSymbolicLink(model.resolve("tokenizer.json"), secret);
        assertThrows(RecallException.class, () -> Tokenizers.load(model));
    }

    @Test
    void linksInsideTheModelAndIntoItsCacheBlobsAreFollowed() throws Exception {
        Path model = Files.createDirectories(tmp.resolve("model"));
        Path real = Files.writeString(model.resolve("real-config.json"), "{}");
        Files.createSymbolicLink(model.resolve("config.json"), real);
        assertEquals(model.resolve("config.json"), ModelFiles.file(model, "config.json"));

        Path repo = tmp.resolve("hub/models--org--name");
        Path blob = Files.writeString(Files.createDirectories(repo.resolve("blobs")).resolve("abc123"), "{}");
        Path snapshot = Files.createDirectories(repo.resolve("snapshots/0123abcd"));
        Files.createSymbolicLink(snapshot.resolve("config.json"), snapshot.relativize(blob));
        assertEquals(snapshot.resolve("config.json"), ModelFiles.file(snapshot, "config.json"));
        // Elsewhere in the cache is not the model's.
        Path other = Files.writeString(Files.createDirectories(repo.resolve("refs")).resolve("main"), "x");
        Files.createSymbolicLink(snapshot.resolve("tokenizer.json"), other);
        assertThrows(RecallException.class, () -> ModelFiles.file(snapshot, "tokenizer.json"));
        // Absent files come back as they are, for the caller's own message.
        assertEquals(model.resolve("missing.json"), ModelFiles.file(model, "missing.json"));
    }
}
