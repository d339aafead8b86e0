package dev.normclock.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A research figure: measured points (optionally with asymmetric intervals), fitted lines and dashed
 * reference lines on linear or logarithmic axes, saved as SVG and PNG. It wraps XChart's {@link XYChart}
 * so every figure of a report gets the same look, and so data straight from experiments can be handed over
 * as is: points that cannot be drawn (NaN, infinite, or non-positive on a log axis) are left out instead of
 * making XChart fail.
 *
 * <p>XChart's error bars are symmetric; intervals here are drawn as their own small line series (see
 * {@link #points(String, double[], double[], double[], double[])}), which is exact on log axes as well.
 * The builder only records the data; the XChart chart is made when the figure is saved.
 */
public final class Chart {

    static {
        Headless.ensure(); // before any AWT class is used
    }

    private static final int DEFAULT_WIDTH = 720;
    private static final int DEFAULT_HEIGHT = 480;
    /** Half the width of an interval's cap, as a fraction of the x span in axis units (decades on log axes). */
    private static final double CAP_HALF_WIDTH = 0.008;
    private static final String FONT = Font.SANS_SERIF;
    private static final BasicStroke LINE = new BasicStroke(2.0f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    private static final BasicStroke DASHED = new BasicStroke(2.0f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND,
            10f, new float[] {7f, 5f}, 0f);
    private static final BasicStroke INTERVAL = new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER);
    /** Prefixes the hidden interval series' names so they cannot collide with a caller's series name. */
    private static final String HIDDEN = "\u2063interval\u2063";

    private enum Kind { POINTS, LINE, DASHED }

    private record Series(String name, Kind kind, double[] x, double[] y, double[] lo, double[] hi) {
        boolean hasIntervals() {
            return lo != null;
        }
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private boolean logX;
    private boolean logY;
    private int width = DEFAULT_WIDTH;
    private int height = DEFAULT_HEIGHT;
    private boolean legendInside;
    private final List<Series> series = new ArrayList<>();

    private Chart(String title, String xLabel, String yLabel) {
        this.title = Objects.requireNonNull(title, "title");
        this.xLabel = Objects.requireNonNull(xLabel, "xLabel");
        this.yLabel = Objects.requireNonNull(yLabel, "yLabel");
    }

    /** A new figure with linear axes, 720×480 pixels. */
    public static Chart of(String title, String xLabel, String yLabel) {
        return new Chart(title, xLabel, yLabel);
    }

    /** Logarithmic x axis; points with x ≤ 0 are then left out. */
    public Chart logX() {
        logX = true;
        return this;
    }

    /** Logarithmic y axis; points with y ≤ 0 are then left out. */
    public Chart logY() {
        logY = true;
        return this;
    }

    /**
     * Puts the legend in the plot's top-left corner instead of to the right of it: more room for the data,
     * for figures whose top-left corner is empty (rising curves).
     */
    public Chart legendInside() {
        legendInside = true;
        return this;
    }

    /** The figure's size in pixels (the PNG's size, and the SVG's view box). */
    public Chart size(int width, int height) {
        if (width < 100 || height < 100) {
            throw new IllegalArgumentException("a figure needs at least 100×100 pixels, not " + width + "×" + height);
        }
        this.width = width;
        this.height = height;
        return this;
    }

    /** Measured values: markers only. */
    public Chart points(String series, double[] x, double[] y) {
        return add(new Series(series, Kind.POINTS, copy(x, "x"), copy(y, "y"), null, null), x.length);
    }

    /**
     * Measured values with an interval [yLo[i], yHi[i]] around each point, such as a confidence interval.
     * Each interval is a vertical line with a short cap at each end. A NaN bound leaves that side of the
     * interval out; a bound that the axis cannot show (±∞, or ≤ 0 on a log axis) is drawn open, without a cap,
     * to the edge of the data.
     */
    public Chart points(String series, double[] x, double[] y, double[] yLo, double[] yHi) {
        return add(new Series(series, Kind.POINTS, copy(x, "x"), copy(y, "y"), copy(yLo, "yLo"), copy(yHi, "yHi")),
                x.length);
    }

    /** A solid line without markers, for fits. */
    public Chart line(String series, double[] x, double[] y) {
        return add(new Series(series, Kind.LINE, copy(x, "x"), copy(y, "y"), null, null), x.length);
    }

    /** A dashed line without markers, for reference curves such as a paper's values or a predicted law. */
    public Chart dashed(String series, double[] x, double[] y) {
        return add(new Series(series, Kind.DASHED, copy(x, "x"), copy(y, "y"), null, null), x.length);
    }

    /**
     * Writes {@code baseName.svg} and {@code baseName.png} into {@code folder} (created if missing), each
     * atomically. The SVG carries the title and caption as {@code <title>} and {@code <desc>}, since XChart
     * draws all text as outlines.
     */
    public SavedFigure save(Path folder, String baseName, String caption) throws IOException {
        Objects.requireNonNull(folder, "folder");
        checkBaseName(baseName);
        Files.createDirectories(folder);
        XYChart chart = toXChart();
        Path svg = folder.resolve(baseName + ".svg");
        Path png = folder.resolve(baseName + ".png");

        ByteArrayOutputStream svgBytes = new ByteArrayOutputStream(1 << 18);
        VectorGraphicsEncoder.saveVectorGraphic(chart, svgBytes, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        String markup = SvgMarkup.describe(svgBytes.toString(StandardCharsets.UTF_8), title, caption == null ? "" : caption);
        AtomicFiles.writeString(svg, markup);
        AtomicFiles.write(png, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
        return new SavedFigure(baseName, svg, png, title, caption);
    }

    /** The XChart chart for the data recorded so far; a new one on every call. */
    XYChart toXChart() {
        XYChart chart = new XYChart(width, height);
        chart.setTitle(title);
        chart.setXAxisTitle(xLabel);
        chart.setYAxisTitle(yLabel);
        style(chart.getStyler());

        Bounds bounds = bounds();
        if (bounds == null) {
            drawNothingToShow(chart);
            return chart;
        }
        // A log axis over more than about a decade and a half is labelled at decades only; a
        // shorter one (the delay law's T_grok) also between them, or it would have no label.
        if (logX) chart.getStyler().setXAxisLogarithmicDecadeOnly(Math.log10(bounds.xMax() / bounds.xMin()) > 1.5);
        if (logY) chart.getStyler().setYAxisLogarithmicDecadeOnly(Math.log10(bounds.yMax() / bounds.yMin()) > 1.5);
        List<String> names = series.stream().map(Series::name).toList();
        Map<String, SeriesPalette.Style> styles = SeriesPalette.assign(names);
        // Intervals first, so that markers and lines are drawn over them.
        for (Series s : series) {
            if (s.hasIntervals()) {
                addIntervals(chart, s, styles.get(s.name()).color(), bounds);
            }
        }
        int shown = 0;
        for (Series s : series) {
            if (addSeries(chart, s, styles.get(s.name()))) {
                shown++;
            }
        }
        chart.getStyler().setLegendVisible(shown > 0);
        return chart;
    }

    private Chart add(Series s, int n) {
        Objects.requireNonNull(s.name(), "series");
        if (s.y().length != n || s.hasIntervals() && (s.lo().length != n || s.hi().length != n)) {
            throw new IllegalArgumentException("series '" + s.name() + "': x, y (and yLo, yHi) must have the same length");
        }
        for (Series other : series) {
            if (other.name().equals(s.name())) {
                throw new IllegalArgumentException("series '" + s.name() + "' is already in this figure");
            }
        }
        series.add(s);
        return this;
    }

    private static double[] copy(double[] values, String what) {
        return Objects.requireNonNull(values, what).clone();
    }

    private static void checkBaseName(String baseName) {
        Objects.requireNonNull(baseName, "baseName");
        if (baseName.isBlank() || baseName.equals(".") || baseName.equals("..")
                || baseName.indexOf('/') >= 0 || baseName.indexOf('\\') >= 0) {
            throw new IllegalArgumentException("baseName must be a plain file name without extension: '" + baseName + "'");
        }
    }

    private boolean showsX(double x) {
        return Double.isFinite(x) && (!logX || x > 0);
    }

    private boolean showsY(double y) {
        return Double.isFinite(y) && (!logY || y > 0);
    }

    /** The extent of everything drawable, in data units; null when nothing can be drawn. */
    private record Bounds(double xMin, double xMax, double yMin, double yMax) {
    }

    private Bounds bounds() {
        double xMin = Double.POSITIVE_INFINITY, xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY, yMax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (!showsX(s.x()[i]) || !showsY(s.y()[i])) {
                    continue;
                }
                xMin = Math.min(xMin, s.x()[i]);
                xMax = Math.max(xMax, s.x()[i]);
                yMin = Math.min(yMin, s.y()[i]);
                yMax = Math.max(yMax, s.y()[i]);
                if (s.hasIntervals()) {
                    for (double b : new double[] {s.lo()[i], s.hi()[i]}) {
                        if (showsY(b)) {
                            yMin = Math.min(yMin, b);
                            yMax = Math.max(yMax, b);
                        }
                    }
                }
            }
        }
        return xMin <= xMax ? new Bounds(xMin, xMax, yMin, yMax) : null;
    }

    /** Adds the drawable points of one series; false when none of its points can be drawn. */
    private boolean addSeries(XYChart chart, Series s, SeriesPalette.Style style) {
        int n = 0;
        double[] xs = new double[s.x().length];
        double[] ys = new double[s.x().length];
        for (int i = 0; i < s.x().length; i++) {
            if (showsX(s.x()[i]) && showsY(s.y()[i])) {
                xs[n] = s.x()[i];
                ys[n] = s.y()[i];
                n++;
            }
        }
        if (n == 0) {
            return false;
        }
        XYSeries xy = chart.addSeries(s.name(), Arrays.copyOf(xs, n), Arrays.copyOf(ys, n));
        xy.setLineColor(style.color());
        xy.setMarkerColor(style.color());
        switch (s.kind()) {
            case POINTS -> {
                xy.setXYSeriesRenderStyle(XYSeriesRenderStyle.Scatter);
                xy.setMarker(style.marker());
            }
            case LINE -> line(xy, LINE);
            case DASHED -> line(xy, DASHED);
        }
        return true;
    }

    private static void line(XYSeries xy, BasicStroke stroke) {
        xy.setXYSeriesRenderStyle(XYSeriesRenderStyle.Line);
        xy.setMarker(SeriesMarkers.NONE);
        xy.setLineStyle(stroke);
    }

    /**
     * Draws each interval of a series as a hidden two-to-six point line series: lower cap, the vertical
     * stem, upper cap. Caps are placed in axis units (a factor on log axes), so they look the same width
     * everywhere on the figure.
     */
    private void addIntervals(XYChart chart, Series s, Color color, Bounds bounds) {
        double span = logX ? Math.log10(bounds.xMax()) - Math.log10(bounds.xMin()) : bounds.xMax() - bounds.xMin();
        double half = CAP_HALF_WIDTH * (span > 0 ? span : 1.0);
        Set<String> taken = new HashSet<>(chart.getSeriesMap().keySet());
        for (int i = 0; i < s.x().length; i++) {
            double x = s.x()[i];
            double y = s.y()[i];
            if (!showsX(x) || !showsY(y)) {
                continue;
            }
            double lo = s.lo()[i];
            double hi = s.hi()[i];
            if (!Double.isNaN(lo) && !Double.isNaN(hi) && lo > hi) {
                double t = lo;
                lo = hi;
                hi = t;
            }
            End lower = end(lo, y, bounds);
            End upper = end(hi, y, bounds);
            if (lower.value() == upper.value() && !lower.capped() && !upper.capped()) {
                continue;
            }
            double xl = logX ? x / Math.pow(10, half) : x - half;
            double xr = logX ? x * Math.pow(10, half) : x + half;
            List<double[]> path = new ArrayList<>(6);
            if (lower.capped()) {
                path.add(new double[] {xl, lower.value()});
                path.add(new double[] {xr, lower.value()});
            }
            path.add(new double[] {x, lower.value()});
            path.add(new double[] {x, upper.value()});
            if (upper.capped()) {
                path.add(new double[] {xl, upper.value()});
                path.add(new double[] {xr, upper.value()});
            }
            String name = HIDDEN + s.name() + HIDDEN + i;
            if (!taken.add(name)) {
                continue;
            }
            XYSeries xy = chart.addSeries(name,
                    path.stream().mapToDouble(p -> p[0]).toArray(), path.stream().mapToDouble(p -> p[1]).toArray());
            xy.setXYSeriesRenderStyle(XYSeriesRenderStyle.Line);
            xy.setMarker(SeriesMarkers.NONE);
            xy.setLineStyle(INTERVAL);
            xy.setLineColor(color);
            xy.setShowInLegend(false);
        }
    }

    /** One end of an interval: where it is drawn, and whether it is a real bound that gets a cap. */
    private record End(double value, boolean capped) {
    }

    private End end(double bound, double y, Bounds bounds) {
        if (Double.isNaN(bound)) {
            return new End(y, false); // unknown: this side is not drawn
        }
        if (showsY(bound)) {
            return new End(bound, true);
        }
        // Beyond what the axis can show: open to the edge of the data.
        return new End(bound == Double.POSITIVE_INFINITY ? bounds.yMax() : bounds.yMin(), false);
    }

    /** XChart cannot draw a chart without series; an empty figure says so instead of failing. */
    private void drawNothingToShow(XYChart chart) {
        XYSeries anchor = chart.addSeries(HIDDEN + "empty", new double[] {1, 2}, new double[] {1, 2});
        anchor.setXYSeriesRenderStyle(XYSeriesRenderStyle.Line);
        anchor.setMarker(SeriesMarkers.NONE);
        anchor.setLineStyle(SeriesLines.NONE);
        anchor.setShowInLegend(false);
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setAxisTicksVisible(false);
        chart.getStyler().setAnnotationTextFont(new Font(FONT, Font.ITALIC, 16));
        chart.getStyler().setAnnotationTextFontColor(Color.GRAY);
        chart.addAnnotation(new AnnotationText("no data to show", width / 2.0, height / 2.0, true));
    }

    private void style(XYStyler st) {
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setPlotBorderVisible(true);
        st.setPlotBorderColor(new Color(0x888888));
        st.setAxisTicksLineVisible(false); // the plot border already frames the data
        st.setPlotGridLinesVisible(true);
        st.setPlotGridLinesColor(new Color(0xe4e4e4));
        st.setPlotGridLinesStroke(new BasicStroke(0.8f));
        st.setChartFontColor(new Color(0x222222));
        st.setChartTitleFont(new Font(FONT, Font.BOLD, 16));
        st.setChartTitleBoxVisible(false);
        st.setAxisTitleFont(new Font(FONT, Font.PLAIN, 14));
        st.setAxisTickLabelsFont(new Font(FONT, Font.PLAIN, 12));
        st.setAxisTickLabelsColor(new Color(0x333333));
        st.setLegendFont(new Font(FONT, Font.PLAIN, 13));
        st.setLegendBackgroundColor(Color.WHITE);
        st.setLegendBorderColor(legendInside ? new Color(0xcccccc) : Color.WHITE);
        // Outside to the right by default: XChart's horizontal legend below the plot misplaces entries
        // that mix markers and lines.
        st.setLegendPosition(legendInside ? Styler.LegendPosition.InsideNW : Styler.LegendPosition.OutsideE);
        st.setLegendLayout(Styler.LegendLayout.Vertical);
        st.setLegendPadding(8);
        st.setLegendSeriesLineLength(28);
        st.setMarkerSize(8);
        st.setAntiAlias(true);
        st.setToolTipsEnabled(false);
        st.setCursorEnabled(false);
        st.setXAxisLogarithmic(logX);
        st.setYAxisLogarithmic(logY);
        // Log-axis labels as plain numbers. (A custom tick formatter would be nicer, but XChart 3.8.8
        // then walks a log axis tick by tick and does not finish.)
        if (logX) st.setXAxisDecimalPattern("#.##");
        if (logY) st.setYAxisDecimalPattern("#.##");
    }
}
