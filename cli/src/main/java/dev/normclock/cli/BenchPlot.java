package dev.normclock.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import dev.normclock.train.StepBenchmark;

/** The sweep's plot: model-steps/s against population size, one line per p, log–log. */
final class BenchPlot {
    private BenchPlot() {
    }

    static void write(List<StepBenchmark.Result> results, Path png, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(800).height(520).title(title)
                .xAxisTitle("models in the population (B)").yAxisTitle("model-steps per second").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
        Map<Integer, List<StepBenchmark.Result>> byP = new TreeMap<>();
        for (StepBenchmark.Result r : results) byP.computeIfAbsent(r.p(), k -> new java.util.ArrayList<>()).add(r);
        for (Map.Entry<Integer, List<StepBenchmark.Result>> e : byP.entrySet()) {
            double[] x = e.getValue().stream().mapToDouble(StepBenchmark.Result::models).toArray();
            double[] y = e.getValue().stream().mapToDouble(StepBenchmark.Result::modelStepsPerSecond).toArray();
            chart.addSeries("p = " + e.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE);
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
