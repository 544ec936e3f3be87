package dev.recall.cli;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/** Human-readable numbers for the CLI's reports. */
final class Formats {

    private Formats() {
    }

    /** 5,606,160 (5.3 MiB) */
    static String bytes(long n) {
        return n < 1024 ? count(n) + " bytes" : count(n) + " bytes (" + shortBytes(n) + ")";
    }

    /** 5.3 MiB, 812 B */
    static String shortBytes(long n) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? n + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** 2,801,664 */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    static String duration(long nanos) {
        double ms = nanos / 1e6;
        return ms < 1000 ? String.format(Locale.ROOT, "%.1f ms", ms) : String.format(Locale.ROOT, "%.2f s", ms / 1000);
    }

    static String rate(double perSecond) {
        return Double.isNaN(perSecond) ? "n/a" : String.format(Locale.ROOT, "%.1f", perSecond);
    }

    /**
     * Diagnostics values: arrays (primitive or not) and collections are listed element by element,
     * fractions get 4 decimals, everything else is printed as is.
     */
    static String value(Object v) {
        if (v != null && v.getClass().isArray()) {
            List<Object> elements = new ArrayList<>();
            for (int i = 0; i < Array.getLength(v); i++) {
                elements.add(Array.get(v, i));
            }
            return value(elements);
        }
        if (v instanceof Collection<?> c) {
            StringJoiner list = new StringJoiner(", ", "[", "]");
            for (Object e : c) {
                list.add(value(e));
            }
            return list.toString();
        }
        if (v instanceof Double || v instanceof Float) {
            return String.format(Locale.ROOT, "%.4f", ((Number) v).doubleValue());
        }
        return String.valueOf(v);
    }
}
