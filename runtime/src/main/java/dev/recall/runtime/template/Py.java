package dev.recall.runtime.template;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python's semantics for the values a template sees: {@code None} (null), {@code bool}, {@code int}
 * (long), {@code float} (double), {@code str}, {@code list} (an unmodifiable {@link List}),
 * {@code dict} (an unmodifiable {@link Map}), plus Jinja's {@link Undefined}, {@link Namespace} and
 * callables. str(), repr(), truthiness, ==, ordering and the arithmetic operators behave as in
 * CPython, since templates are written against it.
 */
final class Py {

    private Py() {
    }

    /** Jinja's undefined value: prints as nothing, is false, and fails when used further. */
    record Undefined(String name, String unsafe) {

        static Undefined named(String name) {
            return new Undefined(name, null);
        }

        TemplateException error(int line) {
            if (unsafe != null) {
                return new TemplateException(line, "access to '" + TemplateException.quote(name) + "' is not allowed: " + unsafe);
            }
            return new TemplateException(line, "'" + TemplateException.quote(name) + "' is undefined");
        }
    }

    /** {@code namespace(...)}: the one object a template may change, through {@code set ns.x = ...}. */
    static final class Namespace {
        final Map<String, Object> attributes = new LinkedHashMap<>();
    }

    /**
     * What Jinja's map, select, reject, selectattr, rejectattr, items, batch, unique and reverse return:
     * a Python iterator. It is always true, has no length, is not JSON, and is used up by one pass.
     */
    static final class Generator implements Iterable<Object> {
        private List<Object> items;

        Generator(List<Object> items) {
            this.items = items;
        }

        @Override
        public Iterator<Object> iterator() {
            List<Object> remaining = items;
            items = List.of();
            return remaining.iterator();
        }
    }

    /**
     * markupsafe's Markup, which Jinja's {@code safe} and {@code escape} filters return: a string that
     * HTML-escapes what is added to it with {@code +}. Templates rely on that: {@code "a"|safe + x}
     * escapes x. Everywhere else it is the string it holds.
     */
    record Markup(String text) {

        /** Strings, and lists of strings, returned by a Markup's methods are Markup. */
        static Object wrap(Object result) {
            if (result instanceof String s) {
                return new Markup(s);
            }
            if (result instanceof List<?> l) {
                List<Object> out = new ArrayList<>(l.size());
                l.forEach(o -> out.add(o instanceof String s ? new Markup(s) : o));
                return list(out);
            }
            return result;
        }

        static String escape(String s) {
            return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&#34;").replace("'", "&#39;");
        }
    }

    /** A Markup as the plain string it holds; anything else as it is. */
    static Object plain(Object o) {
        return o instanceof Markup m ? m.text() : o;
    }

    /** Anything a template can call: macros, global functions, bound methods. */
    interface Callable {
        Object call(Renderer renderer, List<Object> args, Map<String, Object> kwargs, int line);
    }

    /** A list the template built or was given; nothing may change it. */
    static List<Object> list(List<Object> items) {
        return Collections.unmodifiableList(items);
    }

    static List<Object> tuple(Object... items) {
        List<Object> out = new ArrayList<>(items.length);
        Collections.addAll(out, items);
        return new Tuple(out);
    }

    /** A Python tuple: a list that prints as (a, b) and is not equal to a list. */
    static final class Tuple extends java.util.AbstractList<Object> implements java.util.RandomAccess {
        private final List<Object> items;

        Tuple(List<Object> items) {
            this.items = items;
        }

        @Override
        public Object get(int index) {
            return items.get(index);
        }

        @Override
        public int size() {
            return items.size();
        }
    }

    // ---- characters -------------------------------------------------------------------------

