package dev.recall.runtime.template;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into text and code tokens the way Jinja's lexer does with Hugging Face's settings:
 * {@code trim_blocks} and {@code lstrip_blocks} on, {@code -} and {@code +} whitespace control,
 * {@code {% raw %}} blocks, comments dropped, line breaks normalised to {@code \n} and one final newline
 * dropped ({@code keep_trailing_newline=False}).
 */
final class Lexer {

    enum Kind { TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INT, FLOAT, OP, EOF }

    record Token(Kind kind, String value, int line) {

        boolean is(Kind k, String v) {
            return kind == k && value.equals(v);
        }

        boolean isOp(String op) {
            return kind == Kind.OP && value.equals(op);
        }

        boolean isName(String name) {
            return kind == Kind.NAME && value.equals(name);
        }
    }

    private static final String[] OPERATORS = {
        "//", "**", "==", "!=", ">=", "<=", "+", "-", "*", "/", "%", "~", "<", ">", "=", ".", ",", ":", "|",
        "(", ")", "[", "]", "{", "}"
    };

    private final String src;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    private int line = 1;
    private boolean lineStarting = true;

    private Lexer(String src) {
        this.src = src;
    }

    static List<Token> tokenize(String template) {
        String s = template.replace("\r\n", "\n").replace('\r', '\n');
        if (s.endsWith("\n")) {
            s = s.substring(0, s.length() - 1);
        }
        Lexer lexer = new Lexer(s);
        lexer.run();
        return lexer.tokens;
    }

    private void run() {
        int n = src.length();
        while (pos < n) {
            int tag = nextTag(pos);
            String text = src.substring(pos, tag < 0 ? n : tag);
            if (tag < 0) {
                emitText(text);
                pos = n;
                break;
            }
            char kind = src.charAt(tag + 1);
            char sign = tag + 2 < n ? src.charAt(tag + 2) : 0;
            if (sign == '-') {
                text = Py.rstrip(text);
            } else if (sign != '+' && kind != '{') {
                int lineStart = text.lastIndexOf('\n') + 1;
                if ((lineStart > 0 || lineStarting) && lineStart < text.length()
                        && Py.isAllSpace(text, lineStart)) {
                    text = text.substring(0, lineStart);
                }
            }
            int textLine = line;
            emitText(text);
            line = textLine + count(src, pos, tag);
            pos = tag + 2 + (sign == '-' || sign == '+' ? 1 : 0);
            switch (kind) {
                case '#' -> comment();
                case '{' -> code(Kind.VAR_BEGIN, Kind.VAR_END, "}}");
                default -> {
                    if (!raw()) {
                        code(Kind.BLOCK_BEGIN, Kind.BLOCK_END, "%}");
                    }
                }
            }
        }
        tokens.add(new Token(Kind.EOF, "", line));
    }

