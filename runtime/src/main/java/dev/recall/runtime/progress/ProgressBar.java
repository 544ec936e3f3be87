package dev.recall.runtime.progress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar, {@code [#####.....] 12/40 chunks 3.1 chunks/s ETA 9s}, redrawn in place
 * with a carriage return and ended with a newline when the work completes. Create one per piece of
 * work: the rate is measured from the bar's creation, and the bar appears only once the work has
 * taken half a second (quick work draws nothing). Redraws are throttled; once shown, the final state
 * is always drawn.
 */
public final class ProgressBar implements ProgressListener {

    private static final int WIDTH = 20;
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final long SHOW_AFTER_NANOS = 500_000_000L;

    private final Appendable sink;
    private final LongSupplier nanoClock;
    private final long start;
    private long lastDraw = Long.MIN_VALUE;
    private int lastLength;

    /**
     * @param sink      where the bar is drawn (a terminal's stderr; a StringBuilder in tests)
     * @param nanoClock monotonic time in nanoseconds ({@code System::nanoTime})
     */
    public ProgressBar(Appendable sink, LongSupplier nanoClock) {
        this.sink = sink;
        this.nanoClock = nanoClock;
        this.start = nanoClock.getAsLong();
    }

    /**
     * A bar on the terminal when asked for and there is one; otherwise a listener that draws
     * nothing (so piped output and test logs stay clean). The bar is drawn through the console,
     * which writes to the terminal on the same descriptor as the generated text (standard output),
     * so the bar's last redraw can never arrive after the first token: drawn on standard error,
     * which a launcher may pass through a filter process (bin/recall does), it could, and its
     * carriage return then overwrote the token.
     */
    public static ProgressListener onTerminal(boolean enabled) {
        // Since JDK 22 System.console() may exist without a terminal; isTerminal() is the real test.
        java.io.Console console = System.console();
        if (!enabled || console == null || !console.isTerminal()) {
            return ProgressListener.NONE;
        }
        return new ProgressBar(console.writer(), System::nanoTime);
    }

    @Override
    public synchronized void update(long done, long total, String unit) {
        long now = nanoClock.getAsLong();
        boolean finished = done >= total;
        boolean shown = lastDraw != Long.MIN_VALUE;
        if (!shown && now - start < SHOW_AFTER_NANOS) {
            return;
        }
        if (!finished && shown && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        String line = format(done, total, unit, now - start);
        // Spaces wipe what is left of a longer previous line.
        String padding = " ".repeat(Math.max(0, lastLength - line.length()));
        lastLength = line.length();
        try {
            sink.append('\r').append(line).append(padding);
            if (finished) {
                sink.append('\n');
                lastLength = 0;
                lastDraw = Long.MIN_VALUE;
            }
            if (sink instanceof java.io.Flushable f) {
                f.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Wipes a bar still on its line (one whose work never reported completion). */
    @Override
    public synchronized void finish() {
        if (lastDraw == Long.MIN_VALUE || lastLength == 0) {
            return; // never shown, or already ended with its newline
        }
        try {
            sink.append('\r').append(" ".repeat(lastLength)).append('\r');
            if (sink instanceof java.io.Flushable f) {
                f.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        lastLength = 0;
        lastDraw = Long.MIN_VALUE;
    }

    /** The bar's text for a state, after {@code elapsedNanos} of work. */
    static String format(long done, long total, String unit, long elapsedNanos) {
        long clamped = Math.max(0, Math.min(done, total));
        int filled = total <= 0 ? WIDTH : (int) (WIDTH * clamped / total);
        StringBuilder b = new StringBuilder(64);
        b.append('[').append("#".repeat(filled)).append(".".repeat(WIDTH - filled)).append("] ");
        b.append(done).append('/').append(total).append(' ').append(unit);
        double seconds = elapsedNanos / 1e9;
        if (done > 0 && seconds > 0) {
            double rate = done / seconds;
            b.append(' ').append(rate(rate)).append(' ').append(shortUnit(unit)).append("/s");
            if (done < total) {
                b.append(" ETA ").append(duration((total - done) / rate));
            }
        }
        return b.toString();
    }

    private static String shortUnit(String unit) {
        return unit.equals("tokens") ? "tok" : unit;
    }

    private static String rate(double r) {
        return r < 10 ? String.format(java.util.Locale.ROOT, "%.1f", r) : String.valueOf(Math.round(r));
    }

    static String duration(double seconds) {
        long s = (long) Math.ceil(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(java.util.Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return String.format(java.util.Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }
}
