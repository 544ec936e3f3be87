package dev.recall.models.griffin;

import dev.recall.runtime.testing.GoldenCheck;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.api.Test;

/** RecurrentGemma against Hugging Face transformers (fp32) reference outputs. */
class RecurrentGemmaGoldenTest {

    /** Window 16 < 48 prompt tokens: the sliding window matters in prefill and decode. */
    @Test
    void narrowWindowMatchesReference() {
        GoldenCheck.checkCase(SharedData.resource("golden/recurrent-gemma"));
    }

    /** Window 64 > 48 tokens: local attention sees the whole prompt. */
    @Test
    void wideWindowMatchesReference() {
        GoldenCheck.checkCase(SharedData.resource("golden/recurrent-gemma-w64"));
    }

    /** The trained BF16 zoo model: 64-token logits. */
    @Test
    void zooModelMatchesReference() {
        GoldenCheck.checkZooLogits(SharedData.zoo().resolve("recurrent-gemma"));
    }
}
