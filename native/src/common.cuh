// Shared by every kernel: how a Java Tensor reaches a kernel, and how a block finds its model.
#pragma once
#include <cstdint>

// A tensor as the engine passes it (dev.normclock.backend.cuda.Launch writes these 24 bytes):
// the device address of element (model 0, row 0, col 0) — for a window of a workspace this can
// lie before the allocation, so it is an integer and only a finished address is a pointer —,
// the elements between two models' blocks, and the padded row length.
struct View {
    unsigned long long addr;
    long long modelStride;
    long long ld;
};

// Element (m, r, c) of a float tensor. Unsigned arithmetic wraps, so a window's base below its
// allocation still lands on the right element.
__device__ __forceinline__ float* at(const View& v, int m, long long r, long long c) {
    return reinterpret_cast<float*>(v.addr + 4ull * static_cast<unsigned long long>(m * v.modelStride + r * v.ld + c));
}

// Every kernel is batched over the models listed in `models` (slot indices): blockIdx.y is the
// position j in that list, and per-call arrays (pairs, labels, per-model scalars) are packed by j.
#define MODEL_INDEX const int j = blockIdx.y; const int m = models[j];

// Warp sums and maxima; all 32 lanes take part.
__device__ __forceinline__ double warpSum(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
// Two float sums at once, each over the same xor butterfly as warpSum: one 64-bit shuffle per step moves both.
__device__ __forceinline__ void warpSum2F(float& a, float& b) {
    for (int o = 16; o > 0; o >>= 1) {
        unsigned long long both = static_cast<unsigned long long>(__float_as_uint(a)) | static_cast<unsigned long long>(__float_as_uint(b)) << 32;
        unsigned long long other = __shfl_xor_sync(0xffffffffu, both, o);
        a += __uint_as_float(static_cast<unsigned int>(other));
        b += __uint_as_float(static_cast<unsigned int>(other >> 32));
    }
}

// What changes from one training step to the next, kept on the device so that a captured step
// (a CUDA Graph) replays with it: the host writes these 16 bytes before each step.
struct StepState {
    int step;      // 1-based, as Backend.adamW's step
    float bc1, bc2; // AdamW's bias corrections 1 − β1^t, 1 − β2^t, rounded to float as the CPU rounds them
    int unused;
};
