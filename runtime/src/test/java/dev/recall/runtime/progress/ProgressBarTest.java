package dev.recall.runtime.progress;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressBarTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void formatShowsBarCountRateAndEta() {
        assertEquals("[######..............] 12/40 chunks 4.0 chunks/s ETA 7s",
                ProgressBar.format(12, 40, "chunks", 3 * SECOND));
        assertEquals("[##########..........] 2048/4096 tokens 1234 tok/s ETA 2s",
                ProgressBar.format(2048, 4096, "tokens", (long) (2048 / 1234.0 * SECOND)));
        assertEquals("[....................] 0/40 chunks", ProgressBar.format(0, 40, "chunks", SECOND));
        assertEquals("[####################] 40/40 chunks 8.0 chunks/s", ProgressBar.format(40, 40, "chunks", 5 * SECOND));
    }

    @Test
    void durations() {
        assertEquals("1s", ProgressBar.duration(0.2));
        assertEquals("59s", ProgressBar.duration(59));
        assertEquals("2m05s", ProgressBar.duration(125));
        assertEquals("1h02m", ProgressBar.duration(3720));
    }

    @Test
    void redrawsInPlaceThrottledAndEndsWithANewline() {
        AtomicLong clock = new AtomicLong(0);
        StringBuilder out = new StringBuilder();
        ProgressBar bar = new ProgressBar(out, clock::get);
        clock.set(SECOND);
        bar.update(10, 100, "tokens");
        clock.set(SECOND + 50_000_000L);
        bar.update(11, 100, "tokens");            // within 100 ms of the last draw: skipped
        clock.set(4 * SECOND);
        bar.update(100, 100, "tokens");           // the final state is always drawn
        String first = "[##..................] 10/100 tokens 10 tok/s ETA 9s";
        String last = "[####################] 100/100 tokens 25 tok/s";
        // The shorter last line is padded with spaces over what is left of the first.
        assertEquals("\r" + first + "\r" + last + " ".repeat(first.length() - last.length()) + "\n", out.toString());
    }

    @Test
    void finishWipesABarThatNeverCompletedAndLeavesAnEndedOneAlone() {
        AtomicLong clock = new AtomicLong(SECOND);
        StringBuilder out = new StringBuilder();
        ProgressBar bar = new ProgressBar(out, clock::get);
        clock.set(2 * SECOND);
        bar.update(3, 8, "chunks");
        String shown = out.toString();
        bar.finish();
        int width = shown.length() - 1; // the line after its carriage return
        assertEquals(shown + "\r" + " ".repeat(width) + "\r", out.toString());
        bar.finish();
        assertEquals(shown + "\r" + " ".repeat(width) + "\r", out.toString(), "once wiped, nothing more");

        StringBuilder ended = new StringBuilder();
        ProgressBar complete = new ProgressBar(ended, clock::get);
        clock.set(3 * SECOND);
        complete.update(8, 8, "chunks");
        String done = ended.toString();
        assertTrue(done.endsWith("\n"), done);
        complete.finish();
        assertEquals(done, ended.toString(), "a bar that ended with its newline stays");
    }

    @Test
    void quickWorkDrawsNothing() {
        AtomicLong clock = new AtomicLong(0);
        StringBuilder out = new StringBuilder();
        ProgressBar bar = new ProgressBar(out, clock::get);
        clock.set(200_000_000L);
        bar.update(1, 2, "chunks");
        clock.set(400_000_000L);
        bar.update(2, 2, "chunks");
        assertEquals("", out.toString());
    }

    @Test
    void noBarWhenDisabled() {
        assertSame(ProgressListener.NONE, ProgressBar.onTerminal(false));
    }
}
