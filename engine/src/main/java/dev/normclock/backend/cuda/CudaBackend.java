package dev.normclock.backend.cuda;

import java.util.Map;

import dev.normclock.backend.Backend;
import dev.normclock.backend.ClampPlan;
import dev.normclock.backend.LossTotals;
import dev.normclock.backend.Readout;
import dev.normclock.bindings.NativeLibrary;
import dev.normclock.bindings.cuda.CudaDriver;
import dev.normclock.bindings.cuda.Cublas;
import dev.normclock.bindings.cuda.SimulatorCounters;
import dev.normclock.backend.Hyper;
import dev.normclock.backend.Precision;
import dev.normclock.backend.Tensor;
import dev.normclock.backend.WorkspaceSizing;

/**
 * The float32 backend on an NVIDIA GPU, or on normclock's CUDA simulator ({@code cuda-sim}, see
 * {@link CudaSimulator}): GEMMs as cuBLAS strided-batched SGEMMs (one per run of consecutive model
 * slots, see {@link GemmMapping}) or, without cuBLAS, as one launch of normclock's nc_gemm kernel
 * for all models; every other primitive one or two kernels of native/src (batched over the listed
 * models, blockIdx.y = position in the list), all queued on one stream.
 *
 * <p><b>Memory model.</b> Tensors stay host segments, as the engine allocates them; the backend
 * mirrors each allocation it is handed in device memory ({@link DeviceMirrors}) and computes on
 * the mirrors. The engine touches tensors' host memory directly in a few places only —
 * initialisation and task data before a run, checkpoints, reading weights after a run — and says
 * so through {@link #hostChanged} (host wrote: upload before next use) and {@link #syncToHost}
 * (host will read: download what the GPU changed). {@link dev.normclock.train.PopulationTrainer}
 * calls the first when a run starts and the second when it ends, and the reproduction calls
 * {@link #syncToHost} before each checkpoint. Workspace ({@link Tensor#scratch}) never travels.
 *
 * <p><b>The step without the host.</b> The whole population is one workspace
 * ({@link #workspaceModels}); per-run constants live on the device ({@link DeviceConstants}); the
 * losses add up on the device into a {@link Readout} read in one copy at evaluations
 * ({@link #deferredResults}); AdamW and the clamp run there from a {@link ClampPlan}; the step and
 * AdamW's bias corrections are 16 bytes sent per step ({@link StepState}); transposes are read by
 * the GEMMs instead of made ({@link LazyTransposes}); and a steady step is one CUDA Graph launch
 * ({@link StepGraphs}, {@link #replayable}). The array-returning primitives (row losses, Σ W²) still
 * copy back and wait at their call: the conformance suite and a fork's host step use them.
 *
 * <p><b>Semantics.</b> Each kernel follows the CPU backend's formulas (exact erf-based GELU, the
 * cross-entropy's first argmax and its loss in double from float sums, AdamW's float operations
 * in its order, the attention's double sums in example order). Results match the CPU to float
 * rounding, not bit for bit (cuBLAS sums K in its own order; warp reductions differ from the
 * CPU's column order). Every sum runs in a fixed order, so a run is deterministic on one GPU.
 *
 * <p>The GPU is reached through {@link Gpu} (memory, launches, GEMMs on one stream): on a machine
 * {@link CudaContext} over NVIDIA's driver or the simulator, in tests also a recording GPU that
 * checks every launch against the kernels' declared parameters and every address against device
 * memory. The conformance suite ({@link dev.normclock.backend.conformance.Conformance}) checks the
 * kernels' arithmetic on the simulator in every build and on a GPU where there is one.
 *
 * <p>Not done yet: fused GELU–GEMM–loss and GEMM–scatter forms of {@link #hiddenToCrossEntropy}
 * and {@link #outputToHiddenBackward} (the defaults compose the single calls), fused attention
 * kernels, any tuning, and any run on a GPU: nothing of this class has executed on one yet.
 */
public final class CudaBackend implements Backend {
    private static final int THREADS = 256, ROWS_PER_BLOCK = THREADS / 32, COLUMN_THREADS = 128, MAX_REDUCE_BLOCKS = 128, GEMM_TILE = 64;

    /** Where the GEMMs run: cuBLAS when present (AUTO), cuBLAS only, or normclock's nc_gemm kernel. */
    public enum Gemm { AUTO, CUBLAS, KERNEL }

    /**
     * How to open the backend.
     *
     * @param tf32 let cuBLAS's GEMMs use TF32 tensor cores (changes the numerics; only on request)
     * @param gemm where the GEMMs run
     * @param graphs replay steady steps as CUDA Graphs where the driver has them (off: every launch issued, to compare)
     */
    public record Options(boolean tf32, Gemm gemm, boolean graphs) {
        public static final Options DEFAULT = new Options(false, Gemm.AUTO, true);

        /** With CUDA Graphs. */
        public Options(boolean tf32, Gemm gemm) {
            this(tf32, gemm, true);
        }
    }

    private final Gpu gpu;
    private final StepGraphs graphs;
    private final DeviceMemory memory;
    private final DeviceMirrors mirrors;
    private final Staging staging;
    private final DeviceConstants constants;
    private final String name;
    // device buffers reused by every call, apart so that a captured step keeps their addresses:
    // the attention backward's contributions, the loss rows, the optimiser's partial sums
    private final DeviceScratch scratch, rows, partials;
    private final java.util.List<DeviceReadout> readouts = new java.util.ArrayList<>();
    private final StepState stepState;
    private final LazyTransposes transposes = new LazyTransposes(p -> transposeNow(p.src(), p.dst(), p.models()));
    private Thread thread = Thread.currentThread(); // the GPU's context is current on the opening thread
    private final boolean tf32;

