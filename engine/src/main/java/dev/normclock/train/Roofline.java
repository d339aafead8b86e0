package dev.normclock.train;

import dev.normclock.backend.cuda.DevicePeaks;

/**
 * What a GPU could do at best with bench's step: the roofline bound. A model-step needs its FLOPs
 * at the arithmetic peak (TF32's where the GEMMs use TF32, else FP32's) and its bytes
 * ({@link StepTraffic}) at the memory bandwidth; the longer of the two is a lower bound on its time,
 * so its inverse is an upper bound on model-steps/s. It ignores launch latency, which is given
 * apart: every launch (a kernel, a cuBLAS call — each starts at least one kernel —, a graph) costs
 * about {@link #LAUNCH_SECONDS} of the host's and GPU's time however small its work, so a step of
 * L launches over B models takes at least L × 3 µs / B per model-step.
 *
 * @param measuredModelStepsPerSecond NaN where nothing was measured on this GPU (the simulator's estimate for a reference GPU)
 */
public record Roofline(DevicePeaks peaks, boolean tf32, double flopsPerModelStep, double bytesPerModelStep, double launchesPerStep, int models,
                       double measuredModelStepsPerSecond) {
    /** A launch's rough cost on a current GPU (host submission and the GPU's start), for the launch floor. */
    public static final double LAUNCH_SECONDS = 3e-6;

    /** The arithmetic peak used: TF32's where the GEMMs use TF32 and a nominal figure exists, else FP32's. */
    public double peakGflops() {
        return usesTf32() ? peaks.tf32Gflops() : peaks.fp32Gflops();
    }

    public boolean usesTf32() {
        return tf32 && !Double.isNaN(peaks.tf32Gflops());
    }

    public double computeSeconds() {
        return flopsPerModelStep / (peakGflops() * 1e9);
    }

    public double memorySeconds() {
        return bytesPerModelStep / (peaks.bandwidthGBs() * 1e9);
    }

    /** "compute" or "memory": which of the two takes longer. */
    public String bound() {
        return computeSeconds() >= memorySeconds() ? "compute" : "memory";
    }

    /** 1 / max(FLOPs / peak, bytes / bandwidth): the most model-steps/s the step could reach, launch latency ignored. */
    public double estimatedModelStepsPerSecond() {
        return 1 / Math.max(computeSeconds(), memorySeconds());
    }

    /** Launches × 3 µs / models: the least time per model-step that launch latency alone allows. */
    public double launchFloorSecondsPerModelStep() {
        return launchesPerStep * LAUNCH_SECONDS / models;
    }

    /** The measured rate over the estimate; NaN where nothing was measured on the GPU. */
    public double measuredOverEstimate() {
        return measuredModelStepsPerSecond / estimatedModelStepsPerSecond();
    }
}
