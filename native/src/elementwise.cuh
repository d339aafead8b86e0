// Element-wise and row-wise helpers: transpose, copy, products, row and column sums, LayerNorm.
#pragma once
#include "common.cuh"

// The element e < rows·ld of the model this thread handles; false past the end.
#define ELEMENT(rows, ld) \
    long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; \
    if (e >= static_cast<long long>(rows) * (ld)) return; \
    long long r = e / (ld), c = e % (ld);

// dst[c, r] = src[r, c] over the real columns. Grid: (ceil(rows·cols / blockDim.x), models).
extern "C" __global__ void nc_transpose(const int* models, View src, View dst, int rows, int cols) {
    MODEL_INDEX
    ELEMENT(rows, cols)
    *at(dst, m, c, r) = *at(src, m, r, c);
}

// dst = src over the padded rows (same shape).
extern "C" __global__ void nc_copy(const int* models, View src, View dst, int rows) {
    MODEL_INDEX
    ELEMENT(rows, src.ld)
    *at(dst, m, r, c) = *at(src, m, r, c);
}

// out = a ⊙ b over the padded rows (out may be a or b): geluBackward and multiply.
extern "C" __global__ void nc_multiply(const int* models, View a, View b, View out, int rows) {
    MODEL_INDEX
    ELEMENT(rows, a.ld)
    *at(out, m, r, c) = *at(a, m, r, c) * *at(b, m, r, c);
}

// x[i, :] += row[0, :] over the padded rows.
extern "C" __global__ void nc_add_row(const int* models, View x, View row, int rows) {
    MODEL_INDEX
    ELEMENT(rows, x.ld)
    *at(x, m, r, c) += *at(row, m, 0, c);
}

// out[0, c] = Σ_r x[r, c]. A block sums 32 columns: its 8 warps each add every 8th row in order
// (warp g: rows g, g + 8, ...), then one thread adds the 8 partial sums in warp order. A fixed
// order, so the result is the same on every run, with 8 threads per column instead of one
// walking every row. Grid: (ceil(ld / 32), models), 256 threads.
extern "C" __global__ void __launch_bounds__(256) nc_column_sums(const int* models, View x, View out, int rows) {
    MODEL_INDEX
    __shared__ float partial[8][32];
    int lane = threadIdx.x & 31, group = threadIdx.x >> 5;
    int c = blockIdx.x * 32 + lane;
    float s = 0.0f;
    if (c < x.ld)
        for (int r = group; r < rows; r += 8) s += *at(x, m, r, c);
    partial[group][lane] = s;
    __syncthreads();
    if (group == 0 && c < x.ld) {
        float total = 0.0f;
        for (int g = 0; g < 8; g++) total += partial[g][lane];
        *at(out, m, 0, c) = total;
    }
}

// Non-affine LayerNorm, one warp per row, mean and variance in double as the CPU:
// y = (x − mean)·rstd over the real columns, rstd = 1/√(var + eps) into rstd[i, 0]. y may be x.
// Grid: (ceil(rows / (blockDim.x/32)), models).
extern "C" __global__ void nc_layer_norm(const int* models, View x, View y, View rstd, int rows, int cols, double eps) {
    MODEL_INDEX
    int lane = threadIdx.x & 31;
    int i = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (i >= rows) return;
    const float* xr = at(x, m, i, 0);
    double mean = 0.0;
    for (int c = lane; c < cols; c += 32) mean += xr[c];
    mean = warpSum(mean) / cols;
    double var = 0.0;
    for (int c = lane; c < cols; c += 32) {
        double u = xr[c] - mean;
        var += u * u;
    }
    var = warpSum(var) / cols;
    double rs = 1.0 / sqrt(var + eps);
    __syncwarp(); // every lane has read x before y (which may be x) is written
    float* yr = at(y, m, i, 0);
    for (int c = lane; c < cols; c += 32) yr[c] = static_cast<float>((xr[c] - mean) * rs);
    if (lane == 0) *at(rstd, m, i, 0) = static_cast<float>(rs);
}

// LayerNorm backward in place: g ← rstd·(g − mean(g) − y·mean(g⊙y)) (+ add when hasAdd), one warp per row.
extern "C" __global__ void nc_layer_norm_backward(const int* models, View y, View rstd, View g, View add, int hasAdd, int rows,
                                                  int cols) {
    MODEL_INDEX
    int lane = threadIdx.x & 31;
    int i = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (i >= rows) return;
    const float* yr = at(y, m, i, 0);
    float* gr = at(g, m, i, 0);
    double r = *at(rstd, m, i, 0), mg = 0.0, mgy = 0.0;
    for (int c = lane; c < cols; c += 32) {
        double gc = gr[c];
        mg += gc;
        mgy += gc * yr[c];
    }
    mg = warpSum(mg) / cols;
    mgy = warpSum(mgy) / cols;
    __syncwarp();
    for (int c = lane; c < cols; c += 32) {
        double v = r * (gr[c] - mg - yr[c] * mgy);
        if (hasAdd) v += *at(add, m, i, c);
        gr[c] = static_cast<float>(v);
    }
}