    /** The backend on a GPU (tests give a recording one); the GPU's context must be current on this thread. */
    CudaBackend(Gpu gpu) {
        this(gpu, false, "cuda");
    }

    /** As above; {@code tf32}: the GPU's GEMMs were set to TF32 (this records it, {@link CudaContext} sets it). */
    CudaBackend(Gpu gpu, boolean tf32) {
        this(gpu, tf32, "cuda");
    }

    private CudaBackend(Gpu gpu, boolean tf32, String name) {
        this(gpu, tf32, name, true);
    }

    private CudaBackend(Gpu gpu, boolean tf32, String name, boolean useGraphs) {
        this.graphs = new StepGraphs(gpu, useGraphs);
        this.gpu = graphs;
        this.tf32 = tf32;
        this.name = name;
        this.memory = this.gpu.memory(); // through the graphs: a read or a free issues what a step recorded first
        this.mirrors = new DeviceMirrors(memory);
        this.staging = new Staging(memory);
        this.constants = new DeviceConstants(memory);
        this.stepState = new StepState(memory);
        this.scratch = new DeviceScratch(memory);
        this.rows = new DeviceScratch(memory);
        this.partials = new DeviceScratch(memory);
    }

    /** The backend on GPU 0 in plain FP32; an IllegalStateException with one line saying what is missing when it cannot run. */
    public static CudaBackend open(Map<String, String> env) {
        return open(env, Options.DEFAULT);
    }

    /** The backend on GPU 0 through NVIDIA's driver; an IllegalStateException with one line saying what is missing when it cannot run. */
    public static CudaBackend open(Map<String, String> env, Options options) {
        CudaAvailability a = CudaAvailability.probe(env);
        if (!a.usable()) throw new IllegalStateException(a.problem());
        CudaDriver driver = CudaDriver.load(env);
        Cublas cublas = cublas(a, options, () -> Cublas.load(env, a.driver().driverVersion()));
        return new CudaBackend(new CudaContext(driver, cublas, KernelImage.load(), 0, options.tf32()), options.tf32(), "cuda", options.graphs());
    }

    /**
     * The same backend on normclock's CUDA simulator ({@code cuda-sim}): the kernels' host build
     * run by the simulator's driver, GEMMs on its cuBLAS (a double-accumulating reference) or on
     * nc_gemm. An IllegalStateException with one line when the simulator is not built.
     */
    public static CudaBackend openSimulator(Map<String, String> env, Options options) {
        CudaAvailability a = CudaAvailability.probeSimulator(env);
        if (!a.usable()) throw new IllegalStateException(a.problem());
        NativeLibrary lib = CudaSimulator.library(env);
        Cublas cublas = cublas(a, options, () -> Cublas.load(lib));
        return new CudaBackend(new CudaContext(CudaDriver.load(lib), cublas, CudaSimulator.kernels(env), 0, options.tf32()), options.tf32(),
                "cuda-sim", options.graphs());
    }

    private static Cublas cublas(CudaAvailability a, Options options, java.util.function.Supplier<Cublas> load) {
        return switch (options.gemm()) {
            case KERNEL -> null;
            case AUTO -> a.cublas().available() ? load.get() : null;
            case CUBLAS -> {
                if (!a.cublas().available())
                    throw new IllegalStateException(a.cublas().problem() + " (asked for cuBLAS GEMMs; the default runs them on nc_gemm without it)");
                yield load.get();
            }
        };
    }

    @Override
    public boolean tf32() {
        return tf32;
    }

    /** The cross-entropy kernel (losses.cuh) sums a row as PyTorch's does: 32 strided partial sums, then a butterfly. */
    @Override
    public dev.normclock.backend.SoftmaxSum softmaxSum() {
        return dev.normclock.backend.SoftmaxSum.WARP;
    }

    @Override
    public String name() {
        return name;
    }

    /** Results stay on the device until the host asks: a training step reads nothing back. */
    @Override
    public boolean deferredResults() {
        return true;
    }

    /** What the device has free now: a memory plan compares a population's tensors with it. */
    @Override
    public long deviceMemoryFree() {
        enter();
        return gpu.freeMemory();
    }

    /** The whole population in one workspace: every kernel and GEMM runs over all models in one launch. */
    @Override
    public int workspaceModels(int models) {
        return WorkspaceSizing.GPU.workspaceModels(models);
    }

    /** Every test row in one pass, as far as 1 GiB of workspace allows. */
    @Override
    public int evaluationRows(int block, int rows, long bytesPerRow) {
        return WorkspaceSizing.GPU.evaluationRows(block, rows, bytesPerRow);
    }

    @Override
    public Readout readout(int models, int tensors) {
        enter();
        DeviceReadout r = new DeviceReadout(memory, models, tensors);
        readouts.add(r);
        return r;
    }

    /** A steady step as one CUDA Graph launch (see {@link StepGraphs}). */
    @Override
    public void replayable(Runnable step) {
        enter();
        graphs.step(step);
    }

    /** Why CUDA Graphs were given up on this GPU (a capture the driver refused), or null while they work or were never tried. */
    public String graphProblem() {
        return graphs.failure();
    }

    /** Steps replayed as one graph launch so far. */
    public long graphReplays() {
        return graphs.replays();
    }

