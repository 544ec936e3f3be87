package dev.recall.runtime.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import dev.recall.runtime.RecallException;
import jinjava.javax.el.CompositeELResolver;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Jinja as Hugging Face's {@code apply_chat_template} runs it, on Jinjava: {@code trim_blocks} and
 * {@code lstrip_blocks} on, {@code {{- -}}} and {@code {#- -#}} whitespace control, the final newline
 * of the template dropped ({@code keep_trailing_newline=False}), Python operator precedence, Python
 * string methods, {@code raise_exception(message)}, {@code strftime_now(format)}, the
 * {@code {% generation %}} tag, and {@code x[::-1]}. Constructs Jinjava would silently get wrong
 * (a filtered {@code for ... if ...} loop, other slice steps) are refused with a clear error instead.
 */
final class HfJinja {

    private static final Pattern REVERSED_SLICE =
            Pattern.compile("('(?:[^'\\\\]|\\\\.)*'|\"(?:[^\"\\\\]|\\\\.)*\"|[A-Za-z_]\\w*(?:\\.[A-Za-z_]\\w*|\\[[^\\[\\]]*\\])*)"
                    + "\\[\\s*:\\s*:\\s*-1\\s*\\]");
    private static final Pattern STEPPED_SLICE = Pattern.compile("\\[[^\\[\\]'\"]*:[^\\[\\]'\"]*:[^\\[\\]'\"]*\\]");
    private static final Pattern CODE = Pattern.compile("\\{\\{.*?\\}\\}|\\{%.*?%\\}", Pattern.DOTALL);
    private static final Pattern TAG = Pattern.compile("\\{%[-+]?(.*?)[-+]?%\\}", Pattern.DOTALL);
    private static final Pattern FILTERED_FOR =
            Pattern.compile("^\\s*for\\s.+?\\sin\\s.+?\\sif\\s.+$", Pattern.DOTALL);

    /** Spaces and tabs that open a line and end at a block or comment tag (not a {%+ one). */
    private static final Pattern LSTRIP = Pattern.compile("(?m)^[ \\t]+(?=\\{%(?!\\+)|\\{#)");

    private final Jinjava jinjava;

    HfJinja() {
        LegacyOverrides python = LegacyOverrides.newBuilder()
                .withUseTrimmingForNotesAndExpressions(true)
                .withUseNaturalOperatorPrecedence(true)
                .withParseWhitespaceControlStrictly(true)
                .withIterateOverMapKeys(true)
                .withEvaluateMapKeys(true)
                .withKeepNullableLoopValues(true)
                .build();
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                // lstrip_blocks is done in prepare(): Jinjava's strips the spaces before any block
                // tag, also after text on the same line ("A: {% endif %}" lost its space).
                .withLstripBlocks(false)
                .withLegacyOverrides(python)
                .withElResolver(resolver)
                .build();
        jinjava = new Jinjava(config);
        var globals = jinjava.getGlobalContext();
        globals.registerFunction(new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class,
                "raiseException", Object.class));
        globals.registerFunction(new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class,
                "strftimeNow", String.class));
        globals.registerFilter(new ReversedFilter());
        globals.registerTag(new GenerationTag());
    }

    /**
     * Rewrites what Jinjava parses differently from Jinja, and refuses what it would get wrong.
     *
     * @param source names the template in error messages
     */
    static String prepare(String template, String source) {
        // Jinja reads templates with universal newlines and drops one final newline.
        String t = template.replace("\r\n", "\n").replace('\r', '\n');
        if (t.endsWith("\n")) {
            t = t.substring(0, t.length() - 1);
        }
        // Jinja's lstrip_blocks: spaces and tabs from the start of a line up to a block or comment
        // tag are removed (not those after other text on the line, and not before "{%+").
        t = LSTRIP.matcher(t).replaceAll("");
        // Only code is rewritten: text between tags is output as it stands.
        Matcher code = CODE.matcher(t);
        StringBuilder out = new StringBuilder(t.length());
        while (code.find()) {
            String piece = code.group();
            Matcher tag = TAG.matcher(piece);
            if (tag.matches() && FILTERED_FOR.matcher(tag.group(1)).matches() && !tag.group(1).contains(" else ")) {
                throw new RecallException("the chat template of " + source + " uses a filtered loop '" + piece
                        + "', which the Java Jinja engine cannot run");
            }
            piece = REVERSED_SLICE.matcher(piece).replaceAll("($1|" + ReversedFilter.NAME + ")");
            Matcher stepped = STEPPED_SLICE.matcher(piece);
            if (stepped.find()) {
                throw new RecallException("the chat template of " + source + " slices with a step ('"
                        + stepped.group() + "'), which the Java Jinja engine cannot run");
            }
            code.appendReplacement(out, Matcher.quoteReplacement(piece));
        }
        code.appendTail(out);
        t = out.toString();
        return t;
    }

    /** Renders a prepared template; any template error becomes a RecallException. */
    String render(String prepared, Map<String, Object> variables, String source) {
        RenderResult result;
        try {
            result = jinjava.renderForResult(prepared, variables);
        } catch (RuntimeException e) {
            throw failure(source, e);
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw failure(source, error);
            }
        }
        return result.getOutput();
    }

    private static RecallException failure(String source, TemplateError error) {
        TemplateFunctions.Raised raised = raisedCause(error.getException());
        if (raised != null) {
            return new RecallException("the chat template of " + source + " refused the conversation: " + raised.getMessage());
        }
        String where = error.getLineno() > 0 ? " (line " + error.getLineno() + ")" : "";
        return new RecallException("the chat template of " + source + " failed" + where + ": " + error.getMessage());
    }

    private static RecallException failure(String source, RuntimeException e) {
        TemplateFunctions.Raised raised = raisedCause(e);
        if (raised != null) {
            return new RecallException("the chat template of " + source + " refused the conversation: " + raised.getMessage());
        }
        return new RecallException("the chat template of " + source + " failed: " + e.getMessage(), e);
    }

    private static TemplateFunctions.Raised raisedCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TemplateFunctions.Raised r) {
                return r;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return null;
    }

    /** {@code x[::-1]}: a list reversed into a new list, a string reversed. */
    static final class ReversedFilter implements Filter {

        static final String NAME = "recall_reversed";

        @Override
        public String getName() {
            return NAME;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (var == null) {
                return null;
            }
            if (var instanceof String s) {
                return new StringBuilder(s).reverse().toString();
            }
            List<Object> items = new ArrayList<>();
            if (var instanceof Iterable<?> it) {
                it.forEach(items::add);
            } else if (var instanceof Object[] array) {
                Collections.addAll(items, array);
            } else {
                throw new IllegalArgumentException("cannot reverse " + var.getClass().getSimpleName());
            }
            Collections.reverse(items);
            return items;
        }
    }

    /**
     * Hugging Face's {@code {% generation %}...{% endgeneration %}} marks assistant text for training
     * masks; for rendering it is transparent.
     */
    static final class GenerationTag implements Tag {

        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder out = new StringBuilder();
            for (Node child : tagNode.getChildren()) {
                out.append(child.render(interpreter).getValue());
            }
            return out.toString();
        }
    }
}
