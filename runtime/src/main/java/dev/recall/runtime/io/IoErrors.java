package dev.recall.runtime.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * What went wrong reading or writing a file, in words a user can act on. Java's own messages are often only
 * a path (NoSuchFileException) or a parser's internals (Jackson appends "at [Source: REDACTED
 * (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 11]").
 */
public final class IoErrors {

    private IoErrors() {
    }

    public static String describe(IOException e) {
        return switch (e) {
            case JsonProcessingException j -> {
                JsonLocation at = j.getLocation();
                String what = j.getOriginalMessage().lines().findFirst().orElse("")
                        .replaceAll("\\s*\\(start marker at \\[Source:[^]]*]\\)", "")
                        // Jackson's limit names its own internals: say what it means.
                        .replaceAll("Document nesting depth \\((\\d+)\\) exceeds the maximum allowed \\((\\d+), from .*",
                                "it nests deeper than $2 levels")
                        .strip();
                yield "malformed JSON: " + what
                        + (at == null || at.getLineNr() < 1 ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")");
            }
            case CharacterCodingException c -> "it is not UTF-8 text";
            // The missing path is named: when a file's folder is created, it may be a parent's.
            case NoSuchFileException n -> "no such file or directory" + (n.getFile() == null ? "" : ": " + n.getFile());
            case AccessDeniedException a -> "permission denied";
            case FileAlreadyExistsException f -> f.getFile() + " exists and is not a directory";
            case FileSystemException f when f.getReason() != null -> f.getReason();
            default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        };
    }
}