    /** Whether this runs on the CUDA simulator rather than a GPU. */
    public boolean simulated() {
        return name.equals("cuda-sim");
    }

    /** Where the GEMMs run, for messages and records. */
    public String gemmPath() {
        return gpu.cublas() ? "cuBLAS" : "nc_gemm";
    }

    /** What the GPU did so far (launches, GEMMs, copies and bytes each way, synchronisations), where it counts: the simulator; else null. */
    public SimulatorCounters counters() {
        return gpu.counters();
    }

    /** The CUDA simulator's settings in one line (threads, seed, memory), for messages; null on a real GPU. */
    public String simulatorSettings() {
        return gpu.simulatorSettings();
    }

    @Override
    public int parallelism() {
        return 1; // one stream
    }

    /** The GPU's name, for run records and messages. */
    public String deviceName() {
        return gpu.deviceName();
    }

    /** Bytes of device memory held by tensor mirrors. */
    public long deviceBytes() {
        return mirrors.deviceBytes();
    }

    @Override
    public void syncToHost() {
        enter();
        transposes.makeAll();
        mirrors.toHost();
    }

    @Override
    public void hostChanged() {
        enter();
        transposes.hostChanged();
        mirrors.hostChanged();
    }

    // ------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------

    /**
     * Every call runs in the backend's context: the driver keeps the current context per thread,
     * so a call from a thread other than the last one's makes it current there first.
     */
    private void enter() {
        Thread t = Thread.currentThread();
        if (t != thread) {
            gpu.makeCurrent();
            thread = t;
        }
    }

    private static void float32(Tensor... ts) {
        for (Tensor t : ts)
            if (t != null && t.precision != Precision.FLOAT32)
                throw new IllegalArgumentException("the cuda backend computes in float32 and was given a " + t.precision.label() + " tensor");
    }

    /** A tensor the kernel reads. */
    private long in(Tensor t) {
        transposes.touch(t, false);
        return mirrors.address(t, false);
    }

    /** A tensor the kernel writes (it may read it too). */
    private long out(Tensor t) {
        transposes.touch(t, true);
        return mirrors.address(t, true);
    }

    private Launch kernel(String name) {
        return new Launch(gpu, name);
    }

    private static Launch view(Launch l, long address, Tensor t) {
        return l.view(address, t.modelStride, t.ld);
    }

    private static Launch none(Launch l) {
        return l.view(0, 0, 0);
    }

    private static long blocks(long work, int threads) {
        return (work + threads - 1) / threads;
    }

    /** Each listed model's int array (pairs or labels, all of length n), packed by list position. */
    private static int[] packed(int[][] perModel, int[] models, int n) {
        int[] out = new int[models.length * n];
        for (int j = 0; j < models.length; j++) {
            int[] v = perModel[models[j]];
            if (v.length != n) throw new IllegalArgumentException("every model of a call needs " + n + " rows, slot " + models[j] + " has " + v.length);
            System.arraycopy(v, 0, out, j * n, n);
        }
        return out;
    }

    private static final int ROWS = 1, SUM_LABELS = 2, TOKEN_STARTS = 3, TOKEN_EXAMPLES = 4; // what a packed constant is (DeviceConstants.perModel)

    /** The device address of each listed model's rows (pairs or labels) packed by list position; packed once per run's arrays. */
    private long packedRows(int[][] perModel, int[] models, int n) {
        return constants.perModel(perModel, models, ROWS, n, () -> packed(perModel, models, n));
    }

    private static float[] perModel(float[] values, int[] models) {
        float[] out = new float[models.length];
        for (int j = 0; j < models.length; j++) out[j] = values[models[j]];
        return out;
    }

    private static float[] perModel(double[] values, int[] models) {
        float[] out = new float[models.length];
        for (int j = 0; j < models.length; j++) out[j] = (float) values[models[j]];
        return out;
    }

    // ------------------------------------------------------------------------------------------
    // GEMM
    // ------------------------------------------------------------------------------------------

    @Override
    public void matmul(Tensor a, boolean transposeA, Tensor b, Tensor c, int k, boolean accumulate, int[] models) {
        enter();
        float32(a, b, c);
        LazyTransposes.Pending t = transposes.asB(b, models);
        boolean transposeB = t != null;
        if (transposeB) b = t.src(); // B is a transpose not made: read its source transposed
        GemmMapping g = transposeB ? GemmMapping.transposedB(a, transposeA, b, c, k, accumulate) : GemmMapping.of(a, transposeA, b, c, k, accumulate);
        long da = in(a), db = in(b), dc = out(c);
        if (!gpu.cublas()) {
            // C's padded width, as cuBLAS computes it: B's padding columns are zero, so C's stay zero (from Bᵀ: its real columns)
            long dm = constants.ints(models);
            int cols = transposeB ? c.cols : c.ld;
            Launch l = kernel("nc_gemm").p(dm);
            view(l, da, a).i(transposeA ? 1 : 0);
            view(view(l, db, b).i(transposeB ? 1 : 0), dc, c).i(c.rows).i(cols).i(k).i(accumulate ? 1 : 0)
                    .go(blocks(cols, GEMM_TILE), models.length, blocks(c.rows, GEMM_TILE), THREADS);
            return;
        }
        for (GemmMapping.Run run : GemmMapping.runs(models)) {
            long f = run.first();
            gpu.sgemmStridedBatched(g.transA(), g.transB(), g.m(), g.n(), g.k(), db + 4L * f * b.modelStride, g.lda(), g.strideA(),
                    da + 4L * f * a.modelStride, g.ldb(), g.strideB(), accumulate, dc + 4L * f * c.modelStride, g.ldc(), g.strideC(),
                    run.count());
        }
    }

