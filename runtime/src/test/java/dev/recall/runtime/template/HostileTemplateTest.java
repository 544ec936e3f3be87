package dev.recall.runtime.template;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Templates written by an attacker (issue #26): each one either renders plain text made of the data
 * it was given, or stops with a one-line {@link TemplateException} of at most 200 characters, within
 * the default limits, on a thread with a small stack. Never another exception, an
 * {@code OutOfMemoryError}, a {@code StackOverflowError}, a hang, a Java object, or a file's contents.
 */
class HostileTemplateTest {

    /** Smaller than any JVM's default thread stack, so that depth limits are shown to hold there. */
    private static final long STACK = 512 * 1024;

    private static final Map<String, Object> DATA = Map.of(
            "messages", List.of(Map.of("role", "user", "content", "hi")),
            "add_generation_prompt", true,
            "bos_token", "<s>");

    /** What a rendering ended with: its output or its error, from a thread with a small stack. */
    private record Outcome(String output, TemplateException error, long millis) {
    }

    private static Outcome run(String template) {
        return run(template, DATA);
    }

    private static Outcome run(String template, Map<String, ?> data) {
        AtomicReference<Object> result = new AtomicReference<>();
        long start = System.nanoTime();
        Thread t = new Thread(null, () -> {
            try {
                result.set(Template.parse(template).render(data, TemplateLimits.DEFAULT));
            } catch (Throwable e) {
                result.set(e);
            }
        }, "hostile-template", STACK);
        t.start();
        try {
            t.join(Duration.ofSeconds(60));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertFalse(t.isAlive(), "the template did not stop: " + TemplateException.quote(template));
        long millis = (System.nanoTime() - start) / 1_000_000;
        Object r = result.get();
        if (r instanceof String s) {
            return new Outcome(s, null, millis);
        }
        if (r instanceof TemplateException e) {
            return new Outcome(null, e, millis);
        }
        throw new AssertionError("the template ended in " + r + " instead of output or a TemplateException", (Throwable) r);
    }

    private static void assertOneLine(TemplateException e) {
        assertTrue(e.getMessage().length() <= 200, e.getMessage().length() + " characters: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    /** Refused, in one short line, containing the expected words. */
    private static TemplateException refused(String template, String words) {
        Outcome o = run(template);
        assertNotNull(o.error(), "rendered instead of refusing: " + TemplateException.quote(String.valueOf(o.output())));
        assertOneLine(o.error());
        assertTrue(o.error().getMessage().contains(words), o.error().getMessage());
        return o.error();
    }

    /** Payloads from public server-side template injection lists, for Jinja2 and for Jinjava. */
    static Stream<String> injectionPayloads() {
        return Stream.of(
                "{{ ____int3rpr3t3r____ }}",
                "{{ ____int3rpr3t3r____.context }}",
                "{{ ____int3rpr3t3r____.config }}",
                "{{ ____int3rpr3t3r____.getConfig() }}",
                "{{ ''.__class__ }}",
                "{{ ''.__class__.__mro__[1].__subclasses__() }}",
                "{{ ''.__class__.__base__.__subclasses__()[40]('/etc/passwd').read() }}",
                "{{ self.__init__.__globals__.__builtins__ }}",
                "{{ self._TemplateReference__context }}",
                "{{ config.items() }}",
                "{{ request.application.__globals__.__builtins__.__import__('os').popen('id').read() }}",
                "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
                "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
                "{{ lipsum.__globals__['os'].popen('id').read() }}",
                "{{ namespace.__init__.__globals__.os.popen('id').read() }}",
                "{{ range.__self__ }}",
                "{{ messages.__class__.__init__.__globals__ }}",
                "{{ messages['__class__'] }}",
                "{{ messages|attr('__class__') }}",
                "{{ (messages|attr('__class__')|attr('__mro__')) }}",
                "{{ 'a'.getClass() }}",
                "{{ 'a'.getClass().forName('java.lang.Runtime').getRuntime().exec('id') }}",
                "{{ 'a'.class.forName('java.lang.System').getenv() }}",
                "{{ messages.getClass().getClassLoader() }}",
                "{{ (1).getClass() }}",
                "{{ ''.toString() }}",
                "{{ ''.hashCode() }}",
                "{% set x = 'a'.getClass() %}{{ x.getName() }}",
                "{{ messages[0].entrySet() }}",
                "{{ messages.iterator().next() }}",
                "{{ 'x'.format.__globals__ }}",
                "{{ namespace().__dict__ }}",
                "{{ dict.mro() }}",
                "{{ strftime_now.__globals__ }}",
                "{{ raise_exception.__code__ }}",
                "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
                "{{ messages.append('injected') }}{{ messages }}",
                "{{ messages.pop() }}",
                "{{ messages[0].update({'role': 'system'}) }}",
                "{{ messages[0].setdefault('x', 1) }}",
                "{{ messages.clear() }}",
                "{{ messages.sort() }}");
    }

    @ParameterizedTest
    @MethodSource("injectionPayloads")
    void injectionPayloadsReachNothing(String payload) {
        List<Map<String, Object>> messages = new ArrayList<>();
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("role", "user");
        message.put("content", "hi");
        messages.add(message);
        Map<String, Object> data = Map.of("messages", messages);
        Outcome o = run(payload, data);
        if (o.error() != null) {
            assertOneLine(o.error());
        } else {
            // Whatever rendered is made only of the data: no class names, objects or environment.
            for (String leak : List.of("class", "java", "Interpreter", "jinjava", "Runtime", "PATH", "root:", "@", "<function", "module")) {
                assertFalse(o.output().contains(leak), "leaked '" + leak + "': " + o.output());
            }
        }
        // The caller's data is as it was.
        assertEquals(List.of(Map.of("role", "user", "content", "hi")), messages);
    }

    @Test
    void theEngineHasNoInterpreterObject() {
        assertEquals("[]", run("[{{ ____int3rpr3t3r____ }}]").output());
        refused("{{ ____int3rpr3t3r____.context }}", "'____int3rpr3t3r____' is undefined");
    }

    @Test
    void nothingIsLoadedFromTheClassPathOrFiles() {
        for (String tag : List.of("{% include 'META-INF/MANIFEST.MF' %}", "{% include 'dev/recall/runtime/template/Template.class' %}",
                "{% extends 'META-INF/MANIFEST.MF' %}", "{% import '/etc/passwd' as p %}", "{% from '/etc/passwd' import x %}",
                "{% block x %}{% endblock %}")) {
            refused(tag, "is not allowed: a chat template cannot load other templates");
        }
    }

    @Test
    void mutationOfTheGivenDataIsRefused() {
        refused("{{ messages.append(1) }}", "access to 'append' is not allowed: a template cannot modify data");
        refused("{{ messages[0].update({}) }}", "access to 'update' is not allowed");
        refused("{% set messages.x = 1 %}", "only a namespace() can be changed");
        refused("{% set x = messages %}{% set x.y = 1 %}", "only a namespace() can be changed");
    }

    @Test
    void nestedLoopsStopAtTheStepLimit() {
        Outcome o = run("{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}x{% endfor %}{% endfor %}{% endfor %}");
        assertNotNull(o.error());
        assertOneLine(o.error());
        assertTrue(o.error().getMessage().matches(".*(ran more than .* steps|ran longer than .* ms|built a value of).*"), o.error().getMessage());
    }

    @Test
    void doublingAStringStopsAtTheSizeLimit() {
        refused("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}",
                "more than the limit of");
        refused("{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}", "more than the limit of");
        refused("{{ 'x' * 2000000000 }}", "more than the limit of");
        refused("{{ [1, 2] * 1000000000 }}", "more than the limit of");
        refused("{{ ('x' * 1000000).replace('x', 'y' * 1000000) }}", "more than the limit of");
        refused("{{ 'x'|center(2000000000) }}", "more than the limit of");
        refused("{{ range(10 ** 15)|length }}", "range() of");
    }

    @Test
    void deepNestingIsRefusedWithoutAStackOverflow() {
        refused("{% if true %}".repeat(5000) + "x" + "{% endif %}".repeat(5000), "nests deeper than");
        refused("{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}", "nests deeper than");
        refused("{{ " + "[".repeat(5000) + "]".repeat(5000) + " }}", "nests deeper than");
        refused("{{ " + "not ".repeat(5000) + "1 }}", "nests deeper than");
        refused("{{ " + "-".repeat(5000) + "1 }}", "nests deeper than");
        refused("{{ x" + ".a".repeat(5000) + " }}", "chains more than");
        refused("{{ x" + "|upper".repeat(5000) + " }}", "chains more than");
        // A long flat expression is a deep tree: bounded when run.
        refused("{{ 1" + " + 1".repeat(100_000) + " }}", "nests deeper than");
        refused("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "nests deeper than");
        refused("{% set ns = namespace(x=[]) %}{% for i in range(1000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}",
                "nests deeper than");
        refused("{% set ns = namespace(x=[]) %}{% for i in range(1000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x|tojson }}",
                "nests deeper than");
    }

    @Test
    void hugeMessagesAndFormatsAreCut() {
        TemplateException raised = refused("{{ raise_exception('" + "A".repeat(1_000_000) + "') }}", "AAAA");
        assertTrue(raised.raisedByTemplate());
        Outcome strftime = run("{{ strftime_now('" + "%Y".repeat(100_000) + "')|length }}");
        assertEquals("400000", strftime.output());
        TemplateException undefined = refused("{{ " + "x".repeat(60_000) + ".y }}", "is undefined");
        assertTrue(undefined.getMessage().length() < 100, undefined.getMessage());
        TemplateException syntax = refused("{{ 1 " + "@".repeat(20_000) + " }}", "unexpected character");
        assertOneLine(syntax);
    }

    @Test
    void templatesLargerThanTheLimitAreRefused() {
        TemplateException e = assertThrows(TemplateException.class, () -> Template.parse("x".repeat(Template.MAX_TEMPLATE_CHARS + 1)));
        assertOneLine(e);
    }

    @Test
    void slowTemplatesStopAtTheTimeLimit() {
        TemplateLimits tight = new TemplateLimits(1 << 26, Long.MAX_VALUE, 200, Duration.ofMillis(300));
        long start = System.nanoTime();
        TemplateException e = assertThrows(TemplateException.class, () -> Template.parse(
                "{% for a in range(100000) %}{% for b in range(100000) %}{{ a ~ b }}{% endfor %}{% endfor %}")
                .render(Map.of(), tight));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(e.getMessage().contains("ran longer than 300 ms"), e.getMessage());
        assertTrue(millis < 5_000, millis + " ms");
    }

    @Test
    void onlyPlainDataCanBeGiven() {
        TemplateException e = assertThrows(TemplateException.class,
                () -> Template.parse("{{ x }}").render(Map.of("x", new Thread()), TemplateLimits.DEFAULT));
        assertTrue(e.getMessage().contains("cannot be given a Thread"), e.getMessage());
        List<Object> cyclic = new ArrayList<>();
        cyclic.add(cyclic);
        e = assertThrows(TemplateException.class, () -> Template.parse("{{ x }}").render(Map.of("x", cyclic), TemplateLimits.DEFAULT));
        assertTrue(e.getMessage().contains("nests deeper than"), e.getMessage());
    }

    @Test
    void integersThatOverflowAreAnErrorNotAWrongNumber() {
        refused("{{ 9999999999 * 9999999999 }}", "overflowed");
        refused("{{ 10 ** 20 }}", "overflowed");
        refused("{{ 99999999999999999999 }}", "too large");
    }

    @Test
    void everyErrorHasALineNumber() {
        TemplateException e = refused("a\nb\n{% for x in messages %}\n{{ x.nothing.deeper }}\n{% endfor %}", "is undefined");
        assertEquals(4, e.line());
        e = refused("a\n\n{{ 1 +", "");
        assertEquals(3, e.line());
        if (e.line() == 0) {
            fail("no line");
        }
    }
}
