// The cuBLAS subset normclock calls, under cuBLAS's names, on the simulated GPU: handles bound to
// the current context and a stream, math modes, and SGEMM (plain and strided-batched) as a plain
// reference GEMM that accumulates in double. Every operand's extent must lie in one live device
// allocation; arguments are checked as cuBLAS checks them. With CUBLAS_TF32_TENSOR_OP_MATH the
// inputs are rounded to TF32 (10 mantissa bits, to nearest) before they are multiplied, as tensor
// cores do, so --tf32 changes the numbers here as it does on a GPU.

#include "simulator.h"

#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#define EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using ncsim::CUresult;

enum Status : int {
    CUBLAS_STATUS_SUCCESS = 0, CUBLAS_STATUS_NOT_INITIALIZED = 1, CUBLAS_STATUS_ALLOC_FAILED = 3, CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_EXECUTION_FAILED = 13, CUBLAS_STATUS_INTERNAL_ERROR = 14, CUBLAS_STATUS_NOT_SUPPORTED = 15
};
constexpr int OP_N = 0, OP_T = 1, OP_C = 2;
constexpr int DEFAULT_MATH = 0, PEDANTIC_MATH = 2, TF32_TENSOR_OP_MATH = 3, DISALLOW_REDUCED_PRECISION_REDUCTION = 16;

struct Handle {
    const void* stream = nullptr;
    int mathMode = DEFAULT_MATH;
    int pointerMode = 0; // HOST
};

std::set<Handle*> handles;

Status fail(Status s, const std::string& why) {
    ncsim::setDetail(why);
    return s;
}

// A failure of the context (none current, a sticky error) as cuBLAS reports it.
Status contextStatus(const char* name) {
    CUresult r = ncsim::requireContext(name);
    if (r == ncsim::CUDA_SUCCESS) return CUBLAS_STATUS_SUCCESS;
    return r == ncsim::CUDA_ERROR_INVALID_CONTEXT || r == ncsim::CUDA_ERROR_NOT_INITIALIZED ? CUBLAS_STATUS_NOT_INITIALIZED
                                                                                           : CUBLAS_STATUS_EXECUTION_FAILED;
}

float tf32(float x) {
    if (!std::isfinite(x)) return x;
    uint32_t b;
    std::memcpy(&b, &x, 4);
    b = (b + 0xFFFu + ((b >> 13) & 1u)) & ~0x1FFFu; // to nearest, ties to even, at the 13 low mantissa bits
    float r;
    std::memcpy(&r, &b, 4);
    return r;
}

// Elements a column-major rows × cols matrix with leading dimension ld spans from its first.
long long extent(int rows, int cols, int ld) {
    return rows == 0 || cols == 0 ? 0 : static_cast<long long>(ld) * (cols - 1) + rows;
}

// The GEMM itself, as its kernel would run it: every operand of every batch checked, then computed.
// CUDA_ERROR_ILLEGAL_ADDRESS (and the context's sticky error) where an operand leaves its allocation.
CUresult gemm(const char* name, bool round, int transa, int transb, int m, int n, int k, float a, const float* A, int lda, long long strideA,
              const float* B, int ldb, long long strideB, float b, float* C, int ldc, long long strideC, int batch) {
    int rowsA = transa == OP_N ? m : k, colsA = transa == OP_N ? k : m, rowsB = transb == OP_N ? k : n, colsB = transb == OP_N ? n : k;
    for (int i = 0; i < batch; i++) {
        const float* Ai = A + strideA * i;
        const float* Bi = B + strideB * i;
        float* Ci = C + strideC * i;
        // every operand of every batch inside one live allocation: a bad stride or leading dimension is caught
        struct Operand { const void* p; long long elements; const char* what; };
        for (Operand o : {Operand{Ai, k == 0 ? 0 : extent(rowsA, colsA, lda), "A"}, Operand{Bi, k == 0 ? 0 : extent(rowsB, colsB, ldb), "B"},
                          Operand{Ci, extent(m, n, ldc), "C"}}) {
            std::string what = std::string(name) + "'s " + o.what + " of batch " + std::to_string(i);
            if (ncsim::checkRange(reinterpret_cast<uintptr_t>(o.p), static_cast<size_t>(o.elements) * 4, what.c_str()) != ncsim::CUDA_SUCCESS) {
                // on a GPU the GEMM's kernel would fault: the context is left with the sticky error
                ncsim::setSticky(ncsim::CUDA_ERROR_ILLEGAL_ADDRESS, ncsim::lastDetail());
                return ncsim::CUDA_ERROR_ILLEGAL_ADDRESS;
            }
        }
    }
    std::vector<double> column(static_cast<size_t>(m));
    for (int i = 0; i < batch; i++) {
        const float* Ai = A + strideA * i;
        const float* Bi = B + strideB * i;
        float* Ci = C + strideC * i;
        for (int j = 0; j < n; j++) {
            std::fill(column.begin(), column.end(), 0.0);
            for (int l = 0; l < k; l++) {
                float bv = transb == OP_N ? Bi[l + static_cast<long long>(j) * ldb] : Bi[j + static_cast<long long>(l) * ldb];
                double bl = round ? tf32(bv) : bv;
                if (transa == OP_N) {
                    const float* col = Ai + static_cast<long long>(l) * lda;
                    if (round)
                        for (int r = 0; r < m; r++) column[r] += static_cast<double>(tf32(col[r])) * bl;
                    else
                        for (int r = 0; r < m; r++) column[r] += static_cast<double>(col[r]) * bl;
                } else {
                    for (int r = 0; r < m; r++) {
                        float av = Ai[l + static_cast<long long>(r) * lda];
                        column[r] += static_cast<double>(round ? tf32(av) : av) * bl;
                    }
                }
            }
            float* cj = Ci + static_cast<long long>(j) * ldc;
            for (int r = 0; r < m; r++) {
                double v = a * column[r];
                if (b != 0.0f) v += static_cast<double>(b) * cj[r]; // beta = 0: C is not read (it may hold garbage)
                cj[r] = static_cast<float>(v);
            }
        }
    }
    return ncsim::CUDA_SUCCESS;
}

