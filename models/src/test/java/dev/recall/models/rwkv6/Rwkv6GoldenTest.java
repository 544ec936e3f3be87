package dev.recall.models.rwkv6;

import dev.recall.runtime.testing.GoldenCheck;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.Test;

class Rwkv6GoldenTest {

    @Test
    void goldenCaseMatchesReference() {
        GoldenCheck.checkCase(SharedData.resource("golden/rwkv6"));
    }

    @Test
    void zooModelMatchesReferenceLogits() {
        GoldenCheck.checkZooLogits(SharedData.zoo().resolve("rwkv6"));
    }
}
