package dev.normclock.bench;

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;

import dev.normclock.backend.Tensor;
import dev.normclock.backend.cpu.CpuBackend;
import dev.normclock.backend.cpu.CpuGemm;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * The CPU GEMM kernel at the four products an MLP training step runs at the paper's cell
 * (p = 59, d = 128, H = 256, n = 1392 training pairs, i.e. training fraction 0.4 of 59²):
 *
 * <table>
 *   <caption>Products, shapes and FLOPs (2·M·N·K) per model</caption>
 *   <tr><th>benchmark</th><th>product</th><th>M×K · K×N</th><th>FLOP / model</th></tr>
 *   <tr><td>*Logits</td><td>logits = act·W2</td><td>1392×256 · 256×59</td><td>42,049,536</td></tr>
 *   <tr><td>*DW2</td><td>dW2 = actᵀ·dZ (A read transposed)</td><td>256×1392 · 1392×59</td><td>42,049,536</td></tr>
 *   <tr><td>*DAct</td><td>dAct = dZ·W2ᵀ (W2ᵀ materialised, as the step does)</td><td>1392×59 · 59×256</td><td>42,049,536</td></tr>
 *   <tr><td>*Pa</td><td>Pa = E·W1[0:d]</td><td>59×128 · 128×256</td><td>3,866,624</td></tr>
 * </table>
 *
 * <p>FLOPs count the useful work: one multiply–add is two FLOPs, padding excluded. Tensors pad
 * columns to multiples of 16 floats and the kernel computes the padded width, so for Logits and
 * DW2 (N = 59 → 64) it actually executes 64/59 of the counted FLOPs.
 *
 * <p>{@code matmul*} call {@link CpuBackend#matmul} on a population of {@code models} models with
 * {@code threads} worker threads; one operation is the product for all models, so its FLOPs are
 * {@code models ×} the column above. {@code rows*} call the single-matrix kernel
 * {@link CpuGemm#rows} directly on one model, on the benchmark thread (no pool, no parameters).
 *
 * <p>The primary score is operations per second (its inverse is the time per product). The
 * secondary {@code gflops} counter (an {@link AuxCounters} counter) is incremented by the GFLOP
 * of each operation, so JMH's rate for it, labelled "ops/s", is GFLOP/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-XX:-TieredCompilation", "-XX:LoopMaxUnroll=1"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 1)
public class GemmBenchmark {
    /** The paper's cell. */
    static final int P = 59, D = 128, H = 256, N = 1392;

    static final double GFLOP_LOGITS = 2.0 * N * H * P / 1e9;
    static final double GFLOP_DW2 = 2.0 * H * P * N / 1e9;
    static final double GFLOP_DACT = 2.0 * N * P * H / 1e9;
    static final double GFLOP_PA = 2.0 * P * D * H / 1e9;

    /** Operands and outputs of the four products for {@code models} models. */
    public static class Operands {
        final Arena arena = Arena.ofShared();
        Tensor emb, w1Top, pa, act, w2, w2T, dZ, logits, dW2, dAct;

        void allocate(int models) {
            emb = Tensor.allocate(arena, models, P, D);
            w1Top = Tensor.allocate(arena, models, D, H);
            pa = Tensor.allocate(arena, models, P, H);
            act = Tensor.allocate(arena, models, N, H);
            w2 = Tensor.allocate(arena, models, H, P);
            w2T = Tensor.allocate(arena, models, P, H);
            dZ = Tensor.allocate(arena, models, N, P);
            logits = Tensor.allocate(arena, models, N, P);
            dW2 = Tensor.allocate(arena, models, H, P);
            dAct = Tensor.allocate(arena, models, N, H);
            BenchData.fillNormal(emb, 1, 1 / Math.sqrt(D));
            BenchData.fillNormal(w1Top, 2, 1 / Math.sqrt(2.0 * D));
            BenchData.fillNormal(act, 3, 0.5);
            BenchData.fillNormal(w2, 4, 1 / Math.sqrt(H));
            BenchData.fillNormal(w2T, 5, 1 / Math.sqrt(H));
            BenchData.fillNormal(dZ, 6, 1.0 / N);
        }
    }

    /** A population of {@code models} models and a backend with {@code threads} threads. */
    @State(Scope.Benchmark)
    public static class Batched extends Operands {
        @Param({"1", "16"})
        public int models;
        @Param({"1", "2"})
        public int threads;

        CpuBackend backend;
        int[] all;

        @Setup(Level.Trial)
        public void setUp() {
            allocate(models);
            backend = new CpuBackend(threads);
            all = BenchData.slots(models);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            backend.close();
            arena.close();
        }
    }

    /** One model's matrices, for the bare kernel. */
    @State(Scope.Benchmark)
    public static class Single extends Operands {
        @Setup(Level.Trial)
        public void setUp() {
            allocate(1);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
        }
    }

    // ---- CpuBackend.matmul over the population ----

    @Benchmark
    public void matmulLogits(Batched s, Flops f) {
        s.backend.matmul(s.act, false, s.w2, s.logits, H, false, s.all);
        f.gflops += GFLOP_LOGITS * s.models;
    }

    @Benchmark
    public void matmulDW2(Batched s, Flops f) {
        s.backend.matmul(s.act, true, s.dZ, s.dW2, N, false, s.all);
        f.gflops += GFLOP_DW2 * s.models;
    }

    @Benchmark
    public void matmulDAct(Batched s, Flops f) {
        s.backend.matmul(s.dZ, false, s.w2T, s.dAct, P, false, s.all);
        f.gflops += GFLOP_DACT * s.models;
    }

    @Benchmark
    public void matmulPa(Batched s, Flops f) {
        s.backend.matmul(s.emb, false, s.w1Top, s.pa, D, false, s.all);
        f.gflops += GFLOP_PA * s.models;
    }

    // ---- CpuGemm.rows on one matrix, one thread ----

    @Benchmark
    public void rowsLogits(Single s, Flops f) {
        Tensor a = s.act, b = s.w2, c = s.logits;
        CpuGemm.rows(a.seg, a.offset, a.ld, 1, b.seg, b.offset, b.ld, c.seg, c.offset, c.ld, 0, c.rows, c.ld, H, false);
        f.gflops += GFLOP_LOGITS;
    }

    @Benchmark
    public void rowsDW2(Single s, Flops f) {
        Tensor a = s.act, b = s.dZ, c = s.dW2;
        CpuGemm.rows(a.seg, a.offset, 1, a.ld, b.seg, b.offset, b.ld, c.seg, c.offset, c.ld, 0, c.rows, c.ld, N, false);
        f.gflops += GFLOP_DW2;
    }

    @Benchmark
    public void rowsDAct(Single s, Flops f) {
        Tensor a = s.dZ, b = s.w2T, c = s.dAct;
        CpuGemm.rows(a.seg, a.offset, a.ld, 1, b.seg, b.offset, b.ld, c.seg, c.offset, c.ld, 0, c.rows, c.ld, P, false);
        f.gflops += GFLOP_DACT;
    }

    @Benchmark
    public void rowsPa(Single s, Flops f) {
        Tensor a = s.emb, b = s.w1Top, c = s.pa;
        CpuGemm.rows(a.seg, a.offset, a.ld, 1, b.seg, b.offset, b.ld, c.seg, c.offset, c.ld, 0, c.rows, c.ld, D, false);
        f.gflops += GFLOP_PA;
    }
}
