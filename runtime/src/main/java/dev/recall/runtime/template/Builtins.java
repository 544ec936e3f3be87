package dev.recall.runtime.template;

import dev.recall.runtime.template.Py.Callable;
import dev.recall.runtime.template.Py.Namespace;
import dev.recall.runtime.template.Py.Undefined;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a template can do with values: attribute and item look-up, the operators, Jinja's filters and
 * tests, the Python methods of str, dict and list that do not modify, and the globals Hugging Face
 * gives chat templates ({@code range}, {@code dict}, {@code namespace}, {@code raise_exception},
 * {@code strftime_now}). Nothing else is reachable.
 */
final class Builtins {

    /** As Jinja's sandbox: larger ranges are refused. */
    static final int MAX_RANGE = 100_000;

    private static final Set<String> LIST_MUTATORS = Set.of("append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse");
    private static final Set<String> DICT_MUTATORS = Set.of("pop", "popitem", "setdefault", "update", "clear");

    private Builtins() {
    }

    // ---- arguments --------------------------------------------------------------------------

    /** Python's binding of positional and named arguments to parameter names. */
    static final class Params {
        private final Map<String, Object> values = new HashMap<>();
        private final String function;
        final int line;

        Params(String function, List<Object> args, Map<String, Object> kwargs, int line, String... names) {
            this.function = function;
            this.line = line;
            if (args.size() > names.length) {
                throw new TemplateException(line, function + " takes at most " + names.length + " arguments, " + args.size() + " given");
            }
            for (int i = 0; i < args.size(); i++) {
                values.put(names[i], args.get(i));
            }
            for (Map.Entry<String, Object> e : kwargs.entrySet()) {
                if (!List.of(names).contains(e.getKey())) {
                    throw new TemplateException(line, function + " has no argument '" + TemplateException.quote(e.getKey()) + "'");
                }
                if (values.containsKey(e.getKey())) {
                    throw new TemplateException(line, function + " got '" + e.getKey() + "' twice");
                }
                values.put(e.getKey(), e.getValue());
            }
        }

        boolean has(String name) {
            return values.containsKey(name) && !(values.get(name) instanceof Undefined);
        }

        Object get(String name, Object otherwise) {
            return has(name) ? values.get(name) : otherwise;
        }

        Object required(String name) {
            if (!values.containsKey(name)) {
                throw new TemplateException(line, function + " needs the argument '" + name + "'");
            }
            return values.get(name);
        }

        String string(String name, String otherwise) {
            Object v = get(name, otherwise);
            return v == null ? null : Py.str(v);
        }

        long integer(String name, long otherwise) {
            Object v = get(name, otherwise);
            if (!Py.isInteger(v)) {
                throw new TemplateException(line, function + ": '" + name + "' should be an integer, not " + Py.typeName(v));
            }
            return Py.asLong(v);
        }

        boolean bool(String name, boolean otherwise) {
            return Py.truthy(get(name, otherwise));
        }
    }

    record Method(String name, Object self, Impl impl) implements Callable {

        interface Impl {
            Object call(Renderer r, Object self, List<Object> args, Map<String, Object> kwargs, int line);
        }

        @Override
        public Object call(Renderer r, List<Object> args, Map<String, Object> kwargs, int line) {
            return impl.call(r, self, args, kwargs, line);
        }
    }

    // ---- globals ----------------------------------------------------------------------------

