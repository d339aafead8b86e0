// Kernels that break the rules on purpose, one rule each, so that the tests can show the CUDA
// simulator rejecting what a GPU rejects (or what compute-sanitizer reports), with the kernel,
// block and thread named. Built by native/sim/build.sh like native/src, never packaged.
#include <cstdint>

// out[i] = in[i] for i < n: correct when n is the length, a read past the end when it is not.
extern "C" __global__ void copy_n(const float* in, float* out, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = in[i];
}

// A block sum through shared memory; with barrier = 0 the __syncthreads between the writes and
// the reads is skipped (a race).
extern "C" __global__ void __launch_bounds__(256) block_sum(const float* in, float* out, int barrier) {
    __shared__ float part[256];
    part[threadIdx.x] = in[blockIdx.x * blockDim.x + threadIdx.x];
    if (barrier) __syncthreads();
    if (threadIdx.x == 0) {
        float s = 0.0f;
        for (unsigned i = 0; i < blockDim.x; i++) s += part[i];
        out[blockIdx.x] = s;
    }
}

// Reads shared memory no thread has written.
extern "C" __global__ void uninitialised_shared(float* out) {
    __shared__ float never[32];
    out[threadIdx.x] = never[threadIdx.x];
}

// A warp sum; offset_shift = −1 shifts every xor offset down by one (16 → 15, ..., 1 → 0): a wrong
// result, no error. (A shift up by one, 17, 9, 5, 3, 2, still reaches every lane once: the same sum.)
extern "C" __global__ void warp_sum(const float* in, float* out, int offset_shift) {
    float v = in[threadIdx.x];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, (o + offset_shift) & 31);
    out[threadIdx.x] = v;
}

// The lanes of the upper half shuffle with a mask that names only the lower half.
extern "C" __global__ void shuffle_outside_mask(float* out) {
    float v = static_cast<float>(threadIdx.x);
    if (threadIdx.x < 16) v = __shfl_xor_sync(0x0000ffffu, v, 1);
    else v = __shfl_xor_sync(0x0000ffffu, v, 1);
    out[threadIdx.x] = v;
}

// Lane 0 leaves before the others reach a full-warp shuffle.
extern "C" __global__ void shuffle_after_exit(float* out) {
    if (threadIdx.x == 0) return;
    out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1.0f, 1);
}

// Half of the warp shuffles, the other half waits at __syncwarp: divergent collectives.
extern "C" __global__ void divergent_collectives(float* out) {
    if (threadIdx.x & 1) out[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1.0f, 1);
    else __syncwarp();
}

// Threads of the second warp leave before the barrier the first warp waits at.
extern "C" __global__ void barrier_after_exit(float* out) {
    if (threadIdx.x >= 32) return;
    __syncthreads();
    out[threadIdx.x] = 1.0f;
}

// Half of the second warp waits at a full-warp shuffle, every other thread at a barrier: neither completes.
extern "C" __global__ void deadlock(float* out) {
    if (threadIdx.x >= 32 && threadIdx.x < 48) out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1.0f, 1);
    else __syncthreads();
}

// Every shuffle kind and the votes, written out per lane so that the test can check each against its definition.
extern "C" __global__ void collectives(int* out) {
    int lane = threadIdx.x & 31;
    int* o = out + 8 * threadIdx.x;
    o[0] = __shfl_sync(0xffffffffu, lane * 10, 5);
    o[1] = __shfl_up_sync(0xffffffffu, lane * 10, 3);
    o[2] = __shfl_down_sync(0xffffffffu, lane * 10, 3);
    o[3] = __shfl_xor_sync(0xffffffffu, lane * 10, 6);
    o[4] = __shfl_xor_sync(0xffffffffu, lane * 10, 1, 8);
    o[5] = static_cast<int>(__ballot_sync(0xffffffffu, lane % 3 == 0));
    o[6] = __any_sync(0xffffffffu, lane == 7);
    o[7] = __all_sync(0xffffffffu, lane < 31);
}

// Writes, for each thread, the order in which threads reached a shared counter: the simulator
// permutes the order from NORMCLOCK_SIM_SEED.
extern "C" __global__ void arrival_order(int* out, int* counter) {
    out[threadIdx.x] = atomicAdd(counter, 1);
}
