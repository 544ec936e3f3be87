package dev.recall.models.mamba;

import dev.recall.runtime.testing.GoldenCheck;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.Test;

/** Mamba and FalconMamba against Hugging Face transformers (fp32) and the trained zoo model. */
class MambaGoldenTest {

    @Test
    void mambaMatchesTransformers() {
        GoldenCheck.checkCase(SharedData.resource("golden/mamba"));
    }

    @Test
    void falconMambaMatchesTransformers() {
        GoldenCheck.checkCase(SharedData.resource("golden/falcon-mamba"));
    }

    @Test
    void zooMambaMatchesItsReferenceLogits() {
        GoldenCheck.checkZooLogits(SharedData.zoo().resolve("mamba"));
    }
}
