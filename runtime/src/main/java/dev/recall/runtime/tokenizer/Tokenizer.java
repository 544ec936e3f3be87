package dev.recall.runtime.tokenizer;

import java.util.OptionalInt;

/** Text ⇄ token ids. Implementations: byte-level BPE, SentencePiece-style BPE, RWKV world. */
public interface Tokenizer {

    /** Ids for text with no special tokens added (added tokens in the text are still matched). */
    int[] encode(String text);

    /** Ids for text with the post-processor's special tokens (e.g. BOS) added. */
    int[] encodeWithSpecialTokens(String text);

    /**
     * Ids for text, as llama.cpp's {@code llama_tokenize(text, add_special, parse_special)}:
     * {@code addSpecial} adds the model's BOS/EOS as {@link #encodeWithSpecialTokens} does;
     * without {@code parseSpecial} the text of special (control) tokens is read as ordinary text,
     * while other added tokens are still matched. Tokenizers without special tokens ignore it.
     */
    default int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        return addSpecial ? encodeWithSpecialTokens(text) : encode(text);
    }

    /** Text for ids; special tokens are skipped when skipSpecial. */
    String decode(int[] ids, boolean skipSpecial);

    default String decode(int[] ids) {
        return decode(ids, false);
    }

    /** A decoder for streaming: holds back bytes of incomplete UTF-8 sequences until they complete. */
    StreamDecoder streamDecoder();

    int vocabSize();

    OptionalInt tokenToId(String token);

    /** The vocabulary string of an id (as stored), or null. */
    String idToToken(int id);

    interface StreamDecoder {
        /** Text completed by this token ("" while a multi-byte character is still partial). */
        String push(int id);

        /** Whatever is still buffered (invalid trailing bytes become U+FFFD). */
        String flush();
    }
}
