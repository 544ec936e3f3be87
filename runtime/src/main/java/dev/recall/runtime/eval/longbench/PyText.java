package dev.recall.runtime.eval.longbench;

import java.util.ArrayList;
import java.util.List;

/**
 * The few Python string operations LongBench's metrics are written in, with Python's meaning:
 * strings are sequences of code points, and {@code split()} without an argument splits on what
 * {@code str.isspace()} calls white space (which includes U+00A0 and U+0085, unlike Java's
 * {@link Character#isWhitespace}).
 */
final class PyText {

    private PyText() {
    }

    /** Python's {@code str.isspace()} for one code point. */
    static boolean isSpace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85;
    }

    /** Python's {@code s.split()}: runs of white space separate, none at either end. */
    static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int i = 0, n = s.length();
        while (i < n) {
            while (i < n && isSpace(s.codePointAt(i))) {
                i += Character.charCount(s.codePointAt(i));
            }
            int start = i;
            while (i < n && !isSpace(s.codePointAt(i))) {
                i += Character.charCount(s.codePointAt(i));
            }
            if (i > start) {
                out.add(s.substring(start, i));
            }
        }
        return out;
    }

    /** Python's {@code s.split(sep)} for a literal separator: every piece, empty ones included. */
    static List<String> split(String s, String sep) {
        List<String> out = new ArrayList<>();
        int from = 0;
        for (int at = s.indexOf(sep); at >= 0; at = s.indexOf(sep, from)) {
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    /** Python's {@code s.lstrip(chars)} for the characters of {@code chars}. */
    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        return s.substring(i);
    }

    /** The code points of s, as Python indexes a str. */
    static int[] codePoints(String s) {
        return s.codePoints().toArray();
    }
}
