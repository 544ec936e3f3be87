package dev.recall.runtime.generate;

import dev.recall.runtime.tokenizer.Tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;

/**
 * Test double: every id stands for a fixed byte string (possibly half of a UTF-8 character), so
 * streaming has to hold bytes back exactly like a byte-level BPE does. Encoding is not needed by the
 * decode loop and is not offered.
 */
final class ByteTokenizer implements Tokenizer {

    private final byte[][] pieces;

    ByteTokenizer(byte[]... pieces) {
        this.pieces = pieces;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public int[] encode(String text) {
        throw new UnsupportedOperationException("the decode loop never encodes");
    }

    @Override
    public int[] encodeWithSpecialTokens(String text) {
        throw new UnsupportedOperationException("the decode loop never encodes");
    }

    @Override
    public String decode(int[] ids, boolean skipSpecial) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            out.writeBytes(pieces[id]);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public StreamDecoder streamDecoder() {
        return new StreamDecoder() {
            private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

            @Override
            public String push(int id) {
                pending.writeBytes(pieces[id]);
                try {
                    String s = StandardCharsets.UTF_8.newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(pending.toByteArray())).toString();
                    pending.reset();
                    return s;
                } catch (CharacterCodingException incomplete) {
                    return "";
                }
            }

            @Override
            public String flush() {
                String s = pending.toString(StandardCharsets.UTF_8);
                pending.reset();
                return s;
            }
        };
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public OptionalInt tokenToId(String token) {
        return OptionalInt.empty();
    }

    @Override
    public String idToToken(int id) {
        return new String(pieces[id], StandardCharsets.UTF_8);
    }
}