    /** Recorded, not made: a GEMM reads the source transposed instead (see {@link LazyTransposes}). */
    @Override
    public void transpose(Tensor src, Tensor dst, int[] models) {
        enter();
        float32(src, dst);
        if (src.rows != dst.cols || src.cols != dst.rows) throw new IllegalArgumentException("dst must be src's shape transposed");
        transposes.add(src, dst, models);
    }

    private void transposeNow(Tensor src, Tensor dst, int[] models) {
        long dm = constants.ints(models);
        Launch l = kernel("nc_transpose").p(dm);
        view(view(l, in(src), src), out(dst), dst).i(src.rows).i(src.cols).go(blocks((long) src.rows * src.cols, THREADS), models.length, THREADS);
    }

    // ------------------------------------------------------------------------------------------
    // GELU layers
    // ------------------------------------------------------------------------------------------

    private static final int FROM_PAIR_TABLES = 0, FROM_ROW_AND_BIAS = 1, FROM_ROW = 2;

    private void geluRows(int source, Tensor x1, Tensor x2, Tensor bias, int[][] pairs, int p, int rows, Tensor act, Tensor slope, int[] models) {
        float32(x1, x2, bias, act, slope);
        long dm = constants.ints(models), dp = pairs == null ? 0 : packedRows(pairs, models, rows);
        Launch l = kernel("nc_gelu_rows").p(dm).i(source);
        view(l, in(x1), x1);
        if (x2 != null) view(l, in(x2), x2);
        else none(l);
        if (bias != null) view(l, in(bias), bias);
        else none(l);
        l.p(dp).i(p).i(rows).i(act.cols);
        view(l, out(act), act);
        if (slope != null) view(l, out(slope), slope);
        else none(l);
        l.i(slope != null ? 1 : 0).go(blocks((long) rows * act.ld, THREADS), models.length, THREADS);
    }

    @Override
    public void hiddenForward(Tensor pa, Tensor pb, Tensor bias, int[][] pairs, int p, Tensor act, Tensor slope, int[] models) {
        enter();
        geluRows(FROM_PAIR_TABLES, pa, pb, bias, pairs, p, pairs[models[0]].length, act, slope, models);
    }

    @Override
    public void biasGelu(Tensor pre, Tensor bias, Tensor act, Tensor slope, int[] models) {
        enter();
        geluRows(FROM_ROW_AND_BIAS, pre, null, bias, null, 1, pre.rows, act, slope, models);
    }

    @Override
    public void gelu(Tensor x, Tensor act, Tensor slope, int[] models) {
        enter();
        geluRows(FROM_ROW, x, null, null, null, 1, x.rows, act, slope, models);
    }

    @Override
    public void hiddenBackward(Tensor dAct, Tensor slope, int[][] pairs, int p, Tensor dPa, Tensor dPb, Tensor dBias, int[] models) {
        enter();
        float32(dAct, slope, dPa, dPb, dBias);
        int n = pairs[models[0]].length, ld = slope.ld;
        if (dAct.ld != ld || dPa.ld != ld || dPb.ld != ld || dBias.ld != ld)
            throw new IllegalArgumentException("dAct, slope, dPa, dPb and dBias must share their padded width");
        long dm = constants.ints(models);
        long ds = constants.perModel(pairs, models, TOKEN_STARTS, p, () -> TokenLists.of(pairs, p, models, n).start());
        long de = constants.perModel(pairs, models, TOKEN_EXAMPLES, p, () -> TokenLists.of(pairs, p, models, n).examples());
        Launch l = kernel("nc_hidden_backward").p(dm);
        view(view(l, in(dAct), dAct), in(slope), slope).p(ds).p(de).i(p).i(n).i(ld);
        view(view(l, out(dPa), dPa), out(dPb), dPb).go(blocks(2L * p * ld, THREADS), models.length, THREADS);
        columnSums(dPa, dBias, models); // Σ over examples = Σ over a's tokens of dPa
    }

    @Override
    public void geluBackward(Tensor dAct, Tensor slope, Tensor dPre, int[] models) {
        enter();
        if (slope.ld != dAct.ld || dPre.ld != dAct.ld || slope.rows != dAct.rows || dPre.rows != dAct.rows)
            throw new IllegalArgumentException("dAct, slope and dPre must have the same shape");
        multiplyInto(dAct, slope, dPre, models);
    }

    private void multiplyInto(Tensor a, Tensor b, Tensor outT, int[] models) {
        float32(a, b, outT);
        long dm = constants.ints(models);
        Launch l = kernel("nc_multiply").p(dm);
        view(view(view(l, in(a), a), in(b), b), out(outT), outT).i(a.rows).go(blocks((long) a.rows * a.ld, THREADS), models.length, THREADS);
    }

    // ------------------------------------------------------------------------------------------
    // Losses
    // ------------------------------------------------------------------------------------------

    @Override
    public void crossEntropy(Tensor logits, Tensor bias, int[][] labels, float[] temperature, double[] gradScale,
                             float[][] rowLoss, boolean[][] rowCorrect, float[][] rowScale, int[] models) {
        enter();
        loss("nc_cross_entropy", logits, bias, labels, temperature, gradScale, rowLoss, rowCorrect, rowScale, models);
    }