    static Map<String, Object> globals() {
        Map<String, Object> g = new HashMap<>();
        g.put("range", (Callable) Builtins::range);
        g.put("dict", (Callable) (r, args, kwargs, line) -> {
            if (!args.isEmpty()) {
                throw new TemplateException(line, "dict() takes only named arguments here");
            }
            return Collections.unmodifiableMap(new LinkedHashMap<Object, Object>(kwargs));
        });
        g.put("namespace", (Callable) (r, args, kwargs, line) -> {
            Namespace ns = new Namespace();
            for (Object a : args) {
                if (!(a instanceof Map<?, ?> m)) {
                    throw new TemplateException(line, "namespace() takes a dict or named arguments");
                }
                m.forEach((k, v) -> ns.attributes.put(Py.str(k), v));
            }
            ns.attributes.putAll(kwargs);
            return ns;
        });
        g.put("raise_exception", (Callable) (r, args, kwargs, line) -> {
            throw TemplateException.raised(line, args.isEmpty() ? "" : Py.str(args.get(0)));
        });
        g.put("strftime_now", (Callable) (r, args, kwargs, line) -> {
            String format = Py.str(new Params("strftime_now", args, kwargs, line, "format").required("format"));
            r.checkSize(format.length() * 10L, line);
            return Strftime.format(r.now(), format);
        });
        return g;
    }

