// The losses: softmax cross-entropy with temperature and Paper B's squared error, forward and
// backward in one pass per row. One warp per row; blockDim.x = 32·ROWS_PER_BLOCK.
#pragma once
#include "common.cuh"

// The larger value wins, and between equal values the smaller column: the first maximum, as the
// CPU's strict comparison in column order (torch.argmax) gives.
__device__ __forceinline__ void argmaxMerge(float& best, int& arg, float other, int otherArg) {
    if (other > best || (other == best && otherArg < arg)) {
        best = other;
        arg = otherArg;
    }
}

// The value and its column travel together in one 64-bit shuffle.
__device__ __forceinline__ void warpArgmax(float& best, int& arg) {
    for (int o = 16; o > 0; o >>= 1) {
        unsigned long long both = static_cast<unsigned long long>(__float_as_uint(best)) | static_cast<unsigned long long>(static_cast<unsigned int>(arg)) << 32;
        unsigned long long other = __shfl_xor_sync(0xffffffffu, both, o);
        argmaxMerge(best, arg, __uint_as_float(static_cast<unsigned int>(other)), static_cast<int>(other >> 32));
    }
}

// Per row i of model j: z = (logits + bias)/τ over the classes; loss = ln Σ exp(z − max) − (z_y − max)
// (in double from the float sums, as the CPU), correct = (first argmax z == y), scale = ‖z‖₂, and
// when gradScale > 0 the logits row becomes (softmax(z) − onehot(y))·gradScale/τ (padding 0).
// Outputs are packed [j][i]. Grid: (ceil(n / rowsPerBlock), models).
__device__ __forceinline__ void crossEntropyRow(int j, int m, int i, View logits, View bias, const int* labels, const float* tau,
                                                const float* gradScale, int n, int classes, float* rowLoss, int* rowCorrect,
                                                float* rowScale) {
    int lane = threadIdx.x & 31;
    float t = tau[j], scale = gradScale[j];
    int y = labels[static_cast<long long>(j) * n + i];
    float* row = at(logits, m, i, 0);
    const float* b = at(bias, m, 0, 0);
    float best = -INFINITY, ss = 0.0f;
    int arg = 0x7fffffff;
    for (int c = lane; c < classes; c += 32) {
        float z = (row[c] + b[c]) / t;
        argmaxMerge(best, arg, z, c);
        ss = fmaf(z, z, ss);
    }
    warpArgmax(best, arg);
    float total = 0.0f;
    for (int c = lane; c < classes; c += 32) total += expf((row[c] + b[c]) / t - best);
    warpSum2F(total, ss);
    float zy = (row[y] + b[y]) / t;
    if (lane == 0) {
        long long o = static_cast<long long>(j) * n + i;
        rowLoss[o] = static_cast<float>(log(static_cast<double>(total)) - (static_cast<double>(zy) - best));
        rowCorrect[o] = arg == y;
        rowScale[o] = sqrtf(ss);
    }
    if (scale <= 0.0f) return;
    __syncwarp();
    float g = scale / t, inv = 1.0f / total;
    long long ld = logits.ld;
    for (int c = lane; c < ld; c += 32) {
        float v = 0.0f;
        if (c < classes) {
            float e = expf((row[c] + b[c]) / t - best) * inv;
            v = (c == y ? e - 1.0f : e) * g;
        }
        row[c] = v;
    }
}

extern "C" __global__ void nc_cross_entropy(const int* models, View logits, View bias, const int* labels, const float* tau,
                                            const float* gradScale, int n, int classes, float* rowLoss, int* rowCorrect,
                                            float* rowScale) {
    MODEL_INDEX
    int i = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (i >= n) return; // whole warps leave together: i is the same on every lane
    crossEntropyRow(j, m, i, logits, bias, labels, tau, gradScale, n, classes, rowLoss, rowCorrect, rowScale);
}

// Paper B's squared error per row: loss = Σ_c (z_c/τ − onehot_c)², correct = (first argmax z == y)
// on the unscaled z, scale = ‖z/τ‖₂, and when gradScale > 0 the logits become 2·(z/τ − onehot)·gradScale/τ
// on the classes (padding untouched, as on the CPU). Grid as nc_cross_entropy.
__device__ __forceinline__ void squaredErrorRow(int j, int m, int i, View logits, View bias, const int* labels, const float* tau,
                                                const float* gradScale, int n, int classes, float* rowLoss, int* rowCorrect,
                                                float* rowScale) {
    int lane = threadIdx.x & 31;
    float t = tau[j], scale = gradScale[j], g = 2.0f * scale / t;
    int y = labels[static_cast<long long>(j) * n + i];
    float* row = at(logits, m, i, 0);
    const float* b = at(bias, m, 0, 0);
    float best = -INFINITY, loss = 0.0f, ss = 0.0f;
    int arg = 0x7fffffff;
    for (int c = lane; c < classes; c += 32) {
        float z = row[c] + b[c];
        argmaxMerge(best, arg, z, c);
        float zt = z / t, r = zt - (c == y ? 1.0f : 0.0f);
        loss = fmaf(r, r, loss);
        ss = fmaf(zt, zt, ss);
        if (scale > 0.0f) row[c] = r * g;
    }
    warpArgmax(best, arg);
    warpSum2F(loss, ss);
    if (lane == 0) {
        long long o = static_cast<long long>(j) * n + i;
        rowLoss[o] = loss;
        rowCorrect[o] = arg == y;
        rowScale[o] = sqrtf(ss);
    }
}

