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
    static final ChatTemplate PLAIN = ChatTemplate.of("""
            {% for message in messages %}
            {{ message.role | capitalize }}: {{ message.content.strip() }}
            {% endfor %}
            {% if add_generation_prompt %}Assistant:{% endif %}
            """, Map.of(), "the plain User/Assistant format");

    /** Where a plain-format reply ends: the model starting the user's next turn. */
    static final List<String> PLAIN_STOPS = List.of("\nUser:");

    private final LoadedModel model;
    private final Session session;
    private final ChatTemplate template;
    private final boolean fallback;
    private final List<ChatMessage> messages = new ArrayList<>();
    private final List<Integer> turnEnds;

    Chat(LoadedModel model) {
        this.model = model;
        this.session = model.session();
        ChatTemplate own = model.chatTemplate().orElse(null);
        this.fallback = own == null;
        this.template = fallback ? PLAIN : own;
        // The template's EOS (e.g. <|im_end|>, <|eot_id|>) ends a turn even when the checkpoint's
        // eos_token_id names another id.
        List<Integer> ends = new ArrayList<>(model.eosTokenIds());
        String eos = template.specialTokens().get("eos_token");
        if (eos != null) {
            OptionalInt id = model.tokenizer().tokenToId(eos);
            if (id.isPresent() && !ends.contains(id.getAsInt())) {
                ends.add(id.getAsInt());
            }
        }
        this.turnEnds = List.copyOf(ends);
    }

    /** True when the model has no chat template and the plain User/Assistant format is used. */
    public boolean usesFallbackFormat() {
        return fallback;
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
        String prompt = template.render(turns, true);
        options.limits().checkPromptChars(prompt.length());
        // Templates write their special tokens (BOS included) as text, so none are added here; the
        // plain format has none of its own and takes the tokenizer's.
        int[] ids = fallback ? model.tokenizer().encodeWithSpecialTokens(prompt) : model.tokenizer().encode(prompt);
        GenerateOptions turn = options.withStopStrings(stops(options));
        GenerationResult result = session.generateTranscript(ids, turn,
                onText == null ? TokenListener.NONE : onText::accept, turnEnds);
        String reply = result.text().strip();
        messages.clear();
        messages.addAll(turns);
        messages.add(ChatMessage.assistant(reply));
        return new GenerationResult(result.ids(), reply, result.stopReason(), ids.length,
                result.prefillNanos(), result.decodeNanos(), result.diagnostics(), result.logprobs());
    }

    private List<String> stops(GenerateOptions options) {
        if (!fallback) {
            return options.stopStrings();
        }
        List<String> all = new ArrayList<>(options.stopStrings());
        all.addAll(PLAIN_STOPS);
        return all;
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
