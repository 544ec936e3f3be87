package dev.recall.runtime.api;

import dev.recall.runtime.chat.ChatMessage;
import dev.recall.runtime.chat.ChatTemplate;
import dev.recall.runtime.generate.GenerationResult;
import dev.recall.runtime.generate.TokenListener;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Consumer;

/**
 * A multi-turn chat: the conversation as messages, rendered by the model's chat template each turn
 * and continued on one {@link Session} (only the new part of the prompt is fed while the rendered
 * conversation still begins with everything the session has seen). A model without a template is
 * spoken to in a plain "User: …\nAssistant:" format ({@link #usesFallbackFormat()}).
 */
public final class Chat {

    /** The format for models without a chat template. */
    static final ChatTemplate PLAIN = ChatPrompt.PLAIN;

    /** Where a plain-format reply ends: the model starting the user's next turn. */
    static final List<String> PLAIN_STOPS = ChatPrompt.PLAIN_STOPS;

    private final Session session;
    private final ChatPrompt prompt;
    private final List<ChatMessage> messages = new ArrayList<>();

    Chat(LoadedModel model) {
        this.session = model.session();
        this.prompt = ChatPrompt.of(model);
    }

    /** True when the model has no chat template and the plain User/Assistant format is used. */
    public boolean usesFallbackFormat() {
        return prompt.usesFallbackFormat();
    }

    /** Sets (or replaces) the system message that opens the conversation. */
    public void system(String content) {
        if (!messages.isEmpty() && messages.getFirst().role().equals("system")) {
            messages.set(0, ChatMessage.system(content));
        } else {
            messages.addFirst(ChatMessage.system(content));
        }
    }

    /**
     * Sends a user message and returns the assistant's reply, streaming its text to onText. If the
     * template refuses the conversation, the message is not kept.
     */
    public String send(String userMessage, GenerateOptions options, Consumer<String> onText) {
        return respond(userMessage, options, onText).text();
    }

    /**
     * {@link #send}, returning the whole result: the reply (as {@code send} returns it, without
     * surrounding white space), why generation stopped, the token counts and the timings.
     */
    public GenerationResult respond(String userMessage, GenerateOptions options, Consumer<String> onText) {
        List<ChatMessage> next = new ArrayList<>(messages);
        next.add(ChatMessage.user(userMessage));
        return complete(next, options, onText);
    }

    /**
     * The assistant's reply to a whole conversation (system, user and assistant turns, as the
     * template expects), the way an OpenAI-style request brings it: afterwards this chat's
     * messages are exactly these plus the reply. Only what the session has not seen is computed
     * when the rendered conversation begins with everything it has (a client re-sending the
     * conversation each turn); otherwise the session starts over. The result's prompt tokens are
     * those of the whole rendered conversation, as usage counts them. If the template refuses the
     * conversation or generation fails, the chat's messages stay as they were.
     */
    public GenerationResult complete(List<ChatMessage> conversation, GenerateOptions options, Consumer<String> onText) {
        List<ChatMessage> turns = List.copyOf(conversation);
        int[] ids = prompt.encode(turns, options.limits());
        GenerateOptions turn = options.withStopStrings(prompt.stopStrings(options.stopStrings()));
        GenerationResult result = session.generateTranscript(ids, turn,
                onText == null ? TokenListener.NONE : onText::accept, prompt.turnEnds());
        String reply = result.text().strip();
        messages.clear();
        messages.addAll(turns);
        messages.add(ChatMessage.assistant(reply));
        return new GenerationResult(result.ids(), reply, result.stopReason(), ids.length,
                result.prefillNanos(), result.decodeNanos(), result.diagnostics(), result.logprobs());
    }

    /** Forgets the conversation (the system message too). */
    public void reset() {
        messages.clear();
        session.reset();
    }

    /** The conversation so far. */
    public List<ChatMessage> messages() {
        return List.copyOf(messages);
    }

    /** The session the chat runs on (for snapshots). */
    public Session session() {
        return session;
    }
}
