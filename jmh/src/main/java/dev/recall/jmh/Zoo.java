package dev.recall.jmh;

import java.nio.file.Path;

/** Where the benchmarks find the trained zoo models: {@code -Drecall.zoo=DIR}, default {@code ../shared/zoo}. */
final class Zoo {

    private Zoo() {
    }

    /** The directory of one zoo model (it may be absent). */
    static Path dir(String family) {
        return Path.of(System.getProperty("recall.zoo", "../shared/zoo")).resolve(family);
    }
}
