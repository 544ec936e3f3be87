package dev.recall.runtime.template;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Python's {@code format % values} (printf-style) for {@code %} and the {@code format} filter. */
final class PercentFormat {

    private PercentFormat() {
    }

    static String format(Renderer r, String format, Object values, int line) {
        List<?> args = values instanceof List<?> l ? l : null;
        Map<?, ?> named = values instanceof Map<?, ?> m ? m : null;
        int next = 0;
        StringBuilder out = new StringBuilder();
        int n = format.length();
        for (int i = 0; i < n; i++) {
            char c = format.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (++i >= n) {
                throw new TemplateException(line, "incomplete format");
            }
            Object value;
            String key = null;
            if (format.charAt(i) == '(') {
                int close = format.indexOf(')', i);
                if (close < 0) {
                    throw new TemplateException(line, "incomplete format key");
                }
                key = format.substring(i + 1, close);
                i = close + 1;
            }
            StringBuilder flags = new StringBuilder();
            while (i < n && "-+ 0#".indexOf(format.charAt(i)) >= 0) {
                flags.append(format.charAt(i++));
            }
            int width = 0;
            while (i < n && Character.isDigit(format.charAt(i))) {
                width = Math.min(10_000, width * 10 + format.charAt(i++) - '0');
            }
            int precision = -1;
            if (i < n && format.charAt(i) == '.') {
                i++;
                precision = 0;
                while (i < n && Character.isDigit(format.charAt(i))) {
                    precision = Math.min(1_000, precision * 10 + format.charAt(i++) - '0');
                }
            }
            if (i >= n) {
                throw new TemplateException(line, "incomplete format");
            }
            char type = format.charAt(i);
            if (type == '%') {
                out.append('%');
                continue;
            }
            if (key != null) {
                if (named == null || !named.containsKey(key)) {
                    throw new TemplateException(line, "format key '" + TemplateException.quote(key) + "' is missing");
                }
                value = named.get(key);
            } else if (args != null) {
                if (next >= args.size()) {
                    throw new TemplateException(line, "not enough arguments for format string");
                }
                value = args.get(next++);
            } else {
                if (next++ > 0) {
                    throw new TemplateException(line, "not enough arguments for format string");
                }
                value = values;
            }
            String text = switch (type) {
                case 's' -> precision >= 0 ? cut(Py.str(value), precision) : Py.str(value);
                case 'r', 'a' -> precision >= 0 ? cut(Py.repr(value), precision) : Py.repr(value);
                case 'd', 'i', 'u' -> signed(Long.toString(integer(value, line)), flags);
                case 'x', 'X', 'o' -> {
                    long v = integer(value, line);
                    String digits = type == 'o' ? Long.toOctalString(Math.abs(v)) : Long.toHexString(Math.abs(v));
                    yield signed((v < 0 ? "-" : "") + (type == 'X' ? digits.toUpperCase(Locale.ROOT) : digits), flags);
                }
                case 'f', 'F', 'e', 'E', 'g', 'G' -> {
                    if (!Py.isNumber(value)) {
                        throw new TemplateException(line, "a real number is required, not " + Py.typeName(value));
                    }
                    yield signed(real(Py.asDouble(value), type, precision < 0 ? 6 : precision, flags.indexOf("#") >= 0), flags);
                }
                case 'c' -> value instanceof String s ? s : new String(Character.toChars((int) integer(value, line)));
                default -> throw new TemplateException(line, "unsupported format character '" + type + "'");
            };
            r.grow(out.length(), Math.max(width, text.length()), line);
            if (text.length() < width) {
                String pad = (flags.indexOf("0") >= 0 && flags.indexOf("-") < 0 && type != 's' && type != 'r') ? "0" : " ";
                String fill = pad.repeat(width - text.length());
                if (flags.indexOf("-") >= 0) {
                    text = text + " ".repeat(width - text.length());
                } else if (pad.equals("0") && (text.startsWith("-") || text.startsWith("+"))) {
                    text = text.charAt(0) + fill + text.substring(1);
                } else {
                    text = fill + text;
                }
            }
            out.append(text);
        }
        if (args != null && next < args.size()) {
            throw new TemplateException(line, "not all arguments converted during string formatting");
        }
        return out.toString();
    }

    /** %f, %e and %g as CPython formats them: from the exact binary value, ties to even. */
    static String real(double v, char type, int precision, boolean alternate) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            String s = Double.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
            return Character.isUpperCase(type) ? s.toUpperCase(Locale.ROOT) : s;
        }
        String sign = v < 0 || (v == 0 && 1 / v < 0) ? "-" : "";
        BigDecimal x = new BigDecimal(Math.abs(v));
        String out;
        switch (Character.toLowerCase(type)) {
            case 'f' -> out = x.setScale(precision, RoundingMode.HALF_EVEN).toPlainString();
            case 'e' -> out = scientific(x, precision);
            default -> {
                int p = precision == 0 ? 1 : precision;
                int exponent = x.signum() == 0 ? 0
                        : x.round(new MathContext(p, RoundingMode.HALF_EVEN)).precision() - 1
                        - x.round(new MathContext(p, RoundingMode.HALF_EVEN)).scale();
                out = exponent >= -4 && exponent < p
                        ? x.setScale(p - 1 - exponent, RoundingMode.HALF_EVEN).toPlainString()
                        : scientific(x, p - 1);
                if (!alternate) {
                    int e = out.indexOf('e');
                    String mantissa = e < 0 ? out : out.substring(0, e);
                    if (mantissa.contains(".")) {
                        mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
                    }
                    out = mantissa + (e < 0 ? "" : out.substring(e));
                }
            }
        }
        if (x.signum() == 0 && out.startsWith("-")) {
            out = out.substring(1);
        }
        return sign + (Character.isUpperCase(type) ? out.toUpperCase(Locale.ROOT) : out);
    }

    private static String scientific(BigDecimal x, int decimals) {
        if (x.signum() == 0) {
            return "0" + (decimals > 0 ? "." + "0".repeat(decimals) : "") + "e+00";
        }
        BigDecimal r = x.round(new MathContext(decimals + 1, RoundingMode.HALF_EVEN));
        int exponent = r.precision() - 1 - r.scale();
        String digits = r.unscaledValue().toString();
        digits = (digits + "0".repeat(Math.max(0, decimals + 1 - digits.length()))).substring(0, decimals + 1);
        String mantissa = digits.charAt(0) + (decimals > 0 ? "." + digits.substring(1) : "");
        return mantissa + "e" + (exponent < 0 ? "-" : "+") + (Math.abs(exponent) < 10 ? "0" : "") + Math.abs(exponent);
    }

    private static String cut(String s, int precision) {
        return s.length() <= precision ? s : s.substring(0, precision);
    }

    private static long integer(Object value, int line) {
        if (value instanceof Double d) {
            return (long) (double) d;
        }
        if (!Py.isInteger(value)) {
            throw new TemplateException(line, "a number is required, not " + Py.typeName(value));
        }
        return Py.asLong(value);
    }

    private static String signed(String text, CharSequence flags) {
        if (text.startsWith("-")) {
            return text;
        }
        String f = flags.toString();
        return f.contains("+") ? "+" + text : f.contains(" ") ? " " + text : text;
    }
}