    @Override
    public void squaredError(Tensor logits, Tensor bias, int[][] labels, float[] temperature, double[] gradScale,
                             float[][] rowLoss, boolean[][] rowCorrect, float[][] rowScale, int[] models) {
        enter();
        loss("nc_squared_error", logits, bias, labels, temperature, gradScale, rowLoss, rowCorrect, rowScale, models);
    }

    /** One warp per row; the per-row results come back packed [j][i] in one copy. */
    private void loss(String name, Tensor logits, Tensor bias, int[][] labels, float[] temperature, double[] gradScale,
                      float[][] rowLoss, boolean[][] rowCorrect, float[][] rowScale, int[] models) {
        float32(logits, bias);
        int n = labels[models[0]].length, count = models.length * n;
        long dm = constants.ints(models), dy = packedRows(labels, models, n);
        long dt = constants.floats(perModel(temperature, models)), dg = constants.floats(perModel(gradScale, models));
        staging.begin();
        long lossOut = staging.output(4L * count), correctOut = staging.output(4L * count), scaleOut = staging.output(4L * count);
        staging.upload();
        Launch l = kernel(name).p(dm);
        view(view(l, out(logits), logits), in(bias), bias).p(dy).p(dt).p(dg)
                .i(n).i(logits.cols).p(staging.device(lossOut)).p(staging.device(correctOut)).p(staging.device(scaleOut))
                .go(blocks(n, ROWS_PER_BLOCK), models.length, THREADS);
        staging.download(lossOut, scaleOut + 4L * count - lossOut);
        for (int j = 0; j < models.length; j++) {
            int m = models[j];
            for (int i = 0; i < n; i++) {
                rowLoss[m][i] = staging.floatAt(lossOut, j * n + i);
                rowCorrect[m][i] = staging.intAt(correctOut, j * n + i) != 0;
                rowScale[m][i] = staging.floatAt(scaleOut, j * n + i);
            }
        }
    }

    /**
     * The loss kernel writes its rows into device scratch, and nc_loss_tally adds them to the
     * models' totals: two launches, nothing copied either way (the labels are constants).
     */
    @Override
    public void loss(Tensor logits, Tensor bias, int[][] labels, boolean[] squaredError, float[] temperature, double[] gradScale,
                     LossTotals into, int step, int[] models) {
        enter();
        int n = labels[models[0]].length;
        loss(logits, bias, packedRows(labels, models, n), n, squaredError, temperature, gradScale, (DeviceLossTotals) into, step, models);
    }

    /** {@link #loss}, the labels already on the device (packed by list position, n per model). */
    private void loss(Tensor logits, Tensor bias, long dy, int n, boolean[] squaredError, float[] temperature, double[] gradScale,
                      DeviceLossTotals t, int step, int[] models) {
        float32(logits, bias);
        DeviceReadout readout = readoutOf(t);
        int count = models.length;
        long dm = constants.ints(models);
        long dt = constants.floats(perModel(temperature, models)), dg = constants.floats(perModel(gradScale, models));
        long lossRows = rows.at(12L * count * n), correctRows = lossRows + 4L * count * n, scaleRows = lossRows + 8L * count * n;
        int[] squared = new int[count];
        for (int j = 0; j < count; j++) squared[j] = squaredError[models[j]] ? 1 : 0;
        Launch l = kernel("nc_loss").p(dm).p(constants.ints(squared));
        view(view(l, out(logits), logits), in(bias), bias).p(dy).p(dt).p(dg).i(n).i(logits.cols).p(lossRows).p(correctRows).p(scaleRows)
                .go(blocks(n, ROWS_PER_BLOCK), count, THREADS);
        kernel("nc_loss_tally").p(dm).p(lossRows).p(correctRows).p(scaleRows).i(n).p(constants.ints(t.fresh(models))).i(step > 0 ? 1 : 0)
                .p(step > 0 ? stepState(step) : stepState.device()).p(readout.device() + t.offset).i(readout.record).go(1, count, THREADS);
    }

    @Override
    public void hiddenToCrossEntropy(Tensor pa, Tensor pb, Tensor bias, int[][] pairs, int p, Tensor act, Tensor slope, Tensor w2, int k,
                                     Tensor logits, Tensor outBias, float[] temperature, double[] gradScale, LossTotals into, int step,
                                     int[] models) {
        hiddenForward(pa, pb, bias, pairs, p, act, slope, models);
        matmul(act, false, w2, logits, k, false, models);
        int n = pairs[models[0]].length;
        long labels = constants.perModel(pairs, models, SUM_LABELS, p, () -> packed(Backend.sumLabels(pairs, p, models), models, n));
        loss(logits, outBias, labels, n, new boolean[models[models.length - 1] + 1], temperature, gradScale, (DeviceLossTotals) into, step, models);
    }

    private DeviceReadout readoutOf(DeviceLossTotals t) {
        for (DeviceReadout r : readouts) if (r.train == t || r.test == t) return r;
        throw new IllegalArgumentException("loss totals of another backend's readout");
    }

    /** nc_sum_squares_all over every tensor in one launch, then nc_squares_collect adds each tensor's partials in block order into the readout. */
    @Override
    public void sumSquares(Tensor[] tensors, Readout into, int[] models) {
        enter();
        DeviceReadout readout = (DeviceReadout) into;
        int count = models.length;
        ParamTable table = paramTable(tensors, null, null, null, null, false);
        long partial = partials.at(8L * count * table.blocks()), dm = constants.ints(models);
        kernel("nc_sum_squares_all").p(dm).p(table.device()).i(table.tensors()).p(partial).go(table.blocks(), count, THREADS);
        kernel("nc_squares_collect").p(dm).p(table.device()).i(table.tensors()).p(partial).p(readout.device() + readout.squaresOffset())
                .i(readout.record).go(1, count, 32);
    }

