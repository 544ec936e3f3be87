package dev.recall.runtime.template;

import dev.recall.runtime.template.Builtins.Params;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Python's {@code str} methods inside templates ({@code content.strip()}, {@code text.split('</think>')[-1]},
 * {@code role.startswith('sys')}...), with CPython's results: chat templates are written for Jinja on
 * Python, where a string's methods are Python's.
 */
final class StringMethods {

    static final Set<String> NAMES = Set.of("strip", "lstrip", "rstrip", "startswith", "endswith", "split", "rsplit",
            "splitlines", "lower", "upper", "title", "capitalize", "replace", "find", "rfind", "index", "count", "join",
            "isspace", "isdigit", "isalpha", "isalnum", "islower", "isupper", "center", "format", "removeprefix",
            "removesuffix", "zfill", "swapcase");

    private StringMethods() {
    }

    static Object call(Renderer r, String name, String s, List<Object> args, Map<String, Object> kw, int line) {
        String fn = "str." + name;
        return switch (name) {
            case "strip", "lstrip", "rstrip" -> {
                Object chars = new Params(fn, args, kw, line, "chars").get("chars", null);
                yield strip(s, chars == null ? null : Py.str(chars), !name.equals("rstrip"), !name.equals("lstrip"));
            }
            case "startswith", "endswith" -> {
                Object affix = new Params(fn, args, kw, line, "prefix").required("prefix");
                List<Object> options = affix instanceof List<?> l ? new ArrayList<>(l) : List.of(affix);
                for (Object o : options) {
                    if (!(o instanceof String a)) {
                        throw new TemplateException(line, fn + " takes a string or a tuple of strings, not " + Py.typeName(o));
                    }
                    if (name.equals("startswith") ? s.startsWith(a) : s.endsWith(a)) {
                        yield true;
                    }
                }
                yield false;
            }
            case "split", "rsplit" -> {
                Params p = new Params(fn, args, kw, line, "sep", "maxsplit");
                Object sep = p.get("sep", null);
                if (sep != null && (!(sep instanceof String sepText) || sepText.isEmpty())) {
                    throw new TemplateException(line, fn + ": the separator must be a non-empty string");
                }
                long max = p.integer("maxsplit", -1);
                r.charge(1 + s.length() / 64, line);
                List<String> parts = name.equals("split") ? split(s, (String) sep, max) : rsplit(s, (String) sep, max);
                yield Py.list(new ArrayList<>(parts));
            }
            case "splitlines" -> {
                new Params(fn, args, kw, line);
                yield Py.list(new ArrayList<>(splitlines(s)));
            }
            case "lower" -> noArgs(fn, args, kw, line, s.toLowerCase(Locale.ROOT));
            case "upper" -> noArgs(fn, args, kw, line, s.toUpperCase(Locale.ROOT));
            case "swapcase" -> {
                new Params(fn, args, kw, line);
                StringBuilder b = new StringBuilder(s.length());
                s.codePoints().forEach(c -> b.appendCodePoint(Character.isUpperCase(c) ? Character.toLowerCase(c)
                        : Character.isLowerCase(c) ? Character.toUpperCase(c) : c));
                yield b.toString();
            }
            case "title" -> noArgs(fn, args, kw, line, pythonTitle(s));
            case "capitalize" -> noArgs(fn, args, kw, line, capitalize(s));
            case "replace" -> {
                Params p = new Params(fn, args, kw, line, "old", "new", "count");
                yield replace(r, s, Py.str(p.required("old")), Py.str(p.required("new")), p.integer("count", -1), line);
            }
            case "find", "rfind", "index" -> {
                String sub = Py.str(new Params(fn, args, kw, line, "sub").required("sub"));
                int at = name.equals("rfind") ? s.lastIndexOf(sub) : s.indexOf(sub);
                if (at < 0 && name.equals("index")) {
                    throw new TemplateException(line, "substring not found");
                }
                yield (long) (at < 0 ? -1 : s.codePointCount(0, at));
            }
            case "count" -> {
                String sub = Py.str(new Params(fn, args, kw, line, "sub").required("sub"));
                yield count(s, sub);
            }
            case "join" -> {
                Object items = new Params(fn, args, kw, line, "iterable").required("iterable");
                List<String> parts = new ArrayList<>();
                long size = 0;
                for (Object o : Py.iterate(items, line)) {
                    if (!(o instanceof String part)) {
                        throw new TemplateException(line, "str.join expects strings, found " + Py.typeName(o));
                    }
                    r.grow(size, part.length() + s.length(), line);
                    size += part.length() + s.length();
                    parts.add(part);
                }
                yield String.join(s, parts);
            }
            case "isspace" -> noArgs(fn, args, kw, line, !s.isEmpty() && s.chars().allMatch(c -> Py.isSpace((char) c)));
            case "isdigit" -> noArgs(fn, args, kw, line, !s.isEmpty() && s.codePoints().allMatch(Character::isDigit));
            case "isalpha" -> noArgs(fn, args, kw, line, !s.isEmpty() && s.codePoints().allMatch(Character::isLetter));
            case "isalnum" -> noArgs(fn, args, kw, line, !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit));
            case "islower" -> noArgs(fn, args, kw, line, s.codePoints().anyMatch(Character::isLowerCase)
                    && s.equals(s.toLowerCase(Locale.ROOT)));
            case "isupper" -> noArgs(fn, args, kw, line, s.codePoints().anyMatch(Character::isUpperCase)
                    && s.equals(s.toUpperCase(Locale.ROOT)));
            case "center" -> {
                long width = new Params(fn, args, kw, line, "width").integer("width", 0);
                r.checkSize(width, line);
                yield center(s, (int) width);
            }
            case "zfill" -> {
                long width = new Params(fn, args, kw, line, "width").integer("width", 0);
                r.checkSize(width, line);
                if (s.length() >= width) {
                    yield s;
                }
                boolean signed = !s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+');
                String zeros = "0".repeat((int) width - s.length());
                yield signed ? s.charAt(0) + zeros + s.substring(1) : zeros + s;
            }
            case "removeprefix" -> {
                String prefix = Py.str(new Params(fn, args, kw, line, "prefix").required("prefix"));
                yield s.startsWith(prefix) ? s.substring(prefix.length()) : s;
            }
            case "removesuffix" -> {
                String suffix = Py.str(new Params(fn, args, kw, line, "suffix").required("suffix"));
                yield !suffix.isEmpty() && s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : s;
            }
            case "format" -> BraceFormat.format(r, s, args, kw, line);
            default -> throw new TemplateException(line, "str has no method '" + name + "'");
        };
    }

    private static Object noArgs(String fn, List<Object> args, Map<String, Object> kw, int line, Object result) {
        new Params(fn, args, kw, line);
        return result;
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int from = 0;
        int to = s.length();
        while (left && from < to && stripped(s.charAt(from), chars)) {
            from++;
        }
        while (right && to > from && stripped(s.charAt(to - 1), chars)) {
            to--;
        }
        return s.substring(from, to);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? Py.isSpace(c) : chars.indexOf(c) >= 0;
    }

    static List<String> split(String s, String separator, long maxSplit) {
        List<String> out = new ArrayList<>();
        if (separator == null) {
            // No separator: runs of whitespace separate, and empty pieces never appear.
            int i = 0;
            int n = s.length();
            while (i < n) {
                while (i < n && Py.isSpace(s.charAt(i))) {
                    i++;
                }
                if (i == n) {
                    break;
                }
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(strip(s.substring(i), null, false, true));
                    return out;
                }
                int start = i;
                while (i < n && !Py.isSpace(s.charAt(i))) {
                    i++;
                }
                out.add(s.substring(start, i));
            }
            return out;
        }
        int from = 0;
        int at;
        while ((maxSplit < 0 || out.size() < maxSplit) && (at = s.indexOf(separator, from)) >= 0) {
            out.add(s.substring(from, at));
            from = at + separator.length();
        }
        out.add(s.substring(from));
        return out;
    }

    static List<String> rsplit(String s, String separator, long maxSplit) {
        if (maxSplit < 0) {
            return split(s, separator, maxSplit);
        }
        List<String> out = new ArrayList<>();
        if (separator == null) {
            int i = s.length();
            while (i > 0) {
                while (i > 0 && Py.isSpace(s.charAt(i - 1))) {
                    i--;
                }
                if (i == 0) {
                    break;
                }
                if (out.size() == maxSplit) {
                    out.add(strip(s.substring(0, i), null, true, false));
                    break;
                }
                int end = i;
                while (i > 0 && !Py.isSpace(s.charAt(i - 1))) {
                    i--;
                }
                out.add(s.substring(i, end));
            }
            Collections.reverse(out);
            return out;
        }
        int to = s.length();
        int at;
        while (out.size() < maxSplit && to >= separator.length() && (at = s.lastIndexOf(separator, to - separator.length())) >= 0) {
            out.add(s.substring(at + separator.length(), to));
            to = at;
        }
        out.add(s.substring(0, to));
        Collections.reverse(out);
        return out;
    }

    /** Python's str.splitlines: \n, \r\n, \r and the other Unicode line breaks; no final empty piece. */
    static List<String> splitlines(String s) {
        List<String> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\n' || c == '\r' || c == '\u000b' || c == '\u000c' || c == '\u001c' || c == '\u001d'
                    || c == '\u001e' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                out.add(s.substring(start, i));
                i += c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n' ? 2 : 1;
                start = i;
            } else {
                i++;
            }
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return out;
    }

    /** Python's str.title: a letter after a non-letter is upper-cased, other letters lower-cased. */
    private static String pythonTitle(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            previousCased = Character.isLetter(c);
        }
        return b.toString();
    }

    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int first = s.codePointAt(0);
        int n = Character.charCount(first);
        return new String(Character.toChars(Character.toTitleCase(first))) + s.substring(n).toLowerCase(Locale.ROOT);
    }

    static String center(String s, int width) {
        if (width <= s.length()) {
            return s;
        }
        int pad = width - s.length();
        // CPython's rule for where the odd space goes.
        int left = pad / 2 + (pad & width & 1);
        return " ".repeat(left) + s + " ".repeat(pad - left);
    }

    static String replace(Renderer r, String s, String old, String replacement, long count, int line) {
        long matches = old.isEmpty() ? s.length() + 1L : count(s, old);
        long done = count < 0 ? matches : Math.min(count, matches);
        r.checkSize(s.length() + done * (replacement.length() - (long) old.length()), line);
        if (count < 0) {
            if (old.isEmpty()) {
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < s.length(); i++) {
                    b.append(replacement).append(s.charAt(i));
                }
                return b.append(replacement).toString();
            }
            return s.replace(old, replacement);
        }
        StringBuilder b = new StringBuilder();
        int from = 0;
        for (long k = 0; k < count && from <= s.length(); k++) {
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            b.append(s, from, at).append(replacement);
            if (old.isEmpty()) {
                // An empty pattern matches before every character and once at the end.
                if (at < s.length()) {
                    b.append(s.charAt(at));
                }
                from = at + 1;
            } else {
                from = at + old.length();
            }
        }
        return from <= s.length() ? b.append(s.substring(from)).toString() : b.toString();
    }

    static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.codePointCount(0, s.length()) + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }
}
