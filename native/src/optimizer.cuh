// AdamW with the squared norm of the result, the norm projection and the plain squared norm.
#pragma once
#include "common.cuh"

// Block partial sums of a double per thread, written to partial[j·gridDim.x + blockIdx.x]; the
// host adds the blocks in order, so the norm does not depend on scheduling. At most 256 threads
// (8 warps): the kernels that call it declare __launch_bounds__(256).
__device__ __forceinline__ void blockPartial(double v, double* partial, int j) {
    __shared__ double warps[8];
    v = warpSum(v);
    if ((threadIdx.x & 31) == 0) warps[threadIdx.x >> 5] = v;
    __syncthreads();
    if (threadIdx.x == 0) {
        double s = 0.0;
        for (int w = 0; w < static_cast<int>(blockDim.x >> 5); w++) s += warps[w];
        partial[static_cast<long long>(j) * gridDim.x + blockIdx.x] = s;
    }
}

// t ← t·factor[j] over the padded rows (the norm projection). Grid: (blocks, models).
extern "C" __global__ void nc_scale(const int* models, View t, int rows, const float* factor) {
    MODEL_INDEX
    long long ld = t.ld, count = rows * ld;
    float f = factor[j];
    for (long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; e < count; e += static_cast<long long>(gridDim.x) * blockDim.x)
        *at(t, m, e / ld, e % ld) *= f;
}

// Partial sums of t² in double (see blockPartial). Grid: (blocks, models).
extern "C" __global__ void __launch_bounds__(256) nc_sum_squares(const int* models, View t, int rows, double* partial) {
    MODEL_INDEX
    long long ld = t.ld, count = rows * ld;
    double ss = 0.0;
    for (long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; e < count; e += static_cast<long long>(gridDim.x) * blockDim.x) {
        float v = *at(t, m, e / ld, e % ld);
        ss += static_cast<double>(v) * v;
    }
    blockPartial(ss, partial, j);
}

// ---------------------------------------------------------------------------------------------
// The whole optimiser step of a population in three launches: one AdamW over every tensor of
// every model, the clamp's factors from its Σ W², and one scaling of every tensor. No norm goes
// to the host and back.
// ---------------------------------------------------------------------------------------------

// One parameter tensor with its gradient and moments, as the engine packs it (CudaBackend's
// tensor table, 112 bytes): the tensor's blocks are [firstBlock, firstBlock + blocks) of the grid.
struct Param {
    View w, g, m1, m2;
    int rows, decayed, firstBlock, blocks;
};

// The tensor of a grid block: the last whose first block is at or before it.
__device__ __forceinline__ int paramOf(const Param* params, int tensors, int block) {
    int t = 0;
    while (t + 1 < tensors && params[t + 1].firstBlock <= block) t++;
    return t;
}

// One AdamW step of every tensor of every listed model, over the padded rows (padding stays 0:
// g = m = v = 0 there gives a zero update), with the CPU's float operations in the CPU's order
// (written with _rn intrinsics so that the compiler fuses none of them into an FMA). Decoupled
// decay W·(1 − lr·λ) before the update (Paper A) or W − lr·λ·W after it (Paper B) when decayed.
// Grid (Σ blocks, models): block b works on its tensor with a grid-stride loop over that tensor's
// blocks and writes its partial Σ W² at partial[j·gridDim.x + b] (see blockPartial).
extern "C" __global__ void __launch_bounds__(256) nc_adamw_all(const int* models, const Param* params, int tensors,
                                        const float* lr, const float* weightDecay, const int* decayAfter,
                                        float b1, float omb1, float b2, float omb2, const StepState* state, float eps, double* partial) {
    MODEL_INDEX
    const Param& p = params[paramOf(params, tensors, blockIdx.x)];
    float bc1 = state->bc1, bc2 = state->bc2;
    long long ld = p.w.ld, count = p.rows * ld, stride = static_cast<long long>(p.blocks) * blockDim.x;
    float rate = lr[j], wd = weightDecay[j];
    bool decay = p.decayed && wd != 0.0f, after = decayAfter[j] != 0;
    float keep = __fsub_rn(1.0f, __fmul_rn(rate, wd)), lrWd = __fmul_rn(rate, wd);
    double ss = 0.0;
    for (long long e = static_cast<long long>(blockIdx.x - p.firstBlock) * blockDim.x + threadIdx.x; e < count; e += stride) {
        long long r = e / ld, c = e % ld;
        float* pw = at(p.w, m, r, c);
        float* pm = at(p.m1, m, r, c);
        float* pv = at(p.m2, m, r, c);
        float wv = *pw, gv = *at(p.g, m, r, c);
        if (decay && !after) wv = __fmul_rn(wv, keep);
        float mv = __fadd_rn(__fmul_rn(*pm, b1), __fmul_rn(gv, omb1));
        float vv = __fadd_rn(__fmul_rn(*pv, b2), __fmul_rn(__fmul_rn(gv, gv), omb2));
        float upd = __fdiv_rn(__fdiv_rn(mv, bc1), __fadd_rn(__fsqrt_rn(__fdiv_rn(vv, bc2)), eps));
        wv = __fsub_rn(wv, __fmul_rn(upd, rate));
        if (decay && after) wv = __fsub_rn(wv, __fmul_rn(wv, lrWd));
        *pm = mv;
        *pv = vv;
        *pw = wv;
        ss += static_cast<double>(wv) * wv;
    }
    blockPartial(ss, partial, j);
}