    @Override
    public void columnSums(Tensor x, Tensor outT, int[] models) {
        enter();
        float32(x, outT);
        long dm = constants.ints(models);
        Launch l = kernel("nc_column_sums").p(dm);
        view(view(l, in(x), x), out(outT), outT).i(x.rows).go(blocks(x.ld, 32), models.length, THREADS);
    }

    // ------------------------------------------------------------------------------------------
    // Optimiser and norms
    // ------------------------------------------------------------------------------------------

    /** Blocks per model of a grid-stride reduction over a tensor: enough to fill the GPU, few partial sums. */
    private static int reduceBlocks(Tensor t) {
        return (int) Math.max(1, Math.min(MAX_REDUCE_BLOCKS, blocks((long) t.rows * t.ld, THREADS)));
    }

    /** The tensor table of a multi-tensor kernel (native/src/optimizer.cuh, Param) and its grid: Σ blocks over the tensors. */
    private record ParamTable(long device, int tensors, int blocks, int[] firstBlock, int[] nBlocks) {
    }

    private ParamTable paramTable(Tensor[] params, Tensor[] grads, Tensor[] m1, Tensor[] m2, boolean[] decayed) {
        return paramTable(params, grads, m1, m2, decayed, true);
    }

    /** {@code writes}: the kernel writes the parameters (AdamW, the clamp), else it only reads them. */
    private ParamTable paramTable(Tensor[] params, Tensor[] grads, Tensor[] m1, Tensor[] m2, boolean[] decayed, boolean writes) {
        int tensors = params.length;
        int[] table = new int[28 * tensors], first = new int[tensors], nBlocks = new int[tensors];
        int total = 0;
        for (int t = 0; t < tensors; t++) {
            Tensor[] four = {params[t], grads == null ? null : grads[t], m1 == null ? null : m1[t], m2 == null ? null : m2[t]};
            for (int v = 0; v < 4; v++) {
                Tensor x = four[v];
                if (x != null) float32(x);
                long[] view = x == null ? new long[3] : new long[]{v == 1 || !writes ? in(x) : out(x), x.modelStride, x.ld};
                for (int k = 0; k < 3; k++) {
                    table[28 * t + 6 * v + 2 * k] = (int) view[k];
                    table[28 * t + 6 * v + 2 * k + 1] = (int) (view[k] >>> 32);
                }
            }
            nBlocks[t] = reduceBlocks(params[t]);
            first[t] = total;
            table[28 * t + 24] = params[t].rows;
            table[28 * t + 25] = decayed != null && decayed[t] ? 1 : 0;
            table[28 * t + 26] = total;
            table[28 * t + 27] = nBlocks[t];
            total += nBlocks[t];
        }
        return new ParamTable(constants.ints(table), tensors, total, first, nBlocks);
    }

    /** nc_adamw_all: every tensor of every listed model in one launch, its Σ W² partials left at {@code partial}. */
    private ParamTable adamWAll(Tensor[] params, Tensor[] grads, Tensor[] m1, Tensor[] m2, boolean[] decayed, Hyper hyper, int step,
                                int[] models, java.util.function.LongUnaryOperator partialAt) {
        int count = models.length;
        float b1 = (float) Hyper.BETA1, b2 = (float) Hyper.BETA2, eps = (float) Hyper.EPS;
        float omb1 = (float) (1 - Hyper.BETA1), omb2 = (float) (1 - Hyper.BETA2); // as the CPU: not 1f − 0.999f
        long dm = constants.ints(models);
        long lr = constants.floats(perModel(hyper.lr, models)), wd = constants.floats(perModel(hyper.weightDecay, models));
        int[] after = new int[count];
        for (int j = 0; j < count; j++) after[j] = hyper.decayAfter[models[j]] ? 1 : 0;
        long af = constants.ints(after);
        ParamTable table = paramTable(params, grads, m1, m2, decayed);
        long partial = partialAt.applyAsLong(8L * count * table.blocks());
        kernel("nc_adamw_all").p(dm).p(table.device()).i(table.tensors()).p(lr).p(wd).p(af)
                .f(b1).f(omb1).f(b2).f(omb2).p(stepState(step)).f(eps).p(partial)
                .go(table.blocks(), count, THREADS);
        return table;
    }

    /** The host path (a fork, an allocation's first clamp, the conformance suite): the Σ W² partials come back in one copy. */
    @Override
    public void adamW(Tensor[] params, Tensor[] grads, Tensor[] m1, Tensor[] m2, boolean[] decayed, Hyper hyper, int step,
                      double[][] sumSquares, int[] models) {
        enter();
        int count = models.length;
        staging.begin();
        long[] at = new long[1];
        ParamTable table = adamWAll(params, grads, m1, m2, decayed, hyper, step, models, bytes -> {
            at[0] = staging.output(bytes);
            staging.upload();
            return staging.device(at[0]);
        });
        staging.download(at[0], 8L * count * table.blocks());
        for (int j = 0; j < count; j++)
            for (int t = 0; t < table.tensors(); t++) {
                double sum = 0;
                for (int b = 0; b < table.nBlocks()[t]; b++) sum += staging.doubleAt(at[0], j * table.blocks() + table.firstBlock()[t] + b);
                sumSquares[models[j]][t] = sum;
            }
    }

