package dev.recall.runtime.tokenizer;

/** Unicode White_Space, the definition Rust's {@code char::is_whitespace} and regex {@code \s} use. */
final class Whitespace {

    private Whitespace() {
    }

    static boolean is(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || Character.isSpaceChar(cp);
    }
}
