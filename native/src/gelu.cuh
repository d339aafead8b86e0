// The exact (erf-based) GELU and its slope, and the MLP's first layer after the exact rewrite.
#pragma once
#include "common.cuh"

// GELU(x) = x·Φ(x), Φ(x) = erfc(−x/√2)/2: erfcf keeps the left tail's precision (unlike 1 + erf).
// GELU'(x) = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π).
__device__ __forceinline__ void geluAndSlope(float x, float& act, float& slope) {
    float cdf = 0.5f * erfcf(-x * 0.70710678118654752f);
    act = x * cdf;
    slope = cdf + x * (0.39894228040143268f * expf(-0.5f * x * x));
}

// Where a row's pre-activation comes from.
enum GeluSource : int {
    FROM_PAIR_TABLES = 0,  // x = pa[a] + pb[b] + bias, pair a·p + b (hiddenForward)
    FROM_ROW_AND_BIAS = 1, // x = pre[i] + bias (biasGelu)
    FROM_ROW = 2           // x = pre[i] (gelu)
};

// act = GELU(x) and, when hasSlope, slope = GELU'(x) over the padded row; padding columns of
// the inputs are 0, GELU(0) = 0, and the slope's padding is written 0, as on the CPU.
// Grid: (ceil(rows·ld / blockDim.x), models). act may alias x (in place): each element is read
// before it is written by the same thread.
extern "C" __global__ void nc_gelu_rows(const int* models, int source, View x1, View x2, View bias, const int* pairs, int p,
                                        int rows, int cols, View act, View slope, int hasSlope) {
    MODEL_INDEX
    long long ld = act.ld;
    long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (e >= rows * ld) return;
    int i = static_cast<int>(e / ld), c = static_cast<int>(e % ld);
    float x;
    if (source == FROM_PAIR_TABLES) {
        int pr = pairs[static_cast<long long>(j) * rows + i];
        x = *at(x1, m, pr / p, c) + *at(x2, m, pr % p, c) + *at(bias, m, 0, c);
    } else if (source == FROM_ROW_AND_BIAS) {
        x = *at(x1, m, i, c) + *at(bias, m, 0, c);
    } else {
        x = *at(x1, m, i, c);
    }
    float a, s;
    geluAndSlope(x, a, s);
    *at(act, m, i, c) = a;
    if (hasSlope) *at(slope, m, i, c) = c < cols ? s : 0.0f;
}

// Backward of the first layer: dx = dAct ⊙ slope, dPa[a] += dx, dPb[b] += dx, dBias = Σ dx, one
// thread per (model, column) walking the examples in order, as the CPU does: the sums are
// deterministic and need no atomics. Grid: (ceil(ld / blockDim.x), models).
extern "C" __global__ void nc_hidden_backward(const int* models, View dAct, View slope, const int* pairs, int p, int n, int ld,
                                              View dPa, View dPb, View dBias) {
    MODEL_INDEX
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= ld) return;
    for (int t = 0; t < p; t++) {
        *at(dPa, m, t, c) = 0.0f;
        *at(dPb, m, t, c) = 0.0f;
    }
    const int* pr = pairs + static_cast<long long>(j) * n;
    float sum = 0.0f;
    for (int i = 0; i < n; i++) {
        float dx = *at(dAct, m, i, c) * *at(slope, m, i, c);
        *at(dPa, m, pr[i] / p, c) += dx;
        *at(dPb, m, pr[i] % p, c) += dx;
        sum += dx;
    }
    *at(dBias, m, 0, c) = sum;
}
