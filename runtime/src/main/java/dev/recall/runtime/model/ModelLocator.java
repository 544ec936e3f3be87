package dev.recall.runtime.model;

import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.gguf.GgufFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Turns what a user types for a model into a directory: a path as is, or a Hugging Face repository id
 * ({@code org/name}, optionally {@code org/name@revision}) found in the local Hugging Face cache. It
 * never touches the network: a model that is not on disk is an error that says where it looked.
 */
public final class ModelLocator {

    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*(@[A-Za-z0-9._/-]+)?");

    private ModelLocator() {
    }

    /** Resolves against this process's environment and home directory. */
    public static Path resolve(String spec) {
        return resolve(spec, System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * @param env  environment variables consulted for the cache location (HF_HUB_CACHE, HF_HOME,
     *             XDG_CACHE_HOME)
     * @param home the user's home directory (for ~/.cache/huggingface/hub)
     */
    public static Path resolve(String spec, Map<String, String> env, Path home) {
        if (spec == null || spec.isBlank()) {
            throw new RecallException("no model given: pass a model directory or a Hugging Face id like org/name");
        }
        Path asPath = Path.of(spec);
        if (Files.isDirectory(asPath) || Files.isRegularFile(asPath) && GgufFile.looksLikeGguf(asPath)) {
            return asPath;
        }
        if (Files.exists(asPath) || !REPO_ID.matcher(spec).matches()) {
            throw ModelLoader.notADirectory(asPath);
        }
        int at = spec.indexOf('@');
        String repo = at < 0 ? spec : spec.substring(0, at);
        String revision = at < 0 ? "main" : spec.substring(at + 1);
        List<Path> caches = hubCaches(env, home);
        List<String> looked = new ArrayList<>();
        for (Path cache : caches) {
            Path repoDir = cache.resolve("models--" + repo.replace("/", "--"));
            looked.add(repoDir.toString());
            Optional<Path> snapshot = snapshot(repoDir, revision, at >= 0);
            if (snapshot.isPresent()) {
                return snapshot.get();
            }
        }
        throw new RecallException("model '" + spec + "' is neither a directory nor in the local Hugging Face cache"
                + " (looked for " + (at < 0 ? "a snapshot" : "revision " + revision) + " in " + String.join(", ", looked)
                + "); download it first, e.g. with 'hf download " + repo + "'");
    }

    /** The hub cache directories to search, most specific first, without duplicates. */
    static List<Path> hubCaches(Map<String, String> env, Path home) {
        LinkedHashSet<Path> out = new LinkedHashSet<>();
        set(env, "HF_HUB_CACHE").ifPresent(p -> out.add(Path.of(p)));
        set(env, "HF_HOME").ifPresent(p -> out.add(Path.of(p, "hub")));
        set(env, "XDG_CACHE_HOME").ifPresent(p -> out.add(Path.of(p, "huggingface", "hub")));
        out.add(home.resolve(".cache").resolve("huggingface").resolve("hub"));
        return List.copyOf(out);
    }

    private static Optional<String> set(Map<String, String> env, String key) {
        String v = env.get(key);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
    }

    /**
     * The snapshot a revision names: refs/&lt;revision&gt; holds its commit hash, and a commit hash names
     * its snapshot directly. For the default revision without a usable ref, the only or newest snapshot.
     */
    private static Optional<Path> snapshot(Path repoDir, String revision, boolean explicit) {
        Path snapshots = repoDir.resolve("snapshots");
        if (!Files.isDirectory(snapshots)) {
            return Optional.empty();
        }
        Path ref = repoDir.resolve("refs").resolve(revision);
        if (Files.isRegularFile(ref)) {
            try {
                Path named = snapshots.resolve(Files.readString(ref).strip());
                if (Files.isDirectory(named)) {
                    return Optional.of(named);
                }
            } catch (IOException e) {
                throw new RecallException("cannot read " + ref + ": " + e.getMessage());
            }
        }
        Path direct = snapshots.resolve(revision);
        if (!revision.contains("/") && Files.isDirectory(direct)) {
            return Optional.of(direct);
        }
        if (explicit) {
            return Optional.empty();
        }
        try (Stream<Path> all = Files.list(snapshots)) {
            return all.filter(Files::isDirectory).max(Comparator.comparing(ModelLocator::modified));
        } catch (IOException e) {
            throw new RecallException("cannot list " + snapshots + ": " + e.getMessage());
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }
}
