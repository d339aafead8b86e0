// The CUDA kernel language for host C++: what native/src's kernels use, defined so that the same
// sources compile with g++ into the simulator's kernel module (native/sim/build.sh force-includes
// this header before native/src/normclock.cu; no kernel source needs an #ifdef).
//
// Each simulated thread is a fiber of the module runtime (module_runtime.cpp). threadIdx reads
// the running fiber's index; __syncthreads, __syncwarp and the warp collectives suspend the fiber
// until every thread they wait for has arrived, so a missing barrier changes what a thread sees.
// __shared__ variables live in one linker section of the module, filled with garbage at the start
// of every block; every load and store of the kernels is instrumented (g++'s kernel-address
// sanitizer calls, see module_runtime.cpp) and checked: device addresses against the live
// allocations, shared addresses for races between barriers and for reads of never-written words.
#pragma once

#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#define __global__
#define __device__
#define __host__
#define __noinline__ __attribute__((noinline))
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __restrict__ __restrict
// One object per module instance: a module instance runs one block at a time (module_runtime.cpp),
// and the runtime finds every shared variable between the section's start and stop symbols.
#define __shared__ static __attribute__((section("ncsim_shared"), aligned(16)))

struct uint3 {
    unsigned int x, y, z;
};

struct dim3 {
    unsigned int x, y, z;
    constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
    constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
};

namespace ncsim {

// What the runtime keeps per simulated thread; kernels read only threadIdx through the macro below.
struct Thread {
    uint3 index;
    int linear, lane, warp;
};

// The block this module instance is running.
struct Block {
    uint3 index;
    dim3 size, grid;
};

extern Thread* current;
extern Block block;

// Warp collectives: every lane named in mask must arrive; the runtime checks that they do.
enum class WarpOp : int { SYNC = 0, SHFL_IDX, SHFL_UP, SHFL_DOWN, SHFL_XOR, BALLOT, ANY, ALL };

void syncthreads();
unsigned long long warpCollective(WarpOp op, unsigned int mask, unsigned long long value, int arg, int width, const char* name);
// Every atomic checks its address like an instrumented access, then runs under the instance's
// lock-free builtins (blocks run concurrently on several module instances).
void checkAtomic(const void* address, unsigned long size);

template <class T>
__forceinline__ unsigned long long bits(T v) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "a shuffled value must fit 8 bytes");
    unsigned long long b = 0;
    std::memcpy(&b, &v, sizeof(T));
    return b;
}

template <class T>
__forceinline__ T fromBits(unsigned long long b) {
    T v;
    std::memcpy(&v, &b, sizeof(T));
    return v;
}

} // namespace ncsim

#define threadIdx (static_cast<const uint3&>(::ncsim::current->index))
#define blockIdx (static_cast<const uint3&>(::ncsim::block.index))
#define blockDim (static_cast<const dim3&>(::ncsim::block.size))
#define gridDim (static_cast<const dim3&>(::ncsim::block.grid))
#define warpSize 32

inline void __syncthreads() {
    ::ncsim::syncthreads();
}

inline void __syncwarp(unsigned int mask = 0xffffffffu) {
    ::ncsim::warpCollective(::ncsim::WarpOp::SYNC, mask, 0, 0, 32, "__syncwarp");
}

template <class T>
inline T __shfl_sync(unsigned int mask, T v, int srcLane, int width = 32) {
    return ::ncsim::fromBits<T>(::ncsim::warpCollective(::ncsim::WarpOp::SHFL_IDX, mask, ::ncsim::bits(v), srcLane, width, "__shfl_sync"));
}

template <class T>
inline T __shfl_up_sync(unsigned int mask, T v, unsigned int delta, int width = 32) {
    return ::ncsim::fromBits<T>(::ncsim::warpCollective(::ncsim::WarpOp::SHFL_UP, mask, ::ncsim::bits(v), static_cast<int>(delta), width, "__shfl_up_sync"));
}

template <class T>
inline T __shfl_down_sync(unsigned int mask, T v, unsigned int delta, int width = 32) {
    return ::ncsim::fromBits<T>(::ncsim::warpCollective(::ncsim::WarpOp::SHFL_DOWN, mask, ::ncsim::bits(v), static_cast<int>(delta), width, "__shfl_down_sync"));
}

template <class T>
inline T __shfl_xor_sync(unsigned int mask, T v, int laneMask, int width = 32) {
    return ::ncsim::fromBits<T>(::ncsim::warpCollective(::ncsim::WarpOp::SHFL_XOR, mask, ::ncsim::bits(v), laneMask, width, "__shfl_xor_sync"));
}

