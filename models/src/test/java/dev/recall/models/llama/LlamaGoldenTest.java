package dev.recall.models.llama;

import dev.recall.runtime.testing.GoldenCheck;
import dev.recall.runtime.testing.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Logits and greedy decoding against Hugging Face transformers (fp32) for every Llama-layout case. */
class LlamaGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama-bf16", "llama3-rope", "qwen2"})
    void matchesTransformers(String goldenCase) {
        GoldenCheck.checkCase(SharedData.resource("golden/" + goldenCase));
    }

    @Test
    void trainedZooModelMatchesTransformers() {
        GoldenCheck.checkZooLogits(SharedData.zoo().resolve("llama"));
    }
}
