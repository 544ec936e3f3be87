package dev.recall.runtime.api;

import dev.recall.runtime.chat.ChatMessage;
import dev.recall.runtime.chat.ChatTemplate;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * How a model turns a conversation into prompt tokens, and what ends its reply: its chat template
 * (or the plain "User: …\nAssistant:" format when it has none), the template's end-of-turn ids, and
 * the stop text of the plain format. Shared by {@link Chat} and servers, which decode without a
 * {@link Session}. Immutable.
 */
public final class ChatPrompt {

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
    private final ChatTemplate template;
    private final boolean fallback;
    private final List<Integer> turnEnds;

    private ChatPrompt(LoadedModel model) {
        this.model = model;
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

    public static ChatPrompt of(LoadedModel model) {
        return new ChatPrompt(model);
    }

    /** True when the model has no chat template and the plain User/Assistant format is used. */
    public boolean usesFallbackFormat() {
        return fallback;
    }

    /** The rendered conversation, ending with the header that opens the assistant's reply. */
    public String render(List<ChatMessage> conversation) {
        return template.render(conversation, true);
    }

    /**
     * The prompt tokens of a conversation: rendered, checked against the limits, tokenized.
     * Templates write their special tokens (BOS included) as text, so none are added; the plain
     * format has none of its own and takes the tokenizer's.
     */
    public int[] encode(List<ChatMessage> conversation, RequestLimits limits) {
        String prompt = render(conversation);
        limits.checkPromptChars(prompt.length());
        return fallback ? model.tokenizer().encodeWithSpecialTokens(prompt) : model.tokenizer().encode(prompt);
    }

    /** Ids that end a reply: the model's EOS ids and the template's end of turn. */
    public List<Integer> turnEnds() {
        return turnEnds;
    }

    /** The request's stop strings, with the plain format's own when it is used. */
    public List<String> stopStrings(List<String> requested) {
        if (!fallback) {
            return requested;
        }
        List<String> all = new ArrayList<>(requested);
        all.addAll(PLAIN_STOPS);
        return all;
    }
}
