package dev.normclock.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.w3c.dom.Document;

class ChartTest {

    private static final double NAN = Double.NaN;

    @TempDir
    Path tmp;

    /** Points, intervals with a NaN and a zero, a fit and a reference, on log-log axes. */
    private static Chart logLogFigure() {
        double[] norm = {2, 4, 8, 16, 32};
        return Chart.of("Delay grows with the norm", "weight norm", "steps to grok")
                .logX().logY().size(640, 400)
                .points("measured", norm, new double[] {100, 220, 450, 900, 1900})
                .points("with CI", new double[] {3, 6, 12, 24, 48}, new double[] {90, NAN, 0, 800, 1500},
                        new double[] {60, 100, 100, 0, 1200}, new double[] {130, 300, 300, 1100, NAN})
                .line("fit", new double[] {2, 48}, new double[] {95, 2300})
                .dashed("paper", new double[] {2, 48}, new double[] {80, 2000});
    }

    @Test
    void savesReadableSvgAndPngOfTheRequestedSize() throws Exception {
        Path folder = tmp.resolve("figures/new"); // does not exist yet
        SavedFigure saved = logLogFigure().save(folder, "delay", "Grokking delay against the weight norm.");

        assertEquals(folder.resolve("delay.svg"), saved.svg());
        assertEquals(folder.resolve("delay.png"), saved.png());
        assertEquals("Delay grows with the norm", saved.title());
        assertTrue(Files.size(saved.svg()) > 1000);

        BufferedImage png = ImageIO.read(saved.png().toFile());
        assertNotNull(png, "PNG does not decode");
        assertEquals(640, png.getWidth());
        assertEquals(400, png.getHeight());
        assertEquals(0xffffffff, png.getRGB(2, 2), "background is white");

        // A plain parser: the SVG must not send it to the network for a DTD.
        Document svg = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(saved.svg().toFile());
        assertEquals("svg", svg.getDocumentElement().getNodeName());
        assertEquals("Delay grows with the norm", svg.getElementsByTagName("title").item(0).getTextContent());
        assertEquals("Grokking delay against the weight norm.",
                svg.getElementsByTagName("desc").item(0).getTextContent());
        assertFalse(Files.readString(saved.svg()).contains("<!DOCTYPE"));

        try (Stream<Path> files = Files.list(folder)) {
            assertEquals(2, files.count(), "no temporary files left behind");
        }
    }

    @Test
    void skipsPointsTheAxesCannotShow() {
        XYChart chart = Chart.of("t", "x", "y").logX().logY()
                .points("p", new double[] {1, 2, 3, 0, -1, 5, Double.POSITIVE_INFINITY},
                        new double[] {1, NAN, 0, 4, 5, 6, 7})
                .line("l", new double[] {1, 2, 3}, new double[] {-1, Double.NEGATIVE_INFINITY, 10})
                .toXChart();
        XYSeries p = chart.getSeriesMap().get("p");
        assertArrayEquals(new double[] {1, 5}, p.getXData());
        assertArrayEquals(new double[] {1, 6}, p.getYData());
        assertArrayEquals(new double[] {3}, chart.getSeriesMap().get("l").getXData());
        assertNotNull(BitmapEncoder.getBufferedImage(chart)); // XChart draws it without complaint
    }

    @Test
    void linearAxesKeepNegativeValues() {
        XYChart chart = Chart.of("t", "x", "y")
                .points("p", new double[] {-2, 0, 1}, new double[] {-5, 0, NAN}).toXChart();
        assertArrayEquals(new double[] {-2, 0}, chart.getSeriesMap().get("p").getXData());
    }

    @Test
    void intervalsAreDrawnBetweenTheirBoundsWithCaps() {
        XYChart chart = logLogFigure().toXChart();
        List<XYSeries> intervals = hidden(chart);
        // "with CI": point 1 (NaN) and point 2 (zero) cannot be drawn; 0, 3 and 4 keep their intervals.
        assertEquals(3, intervals.size());

        // Point 0: [60, 130] around (3, 90): lower cap, stem, upper cap.
        XYSeries first = intervals.get(0);
        double[] x = first.getXData();
        double[] y = first.getYData();
        assertArrayEquals(new double[] {60, 60, 60, 130, 130, 130}, y);
        assertEquals(3, x[2]);
        assertEquals(3, x[3]);
        assertTrue(x[0] < 3 && x[1] > 3, "caps straddle the point");
        assertEquals(9, x[0] * x[1], 1e-9, "on a log axis the caps are symmetric as factors");
        assertFalse(first.isShowInLegend());

        // Point 3: a zero lower bound on a log axis runs open (no cap) down to the lowest drawn value, 60.
        double[] open = intervals.get(1).getYData();
        assertArrayEquals(new double[] {60, 1100, 1100, 1100}, open);

        // Point 4: a NaN upper bound leaves that side out: from 1200 up to the point, 1500, no upper cap.
        assertArrayEquals(new double[] {1200, 1200, 1200, 1500}, intervals.get(2).getYData());

        // Intervals take their series' colour, and are drawn before (under) the series themselves.
        XYSeries ci = chart.getSeriesMap().get("with CI");
        assertEquals(ci.getMarkerColor(), first.getLineColor());
        List<String> order = List.copyOf(chart.getSeriesMap().keySet());
        assertTrue(order.indexOf(first.getName()) < order.indexOf("measured"));
    }