    private int nextTag(int from) {
        for (int i = src.indexOf('{', from); i >= 0 && i + 1 < src.length(); i = src.indexOf('{', i + 1)) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
        }
        return -1;
    }

    private void emitText(String text) {
        if (!text.isEmpty()) {
            tokens.add(new Token(Kind.TEXT, text, line));
        }
    }

    private void comment() {
        int end = src.indexOf("#}", pos);
        if (end < 0) {
            throw new TemplateException(line, "a comment is not closed ('#}' missing)");
        }
        boolean strip = end > pos && src.charAt(end - 1) == '-';
        boolean keep = end > pos && src.charAt(end - 1) == '+';
        line += count(src, pos, end);
        pos = end + 2;
        afterTag(strip, keep, true);
    }

    /** After a tag: {@code -} strips all following whitespace; trim_blocks drops one newline. */
    private void afterTag(boolean strip, boolean keep, boolean trimBlocks) {
        int start = pos;
        if (strip) {
            while (pos < src.length() && Py.isSpace(src.charAt(pos))) {
                pos++;
            }
        } else if (!keep && trimBlocks && pos < src.length() && src.charAt(pos) == '\n') {
            pos++;
        }
        line += count(src, start, pos);
        lineStarting = pos > start && src.charAt(pos - 1) == '\n';
    }

    /** {@code {% raw %}...{% endraw %}}: the text between is output as it stands. */
    private boolean raw() {
        int p = skipSpace(pos);
        if (!src.startsWith("raw", p) || p + 3 < src.length() && Py.isNameChar(src.charAt(p + 3))) {
            return false;
        }
        p = skipSpace(p + 3);
        boolean strip = src.startsWith("-%}", p);
        if (!strip && !src.startsWith("%}", p) && !src.startsWith("+%}", p)) {
            return false;
        }
        int bodyStart = p + (strip || src.charAt(p) == '+' ? 3 : 2);
        if (strip) {
            while (bodyStart < src.length() && Py.isSpace(src.charAt(bodyStart))) {
                bodyStart++;
            }
        }
        for (int i = src.indexOf("{%", bodyStart); i >= 0; i = src.indexOf("{%", i + 2)) {
            int q = i + 2;
            boolean stripBefore = q < src.length() && src.charAt(q) == '-';
            if (stripBefore || q < src.length() && src.charAt(q) == '+') {
                q++;
            }
            q = skipSpace(q);
            if (!src.startsWith("endraw", q)) {
                continue;
            }
            q = skipSpace(q + 6);
            boolean stripAfter = src.startsWith("-%}", q);
            boolean keepAfter = src.startsWith("+%}", q);
            if (!stripAfter && !keepAfter && !src.startsWith("%}", q)) {
                continue;
            }
            String body = src.substring(bodyStart, i);
            emitText(stripBefore ? Py.rstrip(body) : body);
            line += count(src, pos, q);
            pos = q + (stripAfter || keepAfter ? 3 : 2);
            afterTag(stripAfter, keepAfter, true);
            return true;
        }
        throw new TemplateException(line, "a raw block is not closed ('{% endraw %}' missing)");
    }

    private int skipSpace(int p) {
        while (p < src.length() && Py.isSpace(src.charAt(p))) {
            p++;
        }
        return p;
    }

    /** The tokens of a {{ }} or {% %} tag, up to its end delimiter outside any brackets. */
    private void code(Kind begin, Kind end, String close) {
        int beginLine = line;
        tokens.add(new Token(begin, "", line));
        int depth = 0;
        int n = src.length();
        while (true) {
            while (pos < n && Py.isSpace(src.charAt(pos))) {
                if (src.charAt(pos) == '\n') {
                    line++;
                }
                pos++;
            }
            if (pos >= n) {
                throw new TemplateException(beginLine, "a tag is not closed ('" + close + "' missing)");
            }
            if (depth == 0) {
                boolean strip = src.startsWith("-" + close, pos);
                boolean keep = end == Kind.BLOCK_END && src.startsWith("+" + close, pos);
                if (strip || keep || src.startsWith(close, pos)) {
                    pos += close.length() + (strip || keep ? 1 : 0);
                    tokens.add(new Token(end, "", line));
                    afterTag(strip, keep, end == Kind.BLOCK_END);
                    return;
                }
            }
            char c = src.charAt(pos);
            if (c == '\'' || c == '"') {
                string(c);
            } else if (Character.isDigit(c)) {
                number();
            } else if (Py.isNameStart(c)) {
                int start = pos;
                while (pos < n && Py.isNameChar(src.charAt(pos))) {
                    pos++;
                }
                tokens.add(new Token(Kind.NAME, src.substring(start, pos), line));
            } else {
                String op = operator();
                if (op == null) {
                    throw new TemplateException(line, "unexpected character '" + c + "'");
                }
                switch (op) {
                    case "(", "[", "{" -> depth++;
                    case ")", "]", "}" -> {
                        if (depth == 0) {
                            throw new TemplateException(line, "unexpected '" + op + "'");
                        }
                        depth--;
                    }
                    default -> { }
                }
                tokens.add(new Token(Kind.OP, op, line));
                pos += op.length();
            }
        }
    }

    private String operator() {
        for (String op : OPERATORS) {
            if (src.startsWith(op, pos)) {
                return op;
            }
        }
        return null;
    }

    private void number() {
        int start = pos;
        int n = src.length();
        while (pos < n && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
            pos++;
        }
        boolean isFloat = false;
        if (pos + 1 < n && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
            isFloat = true;
            pos++;
            while (pos < n && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                pos++;
            }
        }
        if (pos < n && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            int p = pos + 1;
            if (p < n && (src.charAt(p) == '+' || src.charAt(p) == '-')) {
                p++;
            }
            if (p < n && Character.isDigit(src.charAt(p))) {
                isFloat = true;
                pos = p;
                while (pos < n && Character.isDigit(src.charAt(pos))) {
                    pos++;
                }
            }
        }
        tokens.add(new Token(isFloat ? Kind.FLOAT : Kind.INT, src.substring(start, pos).replace("_", ""), line));
    }

    /** A string literal with Python's escapes ({@code \n}, {@code \t}, {@code \xhh}, {@code \\uhhhh}...). */
    private void string(char quote) {
        int startLine = line;
        StringBuilder out = new StringBuilder();
        int n = src.length();
        pos++;
        while (true) {
            if (pos >= n) {
                throw new TemplateException(startLine, "a string is not closed");
            }
            char c = src.charAt(pos++);
            if (c == quote) {
                break;
            }
            if (c == '\n') {
                line++;
            }
            if (c != '\\' || pos >= n) {
                out.append(c);
                continue;
            }
            char e = src.charAt(pos++);
            switch (e) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case '0' -> out.append('\0');
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'v' -> out.append('\u000b');
                case '\\', '\'', '"' -> out.append(e);
                case '\n' -> line++;
                case 'x' -> out.appendCodePoint(hex(2));
                case 'u' -> out.appendCodePoint(hex(4));
                case 'U' -> out.appendCodePoint(hex(8));
                default -> out.append('\\').append(e);
            }
        }
        tokens.add(new Token(Kind.STRING, out.toString(), startLine));
    }

    private int hex(int digits) {
        if (pos + digits > src.length()) {
            throw new TemplateException(line, "a string has a truncated \\x, \\u or \\U escape");
        }
        try {
            int cp = Integer.parseUnsignedInt(src.substring(pos, pos + digits), 16);
            if (!Character.isValidCodePoint(cp)) {
                throw new NumberFormatException();
            }
            pos += digits;
            return cp;
        } catch (NumberFormatException e) {
            throw new TemplateException(line, "a string has a bad escape '\\" + src.substring(pos - 1, pos + digits) + "'");
        }
    }

    private static int count(String s, int from, int to) {
        int c = 0;
        for (int i = from; i < to; i++) {
            if (s.charAt(i) == '\n') {
                c++;
            }
        }
        return c;
    }
}
