package dev.recall.runtime.testing;

import org.junit.jupiter.api.Assumptions;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/** Locates test data: resources shipped with the tests, and the shared zoo beside the checkout. */
public final class SharedData {

    private SharedData() {
    }

    /** A test resource directory or file, e.g. {@code resource("golden/llama")}. */
    public static Path resource(String name) {
        URL url = SharedData.class.getClassLoader().getResource(name);
        if (url == null) {
            throw new IllegalStateException("test resource missing: " + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The zoo directory from {@code -Drecall.zoo} (default ../shared/zoo). Skips the calling test
     * with a message when it is absent; CI always has it.
     */
    public static Path zoo() {
        String p = System.getProperty("recall.zoo", "../shared/zoo");
        Path zoo = Path.of(p).toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isDirectory(zoo), "zoo not found at " + zoo + " (set -Drecall.zoo); skipping");
        return zoo;
    }

    /** The shared/ directory from {@code -Drecall.shared} (default ../shared), skipping when absent. */
    public static Path shared() {
        String p = System.getProperty("recall.shared", "../shared");
        Path shared = Path.of(p).toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isDirectory(shared), "shared data not found at " + shared + " (set -Drecall.shared); skipping");
        return shared;
    }
}