extern "C" __global__ void nc_squared_error(const int* models, View logits, View bias, const int* labels, const float* tau,
                                            const float* gradScale, int n, int classes, float* rowLoss, int* rowCorrect,
                                            float* rowScale) {
    MODEL_INDEX
    int i = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (i >= n) return;
    squaredErrorRow(j, m, i, logits, bias, labels, tau, gradScale, n, classes, rowLoss, rowCorrect, rowScale);
}

// A population's loss in one launch, whatever mix of losses its models use: model j's rows by
// squaredErrorRow where squared[j], else by crossEntropyRow. Grid as nc_cross_entropy.
extern "C" __global__ void nc_loss(const int* models, const int* squared, View logits, View bias, const int* labels, const float* tau,
                                   const float* gradScale, int n, int classes, float* rowLoss, int* rowCorrect, float* rowScale) {
    MODEL_INDEX
    int i = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (i >= n) return;
    if (squared[j]) squaredErrorRow(j, m, i, logits, bias, labels, tau, gradScale, n, classes, rowLoss, rowCorrect, rowScale);
    else crossEntropyRow(j, m, i, logits, bias, labels, tau, gradScale, n, classes, rowLoss, rowCorrect, rowScale);
}

// Per-slot totals of loss rows (dev.normclock.backend.LossTotals, 48 bytes a slot).
struct LossTotal {
    double loss, scale;
    long long correct, collapsed, rows;
    int nonFiniteStep, pad;
};

// Adds each listed model's n rows (as nc_loss wrote them, packed [j][i]) to its slot's totals —
// the LossTotal at totals + m·record (a readout record per slot) —, or starts them afresh when fresh[j]; records `step` when step > 0,
// none is recorded yet and a row's loss is not finite. Fixed order: thread t sums rows t, t + 256,
// … in double, then the warps' sums in warp order, so the totals do not depend on scheduling.
// Grid: (1, models), 256 threads.
extern "C" __global__ void __launch_bounds__(256) nc_loss_tally(const int* models, const float* rowLoss, const int* rowCorrect,
                                                                 const float* rowScale, int n, const int* fresh, int watch,
                                                                 const StepState* state, char* totals, int record) {
    MODEL_INDEX
    __shared__ double sums[8][2];
    __shared__ int counts[8][3];
    double loss = 0.0, scale = 0.0;
    int correct = 0, zero = 0, bad = 0;
    long long base = static_cast<long long>(j) * n;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        float l = rowLoss[base + i];
        loss += l;
        scale += rowScale[base + i];
        correct += rowCorrect[base + i] != 0;
        zero += l == 0.0f;
        bad |= !isfinite(l);
    }
    loss = warpSum(loss);
    scale = warpSum(scale);
    for (int o = 16; o > 0; o >>= 1) {
        correct += __shfl_xor_sync(0xffffffffu, correct, o);
        zero += __shfl_xor_sync(0xffffffffu, zero, o);
        bad |= __shfl_xor_sync(0xffffffffu, bad, o);
    }
    int warp = threadIdx.x >> 5;
    if ((threadIdx.x & 31) == 0) {
        sums[warp][0] = loss;
        sums[warp][1] = scale;
        counts[warp][0] = correct;
        counts[warp][1] = zero;
        counts[warp][2] = bad;
    }
    __syncthreads();
    if (threadIdx.x != 0) return;
    LossTotal& t = *reinterpret_cast<LossTotal*>(totals + static_cast<long long>(m) * record);
    if (fresh[j]) {
        t.loss = 0.0;
        t.scale = 0.0;
        t.correct = 0;
        t.collapsed = 0;
        t.rows = 0;
    }
    int anyBad = 0;
    for (int w = 0; w < static_cast<int>(blockDim.x >> 5); w++) {
        t.loss += sums[w][0];
        t.scale += sums[w][1];
        t.correct += counts[w][0];
        t.collapsed += counts[w][1];
        anyBad |= counts[w][2];
    }
    t.rows += n;
    if (watch && anyBad && t.nonFiniteStep == 0) t.nonFiniteStep = state->step;
}