    /** Python's str.isspace for one character (Java's isWhitespace misses the no-break spaces). */
    static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    static boolean isAllSpace(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            if (!isSpace(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    static boolean isNameStart(char c) {
        return c == '_' || Character.isLetter(c);
    }

    static boolean isNameChar(char c) {
        return c == '_' || Character.isLetterOrDigit(c);
    }

    static String rstrip(String s) {
        int to = s.length();
        while (to > 0 && isSpace(s.charAt(to - 1))) {
            to--;
        }
        return s.substring(0, to);
    }

    // ---- types, truth, str, repr ------------------------------------------------------------

    static String typeName(Object o) {
        return switch (plain(o)) {
            case null -> "NoneType";
            case Boolean b -> "bool";
            case Long l -> "int";
            case Double d -> "float";
            case String s -> "str";
            case Tuple t -> "tuple";
            case List<?> l -> "list";
            case Map<?, ?> m -> "dict";
            case Undefined u -> "Undefined";
            case Namespace n -> "Namespace";
            case Callable c -> "function";
            case Generator g -> "generator";
            default -> "object";
        };
    }

    static boolean truthy(Object o) {
        return switch (plain(o)) {
            case null -> false;
            case Boolean b -> b;
            case Long l -> l != 0;
            case Double d -> d != 0.0;
            case String s -> !s.isEmpty();
            case List<?> l -> !l.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            case Undefined u -> false;
            default -> true;
        };
    }

    static String str(Object o) {
        return switch (plain(o)) {
            case null -> "None";
            case String s -> s;
            case Boolean b -> b ? "True" : "False";
            case Long l -> l.toString();
            case Double d -> floatRepr(d);
            case Undefined u -> "";
            default -> repr(o);
        };
    }

    /** How deeply lists and dicts may nest where they are printed, compared or serialised. */
    static final int MAX_VALUE_NESTING = 100;

    static void checkNesting(int depth) {
        if (depth > MAX_VALUE_NESTING) {
            throw new TemplateException(0, "a value nests deeper than " + MAX_VALUE_NESTING + " levels");
        }
    }

    static String repr(Object o) {
        return repr(o, 0);
    }

    private static String repr(Object o, int depth) {
        checkNesting(depth);
        return switch (plain(o)) {
            case String s -> stringRepr(s);
            case List<?> l -> {
                boolean tuple = l instanceof Tuple;
                StringBuilder b = new StringBuilder(tuple ? "(" : "[");
                for (int i = 0; i < l.size(); i++) {
                    b.append(i == 0 ? "" : ", ").append(repr(l.get(i), depth + 1));
                }
                yield b.append(tuple ? (l.size() == 1 ? ",)" : ")") : "]").toString();
            }
            case Map<?, ?> m -> {
                StringBuilder b = new StringBuilder("{");
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    b.append(first ? "" : ", ").append(repr(e.getKey(), depth + 1)).append(": ").append(repr(e.getValue(), depth + 1));
                    first = false;
                }
                yield b.append('}').toString();
            }
            case Namespace n -> "<Namespace " + repr(n.attributes, depth + 1) + ">";
            case Callable c -> "<function>";
            case Undefined u -> "Undefined";
            case Generator g -> "<generator object>";
            case null, default -> str(o);
        };
    }

    private static String stringRepr(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder b = new StringBuilder(s.length() + 2).append(quote);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == quote || c == '\\') {
                b.append('\\').append(c);
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c < 0x20 || c >= 0x7f && c <= 0xa0 || c == 0xad) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append(quote).toString();
    }

    /** Python's repr of a float: the shortest digits that read back, 1e+16 and 1e-05 in exponent form. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        // Double.toString gives the shortest digits that read back (JDK 19+), as Python's repr does.
        BigDecimal v = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = v.unscaledValue().toString();
        int exponent = digits.length() - 1 - v.scale();
        String sign = d < 0 ? "-" : "";
        if (exponent >= -4 && exponent < 16) {
            String plain = v.toPlainString();
            return sign + (plain.indexOf('.') < 0 ? plain + ".0" : plain);
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (Math.abs(exponent) < 10 ? "0" : "") + Math.abs(exponent);
    }

    // ---- comparison -------------------------------------------------------------------------

    static boolean isNumber(Object o) {
        return o instanceof Long || o instanceof Double || o instanceof Boolean;
    }

    static boolean isInteger(Object o) {
        return o instanceof Long || o instanceof Boolean;
    }

    static long asLong(Object o) {
        return o instanceof Boolean b ? (b ? 1 : 0) : (Long) o;
    }

    static double asDouble(Object o) {
        return o instanceof Double d ? d : asLong(o);
    }

    static boolean equal(Object a, Object b) {
        return equal(a, b, 0);
    }

    private static boolean equal(Object x0, Object y0, int depth) {
        checkNesting(depth);
        Object a = plain(x0);
        Object b = plain(y0);
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (isNumber(a) && isNumber(b)) {
            return isInteger(a) && isInteger(b) ? asLong(a) == asLong(b) : asDouble(a) == asDouble(b);
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size() || (x instanceof Tuple) != (y instanceof Tuple)) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                if (!equal(x.get(i), y.get(i), depth + 1)) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : x.entrySet()) {
                if (!y.containsKey(e.getKey()) || !equal(e.getValue(), y.get(e.getKey()), depth + 1)) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Undefined && b instanceof Undefined) {
            return true;
        }
        return a.equals(b);
    }

    /** Python's ordering; mixed types are a TypeError as in Python 3. */
    static int compare(Object a, Object b, String op, int line) {
        return compare(a, b, op, line, 0);
    }

    private static int compare(Object x0, Object y0, String op, int line, int depth) {
        checkNesting(depth);
        Object a = plain(x0);
        Object b = plain(y0);
        if (isNumber(a) && isNumber(b)) {
            return isInteger(a) && isInteger(b) ? Long.compare(asLong(a), asLong(b)) : Double.compare(asDouble(a), asDouble(b));
        }
        if (a instanceof String x && b instanceof String y) {
            return compareCodePoints(x, y);
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                if (!equal(x.get(i), y.get(i))) {
                    return compare(x.get(i), y.get(i), op, line, depth + 1);
                }
            }
            return Integer.compare(x.size(), y.size());
        }
        if (a instanceof Undefined u) {
            throw u.error(line);
        }
        if (b instanceof Undefined u) {
            throw u.error(line);
        }
        throw new TemplateException(line, "'" + op + "' is not supported between " + typeName(a) + " and " + typeName(b));
    }

