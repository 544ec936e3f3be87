package dev.recall.runtime.generate;

/** Why generation ended. */
public enum StopReason {
    /** An end-of-sequence token was generated. */
    EOS,
    /** A stop string appeared in the text. */
    STOP_STRING,
    /** The token limit was reached (including a limit of 0). */
    MAX_TOKENS,
    /** The caller cancelled ({@link Cancellation}) or interrupted the generating thread. */
    CANCELLED
}
