package dev.recall.runtime;

/**
 * The project's own error type: a user mistake or a bad file, described in one clear sentence.
 * The CLI prints the message and exits non-zero; it never prints a stack trace for these.
 */
public class RecallException extends RuntimeException {

    public RecallException(String message) {
        super(message);
    }

    public RecallException(String message, Throwable cause) {
        super(message, cause);
    }
}