    /**
     * The step's optimiser without the host: nc_adamw_all, then, when a listed model clamps now,
     * nc_clamp_factors (each model's norms from the partials, on the device) and nc_scale_all. The
     * plan's arrays are constants until a model's clamp changes, so nothing is copied either way.
     */
    @Override
    public void adamW(Tensor[] params, Tensor[] grads, Tensor[] m1, Tensor[] m2, boolean[] decayed, Hyper hyper, int step, ClampPlan plan,
                      int[] models) {
        enter();
        int count = models.length, tensors = params.length;
        long[] at = new long[1];
        ParamTable table = adamWAll(params, grads, m1, m2, decayed, hyper, step, models, bytes -> at[0] = partials.at(bytes + 4L * count * tensors)); // the clamp's factors follow the partials
        if (!plan.any(models)) return;
        int[] sets = new int[count * tensors], now = new int[count];
        int[] targets = new int[2 * ClampPlan.SETS * count]; // the kernel's double targets[SETS·j + s − 1], as int pairs (low word first)
        for (int j = 0; j < count; j++) {
            int m = models[j];
            if (!plan.now()[m]) continue;
            now[j] = 1;
            System.arraycopy(plan.sets()[m], 0, sets, j * tensors, tensors);
            for (int s = 0; s < ClampPlan.SETS; s++) {
                long t = Double.doubleToRawLongBits(plan.targets()[m][s]);
                targets[2 * (ClampPlan.SETS * j + s)] = (int) t;
                targets[2 * (ClampPlan.SETS * j + s) + 1] = (int) (t >>> 32);
            }
        }
        long factors = at[0] + 8L * count * table.blocks();
        kernel("nc_clamp_factors").p(constants.ints(models)).p(table.device()).i(tensors).p(at[0]).p(constants.ints(sets)).p(constants.ints(targets)).p(constants.ints(now))
                .p(factors).go(1, count, 32);
        kernel("nc_scale_all").p(constants.ints(models)).p(table.device()).i(tensors).p(factors).go(table.blocks(), count, THREADS);
    }

    /**
     * The device's {@code StepState} (native/src/common.cuh) for this step: the step and AdamW's
     * bias corrections, as the CPU rounds them, sent (16 bytes) when the step changes. Kernels read
     * them from the device, so a captured step replays with the current step's values.
     */
    private long stepState(int step) {
        return stepState.at(step);
    }

    /** Model j's partial sums added in block order: the same total for every run. */
    private double blockSum(long offset, int j, int nBlocks) {
        double s = 0;
        for (int b = 0; b < nBlocks; b++) s += staging.doubleAt(offset, j * nBlocks + b);
        return s;
    }

    @Override
    public void scale(Tensor[] tensors, double[] factor, int[] models) {
        enter();
        long dm = constants.ints(models);
        staging.begin();
        long fo = staging.floats(perModel(factor, models)); // the clamp's factors change every step: sent with the call
        staging.upload();
        for (Tensor t : tensors) {
            float32(t);
            Launch l = kernel("nc_scale").p(dm);
            view(l, out(t), t).i(t.rows).p(staging.device(fo)).go(reduceBlocks(t), models.length, THREADS);
        }
    }

    @Override
    public void sumSquares(Tensor t, double[] outArr, int[] models) {
        enter();
        float32(t);
        int nBlocks = reduceBlocks(t);
        long dm = constants.ints(models);
        staging.begin();
        long po = staging.output(8L * models.length * nBlocks);
        staging.upload();
        Launch l = kernel("nc_sum_squares").p(dm);
        view(l, in(t), t).i(t.rows).p(staging.device(po)).go(nBlocks, models.length, THREADS);
        staging.download(po, 8L * models.length * nBlocks);
        for (int j = 0; j < models.length; j++) outArr[models[j]] = blockSum(po, j, nBlocks);
    }

    // ------------------------------------------------------------------------------------------
    // The attention model's primitives
    // ------------------------------------------------------------------------------------------

    @Override
    public void copy(Tensor src, Tensor dst, int[] models) {
        enter();
        float32(src, dst);
        if (src.ld != dst.ld || src.rows != dst.rows) throw new IllegalArgumentException("copy needs equal shapes");
        long dm = constants.ints(models);
        Launch l = kernel("nc_copy").p(dm);
        view(view(l, in(src), src), out(dst), dst).i(src.rows).go(blocks((long) src.rows * src.ld, THREADS), models.length, THREADS);
    }

    @Override
    public void addRow(Tensor x, Tensor row, int[] models) {
        enter();
        float32(x, row);
        long dm = constants.ints(models);
        Launch l = kernel("nc_add_row").p(dm);
        view(view(l, out(x), x), in(row), row).i(x.rows).go(blocks((long) x.rows * x.ld, THREADS), models.length, THREADS);
    }

    @Override
    public void multiply(Tensor x, Tensor y, int[] models) {
        enter();
        multiplyInto(x, y, x, models);
    }

    @Override
    public void layerNorm(Tensor x, Tensor y, Tensor rstd, double eps, int[] models) {
        enter();
        float32(x, y, rstd);
        long dm = constants.ints(models);
        Launch l = kernel("nc_layer_norm").p(dm);
        view(view(view(l, in(x), x), out(y), y), out(rstd), rstd).i(x.rows).i(x.cols).d((float) eps) // as CpuBackend: eps rounded to float
                .go(blocks(x.rows, ROWS_PER_BLOCK), models.length, THREADS);
    }

