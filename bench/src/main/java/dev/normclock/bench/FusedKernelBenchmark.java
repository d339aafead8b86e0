package dev.normclock.bench;

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;

import dev.normclock.backend.Tensor;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.task.ModularAddition;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The step's element-wise kernels at the paper's cell, each fused kernel beside the separate calls
 * it replaces (the conformance tests check that both give the same bits):
 *
 * <ul>
 *   <li>{@code gelu}: the exact GELU and its slope on every training example (hiddenForward);</li>
 *   <li>{@code crossEntropy}: softmax cross-entropy and its gradient on every example;</li>
 *   <li>{@code forwardSeparate} / {@code forwardFused}: GELU, the logits GEMM and the loss, as three
 *       calls or as {@code hiddenToCrossEntropy}, one block of examples at a time;</li>
 *   <li>{@code backwardSeparate} / {@code backwardFused}: dAct = dZ·W2ᵀ and the first layer's
 *       scatter, as two calls or as {@code outputToHiddenBackward}.</li>
 * </ul>
 * One operation is the kernel for all {@code models} models; the score is operations per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-XX:-TieredCompilation", "-XX:LoopMaxUnroll=1"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 1)
public class FusedKernelBenchmark {
    static final int P = 59, H = 256;

    @State(Scope.Benchmark)
    public static class Step {
        @Param({"1", "16"})
        public int models;
        @Param({"2"})
        public int threads;

        final Arena arena = Arena.ofShared();
        CpuBackend backend;
        int[] all;
        int[][] pairs;
        Tensor pa, pb, b1, act, slope, w2, w2T, b2, logits, dZ, dPa, dPb, dB1;
        float[] tau;
        double[] scale;
        float[][] loss, norm;
        boolean[][] correct;

        @Setup(Level.Trial)
        public void setUp() {
            ModularAddition task = new ModularAddition(P, 0.4);
            int n = task.trainSize();
            pairs = new int[models][];
            for (int m = 0; m < models; m++) pairs[m] = task.split(1L, m).trainPairs();
            pa = Tensor.allocate(arena, models, P, H);
            pb = Tensor.allocate(arena, models, P, H);
            b1 = Tensor.allocate(arena, models, 1, H);
            act = Tensor.allocate(arena, models, n, H);
            slope = Tensor.allocate(arena, models, n, H);
            w2 = Tensor.allocate(arena, models, H, P);
            w2T = Tensor.allocate(arena, models, P, H);
            b2 = Tensor.allocate(arena, models, 1, P);
            logits = Tensor.allocate(arena, models, n, P);
            dZ = Tensor.allocate(arena, models, n, P);
            dPa = Tensor.allocate(arena, models, P, H);
            dPb = Tensor.allocate(arena, models, P, H);
            dB1 = Tensor.allocate(arena, models, 1, H);
            BenchData.fillNormal(pa, 1, 1.0);
            BenchData.fillNormal(pb, 2, 1.0);
            BenchData.fillNormal(w2, 3, 1 / Math.sqrt(H));
            BenchData.fillNormal(w2T, 4, 1 / Math.sqrt(H));
            BenchData.fillNormal(dZ, 5, 1.0 / n);
            BenchData.fillNormal(slope, 6, 0.5);
            tau = new float[models];
            scale = new double[models];
            java.util.Arrays.fill(tau, 1f);
            java.util.Arrays.fill(scale, 1f / n);
            loss = new float[models][n];
            norm = new float[models][n];
            correct = new boolean[models][n];
            backend = new CpuBackend(threads);
            all = BenchData.slots(models);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            backend.close();
            arena.close();
        }
    }

    @Benchmark
    public void gelu(Step s) {
        s.backend.hiddenForward(s.pa, s.pb, s.b1, s.pairs, P, s.act, s.slope, s.all);
    }

    @Benchmark
    public void crossEntropy(Step s) {
        s.backend.crossEntropy(s.logits, s.b2, s.pairs, P, s.tau, s.scale, s.loss, s.correct, s.norm, s.all);
    }

    @Benchmark
    public void forwardSeparate(Step s) {
        s.backend.hiddenForward(s.pa, s.pb, s.b1, s.pairs, P, s.act, s.slope, s.all);
        s.backend.matmul(s.act, false, s.w2, s.logits, H, false, s.all);
        s.backend.crossEntropy(s.logits, s.b2, s.pairs, P, s.tau, s.scale, s.loss, s.correct, s.norm, s.all);
    }

    @Benchmark
    public void forwardFused(Step s) {
        s.backend.hiddenToCrossEntropy(s.pa, s.pb, s.b1, s.pairs, P, s.act, s.slope, s.w2, H, s.logits, s.b2, s.tau, s.scale,
                s.loss, s.correct, s.norm, s.all);
    }

    @Benchmark
    public void backwardSeparate(Step s) {
        s.backend.matmul(s.dZ, false, s.w2T, s.act, P, false, s.all);
        s.backend.hiddenBackward(s.act, s.slope, s.pairs, P, s.dPa, s.dPb, s.dB1, s.all);
    }

    @Benchmark
    public void backwardFused(Step s) {
        s.backend.outputToHiddenBackward(s.dZ, s.w2T, P, s.act, s.slope, s.pairs, P, s.dPa, s.dPb, s.dB1, s.all);
    }
}
