package dev.recall.runtime.template;

import org.junit.jupiter.api.Test;

import java.time.LocalDateTime;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Python's strftime directives; the expected strings are what CPython 3.11 prints. */
class StrftimeTest {

    @Test
    void pythonDirectives() {
        LocalDateTime t = LocalDateTime.of(2024, 7, 26, 14, 5, 9);
        assertEquals("26 Jul 2024", Strftime.format(t, "%d %b %Y"));
        assertEquals("Friday, July 26 02:05:09 PM 100%", Strftime.format(t, "%A, %B %d %I:%M:%S %p 100%%"));
    }
}
