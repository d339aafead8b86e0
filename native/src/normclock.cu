// The one translation unit nvcc builds into normclock.fatbin: every kernel of the cuda backend,
// extern "C" so that the engine finds them by name with cuModuleGetFunction.
#include "common.cuh"
#include "gelu.cuh"
#include "losses.cuh"
#include "optimizer.cuh"
#include "elementwise.cuh"
#include "attention.cuh"
#include "gemm.cuh"
