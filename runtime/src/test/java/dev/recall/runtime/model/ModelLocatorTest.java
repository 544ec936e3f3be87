package dev.recall.runtime.model;

import dev.recall.runtime.RecallException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A fake Hugging Face cache built in a temporary directory; the environment is injected. */
class ModelLocatorTest {

    @TempDir
    Path root;

    private Path home() {
        return root.resolve("home");
    }

    /** Creates models--org--name/snapshots/&lt;hash&gt; (with a config.json) under a hub cache. */
    private static Path snapshot(Path hub, String repo, String hash) throws IOException {
        Path dir = hub.resolve("models--" + repo.replace("/", "--")).resolve("snapshots").resolve(hash);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{}");
        return dir;
    }

    private static void ref(Path hub, String repo, String name, String hash) throws IOException {
        Path refs = hub.resolve("models--" + repo.replace("/", "--")).resolve("refs");
        Files.createDirectories(refs);
        Files.writeString(refs.resolve(name), hash + "\n");
    }

    @Test
    void anExistingDirectoryIsItself() throws IOException {
        Path dir = Files.createDirectories(root.resolve("org/name"));
        assertEquals(dir, ModelLocator.resolve(dir.toString(), Map.of(), home()));
    }

    @Test
    void refsMainNamesTheSnapshot() throws IOException {
        Path hub = home().resolve(".cache/huggingface/hub");
        Path old = snapshot(hub, "org/model", "aaa111");
        Path current = snapshot(hub, "org/model", "bbb222");
        Files.setLastModifiedTime(old, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        ref(hub, "org/model", "main", "bbb222");
        assertEquals(current, ModelLocator.resolve("org/model", Map.of(), home()));
    }

    @Test
    void withoutARefTheNewestSnapshotIsUsed() throws IOException {
        Path hub = home().resolve(".cache/huggingface/hub");
        Path older = snapshot(hub, "org/model", "aaa111");
        Path newer = snapshot(hub, "org/model", "bbb222");
        Files.setLastModifiedTime(older, FileTime.fromMillis(1_000_000));
        Files.setLastModifiedTime(newer, FileTime.fromMillis(2_000_000));
        assertEquals(newer, ModelLocator.resolve("org/model", Map.of(), home()));
    }

    @Test
    void explicitRevisionByRefOrHash() throws IOException {
        Path hub = home().resolve(".cache/huggingface/hub");
        Path a = snapshot(hub, "org/model", "aaa111");
        Path b = snapshot(hub, "org/model", "bbb222");
        ref(hub, "org/model", "main", "bbb222");
        ref(hub, "org/model", "v1", "aaa111");
        assertEquals(a, ModelLocator.resolve("org/model@v1", Map.of(), home()));
        assertEquals(b, ModelLocator.resolve("org/model@bbb222", Map.of(), home()));
        RecallException e = assertThrows(RecallException.class,
                () -> ModelLocator.resolve("org/model@v2", Map.of(), home()));
        assertTrue(e.getMessage().contains("revision v2"), e.getMessage());
    }

    @Test
    void environmentChoosesTheCache() throws IOException {
        Path hubCache = root.resolve("hub-cache");
        Path hfHome = root.resolve("hf-home");
        Path inHubCache = snapshot(hubCache, "org/a", "h1");
        Path inHfHome = snapshot(hfHome.resolve("hub"), "org/b", "h2");
        Map<String, String> env = Map.of("HF_HUB_CACHE", hubCache.toString(), "HF_HOME", hfHome.toString());
        assertEquals(inHubCache, ModelLocator.resolve("org/a", env, home()));
        // HF_HUB_CACHE comes first, but a repository it lacks is still found under HF_HOME.
        assertEquals(inHfHome, ModelLocator.resolve("org/b", env, home()));
        assertEquals(List.of(hubCache, hfHome.resolve("hub"), home().resolve(".cache/huggingface/hub")),
                ModelLocator.hubCaches(env, home()));
    }

    @Test
    void notFoundSaysWhereItLooked() {
        Map<String, String> env = Map.of("HF_HOME", root.resolve("hf").toString());
        RecallException e = assertThrows(RecallException.class, () -> ModelLocator.resolve("org/missing", env, home()));
        assertTrue(e.getMessage().contains(root.resolve("hf/hub/models--org--missing").toString()), e.getMessage());
        assertTrue(e.getMessage().contains(home().resolve(".cache/huggingface/hub/models--org--missing").toString()),
                e.getMessage());
    }

    @Test
    void aMissingPathThatIsNoRepositoryId() {
        RecallException e = assertThrows(RecallException.class,
                () -> ModelLocator.resolve(root.resolve("nope/deeper/dir").toString(), Map.of(), home()));
        assertTrue(e.getMessage().startsWith("model directory not found"), e.getMessage());
    }
}
