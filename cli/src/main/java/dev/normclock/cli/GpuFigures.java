package dev.normclock.cli;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import dev.normclock.backend.cuda.DevicePeaks;
import dev.normclock.train.Roofline;
import dev.normclock.train.StepBenchmark;

/**
 * What `bench --backend cuda|cuda-sim` adds to its figures: the counters per steady training step
 * and per evaluation, and the roofline — in JSON and in words. On cuda-sim the counters are the
 * simulator's and the roofline is an estimate for a reference GPU (the simulator's time is not a
 * GPU's, so nothing is compared with it); on a GPU the counters are the engine's count of its own
 * driver and cuBLAS calls and the roofline is the GPU's own, with the measured rate against it.
 *
 * @param peaks     the GPU's peaks (on cuda-sim the reference GPU's); null where none are known
 * @param simulated cuda-sim
 */
record GpuFigures(DevicePeaks peaks, boolean simulated, boolean tf32) {

    /** Top-level keys per steady step and per evaluation, the counters under their own keys, and the roofline. */
    void json(Map<String, Object> o, StepBenchmark.Result r) {
        Map<String, Double> step = r.countersPerStep(), eval = r.countersPerEvaluation();
        o.put("counters_source", simulated ? "simulator" : "engine");
        if (step != null) {
            o.put("kernel_launches_per_step", step.get("kernel_launches"));
            o.put("graph_launches_per_step", step.get("graph_launches"));
            o.put("cublas_calls_per_step", step.get("cublas_calls"));
            o.put("host_syncs_per_step", step.get("host_synchronizations"));
            o.put("host_to_device_bytes_per_step", step.get("host_to_device_bytes"));
            o.put("device_to_host_bytes_per_step", step.get("device_to_host_bytes"));
        }
        if (eval != null) {
            o.put("evaluation_device_to_host_copies", eval.get("device_to_host_copies"));
            o.put("evaluation_device_to_host_bytes", eval.get("device_to_host_bytes"));
            o.put("evaluation_host_syncs", eval.get("host_synchronizations"));
        }
        o.put("timed_steps", r.steps());
        o.put("timed_evaluations", r.evaluations());
        o.put("counters_per_step", step);
        o.put("counters_per_evaluation", eval);
        Roofline roof = roofline(r);
        o.put("roofline", roof == null ? null : roofline(roof));
    }

