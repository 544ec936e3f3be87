package dev.recall.runtime.chat;

import dev.recall.runtime.RecallException;

/**
 * One turn of a conversation as chat templates see it: {@code {role, content}}.
 *
 * @param role    "system", "user", "assistant" (templates decide which roles they accept)
 * @param content the turn's text
 */
public record ChatMessage(String role, String content) {

    public ChatMessage {
        if (role == null || role.isBlank()) {
            throw new RecallException("a chat message needs a role");
        }
        if (content == null) {
            throw new RecallException("the " + role + " message has no content");
        }
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
