package dev.recall.runtime.template;

import dev.recall.runtime.template.Builtins.Params;
import dev.recall.runtime.template.Py.Undefined;

import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Jinja's built-in filters, as Jinja 3.1 defines them, and Hugging Face's {@code tojson}. */
final class Filters {

    static final Set<String> NAMES = Set.of("abs", "attr", "batch", "capitalize", "center", "count", "d", "default",
            "dictsort", "e", "escape", "first", "float", "format", "indent", "int", "items", "join", "last", "length",
            "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "safe",
            "select", "selectattr", "sort", "string", "sum", "title", "tojson", "trim", "truncate", "unique", "upper",
            "wordcount");

    private static final Pattern WORD_BEGINNING = Pattern.compile("([-\\s({\\[<]+)");
    private static final Pattern WORD = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS);

    private Filters() {
    }

    static Object apply(Renderer r, String name, Object v, List<Object> args, Map<String, Object> kw, int line) {
        if (!NAMES.contains(name)) {
            throw new TemplateException(line, "no filter named '" + TemplateException.quote(name) + "'");
        }
        switch (name) {
            case "safe" -> {
                new Params(name, args, kw, line);
                return v instanceof String s ? new Py.Markup(s) : v;
            }
            case "e", "escape" -> {
                new Params(name, args, kw, line);
                if (v instanceof Py.Markup) {
                    return v;
                }
                String s = Py.str(v);
                r.checkSize(s.length() * 5L, line);
                return new Py.Markup(Py.Markup.escape(s));
            }
            case "string" -> {
                new Params(name, args, kw, line);
                return v instanceof Py.Markup ? v : Py.str(v);
            }
            case "trim" -> {
                Params p = new Params(name, args, kw, line, "chars");
                String trimmed = StringMethods.strip(Py.str(v), p.has("chars") ? Py.str(p.get("chars", null)) : null, true, true);
                return v instanceof Py.Markup ? new Py.Markup(trimmed) : trimmed;
            }
            default -> {
            }
        }
        return plainFilter(r, name, Py.plain(v), args, kw, line);
    }

    private static Object plainFilter(Renderer r, String name, Object v, List<Object> args, Map<String, Object> kw, int line) {
        return switch (name) {
            case "abs" -> {
                new Params(name, args, kw, line);
                Object x = defined(v, line);
                if (!Py.isNumber(x)) {
                    throw new TemplateException(line, "bad operand type for abs(): '" + Py.typeName(x) + "'");
                }
                yield x instanceof Double d ? (Object) Math.abs(d) : (Object) Math.abs(Py.asLong(x));
            }
            case "attr" -> Builtins.attribute(defined(v, line), Py.str(new Params(name, args, kw, line, "name").required("name")), line);
            case "batch" -> {
                Params p = new Params(name, args, kw, line, "linecount", "fill_with");
                long size = p.integer("linecount", 1);
                if (size < 1) {
                    throw new TemplateException(line, "batch size must be positive");
                }
                List<Object> items = Py.toList(v, line);
                List<Object> out = new ArrayList<>();
                for (int i = 0; i < items.size(); i += (int) Math.min(size, Integer.MAX_VALUE)) {
                    List<Object> batch = new ArrayList<>(items.subList(i, (int) Math.min(items.size(), i + size)));
                    if (p.has("fill_with")) {
                        while (batch.size() < size) {
                            batch.add(p.get("fill_with", null));
                        }
                    }
                    out.add(Py.list(batch));
                }
                r.charge(items.size(), line);
                yield new Py.Generator(out);
            }
            case "capitalize" -> StringMethods.capitalize(string(v, name, args, kw, line));
            case "center" -> {
                Params p = new Params(name, args, kw, line, "width");
                String s = Py.str(v);
                long width = p.integer("width", 80);
                r.checkSize(Math.max(width, s.length()), line);
                yield StringMethods.center(s, (int) width);
            }
            case "count", "length" -> {
                new Params(name, args, kw, line);
                yield (long) Py.length(v, line);
            }
            case "d", "default" -> {
                Params p = new Params(name, args, kw, line, "default_value", "boolean");
                boolean missing = v instanceof Undefined || p.bool("boolean", false) && !Py.truthy(v);
                yield missing ? p.get("default_value", "") : v;
            }
            case "dictsort" -> {
                Params p = new Params(name, args, kw, line, "case_sensitive", "by", "reverse");
                if (!(defined(v, line) instanceof Map<?, ?> m)) {
                    throw new TemplateException(line, "dictsort needs a dict, not " + Py.typeName(v));
                }
                int position = switch (p.string("by", "key")) {
                    case "key" -> 0;
                    case "value" -> 1;
                    default -> throw new TemplateException(line, "dictsort: 'by' is 'key' or 'value'");
                };
                boolean caseSensitive = p.bool("case_sensitive", false);
                List<Object> pairs = new ArrayList<>();
                m.forEach((k, x) -> pairs.add(Py.tuple(k, x)));
                Comparator<Object> order = Comparator.comparing(
                        pair -> fold(((List<?>) pair).get(position), caseSensitive), Builtins.ordering(line));
                pairs.sort(p.bool("reverse", false) ? order.reversed() : order);
                r.charge(pairs.size() * 8L, line);
                yield Py.list(pairs);
            }
            case "first" -> {
                new Params(name, args, kw, line);
                for (Object o : Py.iterate(defined(v, line), line)) {
                    yield o;
                }
                yield Undefined.named("first item");
            }
            case "last" -> {
                new Params(name, args, kw, line);
                if (v instanceof Py.Generator) {
                    throw new TemplateException(line, "'generator' object is not reversible");
                }
                List<Object> items = Py.toList(defined(v, line), line);
                yield items.isEmpty() ? Undefined.named("last item") : items.get(items.size() - 1);
            }
            case "float" -> {
                Params p = new Params(name, args, kw, line, "default");
                yield toFloat(v, p.get("default", 0.0));
            }
            case "int" -> {
                Params p = new Params(name, args, kw, line, "default", "base");
                yield toInt(v, p.get("default", 0L), p.integer("base", 10));
            }
            case "format" -> {
                String format = Py.str(v);
                if (!kw.isEmpty() && !args.isEmpty()) {
                    throw new TemplateException(line, "format takes positional or named arguments, not both");
                }
                Object values = kw.isEmpty() ? Py.list(new ArrayList<>(args))
                        : Collections.unmodifiableMap(new LinkedHashMap<Object, Object>(kw));
                yield PercentFormat.format(r, format, values, line);
            }
            case "indent" -> {
                Params p = new Params(name, args, kw, line, "width", "first", "blank");
                Object w = p.get("width", 4L);
                String indention = w instanceof String s ? s : " ".repeat((int) Math.max(0, Math.min(1000, p.integer("width", 4))));
                yield indent(r, Py.str(v), indention, p.bool("first", false), p.bool("blank", false), line);
            }
            case "items" -> {
                new Params(name, args, kw, line);
                if (v instanceof Undefined) {
                    yield new Py.Generator(new ArrayList<>());
                }
                if (!(v instanceof Map<?, ?> m)) {
                    throw new TemplateException(line, "items needs a dict, not " + Py.typeName(v));
                }
                List<Object> pairs = new ArrayList<>();
                m.forEach((k, x) -> pairs.add(Py.tuple(k, x)));
                yield new Py.Generator(pairs);
            }
            case "join" -> {
                Params p = new Params(name, args, kw, line, "d", "attribute");
                String separator = Py.str(p.get("d", ""));
                List<String> parts = new ArrayList<>();
                long size = 0;
                for (Object o : Py.iterate(v, line)) {
                    String s = Py.str(p.has("attribute") ? attributePath(o, p.get("attribute", null), line) : o);
                    r.grow(size, s.length() + separator.length(), line);
                    size += s.length() + separator.length();
                    parts.add(s);
                }
                yield String.join(separator, parts);
            }
            case "list" -> {
                new Params(name, args, kw, line);
                yield Py.list(new ArrayList<>(Py.toList(v, line)));
            }
            case "lower" -> string(v, name, args, kw, line).toLowerCase(Locale.ROOT);
            case "upper" -> string(v, name, args, kw, line).toUpperCase(Locale.ROOT);
            case "title" -> title(string(v, name, args, kw, line));
            case "map" -> map(r, v, args, kw, line);
            case "max", "min" -> {
                Params p = new Params(name, args, kw, line, "case_sensitive", "attribute");
                List<Object> items = Py.toList(defined(v, line), line);
                if (items.isEmpty()) {
                    yield Undefined.named(name + " of an empty sequence");
                }
                Function<Object, Object> key = keyFunction(p, line);
                Comparator<Object> order = Comparator.comparing(key, Builtins.ordering(line));
                r.charge(items.size(), line);
                yield name.equals("max") ? Collections.max(items, order) : Collections.min(items, order);
            }
            case "select", "reject" -> select(r, v, null, args, kw, name.equals("select"), line);
            case "selectattr", "rejectattr" -> {
                if (args.isEmpty()) {
                    throw new TemplateException(line, name + " needs an attribute name");
                }
                yield select(r, v, Py.str(args.get(0)), args.subList(1, args.size()), kw, name.equals("selectattr"), line);
            }
            case "replace" -> {
                Params p = new Params(name, args, kw, line, "old", "new", "count");
                String s = Py.str(v);
                yield StringMethods.replace(r, s, Py.str(p.required("old")), Py.str(p.required("new")),
                        p.has("count") ? p.integer("count", -1) : -1, line);
            }
            case "reverse" -> {
                new Params(name, args, kw, line);
                if (v instanceof String s) {
                    yield new StringBuilder(s).reverse().toString();
                }
                List<Object> items = new ArrayList<>(Py.toList(defined(v, line), line));
                Collections.reverse(items);
                yield new Py.Generator(items);
            }
            case "round" -> {
                Params p = new Params(name, args, kw, line, "precision", "method");
                double x = Py.asDouble(number(v, line));
                long precision = p.integer("precision", 0);
                RoundingMode mode = switch (p.string("method", "common")) {
                    case "common" -> RoundingMode.HALF_EVEN; // Python's round()
                    case "ceil" -> RoundingMode.CEILING;
                    case "floor" -> RoundingMode.FLOOR;
                    default -> throw new TemplateException(line, "round: method is 'common', 'ceil' or 'floor'");
                };
                yield Double.isFinite(x) ? Builtins.round(x, precision, mode).doubleValue() : x;
            }
            case "sort" -> {
                Params p = new Params(name, args, kw, line, "reverse", "case_sensitive", "attribute");
                List<Object> items = new ArrayList<>(Py.toList(defined(v, line), line));
                Comparator<Object> order = Comparator.comparing(keyFunction(p, line), Builtins.ordering(line));
                items.sort(p.bool("reverse", false) ? order.reversed() : order);
                r.charge(items.size() * 8L, line);
                yield Py.list(items);
            }
            case "sum" -> {
                Params p = new Params(name, args, kw, line, "attribute", "start");
                Object total = p.get("start", 0L);
                for (Object o : Py.iterate(defined(v, line), line)) {
                    total = Builtins.binary(r, "+", total, p.has("attribute") ? attributePath(o, p.get("attribute", null), line) : o, line);
                }
                yield total;
            }
            case "tojson" -> {
                Params p = new Params(name, args, kw, line, "ensure_ascii", "indent", "separators", "sort_keys");
                yield Json.dumps(r, v, p, line);
            }
            case "truncate" -> {
                Params p = new Params(name, args, kw, line, "length", "killwords", "end", "leeway");
                String s = Py.str(v);
                long length = p.integer("length", 255);
                String end = p.string("end", "...");
                long leeway = p.integer("leeway", 5);
                if (s.length() <= length + leeway) {
                    yield s;
                }
                int cut = (int) Math.max(0, Math.min(s.length(), length - end.length()));
                if (p.bool("killwords", false)) {
                    yield s.substring(0, cut) + end;
                }
                String head = s.substring(0, cut);
                int space = head.lastIndexOf(' ');
                yield (space >= 0 ? head.substring(0, space) : head) + end;
            }
            case "unique" -> {
                Params p = new Params(name, args, kw, line, "case_sensitive", "attribute");
                Function<Object, Object> key = keyFunction(p, line);
                List<Object> seen = new ArrayList<>();
                List<Object> out = new ArrayList<>();
                for (Object o : Py.iterate(defined(v, line), line)) {
                    Object k = key.apply(o);
                    r.charge(seen.size() + 1L, line);
                    if (seen.stream().noneMatch(s -> Py.equal(s, k))) {
                        seen.add(k);
                        out.add(o);
                    }
                }
                yield new Py.Generator(out);
            }
            case "wordcount" -> {
                new Params(name, args, kw, line);
                Matcher m = WORD.matcher(Py.str(v));
                long n = 0;
                while (m.find()) {
                    n++;
                }
                yield n;
            }
            default -> throw new TemplateException(line, "no filter named '" + name + "'");
        };
    }

    private static Object defined(Object v, int line) {
        if (v instanceof Undefined u) {
            throw u.error(line);
        }
        return v;
    }

    private static Object number(Object v, int line) {
        if (!Py.isNumber(defined(v, line))) {
            throw new TemplateException(line, "expected a number, not " + Py.typeName(v));
        }
        return v;
    }

    private static String string(Object v, String name, List<Object> args, Map<String, Object> kw, int line) {
        new Params(name, args, kw, line);
        return Py.str(v);
    }

    /** Case-insensitive sorting lowers strings, as Jinja's ignore_case. */
    private static Object fold(Object v, boolean caseSensitive) {
        return !caseSensitive && v instanceof String s ? s.toLowerCase(Locale.ROOT) : v;
    }

    private static Function<Object, Object> keyFunction(Params p, int line) {
        boolean caseSensitive = p.bool("case_sensitive", false);
        Object attribute = p.get("attribute", null);
        return o -> fold(attribute == null ? o : attributePath(o, attribute, line), caseSensitive);
    }

    /** Jinja's attribute paths: "a.b" and integer parts index lists. */
    static Object attributePath(Object o, Object attribute, int line) {
        if (Py.isInteger(attribute)) {
            return Builtins.item(o, attribute, line);
        }
        Object v = o;
        for (String part : Py.str(attribute).split("\\.", -1)) {
            if (v instanceof Undefined) {
                return v;
            }
            Object index = part.chars().allMatch(Character::isDigit) && !part.isEmpty() ? (Object) Long.parseLong(part) : part;
            v = Builtins.item(v, index, line);
        }
        return v;
    }

    private static Object map(Renderer r, Object v, List<Object> args, Map<String, Object> kw, int line) {
        List<Object> out = new ArrayList<>();
        if (!Py.truthy(v)) {
            // Jinja's map starts with "if value:", so a false value maps to nothing.
            return new Py.Generator(out);
        }
        if (args.isEmpty() && kw.containsKey("attribute")) {
            Object attribute = kw.get("attribute");
            Object otherwise = kw.get("default");
            for (String key : kw.keySet()) {
                if (!key.equals("attribute") && !key.equals("default")) {
                    throw new TemplateException(line, "map has no argument '" + key + "'");
                }
            }
            for (Object o : Py.iterate(v, line)) {
                Object x = attributePath(o, attribute, line);
                out.add(x instanceof Undefined && kw.containsKey("default") ? otherwise : x);
            }
            return new Py.Generator(out);
        }
        if (args.isEmpty()) {
            throw new TemplateException(line, "map needs a filter name or attribute=");
        }
        String filter = Py.str(args.get(0));
        List<Object> rest = args.subList(1, args.size());
        for (Object o : Py.iterate(v, line)) {
            out.add(apply(r, filter, o, rest, kw, line));
        }
        return new Py.Generator(out);
    }

    private static Object select(Renderer r, Object v, String attribute, List<Object> args, Map<String, Object> kw,
                                 boolean keep, int line) {
        List<Object> out = new ArrayList<>();
        if (!Py.truthy(v)) {
            // Jinja's select_or_reject starts with "if value:".
            return new Py.Generator(out);
        }
        for (Object o : Py.iterate(v, line)) {
            Object x = attribute == null ? o : attributePath(o, attribute, line);
            boolean passed = args.isEmpty() ? Py.truthy(x)
                    : Builtins.test(r, Py.str(args.get(0)), x, args.subList(1, args.size()), kw, line);
            r.charge(1, line);
            if (passed == keep) {
                out.add(o);
            }
        }
        return new Py.Generator(out);
    }

    /** Jinja's title: each word's first character upper-cased, the rest lower-cased. */
    static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        Matcher m = WORD_BEGINNING.matcher(s);
        int from = 0;
        while (m.find()) {
            titleWord(out, s.substring(from, m.start()));
            out.append(m.group());
            from = m.end();
        }
        titleWord(out, s.substring(from));
        return out.toString();
    }

    private static void titleWord(StringBuilder out, String word) {
        if (!word.isEmpty()) {
            out.append(word.substring(0, 1).toUpperCase(Locale.ROOT)).append(word.substring(1).toLowerCase(Locale.ROOT));
        }
    }

    private static String indent(Renderer r, String s, String indention, boolean first, boolean blank, int line) {
        List<String> lines = StringMethods.splitlines(s + "\n");
        r.checkSize(s.length() + (long) lines.size() * indention.length(), line);
        StringBuilder out = new StringBuilder();
        if (blank) {
            for (int i = 0; i < lines.size(); i++) {
                out.append(i == 0 ? "" : "\n" + indention).append(lines.get(i));
            }
        } else {
            out.append(lines.isEmpty() ? "" : lines.get(0));
            for (int i = 1; i < lines.size(); i++) {
                out.append('\n');
                if (!lines.get(i).isEmpty()) {
                    out.append(indention);
                }
                out.append(lines.get(i));
            }
        }
        return first ? indention + out : out.toString();
    }

    private static Object toInt(Object v, Object otherwise, long base) {
        return switch (v) {
            case Long l -> l;
            case Boolean b -> b ? 1L : 0L;
            case Double d -> Double.isFinite(d) && Math.abs(d) < 9.2e18 ? (Object) (long) (double) d : otherwise;
            case String s -> {
                String t = s.strip().replace("_", "");
                boolean negative = t.startsWith("-");
                String digits = t.startsWith("+") || negative ? t.substring(1) : t;
                String lower = digits.toLowerCase(Locale.ROOT);
                // Python's int(s, base) takes the 0x, 0o and 0b prefix of its base (base 0: any).
                long radix = base;
                for (String[] prefix : new String[][] {{"0x", "16"}, {"0o", "8"}, {"0b", "2"}}) {
                    long r2 = Long.parseLong(prefix[1]);
                    if (lower.startsWith(prefix[0]) && (base == r2 || base == 0)) {
                        digits = digits.substring(2);
                        radix = r2;
                    }
                }
                if (radix == 0) {
                    radix = 10;
                }
                try {
                    yield Long.parseLong((negative ? "-" : "") + digits, (int) Math.max(2, Math.min(36, radix)));
                } catch (NumberFormatException e) {
                    try {
                        double d = Double.parseDouble(t);
                        yield Double.isFinite(d) && Math.abs(d) < 9.2e18 ? (Object) (long) d : otherwise;
                    } catch (NumberFormatException e2) {
                        yield otherwise;
                    }
                }
            }
            case null, default -> otherwise;
        };
    }

    private static Object toFloat(Object v, Object otherwise) {
        return switch (v) {
            case Double d -> d;
            case Long l -> (double) l;
            case Boolean b -> b ? 1.0 : 0.0;
            case String s -> {
                try {
                    String t = s.strip();
                    if (!t.matches("[+-]?(\\d[\\d_]*\\.?[\\d_]*|\\.\\d[\\d_]*)([eE][+-]?\\d+)?|[+-]?(inf|infinity|nan)")) {
                        yield otherwise;
                    }
                    yield switch (t.toLowerCase(Locale.ROOT).replace("+", "")) {
                        case "inf", "infinity" -> Double.POSITIVE_INFINITY;
                        case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
                        case "nan", "-nan" -> Double.NaN;
                        default -> Double.parseDouble(t.replace("_", ""));
                    };
                } catch (NumberFormatException e) {
                    yield otherwise;
                }
            }
            case null, default -> otherwise;
        };
    }
}