    @Override
    public void layerNormBackward(Tensor y, Tensor rstd, Tensor g, Tensor add, int[] models) {
        enter();
        float32(y, rstd, g, add);
        long dm = constants.ints(models);
        Launch l = kernel("nc_layer_norm_backward").p(dm);
        view(view(view(l, in(y), y), in(rstd), rstd), out(g), g);
        if (add != null) view(l, in(add), add);
        else none(l);
        l.i(add != null ? 1 : 0).i(y.rows).i(y.cols).go(blocks(y.rows, ROWS_PER_BLOCK), models.length, THREADS);
    }

    @Override
    public void tokenRows(Tensor e, Tensor pos, int p, Tensor x, int[] models) {
        enter();
        float32(e, pos, x);
        int d = e.cols;
        long dm = constants.ints(models);
        Launch l = kernel("nc_token_rows").p(dm);
        view(view(l, in(e), e), in(pos), pos).i(p).i(d);
        view(l, out(x), x).go(blocks((long) (2 * p + 1) * d, THREADS), models.length, THREADS);
    }

    @Override
    public void tokenRowsBackward(Tensor dx, Tensor extra, int p, Tensor dE, Tensor dPos, int[] models) {
        enter();
        float32(dx, extra, dE, dPos);
        int d = dE.cols;
        long dm = constants.ints(models);
        Launch l = kernel("nc_token_rows_backward").p(dm);
        view(view(l, in(dx), dx), in(extra), extra).i(p).i(d);
        view(view(l, out(dE), dE), out(dPos), dPos).go(blocks(d, COLUMN_THREADS), models.length, COLUMN_THREADS);
    }

    @Override
    public void attentionScores(Tensor q, Tensor keys, int heads, Tensor scores, int[] models) {
        enter();
        float32(q, keys, scores);
        int dh = keys.cols / heads;
        long dm = constants.ints(models);
        Launch l = kernel("nc_attention_scores").p(dm);
        view(view(l, in(q), q), in(keys), keys).i(keys.rows).i(heads).i(dh).d(1 / Math.sqrt(dh));
        view(l, out(scores), scores).go(blocks((long) keys.rows * heads, THREADS), models.length, THREADS);
    }

    @Override
    public void attentionScoresBackward(Tensor q, Tensor keys, Tensor dScores, int heads, Tensor dq, Tensor dKeys, int[] models) {
        enter();
        float32(q, keys, dScores, dq, dKeys);
        int dh = keys.cols / heads, d = heads * dh;
        double scale = 1 / Math.sqrt(dh);
        long dm = constants.ints(models);
        Launch k = kernel("nc_attention_scores_backward_keys").p(dm);
        view(view(k, in(q), q), in(dScores), dScores).i(keys.rows).i(heads).i(dh).d(scale);
        view(k, out(dKeys), dKeys).go(blocks((long) keys.rows * d, THREADS), models.length, THREADS);
        Launch qk = kernel("nc_attention_scores_backward_query").p(dm);
        view(view(qk, in(keys), keys), in(dScores), dScores).i(keys.rows).i(heads).i(dh).d(scale);
        view(qk, out(dq), dq).go(blocks(d, COLUMN_THREADS), models.length, COLUMN_THREADS);
    }

    @Override
    public void attentionForward(Tensor scores, Tensor values, int[][] pairs, int p, int heads, Tensor att, Tensor outT, int[] models) {
        enter();
        float32(scores, values, att, outT);
        int n = pairs[models[0]].length, dh = values.cols / heads;
        long dm = constants.ints(models), dPairs = packedRows(pairs, models, n);
        Launch l = kernel("nc_attention_forward").p(dm);
        view(view(l, in(scores), scores), in(values), values).p(dPairs).i(p).i(n).i(heads).i(dh);
        view(view(l, out(att), att), out(outT), outT).go(blocks((long) n * heads, THREADS), models.length, THREADS);
    }

    @Override
    public void attentionBackward(Tensor dOut, Tensor att, Tensor values, int[][] pairs, int p, int heads, Tensor dScores,
                                  Tensor dValues, int[] models) {
        enter();
        float32(dOut, att, values, dScores, dValues);
        int n = pairs[models[0]].length, dh = values.cols / heads, d = heads * dh, tableRows = 2 * p + 1;
        long dm = constants.ints(models), dPairs = packedRows(pairs, models, n);
        long contrib = scratch.at(8L * models.length * n * heads * 3);
        Launch c = kernel("nc_attention_backward_contrib").p(dm);
        view(view(view(c, in(dOut), dOut), in(att), att), in(values), values).p(dPairs).i(p).i(n).i(heads).i(dh).p(contrib)
                .go(blocks((long) n * heads, THREADS), models.length, THREADS);
        Launch s = kernel("nc_attention_backward_scores").p(dm).p(dPairs).i(p).i(n).i(heads).p(contrib);
        view(s, out(dScores), dScores).go(blocks((long) tableRows * heads, COLUMN_THREADS), models.length, COLUMN_THREADS);
        Launch v = kernel("nc_attention_backward_values").p(dm);
        view(view(v, in(dOut), dOut), in(att), att).p(dPairs).i(p).i(n).i(heads).i(dh);
        view(v, out(dValues), dValues).go(blocks((long) tableRows * d, COLUMN_THREADS), models.length, COLUMN_THREADS);
    }

    @Override
    public void close() {
        try {
            enter();
            memory.synchronize();
            scratch.close();
            rows.close();
            partials.close();
            for (DeviceReadout r : readouts) r.close();
            stepState.close();
            mirrors.close();
            constants.close();
            staging.close();
        } finally {
            gpu.close();
        }
    }
}
