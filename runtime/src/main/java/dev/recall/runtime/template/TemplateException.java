package dev.recall.runtime.template;

/**
 * A template that cannot be parsed or rendered: one line, at most {@value #MAX_MESSAGE} characters
 * of message, with the template line it happened on (0 when no line applies).
 */
public final class TemplateException extends RuntimeException {

    static final int MAX_MESSAGE = 200;

    private final int line;
    private final boolean raised;

    TemplateException(int line, String message) {
        this(line, message, false);
    }

    private TemplateException(int line, String message, boolean raised) {
        super(oneLine(message), null, false, false);
        this.line = line;
        this.raised = raised;
    }

    /** What {@code raise_exception(message)} throws: the template's own refusal. */
    static TemplateException raised(int line, String message) {
        return new TemplateException(line, message, true);
    }

    TemplateException atLine(int newLine) {
        return line > 0 || newLine <= 0 ? this : new TemplateException(newLine, getMessage(), raised);
    }

    /** The template line, from 1; 0 when unknown. */
    public int line() {
        return line;
    }

    /** Whether the template itself refused (through {@code raise_exception}). */
    public boolean raisedByTemplate() {
        return raised;
    }

    /** A message on one line: control characters shown escaped, cut to {@value #MAX_MESSAGE} characters. */
    public static String oneLine(String message) {
        StringBuilder out = new StringBuilder(Math.min(message.length(), MAX_MESSAGE) + 8);
        for (int i = 0; i < message.length() && out.length() < MAX_MESSAGE; i++) {
            char c = message.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        out.append(String.format("\\x%02x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        if (out.length() >= MAX_MESSAGE && message.length() > MAX_MESSAGE) {
            out.setLength(MAX_MESSAGE - 1);
            out.append('…');
        }
        return out.toString();
    }

    /** A value as it may appear in a message: cut short. */
    static String quote(String s) {
        return s.length() <= 40 ? s : s.substring(0, 39) + "…";
    }
}
