// The simulated GPU shared by the driver API (driver.cpp) and cuBLAS (cublas.cpp): device memory,
// the context, streams, counters and the detail of the last error. One simulated device; every
// API call holds one lock, and work runs when it is queued (a stream is an ordering the
// simulator keeps by running everything at once), so the host sees a GPU that is infinitely fast
// but behaves as the API says: see driver.cpp for what is checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace ncsim {

using CUresult = int;
constexpr CUresult CUDA_SUCCESS = 0, CUDA_ERROR_INVALID_VALUE = 1, CUDA_ERROR_OUT_OF_MEMORY = 2, CUDA_ERROR_NOT_INITIALIZED = 3,
                   CUDA_ERROR_NO_DEVICE = 100, CUDA_ERROR_INVALID_DEVICE = 101, CUDA_ERROR_INVALID_IMAGE = 200,
                   CUDA_ERROR_INVALID_CONTEXT = 201, CUDA_ERROR_INVALID_HANDLE = 400, CUDA_ERROR_ILLEGAL_STATE = 401,
                   CUDA_ERROR_NOT_FOUND = 500, CUDA_ERROR_NOT_READY = 600, CUDA_ERROR_ILLEGAL_ADDRESS = 700,
                   CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701, CUDA_ERROR_ILLEGAL_INSTRUCTION = 715, CUDA_ERROR_LAUNCH_FAILED = 719,
                   CUDA_ERROR_NOT_SUPPORTED = 801, CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900,
                   CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901, CUDA_ERROR_STREAM_CAPTURE_IMPLICIT = 906,
                   CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD = 908, CUDA_ERROR_UNKNOWN = 999;

// What the simulator counts, in the order ncsimGetCounters writes them (the engine's names in
// dev.normclock.bindings.cuda.SimulatorCounters).
enum Counter : int {
    KERNEL_LAUNCHES, GRAPH_LAUNCHES, CUBLAS_CALLS, HOST_TO_DEVICE_COPIES, HOST_TO_DEVICE_BYTES, DEVICE_TO_HOST_COPIES,
    DEVICE_TO_HOST_BYTES, MEMSETS, HOST_SYNCHRONIZATIONS, ALLOCATIONS, FREES, COUNTERS
};

// Recursive: a graph launch replays its nodes through the same entry points, under the lock it holds.
std::recursive_mutex& lock();
// Counters count host-issued calls: while a graph replays, only its one graph launch counts.
void count(Counter c, uint64_t by = 1);

// The detail of the failure the calling thread's last call returned (ncsimLastErrorDetail).
void setDetail(const std::string& detail);
std::string lastDetail();
CUresult failWith(CUresult code, const std::string& detail);

// The calling thread's context is the live primary context; else why not (as a CUresult, with detail).
CUresult requireContext(const char* function);
// A sticky error from a failed kernel: once set, every call fails with it until the context is reset.
CUresult stickyError();
void setSticky(CUresult code, const std::string& detail);

// CUDA_SUCCESS when [address, address + bytes) lies in one live device allocation; else the error,
// with "what" (e.g. "cuMemcpyHtoD's destination") in the detail.
CUresult checkRange(uintptr_t address, size_t bytes, const char* what);

// A stream handle the context knows (0 and the two legacy/per-thread handles included).
bool validStream(const void* stream);

// ---- stream capture (driver.cpp) ----
// A captured call, re-issued on the stream a graph is launched on: the same checks as eager work.
using Replay = std::function<CUresult(const void* stream)>;
// Before stream-ordered work on stream: CUDA_SUCCESS, or what a capture makes of it (its capture
// invalidated: 901; the legacy stream while a blocking stream captures: 906, which invalidates it).
CUresult captureState(const char* function, const void* stream);
// When stream is capturing, appends the work to its capture as a node and returns true: the caller
// returns CUDA_SUCCESS without running it. Else false: the caller runs it now.
bool captured(const void* stream, const std::string& what, Replay replay);

} // namespace ncsim
