package dev.recall.runtime;

import java.util.List;

/**
 * The project's own error type: a user mistake or a bad file, described in one clear sentence.
 * The CLI prints the message and exits non-zero; it never prints a stack trace for these.
 *
 * <p>Messages are worded for the API. An error about settings names them in {@link #options()}
 * (the API's names: {@code chunk}, {@code trainLength}, ...), so that a front end can add its own
 * words for them: the CLI appends its flags.
 */
public class RecallException extends RuntimeException {

    private List<String> options = List.of();

    public RecallException(String message) {
        super(message);
    }

    public RecallException(String message, Throwable cause) {
        super(message, cause);
    }

    /** This exception, naming the settings (API names) that would fix it. */
    public RecallException naming(String... settings) {
        this.options = List.of(settings);
        return this;
    }

    /** The settings this error is about (API names), for a front end to name in its own terms; often none. */
    public List<String> options() {
        return options;
    }
}
