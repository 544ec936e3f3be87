package dev.recall.runtime.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * The Hugging Face tokenizer pipeline: added tokens are cut out of the raw text, the rest is
 * normalized, cut into words by the pre-tokenizer and encoded by BPE; the post-processor adds
 * special tokens; decoding maps ids to token strings and runs the decoder chain.
 */
final class HfTokenizer implements Tokenizer {

    private final BpeModel model;
    private final AddedVocabulary added;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final PostProcessor postProcessor;
    private final Decoder decoder;

    HfTokenizer(BpeModel model, AddedVocabulary added, Normalizer normalizer, PreTokenizer preTokenizer,
                PostProcessor postProcessor, Decoder decoder) {
        this.model = model;
        this.added = added;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.postProcessor = postProcessor;
        this.decoder = decoder;
    }

    @Override
    public int[] encode(String text) {
        return encodeTokens(text, true);
    }

    @Override
    public int[] encodeWithSpecialTokens(String text) {
        return encode(text, true, true);
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        int[] ids = encodeTokens(text, parseSpecial);
        return !addSpecial || postProcessor == null ? ids : postProcessor.process(ids, true);
    }

    private int[] encodeTokens(String text, boolean parseSpecial) {
        List<AddedVocabulary.Segment> raw = new ArrayList<>();
        added.splitRaw(text, raw, parseSpecial);
        IntList ids = new IntList(Math.max(16, text.length() / 3));
        List<String> words = new ArrayList<>();
        boolean atStart = true;
        for (AddedVocabulary.Segment segment : raw) {
            if (segment.isToken()) {
                ids.add(segment.id());
                atStart = false;
                continue;
            }
            String normalized = normalizer == null ? segment.text() : normalizer.normalize(segment.text());
            List<AddedVocabulary.Segment> pieces = new ArrayList<>();
            added.splitNormalized(normalized, pieces, parseSpecial);
            for (AddedVocabulary.Segment piece : pieces) {
                if (piece.isToken()) {
                    ids.add(piece.id());
                } else {
                    words.clear();
                    if (preTokenizer == null) {
                        words.add(piece.text());
                    } else {
                        preTokenizer.preTokenize(piece.text(), atStart, words);
                    }
                    for (String word : words) {
                        model.tokenize(word, ids);
                    }
                }
                atStart = false;
            }
        }
        return ids.toArray();
    }

    @Override
    public String decode(int[] ids, boolean skipSpecial) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            String token = idToToken(id);
            if (token == null || (skipSpecial && added.isSpecial(id))) {
                continue;
            }
            tokens.add(token);
        }
        return decoder == null ? String.join(" ", tokens) : decoder.decode(tokens);
    }

    @Override
    public StreamDecoder streamDecoder() {
        return new PrefixStreamDecoder(this, false);
    }

    @Override
    public int vocabSize() {
        return Math.max(model.size(), added.maxId() + 1);
    }

    @Override
    public OptionalInt tokenToId(String token) {
        AddedVocabulary.AddedToken t = added.byContent(token);
        if (t != null) {
            return OptionalInt.of(t.id());
        }
        Integer id = model.tokenToId(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public String idToToken(int id) {
        AddedVocabulary.AddedToken t = added.byId(id);
        return t != null ? t.content() : model.idToToken(id);
    }
}