    private static int compareCodePoints(String x, String y) {
        int n = Math.min(x.length(), y.length());
        for (int i = 0; i < n; i++) {
            int a = x.codePointAt(i);
            int b = y.codePointAt(i);
            if (a != b) {
                return Integer.compare(a, b);
            }
            if (a > 0xffff) {
                i++;
            }
        }
        return Integer.compare(x.length(), y.length());
    }

    /** What {@code for} walks: list items, dict keys, string characters; nothing for undefined. */
    static Iterable<?> iterate(Object o, int line) {
        return switch (plain(o)) {
            case List<?> l -> l;
            case Map<?, ?> m -> m.keySet();
            case String s -> () -> new Iterator<Object>() {
                int i;

                @Override
                public boolean hasNext() {
                    return i < s.length();
                }

                @Override
                public Object next() {
                    int cp = s.codePointAt(i);
                    i += Character.charCount(cp);
                    return new String(Character.toChars(cp));
                }
            };
            case Undefined u -> List.of();
            case Generator g -> g;
            case null, default -> throw new TemplateException(line, "'" + typeName(o) + "' object is not iterable");
        };
    }

    static List<Object> toList(Object o, int line) {
        if (plain(o) instanceof List<?> l) {
            @SuppressWarnings("unchecked")
            List<Object> items = (List<Object>) l;
            return items;
        }
        List<Object> out = new ArrayList<>();
        for (Object item : iterate(o, line)) {
            out.add(item);
        }
        return out;
    }

    static int length(Object o, int line) {
        return switch (plain(o)) {
            case String s -> s.codePointCount(0, s.length());
            case List<?> l -> l.size();
            case Map<?, ?> m -> m.size();
            case Namespace n -> n.attributes.size();
            case Undefined u -> 0;
            case null, default -> throw new TemplateException(line, "object of type '" + typeName(o) + "' has no len()");
        };
    }
}
