package dev.recall.runtime.eval;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SvgChartTest {

    @Test
    void drawsOneLinePerSeriesOnALog2Axis() {
        Map<Integer, Double> plain = new LinkedHashMap<>();
        plain.put(256, 191.6);
        plain.put(1024, 616.3);
        plain.put(4096, 1222.7);
        Map<Integer, Double> lmInf = Map.of(256, 191.6, 1024, 222.8, 4096, 214.2);
        String svg = new SvgChart("Perplexity <llama>", "context length (tokens)", "perplexity")
                .add("plain", plain).add("LM-Infinite", lmInf).render();
        assertTrue(svg.startsWith("<svg") && svg.trim().endsWith("</svg>"));
        assertEquals(2, svg.split("<polyline").length - 1);
        assertEquals(6, svg.split("<circle").length - 1);
        assertTrue(svg.contains("Perplexity &lt;llama&gt;"));
        assertTrue(svg.contains(">LM-Infinite</text>") && svg.contains(">plain</text>"));
        for (String tick : new String[]{">256<", ">512<", ">1024<", ">2048<", ">4096<"}) {
            assertTrue(svg.contains(tick), tick);
        }
        // Equal steps on the log2 axis: 256 → 1024 is as wide as 1024 → 4096.
        String pts = svg.substring(svg.indexOf("points=\"") + 8);
        String[] xy = pts.substring(0, pts.indexOf('"')).split(" ");
        double a = Double.parseDouble(xy[0].split(",")[0]);
        double b = Double.parseDouble(xy[1].split(",")[0]);
        double c = Double.parseDouble(xy[2].split(",")[0]);
        assertEquals(b - a, c - b, 0.11);
    }

    @Test
    void roundTickSteps() {
        assertEquals(200, SvgChart.niceStep(206.2), 1e-9);
        assertEquals(0.5, SvgChart.niceStep(0.4), 1e-12);
        assertEquals(1, SvgChart.niceStep(1), 1e-12);
        assertEquals(10, SvgChart.niceStep(7.5), 1e-12);
        assertEquals(5, SvgChart.niceStep(6.9), 1e-12);
        String svg = new SvgChart("p", "x", "y").add("s", Map.of(256, 191.6, 4096, 1222.7)).render();
        for (String tick : new String[]{">0<", ">200<", ">1400<"}) {
            assertTrue(svg.contains(tick), tick + " in " + svg);
        }
    }

    @Test
    void fixedRangeAndErrors() {
        String svg = new SvgChart("acc", "x", "y").add("s", Map.of(256, 0.5)).yRange(0, 1).render();
        assertTrue(svg.contains(">1.0<") && svg.contains(">0.0<") && svg.contains(">0.6<"), svg);
        assertThrows(IllegalStateException.class, () -> new SvgChart("t", "x", "y").render());
        assertThrows(IllegalArgumentException.class, () -> new SvgChart("t", "x", "y").add("s", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new SvgChart("t", "x", "y").add("s", Map.of(0, 1.0)).render());
    }
}
