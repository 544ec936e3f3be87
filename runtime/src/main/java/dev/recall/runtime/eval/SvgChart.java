package dev.recall.runtime.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A small line chart written as SVG: x is the context length on a log2 axis, y a value on a
 * linear axis, one polyline with markers per series, a legend and axis labels. Enough for the
 * evaluation plots in docs/, with no dependency.
 */
public final class SvgChart {

    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
    private static final int WIDTH = 640, HEIGHT = 400;
    private static final int LEFT = 70, RIGHT = 170, TOP = 40, BOTTOM = 55;

    /** One named line: x values (lengths, positive) mapped to y values. */
    public record Series(String name, Map<Integer, Double> points) {
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private Double yMin;
    private Double yMax;

    public SvgChart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    public SvgChart add(String name, Map<Integer, Double> points) {
        if (points.isEmpty()) {
            throw new IllegalArgumentException("series '" + name + "' has no points");
        }
        series.add(new Series(name, points));
        return this;
    }

    /** Fixes the y range (e.g. 0..1 for accuracies); otherwise it spans the data. */
    public SvgChart yRange(double min, double max) {
        this.yMin = min;
        this.yMax = max;
        return this;
    }

    public String render() {
        if (series.isEmpty()) {
            throw new IllegalStateException("a chart needs at least one series");
        }
        double xLo = Double.POSITIVE_INFINITY, xHi = Double.NEGATIVE_INFINITY;
        double yLo = Double.POSITIVE_INFINITY, yHi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (var e : s.points.entrySet()) {
                double lx = log2(e.getKey());
                xLo = Math.min(xLo, lx);
                xHi = Math.max(xHi, lx);
                yLo = Math.min(yLo, e.getValue());
                yHi = Math.max(yHi, e.getValue());
            }
        }
        double step;
        if (yMin != null) {
            yLo = yMin;
            yHi = yMax;
            step = (yHi - yLo) / 5;
        } else {
            // Round numbers: a 1-2-5 step giving about five intervals, the range widened to it.
            step = niceStep(Math.max(yHi - yLo, Math.abs(yHi) * 1e-3 + 1e-9) / 5);
            yLo = Math.floor(yLo / step) * step;
            yHi = Math.max(Math.ceil(yHi / step) * step, yLo + step);
        }
        if (xHi == xLo) {
            xLo -= 1;
            xHi += 1;
        }
        final double x0 = xLo, x1 = xHi, y0 = yLo, y1 = yHi;
        int plotW = WIDTH - LEFT - RIGHT, plotH = HEIGHT - TOP - BOTTOM;
        java.util.function.DoubleUnaryOperator px = lx -> LEFT + (lx - x0) / (x1 - x0) * plotW;
        java.util.function.DoubleUnaryOperator py = v -> TOP + plotH - (v - y0) / (y1 - y0) * plotH;

        StringBuilder svg = new StringBuilder();
        svg.append(f("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
                WIDTH, HEIGHT, WIDTH, HEIGHT));
        svg.append(f("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", WIDTH, HEIGHT));
        svg.append(f("<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>\n", LEFT, escape(title)));
        // Grid and ticks: x at every power of two in range, y at five even steps.
        for (int p = (int) Math.ceil(x0); p <= Math.floor(x1); p++) {
            double x = px.applyAsDouble(p);
            svg.append(f("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n", x, TOP, x, TOP + plotH));
            svg.append(f("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", x, TOP + plotH + 18, 1L << p));
        }
        int intervals = (int) Math.round((y1 - y0) / step);
        for (int i = 0; i <= intervals; i++) {
            double v = y0 + step * i;
            double y = py.applyAsDouble(v);
            svg.append(f("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", LEFT, y, LEFT + plotW, y));
            svg.append(f("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", LEFT - 6, y + 4, tick(v, step)));
        }
        svg.append(f("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n", LEFT, TOP, plotW, plotH));
        svg.append(f("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", LEFT + plotW / 2, HEIGHT - 12, escape(xLabel)));
        svg.append(f("<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">%s</text>\n",
                TOP + plotH / 2, TOP + plotH / 2, escape(yLabel)));
        for (int s = 0; s < series.size(); s++) {
            Series ser = series.get(s);
            String colour = COLOURS[s % COLOURS.length];
            StringBuilder pts = new StringBuilder();
            List<Map.Entry<Integer, Double>> sorted = ser.points.entrySet().stream().sorted(Map.Entry.comparingByKey()).toList();
            for (var e : sorted) {
                pts.append(f("%.1f,%.1f ", px.applyAsDouble(log2(e.getKey())), py.applyAsDouble(e.getValue())));
            }
            svg.append(f("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n", colour, pts.toString().trim()));
            for (var e : sorted) {
                svg.append(f("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>%s: %d → %s</title></circle>\n",
                        px.applyAsDouble(log2(e.getKey())), py.applyAsDouble(e.getValue()), colour, escape(ser.name), e.getKey(),
                        tick(e.getValue(), 0.001)));
            }
            int ly = TOP + 10 + s * 20;
            svg.append(f("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>\n",
                    LEFT + plotW + 12, ly, LEFT + plotW + 34, ly, colour));
            svg.append(f("<text x=\"%d\" y=\"%d\">%s</text>\n", LEFT + plotW + 40, ly + 4, escape(ser.name)));
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static double log2(int x) {
        if (x <= 0) {
            throw new IllegalArgumentException("a log2 axis needs positive x values, got " + x);
        }
        return Math.log(x) / Math.log(2);
    }

    /** The 1, 2 or 5 × 10^k nearest to raw (on a log scale). */
    static double niceStep(double raw) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double best = magnitude;
        for (double m : new double[]{2, 5, 10}) {
            if (Math.abs(Math.log(m * magnitude / raw)) < Math.abs(Math.log(best / raw))) {
                best = m * magnitude;
            }
        }
        return best;
    }

    /** v with as many decimals as a tick step of the given size needs. */
    private static String tick(double v, double step) {
        int decimals = step >= 1 ? 0 : (int) Math.ceil(-Math.log10(step) - 1e-9);
        return f("%." + decimals + "f", v);
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
