package dev.recall.runtime.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Parses one Python string or bytes literal ({@code 'abc'}, {@code "a'b"}, {@code b'\xe4\xb8'})
 * to its bytes (a str literal gives its UTF-8 encoding), as the RWKV vocabulary stores tokens.
 */
final class PythonLiteral {

    private PythonLiteral() {
    }

    /** The literal's bytes; throws IllegalArgumentException describing what is wrong. */
    static byte[] parse(String literal) {
        String s = literal.strip();
        boolean bytes = false;
        int i = 0;
        while (i < s.length() && "bBuU".indexOf(s.charAt(i)) >= 0) {
            bytes |= Character.toLowerCase(s.charAt(i)) == 'b';
            i++;
        }
        if (i < s.length() && "rR".indexOf(s.charAt(i)) >= 0) {
            throw new IllegalArgumentException("raw literals are not supported: " + literal);
        }
        if (s.length() - i < 2) {
            throw new IllegalArgumentException("not a quoted literal: " + literal);
        }
        char quote = s.charAt(i);
        if ((quote != '\'' && quote != '"') || s.charAt(s.length() - 1) != quote) {
            throw new IllegalArgumentException("not a quoted literal: " + literal);
        }
        String body = s.substring(i + 1, s.length() - 1);
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length());
        StringBuilder text = new StringBuilder();
        int k = 0;
        while (k < body.length()) {
            char c = body.charAt(k++);
            if (c != '\\') {
                if (bytes && c > 0x7F) {
                    throw new IllegalArgumentException("non-ASCII character in bytes literal: " + literal);
                }
                text.append(c);
                continue;
            }
            if (k >= body.length()) {
                throw new IllegalArgumentException("literal ends with a backslash: " + literal);
            }
            char e = body.charAt(k++);
            switch (e) {
                case '\\', '\'', '"' -> text.append(e);
                case 'n' -> text.append('\n');
                case 't' -> text.append('\t');
                case 'r' -> text.append('\r');
                case 'a' -> text.append('\u0007');
                case 'b' -> text.append('\b');
                case 'f' -> text.append('\f');
                case 'v' -> text.append('\u000B');
                case '\n' -> {
                    // A backslash-newline continues the line and adds nothing.
                }
                case 'x' -> {
                    int v = hex(body, k, 2, literal);
                    k += 2;
                    if (bytes) {
                        flushText(text, out);
                        out.write(v);
                    } else {
                        text.append((char) v);
                    }
                }
                case 'u', 'U' -> {
                    if (bytes) {
                        text.append('\\').append(e);
                    } else {
                        int n = e == 'u' ? 4 : 8;
                        text.appendCodePoint(hex(body, k, n, literal));
                        k += n;
                    }
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int v = e - '0';
                        for (int d = 0; d < 2 && k < body.length() && body.charAt(k) >= '0' && body.charAt(k) <= '7'; d++) {
                            v = v * 8 + body.charAt(k++) - '0';
                        }
                        if (bytes) {
                            flushText(text, out);
                            out.write(v & 0xFF);
                        } else {
                            text.append((char) v);
                        }
                    } else {
                        // Python keeps unknown escapes verbatim.
                        text.append('\\').append(e);
                    }
                }
            }
        }
        flushText(text, out);
        return out.toByteArray();
    }

    private static void flushText(StringBuilder text, ByteArrayOutputStream out) {
        // Bytes literals only hold ASCII here, so UTF-8 is their byte value.
        out.writeBytes(text.toString().getBytes(StandardCharsets.UTF_8));
        text.setLength(0);
    }

    private static int hex(String body, int at, int digits, String literal) {
        if (at + digits > body.length()) {
            throw new IllegalArgumentException("truncated escape in " + literal);
        }
        int v = 0;
        for (int i = at; i < at + digits; i++) {
            char c = body.charAt(i);
            int d = c < 128 ? Character.digit(c, 16) : -1;
            if (d < 0) {
                throw new IllegalArgumentException("bad hex escape in " + literal);
            }
            v = v * 16 + d;
        }
        if (v > Character.MAX_CODE_POINT) {
            throw new IllegalArgumentException("escape beyond U+10FFFF in " + literal);
        }
        return v;
    }
}
