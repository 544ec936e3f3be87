package dev.recall.runtime.io;

import dev.recall.runtime.RecallException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The files of a model directory, kept inside it: a file Recall reads for a model (config,
 * weights, shards an index names, tokenizer, template) must resolve, symbolic links followed, to a
 * place inside the model directory, or inside the Hugging Face cache repository the directory is a
 * snapshot of ({@code models--org--name/snapshots/REV/x → ../../blobs/HASH}). Anything else — a
 * link to {@code /etc/passwd}, a {@code ../} in a shard name — is refused, naming the file, so a
 * downloaded model cannot make Recall read (and show) files from elsewhere on the machine.
 */
public final class ModelFiles {

    private ModelFiles() {
    }

    /**
     * {@code dir/name}, after checking that it stays inside the model; a file that does not exist
     * is returned as it is (callers test for it).
     */
    public static Path file(Path dir, String name) {
        Path p = dir.resolve(name).normalize();
        if (!p.startsWith(dir.normalize())) {
            throw new RecallException("the model names a file outside its directory: " + name);
        }
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return p;
        }
        Path real;
        Path root;
        try {
            real = p.toRealPath();
            root = dir.toRealPath();
        } catch (IOException e) {
            // A dangling link: nothing to read, and the caller's own check reports it missing.
            return p;
        }
        if (real.startsWith(root)) {
            return p;
        }
        Path repository = cacheRepository(root);
        if (repository != null && real.startsWith(repository.resolve("blobs"))) {
            return p;
        }
        throw new RecallException("the model file " + p + " links to " + real
                + ", outside the model directory; Recall reads model files only from inside it");
    }

    /** The Hugging Face cache repository a snapshot directory belongs to ({@code models--*}), or null. */
    private static Path cacheRepository(Path snapshot) {
        Path snapshots = snapshot.getParent();
        Path repository = snapshots == null ? null : snapshots.getParent();
        if (repository == null || !snapshots.getFileName().toString().equals("snapshots")
                || !repository.getFileName().toString().startsWith("models--")) {
            return null;
        }
        return repository;
    }
}
