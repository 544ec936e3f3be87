package dev.recall.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recall.runtime.RecallException;
import dev.recall.runtime.io.IoErrors;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer.Form;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.zip.GZIPInputStream;

/** Builds an {@link HfTokenizer} from a Hugging Face tokenizer.json (optionally gzipped). */
final class TokenizerJson {

    private final Path file;

    private TokenizerJson(Path file) {
        this.file = file;
    }

    static Tokenizer load(Path file) {
        return new TokenizerJson(file).build(read(file));
    }

    /** A tokenizer from a tokenizer.json tree built elsewhere (from a GGUF file's metadata); source names it in errors. */
    static Tokenizer fromTree(Path source, JsonNode root) {
        return new TokenizerJson(source).build(root);
    }

    private static JsonNode read(Path file) {
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new RecallException("cannot read tokenizer file " + file + ": " + IoErrors.describe(e), e);
        }
    }

    private RecallException bad(String what) {
        return new RecallException("Unsupported or malformed tokenizer file " + file + ": " + what + ".");
    }

    private Tokenizer build(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw bad("the top level is not a JSON object");
        }
        Normalizer normalizer = normalizer(root.path("normalizer"));
        BpeModel model = model(root.path("model"));
        AddedVocabulary added = new AddedVocabulary(addedTokens(root.path("added_tokens")), normalizer);
        return new HfTokenizer(model, added, normalizer, preTokenizer(root.path("pre_tokenizer")),
                postProcessor(root.path("post_processor")), decoder(root.path("decoder")));
    }

    /** Largest vocabulary accepted (ids from 0 to this, exclusive): a hostile id cannot size an array. */
    static final int MAX_VOCABULARY = 1 << 24;

    /** Sequences inside Sequences; real tokenizers nest at most two. */
    static final int MAX_SEQUENCE_NESTING = 8;

    private int sequenceDepth;

    /** The members of a component Sequence, each parsed by {@code parse}; nesting is bounded. */
    private <T> List<T> sequence(JsonNode members, String component, java.util.function.Function<JsonNode, T> parse) {
        if (++sequenceDepth > MAX_SEQUENCE_NESTING) {
            throw bad("its " + component + " Sequences nest deeper than " + MAX_SEQUENCE_NESTING + " levels");
        }
        try {
            List<T> steps = new ArrayList<>();
            for (JsonNode child : members) {
                steps.add(parse.apply(member(child, component)));
            }
            return steps;
        } finally {
            sequenceDepth--;
        }
    }

    /** A member of a component Sequence, which may not be missing or null. */
    private JsonNode member(JsonNode child, String component) {
        if (absent(child) || !child.isObject()) {
            throw bad("a " + component + " Sequence holds a member that is not an object");
        }
        return child;
    }

    /** Text from the file as an error may show it: at most 80 characters. */
    private static String shown(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "…";
    }

    private static boolean absent(JsonNode n) {
        return n.isMissingNode() || n.isNull();
    }

    private String type(JsonNode n, String component) {
        JsonNode t = n.get("type");
        if (t == null || !t.isTextual()) {
            throw bad(component + " has no \"type\"");
        }
        return t.asText();
    }

    private String text(JsonNode n, String field, String component) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw bad(component + " lacks the string field \"" + field + "\"");
        }
        return v.asText();
    }

    private static String optionalText(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** A {"String": s} or {"Regex": r} pattern as a Java regex. */
    private Pattern pattern(JsonNode n, String component) {
        if (n == null || !n.isObject()) {
            throw bad(component + " lacks a pattern");
        }
        if (n.has("String")) {
            return Pattern.compile(Pattern.quote(n.get("String").asText()));
        }
        if (n.has("Regex")) {
            String regex = n.get("Regex").asText();
            try {
                // Unicode classes so \s, \w and case folding match the reference's Oniguruma.
                return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
            } catch (PatternSyntaxException e) {
                throw bad(component + " regex " + shown(regex) + " does not compile in Java (" + e.getDescription() + ")");
            }
        }
        throw bad(component + " pattern is neither String nor Regex");
    }

    // ---- model -------------------------------------------------------------------------------

    private BpeModel model(JsonNode m) {
        if (absent(m)) {
            throw bad("it has no \"model\"");
        }
        String type = m.has("type") ? m.get("type").asText() : (m.has("merges") ? "BPE" : "");
        if (!type.equals("BPE")) {
            throw bad("model type '" + type + "' is not supported (only BPE)");
        }
        if (m.hasNonNull("dropout") && m.get("dropout").asDouble() != 0.0) {
            throw bad("BPE dropout is not supported");
        }
        JsonNode vocabNode = m.get("vocab");
        if (vocabNode == null || !vocabNode.isObject()) {
            throw bad("the BPE model has no vocab object");
        }
        Map<String, Integer> vocab = new HashMap<>(vocabNode.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0 || e.getValue().asInt() >= MAX_VOCABULARY) {
                throw bad("vocab entry '" + shown(e.getKey()) + "' has no valid id (0 to " + (MAX_VOCABULARY - 1) + ")");
            }
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        JsonNode mergesNode = m.path("merges");
        MergeTable merges = new MergeTable(mergesNode.size());
        int rank = 0;
        for (JsonNode merge : mergesNode) {
            String left;
            String right;
            if (merge.isArray() && merge.size() == 2) {
                left = merge.get(0).asText();
                right = merge.get(1).asText();
            } else if (merge.isTextual()) {
                String line = merge.asText();
                if (line.startsWith("#version")) {
                    continue;
                }
                String[] parts = line.split(" ", -1);
                if (parts.length != 2) {
                    throw bad("merge " + (rank + 1) + " '" + line + "' is not two tokens separated by one space");
                }
                left = parts[0];
                right = parts[1];
            } else {
                throw bad("merge " + (rank + 1) + " is neither \"a b\" nor [\"a\", \"b\"]");
            }
            Integer l = vocab.get(left);
            Integer r = vocab.get(right);
            Integer merged = vocab.get(left + right);
            if (l == null || r == null || merged == null) {
                throw bad("merge " + (rank + 1) + " ('" + left + "', '" + right + "') uses a token missing from the vocab");
            }
            merges.put(l, r, rank, merged);
            rank++;
        }
        String unk = optionalText(m, "unk_token");
        return new BpeModel(vocab, merges, unk, m.path("fuse_unk").asBoolean(false),
                m.path("byte_fallback").asBoolean(false), m.path("ignore_merges").asBoolean(false),
                optionalText(m, "continuing_subword_prefix"), optionalText(m, "end_of_word_suffix"));
    }

    private List<AddedVocabulary.AddedToken> addedTokens(JsonNode list) {
        List<AddedVocabulary.AddedToken> tokens = new ArrayList<>();
        if (absent(list)) {
            return tokens;
        }
        for (JsonNode t : list) {
            if (!t.has("id") || !t.has("content")) {
                throw bad("an added token lacks \"id\" or \"content\"");
            }
            if (!t.get("id").canConvertToInt() || t.get("id").asInt() < 0 || t.get("id").asInt() >= MAX_VOCABULARY) {
                throw bad("added token '" + shown(t.path("content").asText()) + "' has id " + shown(t.get("id").toString())
                        + ", outside 0 to " + (MAX_VOCABULARY - 1));
            }
            boolean special = t.path("special").asBoolean(false);
            tokens.add(new AddedVocabulary.AddedToken(t.get("id").asInt(), t.get("content").asText(), special,
                    t.path("single_word").asBoolean(false), t.path("lstrip").asBoolean(false),
                    t.path("rstrip").asBoolean(false), t.path("normalized").asBoolean(!special)));
        }
        return tokens;
    }

    // ---- normalizers -------------------------------------------------------------------------

    private Normalizer normalizer(JsonNode n) {
        if (absent(n)) {
            return null;
        }
        String type = type(n, "normalizer");
        return switch (type) {
            case "Sequence" -> {
                yield new Normalizer.Sequence(sequence(n.path("normalizers"), "normalizer", this::normalizer));
            }
            case "Prepend" -> new Normalizer.Prepend(text(n, "prepend", "Prepend normalizer"));
            case "Replace" -> new Normalizer.Replace(pattern(n.get("pattern"), "Replace normalizer"),
                    text(n, "content", "Replace normalizer"));
            case "NFC" -> new Normalizer.Unicode(Form.NFC);
            case "NFD" -> new Normalizer.Unicode(Form.NFD);
            case "NFKC" -> new Normalizer.Unicode(Form.NFKC);
            case "NFKD" -> new Normalizer.Unicode(Form.NFKD);
            case "Lowercase" -> new Normalizer.Lowercase();
            case "Strip" -> new Normalizer.Strip(n.path("strip_left").asBoolean(true), n.path("strip_right").asBoolean(true));
            default -> throw bad("normalizer type '" + type + "' is not supported");
        };
    }

    // ---- pre-tokenizers ----------------------------------------------------------------------

    private PreTokenizer preTokenizer(JsonNode n) {
        if (absent(n)) {
            return null;
        }
        String type = type(n, "pre_tokenizer");
        return switch (type) {
            case "Sequence" -> {
                yield new PreTokenizer.Sequence(sequence(n.path("pretokenizers"), "pre-tokenizer", this::preTokenizer));
            }
            case "ByteLevel" -> new PreTokenizer.ByteLevel(n.path("add_prefix_space").asBoolean(true),
                    n.path("use_regex").asBoolean(true));
            case "Split" -> {
                SplitBehavior behavior;
                try {
                    behavior = SplitBehavior.fromJson(text(n, "behavior", "Split pre-tokenizer"));
                } catch (IllegalArgumentException e) {
                    throw bad(e.getMessage());
                }
                yield new PreTokenizer.Split(pattern(n.get("pattern"), "Split pre-tokenizer"), behavior,
                        n.path("invert").asBoolean(false));
            }
            case "Metaspace" -> new PreTokenizer.Metaspace(n.path("replacement").asText("\u2581"),
                    prependScheme(n), n.path("split").asBoolean(true));
            case "Whitespace" -> new PreTokenizer.WhitespaceWords();
            case "WhitespaceSplit" -> new PreTokenizer.WhitespaceSplit();
            case "Digits" -> new PreTokenizer.Digits(n.path("individual_digits").asBoolean(false));
            default -> throw bad("pre-tokenizer type '" + type + "' is not supported");
        };
    }

    private PreTokenizer.Metaspace.PrependScheme prependScheme(JsonNode n) {
        if (n.has("prepend_scheme")) {
            return switch (n.get("prepend_scheme").asText()) {
                case "always" -> PreTokenizer.Metaspace.PrependScheme.ALWAYS;
                case "first" -> PreTokenizer.Metaspace.PrependScheme.FIRST;
                case "never" -> PreTokenizer.Metaspace.PrependScheme.NEVER;
                default -> throw bad("Metaspace prepend_scheme '" + n.get("prepend_scheme").asText() + "' is unknown");
            };
        }
        // Older files say add_prefix_space instead.
        return n.path("add_prefix_space").asBoolean(true)
                ? PreTokenizer.Metaspace.PrependScheme.ALWAYS : PreTokenizer.Metaspace.PrependScheme.NEVER;
    }

    // ---- post-processors ---------------------------------------------------------------------

    private PostProcessor postProcessor(JsonNode n) {
        if (absent(n)) {
            return null;
        }
        String type = type(n, "post_processor");
        return switch (type) {
            case "TemplateProcessing" -> template(n);
            case "ByteLevel" -> new PostProcessor.Identity();
            case "BertProcessing", "RobertaProcessing" -> new PostProcessor.Wrap(
                    n.path("cls").path(1).asInt(), n.path("sep").path(1).asInt());
            case "Sequence" -> {
                yield new PostProcessor.Sequence(sequence(n.path("processors"), "post-processor", this::postProcessor));
            }
            default -> throw bad("post-processor type '" + type + "' is not supported");
        };
    }

    private PostProcessor template(JsonNode n) {
        List<PostProcessor.Template.Piece> pieces = new ArrayList<>();
        for (JsonNode piece : n.path("single")) {
            if (piece.has("Sequence")) {
                pieces.add(new PostProcessor.Template.Piece(null));
            } else if (piece.has("SpecialToken")) {
                String name = piece.get("SpecialToken").path("id").asText();
                JsonNode special = n.path("special_tokens").path(name);
                if (!special.has("ids")) {
                    throw bad("TemplateProcessing names special token '" + name + "' without ids");
                }
                int[] ids = new int[special.get("ids").size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = special.get("ids").get(i).asInt();
                }
                pieces.add(new PostProcessor.Template.Piece(ids));
            } else {
                throw bad("TemplateProcessing piece " + piece + " is neither Sequence nor SpecialToken");
            }
        }
        return new PostProcessor.Template(pieces);
    }

    // ---- decoders ----------------------------------------------------------------------------

    private Decoder decoder(JsonNode n) {
        if (absent(n)) {
            return null;
        }
        String type = type(n, "decoder");
        return switch (type) {
            case "Sequence" -> {
                yield new Decoder.Sequence(sequence(n.path("decoders"), "decoder", this::decoder));
            }
            case "ByteLevel" -> new Decoder.ByteLevel();
            case "Replace" -> new Decoder.Replace(pattern(n.get("pattern"), "Replace decoder"),
                    text(n, "content", "Replace decoder"));
            case "ByteFallback" -> new Decoder.ByteFallback();
            case "Fuse" -> new Decoder.Fuse();
            case "Strip" -> {
                String content = text(n, "content", "Strip decoder");
                if (content.codePointCount(0, content.length()) != 1) {
                    throw bad("Strip decoder content must be one character");
                }
                yield new Decoder.Strip(content.codePointAt(0), n.path("start").asInt(0), n.path("stop").asInt(0));
            }
            case "Metaspace" -> new Decoder.Metaspace(n.path("replacement").asText("\u2581"),
                    prependScheme(n) != PreTokenizer.Metaspace.PrependScheme.NEVER);
            default -> throw bad("decoder type '" + type + "' is not supported");
        };
    }
}
