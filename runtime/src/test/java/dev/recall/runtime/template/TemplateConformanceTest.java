package dev.recall.runtime.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Recall's template engine against jinja2 itself: every case in {@code templates/expected.json} was
 * rendered by jinja2 configured as Hugging Face's {@code apply_chat_template} configures it
 * ({@code make_expected.py} beside it): real chat templates (from llama.cpp's
 * {@code models/templates}) with several conversations, and one case per language feature. The
 * output must be identical; where jinja2 fails, Recall must fail too, and where the template itself
 * raised, with the same message.
 */
class TemplateConformanceTest {

    /** The clock make_expected.py gives strftime_now. */
    static final Clock CLOCK = Clock.fixed(LocalDateTime.of(2024, 7, 26, 14, 5, 9).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);

    @TestFactory
    Stream<DynamicTest> rendersAsJinja2Does() throws IOException {
        JsonNode root;
        try (InputStream in = resource("expected.json")) {
            root = new ObjectMapper().readTree(in);
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> check(c)));
        }
        assertTrue(tests.size() > 500, "the expected cases are all there: " + tests.size());
        return tests.stream();
    }

    @SuppressWarnings("unchecked")
    private static void check(JsonNode c) throws IOException {
        String text;
        if (c.has("file")) {
            try (InputStream in = resource(c.get("file").asText())) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } else {
            text = c.get("template").asText();
        }
        Map<String, Object> variables = new ObjectMapper().convertValue(c.get("variables"), Map.class);
        if (c.has("expected")) {
            String out = Template.parse(text).render(variables, TemplateLimits.DEFAULT, CLOCK);
            assertEquals(c.get("expected").asText(), out);
            return;
        }
        TemplateException e = assertThrows(TemplateException.class,
                () -> Template.parse(text).render(variables, TemplateLimits.DEFAULT, CLOCK),
                "jinja2 failed with " + c.get("error").asText() + ": " + c.get("message").asText());
        if (c.get("error").asText().equals("raised")) {
            assertTrue(e.raisedByTemplate(), e.getMessage());
            assertEquals(TemplateException.oneLine(c.get("message").asText()), e.getMessage());
        } else if (e.raisedByTemplate()) {
            fail("raised '" + e.getMessage() + "' where jinja2 failed with " + c.get("message").asText());
        }
    }

    private static InputStream resource(String name) {
        InputStream in = TemplateConformanceTest.class.getResourceAsStream("/templates/" + name);
        if (in == null) {
            throw new IllegalStateException("missing test resource templates/" + name);
        }
        return in;
    }
}
