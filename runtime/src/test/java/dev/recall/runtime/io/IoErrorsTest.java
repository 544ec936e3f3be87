package dev.recall.runtime.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IoErrorsTest {

    @Test
    void malformedJsonSaysWhatAndWhereWithoutTheParsersInternals() {
        IOException e = assertThrows(IOException.class, () -> new ObjectMapper().readTree("{\"model\": [\n 1,"));
        String said = IoErrors.describe(e);
        assertTrue(said.startsWith("malformed JSON: Unexpected end-of-input"), said);
        assertTrue(said.endsWith("(line 2, column 4)"), said);
        assertFalse(said.contains("Source") || said.contains("REDACTED"), said);
    }

    @Test
    void fileErrorsAreWords(@TempDir Path dir) {
        assertEquals("it is not UTF-8 text", IoErrors.describe(new MalformedInputException(1)));
        assertEquals("no such file or directory: " + dir.resolve("x"),
                IoErrors.describe(new NoSuchFileException(dir.resolve("x").toString())));
        assertEquals("permission denied", IoErrors.describe(new AccessDeniedException("x")));
        assertEquals("disk full", IoErrors.describe(new IOException("disk full")));
    }
}
