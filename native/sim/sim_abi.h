// The C interface between the simulator's driver (driver.cpp, the library loaded in place of
// libcuda.so.1) and a kernel module (native/src compiled for the host with module_runtime.cpp,
// loaded by cuModuleLoadData from its ELF image). The driver loads one instance of a module per
// worker thread, so each instance runs one block at a time and owns its shared memory.
#pragma once

#include <cstddef>
#include <cstdint>

#define NCSIM_ABI_VERSION 1

extern "C" {

// What the driver lends every module instance.
struct NcsimHost {
    // The reserved range every device allocation lies in: an address outside it is host memory
    // (a fiber's stack, the module's globals and shared memory) and is not looked up.
    uintptr_t deviceBase, deviceSize;
    // 0 when [address, address + size) lies inside one live allocation, whose bounds it then
    // gives (the module checks later accesses there without asking); else 1 with one line in why.
    int (*checkDevice)(uintptr_t address, size_t size, int write, uintptr_t* liveStart, uintptr_t* liveEnd, char* why,
                       size_t whyLength);
};

struct NcsimKernel {
    const char* name;
    int launchBounds;         // __launch_bounds__'s maximum threads per block, 0 when not declared
    int parameterCount;
    const size_t* parameterSizes;
    const size_t* parameterAlignments;
};

// One launch's geometry and the blocks an instance is to run.
struct NcsimLaunch {
    int kernel;
    void** parameters;        // cuLaunchKernel's kernelParams: one pointer per parameter
    unsigned grid[3], block[3];
    unsigned dynamicShared;
    unsigned long long seed;  // thread orders are permuted from it (NORMCLOCK_SIM_SEED, the launch, the block)
};

// Exported by a module.
int ncsim_module_init(const NcsimHost* host, int abiVersion);
int ncsim_kernel_count(void);
const NcsimKernel* ncsim_kernel(int index);
size_t ncsim_static_shared_bytes(void);
// Runs blocks first ≤ b < last (linear block index, x fastest) of the launch. Returns 0, or a CUresult
// with one line in error naming the kernel, block and thread. stop: set by another worker that failed.
int ncsim_run_blocks(const NcsimLaunch* launch, unsigned long long first, unsigned long long last, const volatile int* stop,
                     char* error, size_t errorLength);
}
