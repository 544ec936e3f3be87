package dev.recall.runtime.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.config.ModelConfig;
import dev.recall.runtime.template.Template;
import dev.recall.runtime.template.TemplateException;
import dev.recall.runtime.template.TemplateLimits;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model's chat template: the Jinja program in its {@code tokenizer_config.json} (or
 * {@code chat_template.jinja}) that turns a conversation into the exact prompt text the model was
 * trained on. Rendering follows Hugging Face's {@code apply_chat_template};
 * the template sees {@code messages}, {@code add_generation_prompt} and the special tokens
 * ({@code bos_token}, {@code eos_token}, {@code unk_token}, {@code pad_token}). Templates come from
 * model files and are untrusted: they run in Recall's sandboxed Jinja engine ({@link Template}),
 * bounded by {@link TemplateLimits#DEFAULT}. Immutable and safe to share between threads.
 */
public final class ChatTemplate {

    private static final List<String> SPECIAL_TOKENS = List.of("bos_token", "eos_token", "unk_token", "pad_token");

    private final String template;
    /** The parsed template, or null when it does not parse: the error is then raised on rendering. */
    private final Template parsed;
    private final TemplateException parseError;
    private final Map<String, String> specialTokens;
    private final String source;

    private ChatTemplate(String template, Map<String, String> specialTokens, String source) {
        this.template = template;
        Template t = null;
        TemplateException error = null;
        try {
            t = Template.parse(template);
        } catch (TemplateException e) {
            error = e;
        }
        this.parsed = t;
        this.parseError = error;
        this.specialTokens = Map.copyOf(specialTokens);
        this.source = source;
    }

    /**
     * A template from its text.
     *
     * @param specialTokens e.g. {@code bos_token → "<s>"}; missing ones are undefined in the template
     * @param source        names the template in error messages (e.g. the file it came from)
     */
    public static ChatTemplate of(String template, Map<String, String> specialTokens, String source) {
        if (template == null || template.isBlank()) {
            throw new RecallException("the chat template of " + source + " is empty");
        }
        return new ChatTemplate(template, specialTokens, source);
    }

    /**
     * The chat template of a model directory: {@code chat_template.jinja} if present (newer
     * checkpoints), else {@code tokenizer_config.json}'s {@code chat_template} (a string, or a list of
     * {@code {name, template}} of which "default" is used). Empty when the model has none.
     */
    public static Optional<ChatTemplate> find(Path modelDir) {
        Path configFile = dev.recall.runtime.io.ModelFiles.file(modelDir, "tokenizer_config.json");
        ModelConfig config = Files.isRegularFile(configFile) ? ModelConfig.read(configFile) : null;
        Map<String, String> specials = config == null ? Map.of() : specialTokens(config);
        Path jinjaFile = dev.recall.runtime.io.ModelFiles.file(modelDir, "chat_template.jinja");
        if (Files.isRegularFile(jinjaFile)) {
            try {
                return Optional.of(of(Files.readString(jinjaFile), specials, jinjaFile.toString()));
            } catch (IOException e) {
                throw new RecallException("cannot read " + jinjaFile + ": " + e.getMessage());
            }
        }
        if (config == null || !config.has("chat_template")) {
            return Optional.empty();
        }
        return Optional.of(of(templateText(config), specials, configFile.toString()));
    }

    private static String templateText(ModelConfig config) {
        JsonNode node = config.node("chat_template");
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isArray()) {
            List<String> names = new ArrayList<>();
            for (JsonNode entry : node) {
                String name = entry.path("name").asText("");
                names.add(name);
                if (name.equals("default") && entry.path("template").isTextual()) {
                    return entry.get("template").asText();
                }
            }
            throw new RecallException(config.source() + " has chat templates " + names
                    + " but none named 'default'");
        }
        throw new RecallException(config.source() + ": field 'chat_template' should be a string or a list of "
                + "{name, template}, found " + node);
    }

    /** Special tokens as strings; tokenizer_config.json stores each as a string or {content: ...}. */
    static Map<String, String> specialTokens(ModelConfig config) {
        Map<String, String> out = new HashMap<>();
        for (String key : SPECIAL_TOKENS) {
            JsonNode n = config.node(key);
            if (n.isTextual()) {
                out.put(key, n.asText());
            } else if (n.isObject() && n.path("content").isTextual()) {
                out.put(key, n.get("content").asText());
            }
        }
        return out;
    }

    /**
     * The prompt text of a conversation.
     *
     * @param addGenerationPrompt end with the header that opens the assistant's reply
     * @throws RecallException when the template raises (e.g. roles do not alternate) or fails,
     *                         in one line naming the template and the line
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("role", m.role());
            entry.put("content", m.content());
            list.add(entry);
        }
        Map<String, Object> variables = new HashMap<>(specialTokens);
        variables.put("messages", list);
        variables.put("add_generation_prompt", addGenerationPrompt);
        return render(variables);
    }

    /**
     * Renders with any variables (e.g. {@code tools}, {@code documents} besides {@code messages}):
     * plain text, numbers, booleans, null, lists and maps. The special tokens are added unless given.
     *
     * @throws RecallException when the template raises or fails, in one line
     */
    public String render(Map<String, ?> variables) {
        if (parseError != null) {
            throw failure(parseError);
        }
        Map<String, Object> all = new HashMap<>(specialTokens);
        all.putAll(variables);
        try {
            return parsed.render(all, TemplateLimits.DEFAULT);
        } catch (TemplateException e) {
            throw failure(e);
        } catch (RuntimeException e) {
            // A defect of the engine, not of the template: still one sentence for the user.
            throw new RecallException("the chat template of " + source + " could not be rendered: "
                    + TemplateException.oneLine(e.toString()), e);
        }
    }

    private RecallException failure(TemplateException e) {
        // The source is usually a path: keep its end, where the file name is.
        String name = source.length() <= 80 ? source : "…" + source.substring(source.length() - 79);
        if (e.raisedByTemplate()) {
            return new RecallException("the chat template of " + name + " refused the conversation: " + e.getMessage());
        }
        String where = e.line() > 0 ? " at line " + e.line() : "";
        return new RecallException("the chat template of " + name + " failed" + where + ": " + e.getMessage());
    }

    /** The template text as the model ships it. */
    public String template() {
        return template;
    }

    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    public String source() {
        return source;
    }
}
