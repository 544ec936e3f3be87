package dev.recall.runtime.template;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Python str methods inside templates; the expected values are what CPython 3.11 prints. */
class StringMethodsTest {

    private static String render(String expression) {
        return Template.parse("{{ " + expression + " }}").render(Map.of(), TemplateLimits.DEFAULT);
    }

    @Test
    void stripFamilyWithAndWithoutCharacters() {
        assertEquals("[a b]", render("'[' ~ ' \\t a b \\n'.strip() ~ ']'"));
        assertEquals("[a b \\n]".replace("\\n", "\n"), render("'[' ~ ' \\t a b \\n'.lstrip() ~ ']'"));
        assertEquals("[ \t a b]", render("'[' ~ ' \\t a b \\n'.rstrip() ~ ']'"));
        assertEquals("abc", render("'xyabcyx'.strip('xy')"));
        assertEquals("abcyx", render("'xyabcyx'.lstrip('yx')"));
        // A no-break space is whitespace to Python (and not to Java's String.strip()).
        assertEquals("a", render("'\u00a0a\u00a0'.strip()"));
    }

    @Test
    void splitLikePython() {
        assertEquals("a|b|c", render("'  a  b\\tc \\n'.split() | join('|')"));
        assertEquals("a||b.c", render("'a..b.c'.split('.', 2) | join('|')"));
        assertEquals("a.b|c", render("'a.b.c'.rsplit('.', 1) | join('|')"));
        assertEquals("x", render("'<think>t</think>x'.split('</think>')[-1]"));
        assertEquals("a|b c", render("' a b c'.split(none, 1) | join('|')"));
    }

    @Test
    void predicatesCaseAndReplace() {
        assertEquals("True False True", render("'system'.startswith('sys') ~ ' ' ~ 'system'.endswith('sys') ~ ' '"
                + " ~ 'tool'.startswith(['as', 'to'])"));
        assertEquals("HI hi Hello World Hello world", render("'hi'.upper() ~ ' ' ~ 'HI'.lower() ~ ' ' ~ "
                + "'hello wORLD'.title() ~ ' ' ~ 'hello WORLD'.capitalize()"));
        assertEquals("a-b.c -a-bc", render("'a.b.c'.replace('.', '-', 1) ~ ' ' ~ 'abc'.replace('', '-', 2)"));
        assertEquals("2 -1 3 a, b", render("'abcbc'.find('c') ~ ' ' ~ 'abc'.find('z') ~ ' ' ~ 'aXbXcX'.count('X')"
                + " ~ ' ' ~ ', '.join(['a', 'b'])"));
    }
}