    private Map<String, Object> roofline(Roofline roof) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("device", peaks.device());
        j.put("estimate_only", simulated);
        j.put("source", peaks.source());
        j.put("fp32_peak_gflops", peaks.fp32Gflops());
        j.put("tf32_peak_gflops", Double.isNaN(peaks.tf32Gflops()) ? null : peaks.tf32Gflops());
        j.put("tf32_peak_used", roof.usesTf32());
        j.put("memory_bandwidth_gbs", peaks.bandwidthGBs());
        j.put("flops_per_model_step", roof.flopsPerModelStep());
        j.put("bytes_per_model_step", roof.bytesPerModelStep());
        j.put("bound", roof.bound());
        j.put("estimated_model_steps_per_second", roof.estimatedModelStepsPerSecond());
        j.put("launches_per_step", roof.launchesPerStep());
        j.put("launch_floor_seconds_per_model_step", roof.launchFloorSecondsPerModelStep());
        if (!simulated) j.put("measured_over_estimate", roof.measuredOverEstimate());
        return j;
    }

    /** The roofline of this result, or null without peaks or counters. */
    Roofline roofline(StepBenchmark.Result r) {
        Map<String, Double> step = r.countersPerStep();
        if (peaks == null || step == null || Double.isNaN(r.bytesPerModelStep())) return null;
        double launches = step.get("kernel_launches") + step.get("cublas_calls") + step.get("graph_launches");
        return new Roofline(peaks, tf32, r.flopsPerModelStep(), r.bytesPerModelStep(), launches, r.models(),
                simulated ? Double.NaN : r.modelStepsPerSecond());
    }

    /** The counters line (steps, then one evaluation) and the roofline's two lines, each indented by two spaces. */
    String text(StepBenchmark.Result r) {
        StringBuilder s = new StringBuilder("  ").append(countersLine(r, simulated));
        Map<String, Double> eval = r.countersPerEvaluation();
        if (eval != null)
            s.append(String.format(Locale.ROOT, "; per evaluation (over %d): %s device-to-host copies (%s bytes), %s host synchronisations",
                    r.evaluations(), count(eval.get("device_to_host_copies")), count(eval.get("device_to_host_bytes")),
                    count(eval.get("host_synchronizations"))));
        s.append('\n');
        Roofline roof = roofline(r);
        if (roof == null) {
            s.append(Double.isNaN(r.bytesPerModelStep()) ? "  roofline: for the MLP only (its device-memory traffic is counted, the " + r.model() + "'s is not)\n"
                    : "  roofline: no peak figures for this GPU (its driver reports no clocks and its name is not in the table)\n");
            return s.toString();
        }
        s.append(String.format(Locale.ROOT, "  roofline, %s: FP32 %.1f TFLOP/s%s, %.2f TB/s (%s)%n",
                simulated ? "an estimate for an " + shortName(peaks.device()) + ", not measured" : "the " + peaks.device(),
                peaks.fp32Gflops() / 1e3, Double.isNaN(peaks.tf32Gflops()) ? "" : String.format(Locale.ROOT, ", TF32 %.1f TFLOP/s nominal",
                        peaks.tf32Gflops() / 1e3), peaks.bandwidthGBs() / 1e3, peaks.source()));
        s.append(String.format(Locale.ROOT, "    %.1f MFLOP and %.2f MB per model-step: %s-bound%s, at most %s model-steps/s (a lower bound on a step's "
                        + "time, launch latency ignored); launches alone: %s per step x 3 us / %d models = %.2f us per model-step (at most %s model-steps/s)",
                roof.flopsPerModelStep() / 1e6, roof.bytesPerModelStep() / 1e6, roof.bound(), roof.usesTf32() ? " at the TF32 peak" : "",
                rate(roof.estimatedModelStepsPerSecond()), count(roof.launchesPerStep()), r.models(), roof.launchFloorSecondsPerModelStep() * 1e6,
                rate(1 / roof.launchFloorSecondsPerModelStep())));
        if (!simulated) s.append(String.format(Locale.ROOT, "; measured %.1f model-steps/s, %.1f%% of the estimate", r.modelStepsPerSecond(),
                100 * roof.measuredOverEstimate()));
        return s.append('\n').toString();
    }

    /** "NVIDIA H200" -> "H200". */
    private static String shortName(String device) {
        return device.startsWith("NVIDIA ") ? device.substring(7) : device;
    }

    private static String rate(double v) {
        return Double.isInfinite(v) ? "unbounded" : String.format(Locale.ROOT, "%,.0f", v);
    }

    /**
     * The counters per timed step in one line, e.g. "per step (the simulator's counters over 5 timed steps): 16 kernel launches,
     * 9 cuBLAS calls, ..."; on a GPU the engine's count of its calls.
     */
    static String countersLine(StepBenchmark.Result r, boolean simulated) {
        Map<String, Double> c = r.countersPerStep();
        if (c == null) return "per step: no counters";
        return String.format(Locale.ROOT, "per step (%s over %d timed step%s): %s kernel launches, %s graph launches, "
                        + "%s cuBLAS calls, %s host-to-device copies (%s bytes), %s device-to-host copies (%s bytes), %s memsets, "
                        + "%s host synchronisations, %s allocations, %s frees",
                simulated ? "the simulator's counters" : "the engine's count of its driver and cuBLAS calls", r.steps(), r.steps() == 1 ? "" : "s",
                count(c.get("kernel_launches")), count(c.get("graph_launches")), count(c.get("cublas_calls")),
                count(c.get("host_to_device_copies")), count(c.get("host_to_device_bytes")), count(c.get("device_to_host_copies")),
                count(c.get("device_to_host_bytes")), count(c.get("memsets")), count(c.get("host_synchronizations")),
                count(c.get("allocations")), count(c.get("frees")));
    }

    /** A count per step: whole where it is (every step alike), else with one decimal. */
    static String count(double v) {
        return v == Math.rint(v) ? String.format(Locale.ROOT, "%,d", (long) v) : String.format(Locale.ROOT, "%,.1f", v);
    }
}