inline unsigned int __ballot_sync(unsigned int mask, int predicate) {
    return static_cast<unsigned int>(::ncsim::warpCollective(::ncsim::WarpOp::BALLOT, mask, predicate != 0, 0, 32, "__ballot_sync"));
}

inline int __any_sync(unsigned int mask, int predicate) {
    return static_cast<int>(::ncsim::warpCollective(::ncsim::WarpOp::ANY, mask, predicate != 0, 0, 32, "__any_sync"));
}

inline int __all_sync(unsigned int mask, int predicate) {
    return static_cast<int>(::ncsim::warpCollective(::ncsim::WarpOp::ALL, mask, predicate != 0, 0, 32, "__all_sync"));
}

// ---- atomics (relaxed, as on the GPU; the old value is returned) ----------------------------------

template <class T>
inline T __ncsim_atomic_add(T* address, T v) {
    ::ncsim::checkAtomic(address, sizeof(T));
    if constexpr (std::is_floating_point<T>::value) {
        T old, sum;
        __atomic_load(address, &old, __ATOMIC_RELAXED);
        do {
            sum = old + v;
        } while (!__atomic_compare_exchange(address, &old, &sum, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
        return old;
    } else {
        return __atomic_fetch_add(address, v, __ATOMIC_RELAXED);
    }
}

inline int atomicAdd(int* a, int v) { return __ncsim_atomic_add(a, v); }
inline unsigned int atomicAdd(unsigned int* a, unsigned int v) { return __ncsim_atomic_add(a, v); }
inline unsigned long long atomicAdd(unsigned long long* a, unsigned long long v) { return __ncsim_atomic_add(a, v); }
inline float atomicAdd(float* a, float v) { return __ncsim_atomic_add(a, v); }
inline double atomicAdd(double* a, double v) { return __ncsim_atomic_add(a, v); }

template <class T>
inline T atomicExch(T* a, T v) {
    ::ncsim::checkAtomic(a, sizeof(T));
    return __atomic_exchange_n(a, v, __ATOMIC_RELAXED);
}

template <class T>
inline T atomicCAS(T* a, T compare, T v) {
    ::ncsim::checkAtomic(a, sizeof(T));
    __atomic_compare_exchange_n(a, &compare, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    return compare;
}

template <class T>
inline T atomicMax(T* a, T v) {
    ::ncsim::checkAtomic(a, sizeof(T));
    return __atomic_fetch_max(a, v, __ATOMIC_RELAXED);
}

template <class T>
inline T atomicMin(T* a, T v) {
    ::ncsim::checkAtomic(a, sizeof(T));
    return __atomic_fetch_min(a, v, __ATOMIC_RELAXED);
}

inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

// ---- math intrinsics: IEEE round-to-nearest, as the GPU's _rn forms; the module is compiled with
// -ffp-contract=off, so a*b+c is never fused unless written as fmaf -----------------------------

inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
inline float __frcp_rn(float a) { return 1.0f / a; }
inline float __fmaf_rn(float a, float b, float c) { return std::fmaf(a, b, c); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __fma_rn(double a, double b, double c) { return std::fma(a, b, c); }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline int __float_as_int(float x) { return ::ncsim::fromBits<int>(::ncsim::bits(x)); }
inline unsigned int __float_as_uint(float x) { return ::ncsim::fromBits<unsigned int>(::ncsim::bits(x)); }
inline float __uint_as_float(unsigned int x) { return ::ncsim::fromBits<float>(::ncsim::bits(x)); }
inline float __int_as_float(int x) { return ::ncsim::fromBits<float>(::ncsim::bits(x)); }
inline long long __double_as_longlong(double x) { return ::ncsim::fromBits<long long>(::ncsim::bits(x)); }
inline double __longlong_as_double(long long x) { return ::ncsim::fromBits<double>(::ncsim::bits(x)); }
inline float __saturatef(float x) { return x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : x; }
inline int __popc(unsigned int x) { return __builtin_popcount(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(static_cast<unsigned int>(x)); }
inline int __ffs(int x) { return __builtin_ffs(x); }

// erfcf, expf, exp, log, sqrt, fmaf, fmax ... are the C library's, declared by <cmath>.
// isfinite, isnan and isinf are overloaded device functions in CUDA; in C++ they are std:'s.
using std::isfinite;
using std::isinf;
using std::isnan;

template <class T>
inline T min(T a, T b) { return a < b ? a : b; }
template <class T>
inline T max(T a, T b) { return a > b ? a : b; }
