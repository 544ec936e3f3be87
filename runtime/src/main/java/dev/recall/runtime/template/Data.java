package dev.recall.runtime.template;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The only way values enter a template: copied into plain data (None, bool, int, float, str, and
 * unmodifiable lists and maps of those). No other Java object can reach a template, so a template
 * can call no Java method the engine did not write for it, and cannot change what it was given.
 */
final class Data {

    private static final int MAX_NESTING = 64;

    private Data() {
    }

    static Object of(Object value) {
        return of(value, 0);
    }

    private static Object of(Object value, int depth) {
        if (depth > MAX_NESTING) {
            throw new TemplateException(0, "the data given to the template nests deeper than " + MAX_NESTING + " levels");
        }
        return switch (value) {
            case null -> null;
            case String s -> s;
            case CharSequence s -> s.toString();
            case Boolean b -> b;
            case Long l -> l;
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Byte b -> (long) b;
            case Double d -> d;
            case Float f -> (double) f;
            case BigInteger b -> {
                if (b.bitLength() > 63) {
                    throw new TemplateException(0, "the integer " + TemplateException.quote(b.toString()) + " given to the template is too large");
                }
                yield b.longValue();
            }
            case BigDecimal b -> b.doubleValue();
            case Map<?, ?> m -> {
                Map<Object, Object> copy = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    put(copy, key(of(e.getKey(), depth + 1), 0), of(e.getValue(), depth + 1));
                }
                yield Collections.unmodifiableMap(copy);
            }
            case Iterable<?> it -> {
                List<Object> copy = new ArrayList<>();
                for (Object o : it) {
                    copy.add(of(o, depth + 1));
                }
                yield Py.list(copy);
            }
            case Object[] array -> {
                List<Object> copy = new ArrayList<>(array.length);
                for (Object o : array) {
                    copy.add(of(o, depth + 1));
                }
                yield Py.list(copy);
            }
            default -> throw new TemplateException(0, "a template cannot be given a " + value.getClass().getSimpleName()
                    + ", only text, numbers, booleans, lists and maps");
        };
    }

    /** Python's dict assignment: a key equal to one present (1, 1.0 and True are) replaces its value. */
    static void put(Map<Object, Object> map, Object key, Object value) {
        if (!map.containsKey(key) && (key instanceof Boolean || key instanceof Long || key instanceof Double)) {
            for (Object existing : map.keySet()) {
                if (Py.isNumber(existing) && Py.equal(existing, key)) {
                    map.put(existing, value);
                    return;
                }
            }
        }
        map.put(key, value);
    }

    /** A dict key: Python's hashable values. */
    static Object key(Object key, int line) {
        if (key instanceof Py.Tuple) {
            return key;
        }
        if (key == null || key instanceof String || key instanceof Long || key instanceof Double || key instanceof Boolean) {
            return key;
        }
        throw new TemplateException(line, "unhashable type: '" + Py.typeName(key) + "'");
    }
}