    @Test
    void intervalsOnLinearAxesUseAbsoluteCapWidths() {
        XYChart chart = Chart.of("t", "x", "y")
                .points("p", new double[] {0, 10}, new double[] {1, 2}, new double[] {3, 1.5}, new double[] {0, 2.5})
                .toXChart();
        List<XYSeries> intervals = hidden(chart);
        assertEquals(2, intervals.size());
        double[] x = intervals.get(0).getXData();
        assertEquals(0, x[0] + x[1], 1e-12, "caps centred on x = 0");
        assertArrayEquals(new double[] {0, 0, 0, 3, 3, 3}, intervals.get(0).getYData(), "bounds given high-low are sorted");
    }

    @Test
    void coloursFollowTheSeriesNameAcrossFigures() {
        XYChart a = Chart.of("a", "x", "y").points("lr=1e-3", new double[] {1}, new double[] {1})
                .line("baseline", new double[] {1, 2}, new double[] {1, 2}).toXChart();
        XYChart b = Chart.of("b", "x", "y").line("baseline", new double[] {1, 2}, new double[] {1, 2}).toXChart();
        assertEquals(a.getSeriesMap().get("baseline").getLineColor(), b.getSeriesMap().get("baseline").getLineColor());

        // Within one figure, no two series share a colour while the palette lasts.
        Chart many = Chart.of("m", "x", "y");
        for (int i = 0; i < 10; i++) {
            many.line("run " + i, new double[] {1, 2}, new double[] {i, i + 1});
        }
        Map<String, XYSeries> series = many.toXChart().getSeriesMap();
        assertEquals(10, series.values().stream().map(XYSeries::getLineColor).distinct().count());
        assertNotEquals(series.get("run 0").getLineColor(), series.get("run 1").getLineColor());
    }

    @Test
    void legendGoesRightOfThePlotOrInsideTopLeft() {
        XYChart outside = Chart.of("t", "x", "y").line("a", new double[] {1, 2}, new double[] {1, 2}).toXChart();
        XYChart inside = Chart.of("t", "x", "y").legendInside().line("a", new double[] {1, 2}, new double[] {1, 2})
                .toXChart();
        assertEquals(Styler.LegendPosition.OutsideE, outside.getStyler().getLegendPosition());
        assertEquals(Styler.LegendPosition.InsideNW, inside.getStyler().getLegendPosition());
        assertEquals(Color.WHITE, outside.getStyler().getChartBackgroundColor());
        assertEquals(Color.WHITE, outside.getStyler().getPlotBackgroundColor());
    }

    @Test
    void aFigureWithoutDrawableDataStillSaves() throws Exception {
        SavedFigure saved = Chart.of("Nothing yet", "x", "y").logY()
                .points("p", new double[] {1, 2}, new double[] {0, NAN})
                .save(tmp, "empty", "");
        assertEquals(720, ImageIO.read(saved.png().toFile()).getWidth());
    }

    @Test
    void rejectsMisuse() {
        Chart chart = Chart.of("t", "x", "y").line("a", new double[] {1}, new double[] {1});
        assertThrows(IllegalArgumentException.class, () -> chart.line("a", new double[] {1}, new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> chart.points("b", new double[] {1, 2}, new double[] {1}));
        assertThrows(IllegalArgumentException.class,
                () -> chart.points("c", new double[] {1}, new double[] {1}, new double[] {1}, new double[0]));
        assertThrows(IllegalArgumentException.class, () -> chart.save(tmp, "../escape", ""));
        assertThrows(IllegalArgumentException.class, () -> chart.size(10, 10));
    }

    private static List<XYSeries> hidden(XYChart chart) {
        return chart.getSeriesMap().values().stream().filter(s -> !s.isShowInLegend()).toList();
    }
}
