package dev.recall.runtime.chat;

import dev.recall.runtime.RecallException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenerationDefaultsTest {

    @Test
    void readsEverySettingAndAListOfEosIds(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"eos_token_id\": 2}");
        Files.writeString(dir.resolve("generation_config.json"), """
                {"do_sample": true, "temperature": 0.6, "top_p": 0.9, "top_k": 20, "repetition_penalty": 1.05,
                 "max_new_tokens": 512, "eos_token_id": [128001, 128009]}""");
        GenerationDefaults d = GenerationDefaults.read(dir);
        assertEquals(new GenerationDefaults(true, 0.6, 0.9, 20, 1.05, 512, List.of(128001, 128009)), d);
        assertEquals(0.6, d.effectiveTemperature());
    }

    @Test
    void absentFieldsTakeHuggingFaceDefaultsAndEosComesFromConfig(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"eos_token_id\": 7}");
        Files.writeString(dir.resolve("generation_config.json"), "{\"temperature\": 0.7}");
        GenerationDefaults d = GenerationDefaults.read(dir);
        assertEquals(new GenerationDefaults(false, 0.7, 1.0, 50, 1.0, 0, List.of(7)), d);
        // do_sample defaults to false: Hugging Face decodes greedily whatever the temperature says.
        assertEquals(0.0, d.effectiveTemperature());
    }

    @Test
    void noGenerationConfigAtAll(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"eos_token_id\": [1, 2]}");
        assertEquals(GenerationDefaults.huggingFace(List.of(1, 2)), GenerationDefaults.read(dir));
    }

    @Test
    void badValuesAreNamed(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("generation_config.json"), "{\"top_p\": 1.5}");
        RecallException e = assertThrows(RecallException.class, () -> GenerationDefaults.read(dir));
        assertTrue(e.getMessage().contains("top_p 1.5"), e.getMessage());
        Files.writeString(dir.resolve("generation_config.json"), "{\"top_k\": \"many\"}");
        e = assertThrows(RecallException.class, () -> GenerationDefaults.read(dir));
        assertTrue(e.getMessage().contains("'top_k' should be an integer"), e.getMessage());
    }
}
