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

// One AdamW step of one tensor of every listed model, over the padded rows (padding stays 0:
// g = m = v = 0 there gives a zero update), with the CPU's float operations in the CPU's order
// (written with _rn intrinsics so that the compiler fuses none of them into an FMA). Decoupled
// decay W·(1 − lr·λ) before the update (Paper A) or W − lr·λ·W after it (Paper B) when decayed.
// Grid: (blocks, models), a grid-stride loop over rows·ld.
extern "C" __global__ void __launch_bounds__(256) nc_adamw(const int* models, View w, View g, View m1, View m2, int rows, int decayed,
                                    const float* lr, const float* weightDecay, const int* decayAfter,
                                    float b1, float omb1, float b2, float omb2, float bc1, float bc2, float eps, double* partial) {
    MODEL_INDEX
    long long ld = w.ld, count = rows * ld;
    float rate = lr[j], wd = weightDecay[j];
    bool decay = decayed && wd != 0.0f, after = decayAfter[j] != 0;
    float keep = __fsub_rn(1.0f, __fmul_rn(rate, wd)), lrWd = __fmul_rn(rate, wd);
    double ss = 0.0;
    for (long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; e < count; e += static_cast<long long>(gridDim.x) * blockDim.x) {
        long long r = e / ld, c = e % ld;
        float* pw = at(w, m, r, c);
        float* pm = at(m1, m, r, c);
        float* pv = at(m2, m, r, c);
        float wv = *pw, gv = *at(g, m, r, c);
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
