package dev.recall.server;

import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** A Prometheus histogram of durations in seconds, with fixed buckets; safe to observe from any thread. */
final class Histogram {

    private static final double[] BOUNDS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

    private final String name;
    private final String help;
    private final LongAdder[] counts = new LongAdder[BOUNDS.length + 1];
    private final DoubleAdder sum = new DoubleAdder();

    Histogram(String name, String help) {
        this.name = name;
        this.help = help;
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    void observeNanos(long nanos) {
        double seconds = nanos / 1e9;
        int i = 0;
        while (i < BOUNDS.length && seconds > BOUNDS[i]) {
            i++;
        }
        counts[i].increment();
        sum.add(seconds);
    }

    /** The histogram in Prometheus' text format: cumulative buckets, sum and count. */
    void write(StringBuilder out) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" histogram\n");
        long cumulative = 0;
        for (int i = 0; i < BOUNDS.length; i++) {
            cumulative += counts[i].sum();
            out.append(name).append("_bucket{le=\"").append(BOUNDS[i]).append("\"} ").append(cumulative).append('\n');
        }
        cumulative += counts[BOUNDS.length].sum();
        out.append(name).append("_bucket{le=\"+Inf\"} ").append(cumulative).append('\n');
        out.append(name).append("_sum ").append(sum.sum()).append('\n');
        out.append(name).append("_count ").append(cumulative).append('\n');
    }
}
