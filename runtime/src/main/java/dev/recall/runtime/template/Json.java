package dev.recall.runtime.template;

import dev.recall.runtime.template.Builtins.Params;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps}, which Hugging Face's {@code tojson} filter calls with
 * {@code ensure_ascii=False} by default: ", " and ": " separators ("," when indenting), keys as
 * strings, floats as Python's repr, non-ASCII kept unless asked.
 */
final class Json {

    private final Renderer renderer;
    private final boolean ensureAscii;
    private final String indent;
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;
    private final int line;
    private final StringBuilder out = new StringBuilder();

    private Json(Renderer renderer, Params p, int line) {
        this.renderer = renderer;
        this.line = line;
        ensureAscii = p.bool("ensure_ascii", false);
        Object indentValue = p.get("indent", null);
        if (indentValue == null) {
            indent = null;
        } else if (indentValue instanceof String s) {
            indent = s;
        } else {
            indent = " ".repeat((int) Math.max(0, Math.min(100, p.integer("indent", 0))));
        }
        Object separators = p.get("separators", null);
        if (separators instanceof List<?> pair && pair.size() == 2) {
            itemSeparator = Py.str(pair.get(0));
            keySeparator = Py.str(pair.get(1));
        } else if (separators == null) {
            itemSeparator = indent == null ? ", " : ",";
            keySeparator = ": ";
        } else {
            throw new TemplateException(line, "tojson: separators is a pair of strings");
        }
        sortKeys = p.bool("sort_keys", false);
    }

    static String dumps(Renderer r, Object value, Params p, int line) {
        Json json = new Json(r, p, line);
        json.write(value, 0);
        return json.out.toString();
    }

    private void append(String s) {
        renderer.grow(out.length(), s.length(), line);
        out.append(s);
    }

    private void newline(int depth) {
        if (indent != null) {
            append("\n" + indent.repeat(depth));
        }
    }

    private void write(Object v, int depth) {
        Py.checkNesting(depth);
        switch (v) {
            case null -> append("null");
            case Boolean b -> append(b ? "true" : "false");
            case Long l -> append(l.toString());
            case Double d -> append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : Py.floatRepr(d));
            case String s -> string(s);
            case List<?> l -> {
                if (l.isEmpty()) {
                    append("[]");
                    return;
                }
                append("[");
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) {
                        append(itemSeparator);
                    }
                    newline(depth + 1);
                    write(l.get(i), depth + 1);
                }
                newline(depth);
                append("]");
            }
            case Map<?, ?> m -> {
                if (m.isEmpty()) {
                    append("{}");
                    return;
                }
                List<Map.Entry<String, Object>> entries = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    entries.add(Map.entry(key(e.getKey()), e.getValue() == null ? NULL : e.getValue()));
                }
                if (sortKeys) {
                    entries.sort(Map.Entry.comparingByKey((a, b) -> Py.compare(a, b, "<", line)));
                }
                append("{");
                boolean first = true;
                for (Map.Entry<String, Object> e : entries) {
                    if (!first) {
                        append(itemSeparator);
                    }
                    first = false;
                    newline(depth + 1);
                    string(e.getKey());
                    append(keySeparator);
                    write(e.getValue() == NULL ? null : e.getValue(), depth + 1);
                }
                newline(depth);
                append("}");
            }
            default -> throw new TemplateException(line, "Object of type " + Py.typeName(v) + " is not JSON serializable");
        }
    }

    private static final Object NULL = new Object();

    private String key(Object k) {
        return switch (k) {
            case null -> "null";
            case String s -> s;
            case Boolean b -> b ? "true" : "false";
            case Long l -> l.toString();
            case Double d -> Py.floatRepr(d);
            default -> throw new TemplateException(line, "keys must be str, int, float, bool or None, not " + Py.typeName(k));
        };
    }

    private void string(String s) {
        renderer.grow(out.length(), s.length() + 2L, line);
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || ensureAscii && c > 0x7e) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        append("\"");
    }
}
