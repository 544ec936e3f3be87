package dev.recall.runtime.template;

import java.util.List;
import java.util.Map;

/** Python's {@code str.format} for plain fields: {@code {}}, {@code {0}}, {@code {name}}, {@code !r}, {@code !s}. */
final class BraceFormat {

    private BraceFormat() {
    }

    static String format(Renderer r, String s, List<Object> args, Map<String, Object> kw, int line) {
        StringBuilder out = new StringBuilder();
        int auto = 0;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == '}' ) {
                if (i + 1 < n && s.charAt(i + 1) == '}') {
                    out.append('}');
                    i++;
                    continue;
                }
                throw new TemplateException(line, "single '}' in a format string");
            }
            if (c != '{') {
                out.append(c);
                continue;
            }
            if (i + 1 < n && s.charAt(i + 1) == '{') {
                out.append('{');
                i++;
                continue;
            }
            int close = s.indexOf('}', i);
            if (close < 0) {
                throw new TemplateException(line, "single '{' in a format string");
            }
            String field = s.substring(i + 1, close);
            i = close;
            boolean repr = false;
            if (field.endsWith("!r") || field.endsWith("!s")) {
                repr = field.endsWith("!r");
                field = field.substring(0, field.length() - 2);
            }
            if (field.contains(":") || field.contains("[") || field.contains(".") || field.contains("!")) {
                throw new TemplateException(line, "str.format supports plain fields only, not '{" + TemplateException.quote(field) + "}'");
            }
            Object value;
            if (field.isEmpty() || field.chars().allMatch(Character::isDigit)) {
                int index = field.isEmpty() ? auto++ : Integer.parseInt(field.length() > 6 ? "999999" : field);
                if (index >= args.size()) {
                    throw new TemplateException(line, "str.format: replacement index " + index + " out of range");
                }
                value = args.get(index);
            } else {
                if (!kw.containsKey(field)) {
                    throw new TemplateException(line, "str.format: no argument '" + TemplateException.quote(field) + "'");
                }
                value = kw.get(field);
            }
            String text = repr ? Py.repr(value) : Py.str(value);
            r.grow(out.length(), text.length(), line);
            out.append(text);
        }
        return out.toString();
    }
}