    private static Object range(Renderer r, List<Object> args, Map<String, Object> kwargs, int line) {
        if (!kwargs.isEmpty() || args.isEmpty() || args.size() > 3) {
            throw new TemplateException(line, "range() takes 1 to 3 integers");
        }
        for (Object a : args) {
            if (!Py.isInteger(a)) {
                throw new TemplateException(line, "range() takes integers, not " + Py.typeName(a));
            }
        }
        long start = args.size() == 1 ? 0 : Py.asLong(args.get(0));
        long stop = Py.asLong(args.get(args.size() == 1 ? 0 : 1));
        long step = args.size() == 3 ? Py.asLong(args.get(2)) : 1;
        if (step == 0) {
            throw new TemplateException(line, "range() step must not be zero");
        }
        long count = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0)
                : (start > stop ? (start - stop - step - 1) / -step : 0);
        if (count > MAX_RANGE) {
            throw new TemplateException(line, "range() of " + count + " items is more than the limit of " + MAX_RANGE);
        }
        r.charge(count, line);
        List<Object> out = new ArrayList<>((int) count);
        for (long i = 0, v = start; i < count; i++, v += step) {
            out.add(v);
        }
        return Py.list(out);
    }

    // ---- look-up ----------------------------------------------------------------------------

    /** {@code obj.name}: a method, then an item, as Jinja's getattr; undefined when neither. */
    static Object attribute(Object obj, String name, int line) {
        if (name.startsWith("_")) {
            return new Undefined(name, "names starting with '_' are not accessible");
        }
        if (obj instanceof Py.Markup m && StringMethods.NAMES.contains(name)) {
            // markupsafe's methods return Markup again.
            return new Method(name, m.text(), (r, self, args, kw, at) ->
                    Py.Markup.wrap(StringMethods.call(r, name, (String) self, args, kw, at)));
        }
        return switch (obj) {
            case null -> Undefined.named(name);
            case String s -> StringMethods.NAMES.contains(name) ? new Method(name, s, (r, self, args, kw, at) -> StringMethods.call(r, name, (String) self, args, kw, at)) : Undefined.named(name);
            case Map<?, ?> m -> {
                if (DICT_MUTATORS.contains(name)) {
                    yield new Undefined(name, "a template cannot modify data");
                }
                if (Set.of("items", "keys", "values", "get").contains(name)) {
                    yield new Method(name, m, (r, self, args, kw, at) -> dictMethod(name, (Map<?, ?>) self, args, kw, at));
                }
                yield m.containsKey(name) ? m.get(name) : Undefined.named(name);
            }
            case List<?> l -> {
                if (LIST_MUTATORS.contains(name)) {
                    yield new Undefined(name, "a template cannot modify data");
                }
                if (name.equals("index") || name.equals("count")) {
                    yield new Method(name, l, (r, self, args, kw, at) -> listMethod(r, name, (List<?>) self, args, kw, at));
                }
                yield Undefined.named(name);
            }
            case Namespace ns -> ns.attributes.containsKey(name) ? ns.attributes.get(name) : Undefined.named(name);
            case Renderer.LoopInfo loop -> loop.attribute(name);
            default -> Undefined.named(name);
        };
    }

    /** {@code obj[index]}: an item, then a method, as Jinja's getitem; undefined when neither. */
    static Object item(Object obj, Object index0, int line) {
        if (obj instanceof Py.Markup m) {
            return Py.Markup.wrap(item(m.text(), index0, line));
        }
        Object index = Py.plain(index0);
        switch (obj) {
            case Map<?, ?> m -> {
                Object key = index instanceof Boolean || index instanceof Double d && d == Math.rint(d) ? normalizeKey(index) : index;
                if (m.containsKey(key)) {
                    return m.get(key);
                }
            }
            case List<?> l when Py.isInteger(index) -> {
                long i = Py.asLong(index);
                long k = i < 0 ? i + l.size() : i;
                return k >= 0 && k < l.size() ? l.get((int) k) : Undefined.named("[" + i + "]");
            }
            case String s when Py.isInteger(index) -> {
                int[] cps = s.codePoints().toArray();
                long i = Py.asLong(index);
                long k = i < 0 ? i + cps.length : i;
                return k >= 0 && k < cps.length ? new String(cps, (int) k, 1) : Undefined.named("[" + i + "]");
            }
            case null, default -> {
            }
        }
        return index instanceof String name ? attribute(obj, name, line) : Undefined.named("[" + Py.repr(index) + "]");
    }

    private static Object normalizeKey(Object index) {
        return Py.asDouble(index) == (long) Py.asDouble(index) ? (Object) (long) Py.asDouble(index) : index;
    }

    /** Python's slice of a list or string, any step. */
    static Object slice(Renderer r, Object obj, Object start, Object stop, Object step, int line) {
        if (obj instanceof Py.Markup m) {
            return Py.Markup.wrap(slice(r, m.text(), start, stop, step, line));
        }
        List<Object> items;
        int[] cps = null;
        if (obj instanceof String s) {
            cps = s.codePoints().toArray();
            items = null;
        } else if (obj instanceof List<?> l) {
            @SuppressWarnings("unchecked")
            List<Object> list = (List<Object>) l;
            items = list;
        } else {
            throw new TemplateException(line, "a " + Py.typeName(obj) + " cannot be sliced");
        }
        int n = cps != null ? cps.length : items.size();
        long st = sliceBound(step, 1, line);
        if (st == 0) {
            throw new TemplateException(line, "slice step cannot be zero");
        }
        long lo;
        long hi;
        if (st > 0) {
            lo = clamp(sliceBound(start, 0, line), n, 0, n);
            hi = clamp(sliceBound(stop, n, line), n, 0, n);
        } else {
            lo = clamp(sliceBound(start, n - 1, line), n, -1, n - 1);
            hi = stop == null ? -1 : clamp(sliceBound(stop, 0, line), n, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (long i = lo; st > 0 ? i < hi : i > hi; i += st) {
            if (cps != null) {
                text.appendCodePoint(cps[(int) i]);
            } else {
                out.add(items.get((int) i));
            }
        }
        r.charge(n, line);
        return cps != null ? text.toString() : Py.list(out);
    }

    private static long sliceBound(Object v, long otherwise, int line) {
        if (v == null || v instanceof Undefined) {
            return otherwise;
        }
        if (!Py.isInteger(v)) {
            throw new TemplateException(line, "slice indices must be integers or none, not " + Py.typeName(v));
        }
        return Py.asLong(v);
    }

    private static long clamp(long i, int n, long low, long high) {
        long k = i < 0 ? i + n : i;
        return Math.max(low, Math.min(high, k));
    }

    private static Object dictMethod(String name, Map<?, ?> m, List<Object> args, Map<String, Object> kwargs, int line) {
        return switch (name) {
            case "items" -> {
                new Params("dict.items", args, kwargs, line);
                List<Object> out = new ArrayList<>(m.size());
                m.forEach((k, v) -> out.add(Py.tuple(k, v)));
                yield Py.list(out);
            }
            case "keys" -> {
                new Params("dict.keys", args, kwargs, line);
                yield Py.list(new ArrayList<>(m.keySet()));
            }
            case "values" -> {
                new Params("dict.values", args, kwargs, line);
                yield Py.list(new ArrayList<>(m.values()));
            }
            default -> {
                Params p = new Params("dict.get", args, kwargs, line, "key", "default");
                Object key = p.required("key");
                yield m.containsKey(key) ? m.get(key) : p.values.getOrDefault("default", null);
            }
        };
    }

    private static Object listMethod(Renderer r, String name, List<?> l, List<Object> args, Map<String, Object> kwargs, int line) {
        Params p = new Params("list." + name, args, kwargs, line, "value");
        Object value = p.required("value");
        r.charge(l.size(), line);
        if (name.equals("count")) {
            return l.stream().filter(o -> Py.equal(o, value)).count();
        }
        for (int i = 0; i < l.size(); i++) {
            if (Py.equal(l.get(i), value)) {
                return (long) i;
            }
        }
        throw new TemplateException(line, TemplateException.quote(Py.repr(value)) + " is not in the list");
    }

    // ---- operators --------------------------------------------------------------------------

    static Object unary(String op, Object v, int line) {
        if (!Py.isNumber(v)) {
            throw new TemplateException(line, "bad operand type for unary " + op + ": '" + Py.typeName(v) + "'");
        }
        if (op.equals("+")) {
            return v instanceof Boolean ? Py.asLong(v) : v;
        }
        if (v instanceof Double d) {
            return -d;
        }
        long x = Py.asLong(v);
        if (x == Long.MIN_VALUE) {
            throw overflow(line);
        }
        return -x;
    }

    private static TemplateException overflow(int line) {
        return new TemplateException(line, "an integer overflowed 64 bits");
    }

    static Object binary(Renderer r, String op, Object a, Object b, int line) {
        if (a instanceof Undefined u && !op.equals("~")) {
            throw u.error(line);
        }
        if (b instanceof Undefined u && !op.equals("~")) {
            throw u.error(line);
        }
        if (op.equals("~")) {
            String x = Py.str(a);
            String y = Py.str(b);
            r.checkSize((long) x.length() + y.length(), line);
            return x + y;
        }
        if (Py.isNumber(a) && Py.isNumber(b)) {
            return arithmetic(op, a, b, line);
        }
        if (op.equals("+") && (a instanceof Py.Markup || b instanceof Py.Markup)
                && (Py.plain(a) instanceof String) && (Py.plain(b) instanceof String)) {
            String x = a instanceof Py.Markup m ? m.text() : Py.Markup.escape((String) a);
            String y = b instanceof Py.Markup m ? m.text() : Py.Markup.escape((String) b);
            r.checkSize((long) x.length() + y.length(), line);
            return new Py.Markup(x + y);
        }
        a = Py.plain(a);
        b = Py.plain(b);
        switch (op) {
            case "+" -> {
                if (a instanceof String x && b instanceof String y) {
                    r.checkSize((long) x.length() + y.length(), line);
                    return x + y;
                }
                if (a instanceof List<?> x && b instanceof List<?> y) {
                    r.checkSize((long) x.size() + y.size(), line);
                    List<Object> out = new ArrayList<>(x);
                    out.addAll(y);
                    return Py.list(out);
                }
            }
            case "*" -> {
                Object seq = Py.isInteger(a) ? b : a;
                Object times = Py.isInteger(a) ? a : b;
                if (Py.isInteger(times) && (seq instanceof String || seq instanceof List)) {
                    long n = Math.max(0, Py.asLong(times));
                    long unit = seq instanceof String s ? s.length() : ((List<?>) seq).size();
                    if (unit > 0 && n > limitOf(r) / unit) {
                        r.checkSize(limitOf(r) + 1L, line);
                    }
                    r.checkSize(unit * n, line);
                    if (seq instanceof String s) {
                        return s.repeat((int) n);
                    }
                    List<Object> out = new ArrayList<>();
                    for (long i = 0; i < n; i++) {
                        out.addAll((List<?>) seq);
                    }
                    return Py.list(out);
                }
            }
            case "%" -> {
                if (a instanceof String format) {
                    return PercentFormat.format(r, format, b, line);
                }
            }
            default -> {
            }
        }
        throw new TemplateException(line, "unsupported operand types for " + op + ": '" + Py.typeName(a) + "' and '" + Py.typeName(b) + "'");
    }

    private static int limitOf(Renderer r) {
        return r.limits.maxOutputChars();
    }

    private static Object arithmetic(String op, Object a, Object b, int line) {
        if (Py.isInteger(a) && Py.isInteger(b) && !op.equals("/")) {
            long x = Py.asLong(a);
            long y = Py.asLong(b);
            try {
                return switch (op) {
                    case "+" -> Math.addExact(x, y);
                    case "-" -> Math.subtractExact(x, y);
                    case "*" -> Math.multiplyExact(x, y);
                    case "//" -> {
                        zero(y, line);
                        yield Math.floorDiv(x, y);
                    }
                    case "%" -> {
                        zero(y, line);
                        yield Math.floorMod(x, y);
                    }
                    case "**" -> {
                        if (y < 0) {
                            yield Math.pow(x, y);
                        }
                        long result = 1;
                        for (long i = 0; i < y; i++) {
                            result = Math.multiplyExact(result, x);
                            if (result == 0 || result == 1 && x == 1) {
                                break;
                            }
                            if (i > 64 && (x == -1)) {
                                yield y % 2 == 0 ? 1L : -1L;
                            }
                        }
                        yield result;
                    }
                    default -> throw new TemplateException(line, "unknown operator " + op);
                };
            } catch (ArithmeticException e) {
                throw overflow(line);
            }
        }
        double x = Py.asDouble(a);
        double y = Py.asDouble(b);
        return switch (op) {
            case "+" -> x + y;
            case "-" -> x - y;
            case "*" -> x * y;
            case "/" -> {
                if (y == 0) {
                    throw new TemplateException(line, "division by zero");
                }
                yield x / y;
            }
            case "//" -> {
                if (y == 0) {
                    throw new TemplateException(line, "division by zero");
                }
                yield Math.floor(x / y);
            }
            case "%" -> {
                if (y == 0) {
                    throw new TemplateException(line, "division by zero");
                }
                double m = x % y;
                yield m != 0 && (m < 0) != (y < 0) ? m + y : m;
            }
            case "**" -> Math.pow(x, y);
            default -> throw new TemplateException(line, "unknown operator " + op);
        };
    }

    private static void zero(long y, int line) {
        if (y == 0) {
            throw new TemplateException(line, "division by zero");
        }
    }

    static boolean compare(String op, Object a, Object b, int line) {
        return switch (op) {
            case "==" -> Py.equal(a, b);
            case "!=" -> !Py.equal(a, b);
            case "<" -> Py.compare(a, b, op, line) < 0;
            case ">" -> Py.compare(a, b, op, line) > 0;
            case "<=" -> Py.compare(a, b, op, line) <= 0;
            case ">=" -> Py.compare(a, b, op, line) >= 0;
            case "in" -> contains(b, a, line);
            case "not in" -> !contains(b, a, line);
            default -> throw new TemplateException(line, "unknown comparison " + op);
        };
    }

    static boolean contains(Object container0, Object item0, int line) {
        Object container = Py.plain(container0);
        Object item = Py.plain(item0);
        return switch (container) {
            case String s -> {
                if (!(item instanceof String sub)) {
                    throw new TemplateException(line, "'in <string>' requires a string on the left, not " + Py.typeName(item));
                }
                yield s.contains(sub);
            }
            case List<?> l -> l.stream().anyMatch(o -> Py.equal(o, item));
            case Map<?, ?> m -> m.keySet().stream().anyMatch(k -> Py.equal(k, item));
            case Namespace ns -> ns.attributes.containsKey(item);
            case Undefined u -> false;
            case Py.Generator g -> {
                for (Object o : g) {
                    if (Py.equal(o, item)) {
                        yield true;
                    }
                }
                yield false;
            }
            case null, default -> throw new TemplateException(line, "argument of type '" + Py.typeName(container) + "' is not iterable");
        };
    }

    // ---- tests ------------------------------------------------------------------------------

    static boolean test(Renderer r, String name, Object v0, List<Object> args, Map<String, Object> kwargs, int line) {
        Object v = Py.plain(v0);
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "number" -> Py.isNumber(v);
            case "string" -> v instanceof String;
            case "mapping" -> v instanceof Map;
            case "sequence" -> v instanceof String || v instanceof List || v instanceof Map || v instanceof Undefined;
            case "iterable" -> v instanceof String || v instanceof List || v instanceof Map || v instanceof Undefined
                    || v instanceof Py.Generator;
            case "callable" -> v instanceof Callable;
            case "escaped" -> false;
            case "lower" -> v instanceof String s && s.equals(s.toLowerCase(java.util.Locale.ROOT));
            case "upper" -> v instanceof String s && s.equals(s.toUpperCase(java.util.Locale.ROOT));
            case "even", "odd" -> {
                if (!Py.isInteger(v)) {
                    throw new TemplateException(line, "the test '" + name + "' needs an integer, not " + Py.typeName(v));
                }
                yield (Py.asLong(v) % 2 == 0) == name.equals("even");
            }
            case "divisibleby" -> {
                Object d = new Params("divisibleby", args, kwargs, line, "num").required("num");
                Object rem = arithmetic("%", v, d, line);
                yield Py.asDouble(rem) == 0;
            }
            case "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "in" -> {
                Object other = new Params(name, args, kwargs, line, "other").required("other");
                String op = switch (name) {
                    case "eq", "equalto", "==" -> "==";
                    case "ne", "!=" -> "!=";
                    case "lt", "lessthan", "<" -> "<";
                    case "le", "<=" -> "<=";
                    case "gt", "greaterthan", ">" -> ">";
                    case "ge", ">=" -> ">=";
                    default -> "in";
                };
                yield compare(op, v, other, line);
            }
            case "sameas" -> {
                Object other = new Params(name, args, kwargs, line, "other").required("other");
                // CPython's identity for the values templates compare this way: None, booleans, small
                // ints and interned strings are the same object when equal.
                Object o = Py.plain(other);
                yield v == o || v != null && o != null && v.getClass() == o.getClass()
                        && (v instanceof Boolean || v instanceof String || v instanceof Long l && l >= -5 && l <= 256) && v.equals(o);
            }
            case "filter" -> v instanceof String s && Filters.NAMES.contains(s);
            case "test" -> v instanceof String s && TEST_NAMES.contains(s);
            default -> throw new TemplateException(line, "no test named '" + TemplateException.quote(name) + "'");
        };
    }

    static final Set<String> TEST_NAMES = Set.of("defined", "undefined", "none", "boolean", "true", "false", "integer",
            "float", "number", "string", "mapping", "sequence", "iterable", "callable", "escaped", "lower", "upper",
            "even", "odd", "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt",
            "greaterthan", ">", "ge", ">=", "in", "sameas", "filter", "test");

    static Object filter(Renderer r, String name, Object value, List<Object> args, Map<String, Object> kwargs, int line) {
        return Filters.apply(r, name, value, args, kwargs, line);
    }

    /** Sorting with Python's ordering; a mixed list is a TypeError, as in Python. */
    static Comparator<Object> ordering(int line) {
        return (x, y) -> Py.compare(x, y, "<", line);
    }

    static BigDecimal round(double v, long digits, RoundingMode mode) {
        return new BigDecimal(v).setScale((int) Math.max(-300, Math.min(300, digits)), mode);
    }
}
