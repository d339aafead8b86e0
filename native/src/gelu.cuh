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

// Backward of the first layer's tables: dx = dAct ⊙ slope, dPa[t] = Σ dx over the examples whose a
// is t, dPb[t] = Σ dx over those whose b is t. One thread per (model, table row, column) sums its
// row's examples in ascending order, as the CPU's scatter adds them: the tables are deterministic,
// need no atomics, and every example's column is read by two threads instead of one thread
// walking all n examples. The per-run index lists (built from the pairs by the host): examples[j]
// holds, for t < p, the examples with a = t, then for t < p those with b = t; rows t of model j
// are examples[j][start[j][t] .. start[j][t + 1]), t < 2p. dBias is the column sums of dPa
// (nc_column_sums), which the host launches next. Grid: (ceil(2p·ld / blockDim.x), models).
extern "C" __global__ void nc_hidden_backward(const int* models, View dAct, View slope, const int* start, const int* examples, int p,
                                              int n, int ld, View dPa, View dPb) {
    MODEL_INDEX
    long long k = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (k >= 2LL * p * ld) return;
    int t = static_cast<int>(k / ld), c = static_cast<int>(k % ld);
    const int* s = start + static_cast<long long>(j) * (2 * p + 1);
    const int* ex = examples + 2LL * j * n;
    float sum = 0.0f;
    for (int q = s[t]; q < s[t + 1]; q++) {
        int i = ex[q];
        sum += *at(dAct, m, i, c) * *at(slope, m, i, c);
    }
    if (t < p) *at(dPa, m, t, c) = sum;
    else *at(dPb, m, t - p, c) = sum;
}
