// The attention model's primitives: its token rows, the one query's scores against the key table,
// and the 3-token attention of the last position. Sums run in double, in the CPU's order, with
// one thread owning each output, so results are deterministic without atomics.
#pragma once
#include "common.cuh"

// Table row r of an example's three positions: a, p + b, 2p.
__device__ __forceinline__ int tableRow(int pair, int p, int t) {
    return t == 0 ? pair / p : t == 1 ? p + pair % p : 2 * p;
}

// x[r] = E[token(r)] + pos[position(r)] for the 2p + 1 rows. Grid: (ceil((2p+1)·d / blockDim.x), models).
extern "C" __global__ void nc_token_rows(const int* models, View e, View pos, int p, int d, View x) {
    MODEL_INDEX
    long long k = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (k >= static_cast<long long>(2 * p + 1) * d) return;
    int r = static_cast<int>(k / d), c = static_cast<int>(k % d);
    int tok = r < p ? r : r < 2 * p ? r - p : p, t = r < p ? 0 : r < 2 * p ? 1 : 2;
    *at(x, m, r, c) = *at(e, m, tok, c) + *at(pos, m, t, c);
}

// Backward of nc_token_rows, one thread per (model, column). Grid: (ceil(d / blockDim.x), models).
extern "C" __global__ void nc_token_rows_backward(const int* models, View dx, View extra, int p, int d, View dE, View dPos) {
    MODEL_INDEX
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= d) return;
    double s0 = 0.0, s1 = 0.0;
    for (int t = 0; t < p; t++) {
        float a = *at(dx, m, t, c), b = *at(dx, m, p + t, c);
        s0 += a;
        s1 += b;
        *at(dE, m, t, c) = a + b;
    }
    float eq = *at(dx, m, 2 * p, c) + *at(extra, m, 0, c);
    *at(dE, m, p, c) = eq;
    *at(dPos, m, 0, c) = static_cast<float>(s0);
    *at(dPos, m, 1, c) = static_cast<float>(s1);
    *at(dPos, m, 2, c) = eq;
}

// scores[r, h] = q_h·keys[r]_h·scale. Grid: (ceil(rows·heads / blockDim.x), models).
extern "C" __global__ void nc_attention_scores(const int* models, View q, View keys, int rows, int heads, int dh, double scale,
                                               View scores) {
    MODEL_INDEX
    int k = blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= rows * heads) return;
    int r = k / heads, h = k % heads;
    const float* qr = at(q, m, 0, h * dh);
    const float* kr = at(keys, m, r, h * dh);
    double dot = 0.0;
    for (int c = 0; c < dh; c++) dot += static_cast<double>(qr[c]) * kr[c];
    *at(scores, m, r, h) = static_cast<float>(dot * scale);
}

// dKeys[r]_h = dS[r, h]·scale·q_h. Grid: (ceil(rows·d / blockDim.x), models).
extern "C" __global__ void nc_attention_scores_backward_keys(const int* models, View q, View dScores, int rows, int heads, int dh,
                                                             double scale, View dKeys) {
    MODEL_INDEX
    int d = heads * dh;
    long long k = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (k >= static_cast<long long>(rows) * d) return;
    int r = static_cast<int>(k / d), c = static_cast<int>(k % d);
    double g = *at(dScores, m, r, c / dh) * scale;
    *at(dKeys, m, r, c) = static_cast<float>(g * *at(q, m, 0, c));
}

// dq_h = Σ_r dS[r, h]·scale·keys[r]_h, rows in order. Grid: (ceil(d / blockDim.x), models).
extern "C" __global__ void nc_attention_scores_backward_query(const int* models, View keys, View dScores, int rows, int heads, int dh,
                                                              double scale, View dq) {
    MODEL_INDEX
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= heads * dh) return;
    double acc = 0.0;
    for (int r = 0; r < rows; r++) acc += *at(dScores, m, r, c / dh) * scale * *at(keys, m, r, c);
    *at(dq, m, 0, c) = static_cast<float>(acc);
}