Status sgemm(const char* name, Handle* h, int transa, int transb, int m, int n, int k, const float* alpha, const float* A, int lda,
             long long strideA, const float* B, int ldb, long long strideB, const float* beta, float* C, int ldc, long long strideC,
             int batch) {
    std::lock_guard<std::recursive_mutex> guard(ncsim::lock());
    if (Status s = contextStatus(name)) return s;
    if (handles.count(h) == 0) return fail(CUBLAS_STATUS_NOT_INITIALIZED, std::string(name) + ": not a live cuBLAS handle");
    if (!ncsim::validStream(h->stream)) return fail(CUBLAS_STATUS_EXECUTION_FAILED, std::string(name) + ": the handle's stream was destroyed");
    if (transa == OP_C || transb == OP_C) transa = transa == OP_C ? OP_T : transa, transb = transb == OP_C ? OP_T : transb; // real: C = T
    int rowsA = transa == OP_N ? m : k, rowsB = transb == OP_N ? k : n;
    std::string why;
    if (transa < 0 || transa > 2 || transb < 0 || transb > 2) why = "transa and transb must be CUBLAS_OP_N, _T or _C";
    else if (m < 0 || n < 0 || k < 0 || batch < 0) why = "m, n, k and batchCount must not be negative";
    else if (lda < std::max(1, rowsA)) why = "lda = " + std::to_string(lda) + " is less than op(A)'s stored rows " + std::to_string(rowsA);
    else if (ldb < std::max(1, rowsB)) why = "ldb = " + std::to_string(ldb) + " is less than op(B)'s stored rows " + std::to_string(rowsB);
    else if (ldc < std::max(1, m)) why = "ldc = " + std::to_string(ldc) + " is less than m = " + std::to_string(m);
    else if (alpha == nullptr || beta == nullptr) why = "alpha or beta is null";
    if (!why.empty()) return fail(CUBLAS_STATUS_INVALID_VALUE, std::string(name) + ": " + why);
    if (ncsim::captureState(name, h->stream) != ncsim::CUDA_SUCCESS) return CUBLAS_STATUS_EXECUTION_FAILED;
    if (m == 0 || n == 0 || batch == 0) {
        ncsim::count(ncsim::CUBLAS_CALLS);
        return CUBLAS_STATUS_SUCCESS;
    }
    // pointer mode host: alpha and beta are read now, also when captured (a graph keeps their values)
    float a = *alpha, b = *beta;
    bool round = h->mathMode == TF32_TENSOR_OP_MATH;
    auto run = [=](const void*) { return gemm(name, round, transa, transb, m, n, k, a, A, lda, strideA, B, ldb, strideB, b, C, ldc, strideC, batch); };
    if (!ncsim::captured(h->stream, name, run) && run(h->stream) != ncsim::CUDA_SUCCESS) return CUBLAS_STATUS_EXECUTION_FAILED;
    ncsim::count(ncsim::CUBLAS_CALLS);
    return CUBLAS_STATUS_SUCCESS;
}

} // namespace

