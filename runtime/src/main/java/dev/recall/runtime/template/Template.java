package dev.recall.runtime.template;

import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * A Jinja template in the dialect Hugging Face renders chat templates with: Jinja 3 syntax in an
 * immutable sandbox ({@code ImmutableSandboxedEnvironment}, {@code trim_blocks},
 * {@code lstrip_blocks}, loop controls). A template sees only the plain data it is given (see
 * {@link #render}) and the documented filters, tests, methods and globals; it cannot load other
 * templates or files, reach Java objects, or change its inputs, and every rendering is bounded by
 * {@link TemplateLimits}. Immutable and safe to share between threads.
 */
public final class Template {

    /** Real chat templates are under 30,000 characters. */
    public static final int MAX_TEMPLATE_CHARS = 1 << 20;

    private final List<Node.Stmt> body;

    private Template(List<Node.Stmt> body) {
        this.body = body;
    }

    /**
     * Parses a template.
     *
     * @throws TemplateException a one-line message with the line, when the text is not a template
     *                           this engine runs
     */
    public static Template parse(String text) {
        if (text.length() > MAX_TEMPLATE_CHARS) {
            throw new TemplateException(0, "the template is " + text.length() + " characters long, more than the limit of "
                    + MAX_TEMPLATE_CHARS);
        }
        try {
            return new Template(Parser.parse(text));
        } catch (StackOverflowError e) {
            // The parser bounds nesting well below a default thread stack; this is a last resort.
            throw new TemplateException(0, "the template nests too deeply");
        }
    }

    /**
     * Renders the template.
     *
     * @param variables names the template sees: text, numbers, booleans, null, and lists and maps of
     *                  those (copied; the template cannot change them)
     * @throws TemplateException a one-line message with the line: a template error, a limit reached,
     *                           or the template's own {@code raise_exception}
     *                           ({@link TemplateException#raisedByTemplate()})
     */
    public String render(Map<String, ?> variables, TemplateLimits limits) {
        return render(variables, limits, Clock.systemDefaultZone());
    }

    /** As {@link #render(Map, TemplateLimits)}, with the clock {@code strftime_now} reads. */
    public String render(Map<String, ?> variables, TemplateLimits limits, Clock clock) {
        @SuppressWarnings("unchecked")
        Map<String, Object> vars = (Map<String, Object>) variables;
        try {
            return new Renderer(limits, clock).render(body, vars);
        } catch (StackOverflowError e) {
            // Run-time nesting is bounded by TemplateLimits.maxDepth; this is a last resort.
            throw new TemplateException(0, "the template nests too deeply");
        }
    }
}