// One (example, head): α = softmax of the three scores (in double), kept in att[i, 3h..3h+2] as
// floats, and out_h = Σ_t α_t·values[row_t]_h. Grid: (ceil(n·heads / blockDim.x), models).
extern "C" __global__ void nc_attention_forward(const int* models, View scores, View values, const int* pairs, int p, int n,
                                                int heads, int dh, View att, View out) {
    MODEL_INDEX
    int k = blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= n * heads) return;
    int i = k / heads, h = k % heads;
    int pair = pairs[static_cast<long long>(j) * n + i];
    int ra = tableRow(pair, p, 0), rb = tableRow(pair, p, 1), rc = tableRow(pair, p, 2);
    double s0 = *at(scores, m, ra, h), s1 = *at(scores, m, rb, h), s2 = *at(scores, m, rc, h);
    double mx = fmax(s0, fmax(s1, s2));
    double e0 = exp(s0 - mx), e1 = exp(s1 - mx), e2 = exp(s2 - mx), sum = e0 + e1 + e2;
    float a0 = static_cast<float>(e0 / sum), a1 = static_cast<float>(e1 / sum), a2 = static_cast<float>(e2 / sum);
    float* ar = at(att, m, i, 3 * h);
    ar[0] = a0;
    ar[1] = a1;
    ar[2] = a2;
    const float* va = at(values, m, ra, 0);
    const float* vb = at(values, m, rb, 0);
    const float* vc = at(values, m, rc, 0);
    float* o = at(out, m, i, 0);
    for (int c = h * dh; c < (h + 1) * dh; c++)
        o[c] = static_cast<float>(static_cast<double>(a0) * va[c] + static_cast<double>(a1) * vb[c] + static_cast<double>(a2) * vc[c]);
}

// First half of the attention backward, per (example, head): the score gradient each of the three
// positions receives, α_t·(dα_t − Σ_s α_s·dα_s) with dα_t = dOut_h·values[row_t]_h, into
// contrib[j][i][h][t] (double scratch). Grid: (ceil(n·heads / blockDim.x), models).
extern "C" __global__ void nc_attention_backward_contrib(const int* models, View dOut, View att, View values, const int* pairs, int p,
                                                         int n, int heads, int dh, double* contrib) {
    MODEL_INDEX
    int k = blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= n * heads) return;
    int i = k / heads, h = k % heads;
    int pair = pairs[static_cast<long long>(j) * n + i];
    const float* g = at(dOut, m, i, 0);
    const float* ar = at(att, m, i, 3 * h);
    double a[3], dAtt[3], mean = 0.0;
    for (int t = 0; t < 3; t++) {
        a[t] = ar[t];
        const float* v = at(values, m, tableRow(pair, p, t), 0);
        double dot = 0.0;
        for (int c = h * dh; c < (h + 1) * dh; c++) dot += static_cast<double>(g[c]) * v[c];
        dAtt[t] = dot;
        mean += a[t] * dot;
    }
    double* out = contrib + ((static_cast<long long>(j) * n + i) * heads + h) * 3;
    for (int t = 0; t < 3; t++) out[t] = a[t] * (dAtt[t] - mean);
}

// Second half: dScores[r, h] = Σ over examples in order of the contributions aimed at row r, one
// thread per (model, table row, head), the sum in double. Grid: (ceil((2p+1)·heads / blockDim.x), models).
extern "C" __global__ void nc_attention_backward_scores(const int* models, const int* pairs, int p, int n, int heads,
                                                        const double* contrib, View dScores) {
    MODEL_INDEX
    int k = blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= (2 * p + 1) * heads) return;
    int r = k / heads, h = k % heads;
    const int* pr = pairs + static_cast<long long>(j) * n;
    const double* cj = contrib + static_cast<long long>(j) * n * heads * 3;
    double acc = 0.0;
    for (int i = 0; i < n; i++)
        for (int t = 0; t < 3; t++)
            if (tableRow(pr[i], p, t) == r) acc += cj[(static_cast<long long>(i) * heads + h) * 3 + t];
    *at(dScores, m, r, h) = static_cast<float>(acc);
}

// dValues[r, c] = Σ over examples in order of α_t·dOut[i, c] for the positions t that read row r,
// one thread per (model, table row, column), in double. Grid: (ceil((2p+1)·d / blockDim.x), models).
extern "C" __global__ void nc_attention_backward_values(const int* models, View dOut, View att, const int* pairs, int p, int n,
                                                        int heads, int dh, View dValues) {
    MODEL_INDEX
    int d = heads * dh;
    long long k = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (k >= static_cast<long long>(2 * p + 1) * d) return;
    int r = static_cast<int>(k / d), c = static_cast<int>(k % d), h = c / dh;
    const int* pr = pairs + static_cast<long long>(j) * n;
    double acc = 0.0;
    for (int i = 0; i < n; i++)
        for (int t = 0; t < 3; t++)
            if (tableRow(pr[i], p, t) == r) acc += static_cast<double>(*at(att, m, i, 3 * h + t)) * *at(dOut, m, i, c);
    *at(dValues, m, r, c) = static_cast<float>(acc);
}
