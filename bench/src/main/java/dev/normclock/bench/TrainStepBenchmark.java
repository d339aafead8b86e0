package dev.normclock.bench;

import java.util.concurrent.TimeUnit;

import dev.normclock.backend.Hyper;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.model.MlpPopulation;
import dev.normclock.model.MlpShape;
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
 * One full-batch training step ({@link MlpPopulation#trainStep}: forward, fused cross-entropy,
 * backward, AdamW with decoupled weight decay, and the norm clamp) of a population of MLPs at the
 * paper's cell: p = 59, d = 128, H = 256, training fraction 0.4 (n = 1392 pairs). The population
 * is set up as the engine's {@code dev.normclock.train.StepBenchmark} does it: model m gets seed m,
 * its own split, lr 1e-3, weight decay 1 and a clamp to norm 54.6 active from step 1. Evaluation
 * is not included.
 *
 * <p>One operation is one step of all {@code models} models. The step's GEMMs execute
 * {@link MlpShape#flopsPerStep} = 2·(2pdH)·3 + 2·npH·3 = 149,348,352 FLOP per model (counted as
 * in the engine: 2 per multiply–add, padding excluded); the elementwise kernels (GELU,
 * softmax, AdamW, transposes) are timed but not counted. The primary score is steps (of the
 * whole population) per second, so model-steps per second are {@code models × score}. The
 * secondary {@code gflops} counter adds the GFLOP of each step, so JMH's rate for it, labelled
 * "ops/s", is GFLOP/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-XX:-TieredCompilation", "-XX:LoopMaxUnroll=1"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class TrainStepBenchmark {
    static final int P = 59, D = 128, H = 256;
    static final double TRAIN_FRACTION = 0.4;

    @Param({"1", "16"})
    public int models;
    @Param({"1", "2"})
    public int threads;

    private CpuBackend backend;
    private MlpPopulation population;
    private Hyper hyper;
    private int[][] pairs;
    private int[] all;
    private double[] loss, acc;
    private int step;
    private double gflopPerStep;

    @Setup(Level.Trial)
    public void setUp() {
        ModularAddition task = new ModularAddition(P, TRAIN_FRACTION);
        MlpShape shape = new MlpShape(P, D, H);
        backend = new CpuBackend(threads);
        population = new MlpPopulation(shape, models, task.trainSize());
        hyper = new Hyper(models);
        pairs = new int[models][];
        all = BenchData.slots(models);
        for (int m = 0; m < models; m++) {
            pairs[m] = task.split(1L, m).trainPairs();
            population.initialise(m, 1L, m, 1e-6);
            hyper.lr[m] = 1e-3f;
            hyper.weightDecay[m] = 1f;
            hyper.clampTarget[m] = 54.6;
            hyper.clampFrom[m] = 1;
        }
        loss = new double[models];
        acc = new double[models];
        step = 0;
        gflopPerStep = shape.flopsPerStep(task.trainSize()) * models / 1e9;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (double l : loss)
            if (!Double.isFinite(l)) throw new IllegalStateException("training diverged: loss " + l + " after " + step + " steps");
        population.close();
        backend.close();
    }

    @Benchmark
    public double trainStep(Flops f) {
        population.trainStep(backend, all, pairs, hyper, ++step, loss, acc);
        f.gflops += gflopPerStep;
        return loss[0];
    }
}