// The clamp's factor for every tensor of every listed model (dev.normclock.backend.ClampPlan):
// tensor t of model j is in set sets[j·tensors + t] (0 none, 1, 2 or 3: ClampPlan.SETS); when
// now[j], set s is scaled by targets[3j + s − 1] / √(Σ of its tensors' Σ W², in tensor order),
// each tensor's Σ W² its blocks' partials added in block order — the host path's sums, in its
// order. Factors are 1 elsewhere. Grid: (1, models), one warp; lane 0 works (a few hundred
// additions per model).
extern "C" __global__ void nc_clamp_factors(const int* models, const Param* params, int tensors, const double* partial, const int* sets,
                                            const double* targets, const int* now, float* factors) {
    const int j = blockIdx.y; // models: the launch's list, as every kernel's first parameter; the plan is packed by j
    if (threadIdx.x != 0) return;
    double ss[4] = {0.0, 0.0, 0.0, 0.0};
    if (now[j]) {
        int total = params[tensors - 1].firstBlock + params[tensors - 1].blocks;
        for (int t = 0; t < tensors; t++) {
            double s = 0.0;
            for (int b = 0; b < params[t].blocks; b++) s += partial[static_cast<long long>(j) * total + params[t].firstBlock + b];
            ss[sets[j * tensors + t]] += s;
        }
    }
    for (int t = 0; t < tensors; t++) {
        int set = sets[j * tensors + t];
        factors[j * tensors + t] = now[j] && set != 0 ? static_cast<float>(targets[3 * j + set - 1] / sqrt(ss[set])) : 1.0f;
    }
}

// t ← t·factor over the padded rows of every tensor of every listed model; a factor of exactly 1
// (not clamped) leaves the tensor unread. Grid: (Σ blocks, models), blocks as nc_adamw_all's.
extern "C" __global__ void nc_scale_all(const int* models, const Param* params, int tensors, const float* factors) {
    MODEL_INDEX
    int t = paramOf(params, tensors, blockIdx.x);
    const Param& p = params[t];
    float f = factors[j * tensors + t];
    if (f == 1.0f) return;
    long long ld = p.w.ld, count = p.rows * ld, stride = static_cast<long long>(p.blocks) * blockDim.x;
    for (long long e = static_cast<long long>(blockIdx.x - p.firstBlock) * blockDim.x + threadIdx.x; e < count; e += stride)
        *at(p.w, m, e / ld, e % ld) *= f;
}

// Σ W² of every tensor of every listed model in one launch, partials as nc_adamw_all's (the same
// blocks per tensor as nc_sum_squares on it alone). Grid: (Σ blocks, models).
extern "C" __global__ void __launch_bounds__(256) nc_sum_squares_all(const int* models, const Param* params, int tensors, double* partial) {
    MODEL_INDEX
    const Param& p = params[paramOf(params, tensors, blockIdx.x)];
    long long ld = p.w.ld, count = p.rows * ld, stride = static_cast<long long>(p.blocks) * blockDim.x;
    double ss = 0.0;
    for (long long e = static_cast<long long>(blockIdx.x - p.firstBlock) * blockDim.x + threadIdx.x; e < count; e += stride) {
        float v = *at(p.w, m, e / ld, e % ld);
        ss += static_cast<double>(v) * v;
    }
    blockPartial(ss, partial, j);
}

// Each tensor's partials added in block order into the slot's readout record: the double at
// squares + m·record + 8t. Grid: (1, models), one warp; lane 0 works.
extern "C" __global__ void nc_squares_collect(const int* models, const Param* params, int tensors, const double* partial, char* squares,
                                              int record) {
    MODEL_INDEX
    if (threadIdx.x != 0) return;
    int total = params[tensors - 1].firstBlock + params[tensors - 1].blocks;
    double* out = reinterpret_cast<double*>(squares + static_cast<long long>(m) * record);
    for (int t = 0; t < tensors; t++) {
        double s = 0.0;
        for (int b = 0; b < params[t].blocks; b++) s += partial[static_cast<long long>(j) * total + params[t].firstBlock + b];
        out[t] = s;
    }
}
