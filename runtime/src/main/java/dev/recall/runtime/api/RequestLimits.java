package dev.recall.runtime.api;

import dev.recall.runtime.RecallException;

/**
 * How much one request may ask for. A request past a limit is refused in one sentence before any
 * work is done for it (the prompt text before it is tokenized), and the session it was meant for is
 * left as it was. {@link #DEFAULT} is generous, for the command line and embedding programs; a
 * server sets its own.
 *
 * @param maxPromptChars  characters of prompt text (a rendered chat, or a prompt's parts together)
 * @param maxPromptTokens tokens a request adds to a session's state
 * @param maxNewTokens    tokens a request may ask to generate
 */
public record RequestLimits(int maxPromptChars, int maxPromptTokens, int maxNewTokens) {

    /**
     * 16 Mi characters (a 10 MB prompt tokenizes in seconds with every tokenizer Recall has),
     * 4 Mi prompt tokens, 1 Mi generated tokens.
     */
    public static final RequestLimits DEFAULT = new RequestLimits(1 << 24, 1 << 22, 1 << 20);

    public RequestLimits {
        if (maxPromptChars < 1 || maxPromptTokens < 1 || maxNewTokens < 0) {
            throw new RecallException("request limits must be positive (prompt characters " + maxPromptChars
                    + ", prompt tokens " + maxPromptTokens + ", new tokens " + maxNewTokens + ")");
        }
    }

    /** Refuses prompt text longer than the limit, before it is tokenized. */
    public void checkPromptChars(long chars) {
        if (chars > maxPromptChars) {
            throw new RecallException("the prompt is " + chars + " characters long, more than the limit of "
                    + maxPromptChars);
        }
    }

    /**
     * Refuses a prompt file that cannot be within the limit, before it is read: UTF-8 takes at most
     * four bytes a character.
     */
    public void checkPromptFileBytes(long bytes, String file) {
        if (bytes > 4L * maxPromptChars) {
            throw new RecallException(file + " is " + bytes + " bytes, more than a prompt of at most " + maxPromptChars
                    + " characters can be");
        }
    }

    public void checkPromptTokens(long tokens) {
        if (tokens > maxPromptTokens) {
            throw new RecallException("the prompt is " + tokens + " tokens long, more than the limit of " + maxPromptTokens);
        }
    }

    public void checkNewTokens(long tokens) {
        if (tokens > maxNewTokens) {
            throw new RecallException("the request asks for up to " + tokens + " new tokens, more than the limit of "
                    + maxNewTokens);
        }
    }
}