EXPORT Status cublasCreate_v2(Handle** out) {
    std::lock_guard<std::recursive_mutex> guard(ncsim::lock());
    if (Status s = contextStatus("cublasCreate")) return s;
    if (out == nullptr) return fail(CUBLAS_STATUS_INVALID_VALUE, "cublasCreate: null pointer");
    auto* h = new Handle;
    handles.insert(h);
    *out = h;
    return CUBLAS_STATUS_SUCCESS;
}

EXPORT Status cublasDestroy_v2(Handle* h) {
    std::lock_guard<std::recursive_mutex> guard(ncsim::lock());
    if (handles.erase(h) == 0) return fail(CUBLAS_STATUS_NOT_INITIALIZED, "cublasDestroy: not a live handle");
    delete h;
    return CUBLAS_STATUS_SUCCESS;
}

EXPORT Status cublasSetStream_v2(Handle* h, const void* stream) {
    std::lock_guard<std::recursive_mutex> guard(ncsim::lock());
    if (handles.count(h) == 0) return fail(CUBLAS_STATUS_NOT_INITIALIZED, "cublasSetStream: not a live handle");
    if (!ncsim::validStream(stream)) return fail(CUBLAS_STATUS_INVALID_VALUE, "cublasSetStream: not a stream of the current context");
    h->stream = stream;
    return CUBLAS_STATUS_SUCCESS;
}

EXPORT Status cublasSetMathMode(Handle* h, int mode) {
    std::lock_guard<std::recursive_mutex> guard(ncsim::lock());
    if (handles.count(h) == 0) return fail(CUBLAS_STATUS_NOT_INITIALIZED, "cublasSetMathMode: not a live handle");
    int base = mode & ~DISALLOW_REDUCED_PRECISION_REDUCTION;
    if (base != DEFAULT_MATH && base != PEDANTIC_MATH && base != TF32_TENSOR_OP_MATH && base != 1)
        return fail(CUBLAS_STATUS_INVALID_VALUE, "cublasSetMathMode: unknown mode " + std::to_string(mode));
    h->mathMode = base;
    return CUBLAS_STATUS_SUCCESS;
}

EXPORT Status cublasGetMathMode(Handle* h, int* mode) {
    std::lock_guard<std::recursive_mutex> guard(ncsim::lock());
    if (handles.count(h) == 0 || mode == nullptr) return fail(CUBLAS_STATUS_NOT_INITIALIZED, "cublasGetMathMode: not a live handle");
    *mode = h->mathMode;
    return CUBLAS_STATUS_SUCCESS;
}

EXPORT Status cublasGetProperty(int type, int* value) {
    if (value == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
    switch (type) {
        case 0: *value = 13; return CUBLAS_STATUS_SUCCESS; // MAJOR_VERSION: the CUDA 13 cuBLAS this stands in for
        case 1: *value = 0; return CUBLAS_STATUS_SUCCESS;
        case 2: *value = 0; return CUBLAS_STATUS_SUCCESS;
        default: return CUBLAS_STATUS_INVALID_VALUE;
    }
}

EXPORT const char* cublasGetStatusName(int status) {
    switch (status) {
        case 0: return "CUBLAS_STATUS_SUCCESS";
        case 1: return "CUBLAS_STATUS_NOT_INITIALIZED";
        case 3: return "CUBLAS_STATUS_ALLOC_FAILED";
        case 7: return "CUBLAS_STATUS_INVALID_VALUE";
        case 13: return "CUBLAS_STATUS_EXECUTION_FAILED";
        case 14: return "CUBLAS_STATUS_INTERNAL_ERROR";
        case 15: return "CUBLAS_STATUS_NOT_SUPPORTED";
        default: return "CUBLAS_STATUS_UNKNOWN";
    }
}

EXPORT const char* cublasGetStatusString(int status) {
    return cublasGetStatusName(status);
}

EXPORT Status cublasSgemmStridedBatched(Handle* h, int transa, int transb, int m, int n, int k, const float* alpha, const float* A, int lda,
                                        long long strideA, const float* B, int ldb, long long strideB, const float* beta, float* C, int ldc,
                                        long long strideC, int batch) {
    return sgemm("cublasSgemmStridedBatched", h, transa, transb, m, n, k, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc, strideC, batch);
}

EXPORT Status cublasSgemm_v2(Handle* h, int transa, int transb, int m, int n, int k, const float* alpha, const float* A, int lda, const float* B,
                             int ldb, const float* beta, float* C, int ldc) {
    return sgemm("cublasSgemm", h, transa, transb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}
