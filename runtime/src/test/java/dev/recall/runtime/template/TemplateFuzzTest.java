package dev.recall.runtime.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real chat templates, damaged at random (pieces cut, repeated, or spliced with template syntax and
 * injection fragments), rendered over a tool-calling conversation. Each must render or stop with a
 * one-line {@link TemplateException}: no other exception, no stack overflow on a small stack, no
 * run past the limits.
 */
class TemplateFuzzTest {

    private static final int CASES = Integer.getInteger("recall.fuzz.cases", 20_000);
    private static final String[] FRAGMENTS = {
        "{{", "}}", "{%", "%}", "{#", "#}", "{%-", "-%}", "(", ")", "[", "]", "{", "}", "|", ".", ",", ":", "'", "\"",
        " for x in ", " if ", " else ", " endif ", " endfor ", " in ", " not ", " and ", " is ", " set ", " macro ",
        " endmacro ", "loop.", "range(99999)", " * 1000000", " ~ ", " + ", "**", "//", "%", "-", "__class__",
        "____int3rpr3t3r____", ".getClass()", "|tojson", "|map(attribute='x')", "|selectattr('y')", "[::-1]", "[0]",
        "namespace(a=1)", "raise_exception('x')", "strftime_now('%Y')", "messages", "tools", "{% include 'x' %}",
        "{% break %}", "\n", "    ", "1e308", "99999999999999999999", "none", "true", "\\u0000", "😀"
    };

    @Test
    void damagedTemplatesRenderOrFailInOneLine() throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<String> templates = new ArrayList<>();
        Map<String, Object> variables = null;
        try (InputStream in = getClass().getResourceAsStream("/templates/expected.json")) {
            JsonNode root = json.readTree(in);
            LinkedHashSet<String> files = new LinkedHashSet<>();
            for (JsonNode c : root.get("cases")) {
                if (c.has("file")) {
                    files.add(c.get("file").asText());
                    if (c.get("name").asText().contains(" tools ")) {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> v = json.convertValue(c.get("variables"), Map.class);
                        variables = v;
                    }
                }
            }
            for (String file : files) {
                try (InputStream t = getClass().getResourceAsStream("/templates/" + file)) {
                    templates.add(new String(t.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
        }
        assertTrue(templates.size() > 50, "templates: " + templates.size());
        Map<String, Object> data = variables;
        TemplateLimits limits = new TemplateLimits(1 << 22, 2_000_000, 200, Duration.ofSeconds(2));
        AtomicReference<Throwable> escaped = new AtomicReference<>();
        int[] outcomes = new int[2];
        Thread t = new Thread(null, () -> {
            Random random = new Random(26);
            for (int i = 0; i < CASES && escaped.get() == null; i++) {
                String mutated = mutate(templates.get(random.nextInt(templates.size())), random);
                try {
                    Template.parse(mutated).render(data, limits);
                    outcomes[0]++;
                } catch (TemplateException e) {
                    outcomes[1]++;
                    if (e.getMessage().length() > 200 || e.getMessage().contains("\n")) {
                        escaped.set(new AssertionError("not one short line: " + e.getMessage()));
                    }
                } catch (Throwable e) {
                    escaped.set(new AssertionError("case " + i + " escaped with " + e + " on: "
                            + TemplateException.oneLine(mutated), e));
                }
            }
        }, "template-fuzz", 512 * 1024);
        t.start();
        t.join(Duration.ofMinutes(5));
        assertFalse(t.isAlive(), "the fuzz run did not finish");
        if (escaped.get() != null) {
            throw new AssertionError(escaped.get().getMessage(), escaped.get());
        }
        // Both outcomes occur: the damage is neither always fatal nor always harmless.
        assertTrue(outcomes[0] > CASES / 20 && outcomes[1] > CASES / 20, "rendered " + outcomes[0] + ", refused " + outcomes[1]);
    }

    private static String mutate(String template, Random random) {
        StringBuilder s = new StringBuilder(template);
        int edits = 1 + random.nextInt(4);
        for (int e = 0; e < edits; e++) {
            int at = random.nextInt(s.length() + 1);
            switch (random.nextInt(4)) {
                case 0 -> s.delete(at, Math.min(s.length(), at + 1 + random.nextInt(40)));
                case 1 -> {
                    int end = Math.min(s.length(), at + 1 + random.nextInt(200));
                    String piece = s.substring(at, end);
                    s.insert(at, piece.repeat(1 + random.nextInt(3)));
                }
                case 2 -> s.insert(at, FRAGMENTS[random.nextInt(FRAGMENTS.length)]);
                default -> {
                    if (s.length() > 0) {
                        int i = random.nextInt(s.length());
                        s.setCharAt(i, (char) (32 + random.nextInt(95)));
                    }
                }
            }
        }
        return s.toString();
    }
}
