// A batched row-major SGEMM of our own, for GPUs (or installs) without cuBLAS: C = op(A)·B, or
// C += op(A)·B, for every listed model in one launch. The engine's row-major convention
// (Backend.matmul): C is rows × cols with cols its padded width, op(A) is A (rows × depth) or Aᵀ
// (A stored depth × rows), B is depth × cols, or its transpose (B stored cols × depth) when
// transposeB. cuBLAS stays the default where it is present.
#pragma once
#include "common.cuh"

#define GEMM_TILE 64
#define GEMM_DEPTH 16

// One 64 × 64 tile of C per block of 256 threads, each thread 4 × 4 elements (rows ty + 16·i,
// columns tx + 16·l, so that neighbouring threads read neighbouring shared words); K in steps of
// 16 through shared memory, the products summed in order of k with fmaf: one fixed order, so the
// result does not depend on the launch. C is rows × cols, K = depth.
// Grid: (ceil(cols / 64), models, ceil(rows / 64)): blockIdx.y is the model, as in every kernel.
extern "C" __global__ void __launch_bounds__(256) nc_gemm(const int* models, View a, int transposeA, View b, int transposeB, View c,
                                                          int rows, int cols, int depth, int accumulate) {
    MODEL_INDEX
    __shared__ float as[GEMM_DEPTH][GEMM_TILE + 1]; // as[kk][row]: op(A)'s tile, k-major
    __shared__ float bs[GEMM_DEPTH][GEMM_TILE + 1]; // bs[kk][col]
    int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    int row0 = blockIdx.z * GEMM_TILE, col0 = blockIdx.x * GEMM_TILE;
    float acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int l = 0; l < 4; l++) acc[i][l] = 0.0f;
    for (int k0 = 0; k0 < depth; k0 += GEMM_DEPTH) {
        for (int e = threadIdx.x; e < GEMM_DEPTH * GEMM_TILE; e += blockDim.x) {
            int r, kk;
            if (transposeA) { // A is k × m: consecutive threads read consecutive rows of op(A)
                kk = e / GEMM_TILE;
                r = e % GEMM_TILE;
            } else {          // A is m × k: consecutive threads read along k
                r = e / GEMM_DEPTH;
                kk = e % GEMM_DEPTH;
            }
            int row = row0 + r, d = k0 + kk;
            float v = 0.0f;
            if (row < rows && d < depth) v = transposeA ? *at(a, m, d, row) : *at(a, m, row, d);
            as[kk][r] = v;
            int bk = e / GEMM_TILE, col = e % GEMM_TILE;
            float w = 0.0f;
            if (k0 + bk < depth && col0 + col < cols) w = transposeB ? *at(b, m, col0 + col, k0 + bk) : *at(b, m, k0 + bk, col0 + col);
            bs[bk][col] = w;
        }
        __syncthreads();
        for (int kk = 0; kk < GEMM_DEPTH; kk++) {
            float av[4], bv[4];
            for (int i = 0; i < 4; i++) av[i] = as[kk][ty + 16 * i];
            for (int l = 0; l < 4; l++) bv[l] = bs[kk][tx + 16 * l];
            for (int i = 0; i < 4; i++)
                for (int l = 0; l < 4; l++) acc[i][l] = fmaf(av[i], bv[l], acc[i][l]);
        }
        __syncthreads();
    }
    for (int i = 0; i < 4; i++) {
        int row = row0 + ty + 16 * i;
        if (row >= rows) continue;
        for (int l = 0; l < 4; l++) {
            int col = col0 + tx + 16 * l;
            if (col >= cols) continue;
            float* out = at(c, m, row, col);
            *out = accumulate ? *out + acc[i][l] : acc[i][l];
        }
    }
}
