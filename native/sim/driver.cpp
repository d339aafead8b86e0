// The CUDA driver API subset normclock calls, exported under the driver's own symbol names
// (cuMemAlloc_v2, cuMemcpyHtoDAsync_v2, ...) so that the engine's bindings load this library in
// place of libcuda.so.1. One simulated device, "normclock CUDA simulator", compute capability 9.0.
//
// What it checks, as a GPU (or the driver) would reject it:
//  - device memory: every allocation lies in a reserved range, page-aligned, followed by a gap of
//    at least its own size, and freed addresses are never reused; kernels' loads and stores (see
//    module_runtime.cpp), copies, memsets and cuBLAS operands must lie inside one live allocation:
//    an access past an end, into a gap or into freed memory is an error naming the allocation;
//  - launches: block size (≤ 1024 threads, ≤ the kernel's __launch_bounds__), grid (x < 2³¹,
//    y and z ≤ 65535), shared memory (48 KiB without the opt-in attribute), the parameter array;
//  - the context: a call on a thread where the primary context is not current fails;
//  - a failed kernel leaves a sticky error: every later call fails until the context is reset;
//  - page-locked host memory (cuMemAllocHost): the destination of an async device-to-host copy
//    holds nothing until its stream is synchronised — it is unreadable until then, and a host read
//    there is reported at the next call — and the source of an async host-to-device copy is read-only
//    until then. (From pageable memory, as CUDA specifies, async copies complete before returning.)
//
// It counts kernel launches, graph launches, cuBLAS calls, copies and their bytes each way, memsets,
// host synchronisations, allocations and frees (ncsimGetCounters), so the engine can count what a step does.
//
// Stream capture and graphs (cuStreamBeginCapture_v2 ... cuGraphLaunch): a capturing stream records
// its kernel launches, memsets, async copies (device to device, and to or from page-locked memory)
// and cuBLAS GEMMs as the nodes of one chain, in order, instead of running them; a graph launch
// re-issues each node on the launch's stream through the same entry point, so it is checked exactly
// as the eager call would be. The calls CUDA forbids during capture fail and invalidate it.

#include "sim_abi.h"
#include "simulator.h"

#include <dlfcn.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#define EXPORT extern "C" __attribute__((visibility("default")))

namespace ncsim {
namespace {

// ---- configuration -----------------------------------------------------------------------------

unsigned long long envNumber(const char* name, unsigned long long fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == 0) return fallback;
    char* end = nullptr;
    unsigned long long n = std::strtoull(v, &end, 10);
    if (end != nullptr && (*end == 'G' || *end == 'g')) n <<= 30;
    else if (end != nullptr && (*end == 'M' || *end == 'm')) n <<= 20;
    return n;
}

int workerCount() {
    unsigned long long n = envNumber("NORMCLOCK_SIM_THREADS", 0);
    if (n == 0) n = std::min(8u, std::max(1u, std::thread::hardware_concurrency()));
    return static_cast<int>(std::min<unsigned long long>(n, 64));
}

unsigned long long memoryLimit() {
    unsigned long long physical = static_cast<unsigned long long>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
    return envNumber("NORMCLOCK_SIM_MEMORY", std::min(physical / 2, 16ull << 30));
}

const size_t PAGE = static_cast<size_t>(sysconf(_SC_PAGESIZE));
size_t pageUp(size_t n) { return (n + PAGE - 1) / PAGE * PAGE; }

// ---- errors and counters ---------------------------------------------------------------------

std::recursive_mutex apiLock;
uint64_t counters[COUNTERS];
int replaying; // > 0 while a graph launch replays its nodes: they are not host-issued calls
thread_local std::string detail;

// ---- device memory ---------------------------------------------------------------------------------

struct Allocation {
    uintptr_t start;
    size_t size;
    uint64_t id;
    bool live;
};

struct DeviceMemory {
    uintptr_t base = 0, next = 0;
    size_t reserved = 0;
    std::vector<Allocation> all; // by start address: addresses only grow
    size_t liveBytes = 0;
    uint64_t ids = 0;

    bool reserve() {
        for (size_t gib : {1024, 256, 64}) {
            size_t bytes = static_cast<size_t>(gib) << 30;
            void* m = mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (m != MAP_FAILED) {
                base = next = reinterpret_cast<uintptr_t>(m);
                reserved = bytes;
                return true;
            }
        }
        return false;
    }

    // The allocation containing address, or the last one starting before it, or null.
    const Allocation* around(uintptr_t address) const {
        auto it = std::upper_bound(all.begin(), all.end(), address, [](uintptr_t a, const Allocation& x) { return a < x.start; });
        return it == all.begin() ? nullptr : &*(it - 1);
    }

    static std::string describe(const Allocation& a) {
        char b[160];
        std::snprintf(b, sizeof b, "device allocation #%llu (0x%llx, %zu bytes%s)", static_cast<unsigned long long>(a.id),
                      static_cast<unsigned long long>(a.start), a.size, a.live ? "" : ", freed by cuMemFree");
        return b;
    }

    // Empty when [address, address + size) lies in one live allocation (its bounds in s, e); else
    // where it lies instead, e.g. "12 bytes past the end of device allocation #3 (...)".
    std::string check(uintptr_t address, size_t size, uintptr_t* s, uintptr_t* e) const {
        const Allocation* a = around(address);
        char b[400];
        if (a == nullptr) return "before every device allocation";
        if (address >= a->start + a->size) {
            std::snprintf(b, sizeof b, "%llu bytes past the end of %s, outside every live allocation",
                          static_cast<unsigned long long>(address - (a->start + a->size)), describe(*a).c_str());
            return b;
        }
        if (!a->live) return "inside " + describe(*a) + ": a use after free";
        if (address + size > a->start + a->size) {
            std::snprintf(b, sizeof b, "running %llu bytes past the end of %s",
                          static_cast<unsigned long long>(address + size - (a->start + a->size)), describe(*a).c_str());
            return b;
        }
        if (s != nullptr) *s = a->start;
        if (e != nullptr) *e = a->start + a->size;
        return {};
    }
};

DeviceMemory memory;

// ---- page-locked host memory and deferred copies -------------------------------------------------

struct Pinned {
    uintptr_t start;
    size_t size; // whole pages
};

// An async copy between page-locked host memory and the device, complete only at a synchronisation.
struct Pending {
    uintptr_t host;
    size_t bytes;
    bool toHost;             // device → host: host range unreadable until done
    std::vector<char> data;  // device → host: the bytes, taken when the copy was queued
    const void* stream;
    bool violated = false;
};

std::vector<Pinned> pinned;
std::vector<Pending> pending;
std::atomic<int> hostViolation{0}; // set by the signal handler
char violationText[512];
struct sigaction previousSegv, previousBus;
bool handlerInstalled;

bool isPinned(uintptr_t address, size_t bytes) {
    for (const Pinned& p : pinned)
        if (address >= p.start && address + bytes <= p.start + p.size) return true;
    return false;
}

void protectPages(uintptr_t address, size_t bytes, int protection) {
    uintptr_t first = address / PAGE * PAGE, last = pageUp(address + bytes);
    mprotect(reinterpret_cast<void*>(first), last - first, protection);
}

// Completes a pending copy: the host range gets its data (device → host) and its access back.
void complete(Pending& p) {
    protectPages(p.host, p.bytes, PROT_READ | PROT_WRITE);
    if (p.toHost) std::memcpy(reinterpret_cast<void*>(p.host), p.data.data(), p.bytes);
}

// Every pending copy overlapping a page of [address, address + bytes) must finish before the page is unprotected.
void restoreProtections() {
    for (Pending& p : pending) protectPages(p.host, p.bytes, p.toHost ? PROT_NONE : PROT_READ);
}

// The fault handler: a host access to a page of a pending copy completes the copies there (so the
// program can go on) and records the violation, which the next API call reports. Any other fault
// goes to the handler that was there before (the JVM's).
void onFault(int sig, siginfo_t* info, void* context) {
    uintptr_t address = reinterpret_cast<uintptr_t>(info->si_addr);
    bool ours = false;
    for (Pending& p : pending) {
        uintptr_t first = p.host / PAGE * PAGE, last = pageUp(p.host + p.bytes);
        if (address < first || address >= last) continue;
        ours = true;
        if (address >= p.host && address < p.host + p.bytes && !p.violated) {
            p.violated = true;
            if (hostViolation.exchange(1) == 0)
                std::snprintf(violationText, sizeof violationText,
                              "the host touched 0x%llx, inside the %s of an async copy of %zu bytes on stream %p before that stream was "
                              "synchronised (%s)",
                              static_cast<unsigned long long>(address), p.toHost ? "destination" : "source", p.bytes, p.stream,
                              p.toHost ? "cuMemcpyDtoHAsync into page-locked memory: its data arrives at cuStreamSynchronize"
                                       : "cuMemcpyHtoDAsync from page-locked memory reads it until the stream is synchronised");
        }
        complete(p);
        p.host = 0;
        p.bytes = 0;
    }
    if (ours) return;
    struct sigaction& previous = sig == SIGSEGV ? previousSegv : previousBus;
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction != nullptr) previous.sa_sigaction(sig, info, context);
        return;
    }
    if (previous.sa_handler == SIG_IGN) return;
    if (previous.sa_handler == SIG_DFL || previous.sa_handler == nullptr) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    previous.sa_handler(sig);
}

void installHandler() {
    if (handlerInstalled) return;
    struct sigaction a {};
    a.sa_sigaction = onFault;
    a.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&a.sa_mask);
    sigaction(SIGSEGV, &a, &previousSegv);
    sigaction(SIGBUS, &a, &previousBus);
    handlerInstalled = true;
}

CUresult reportViolation() {
    if (hostViolation.exchange(0) == 0) return CUDA_SUCCESS;
    return failWith(CUDA_ERROR_ILLEGAL_STATE, violationText);
}

void finishPending(const void* stream) {
    for (Pending& p : pending)
        if (p.bytes > 0 && (stream == nullptr || p.stream == stream)) {
            complete(p);
            p.bytes = 0;
        }
    pending.erase(std::remove_if(pending.begin(), pending.end(), [](const Pending& p) { return p.bytes == 0; }), pending.end());
    restoreProtections();
}

// ---- modules and the worker threads that run blocks -----------------------------------------------

struct Instance {
    void* handle;
    int (*runBlocks)(const NcsimLaunch*, unsigned long long, unsigned long long, const volatile int*, char*, size_t);
};

struct Module;
struct Function {
    Module* module;
    int index;
    NcsimKernel info;
    int maxDynamicShared = 0;
};

struct Module {
    std::vector<Instance> instances; // one per worker
    std::vector<std::unique_ptr<Function>> functions;
    size_t staticShared;
};

int checkDevice(uintptr_t address, size_t size, int write, uintptr_t* s, uintptr_t* e, char* why, size_t whyLength) {
    std::string problem = memory.check(address, size, s, e);
    if (problem.empty()) return 0;
    std::snprintf(why, whyLength, "%s %zu bytes at 0x%llx, %s", write ? "wrote" : "read", size, static_cast<unsigned long long>(address),
                  problem.c_str());
    return 1;
}

NcsimHost hostInterface;

struct Job {
    const NcsimLaunch* launch;
    Module* module;
    unsigned long long blocks, chunk;
    std::atomic<unsigned long long> next;
    volatile int stop;
    int code;
    unsigned long long failedBlock;
    std::string error;
    std::mutex lock;
};

class Workers {
  public:
    explicit Workers(int n) : count_(n) {
        for (int i = 0; i < n; i++) threads_.emplace_back([this, i] { loop(i); });
    }

    int count() const { return count_; }

    // Runs every block of the launch on the workers; returns when all are done.
    void run(Job& job) {
        std::unique_lock<std::mutex> l(lock_);
        job_ = &job;
        busy_ = count_;
        generation_++;
        wake_.notify_all();
        done_.wait(l, [this] { return busy_ == 0; });
        job_ = nullptr;
    }

  private:
    void loop(int worker) {
        unsigned long long seen = 0;
        for (;;) {
            Job* job;
            {
                std::unique_lock<std::mutex> l(lock_);
                wake_.wait(l, [&] { return generation_ != seen; });
                seen = generation_;
                job = job_;
            }
            work(*job, worker);
            std::lock_guard<std::mutex> l(lock_);
            if (--busy_ == 0) done_.notify_all();
        }
    }

    static void work(Job& job, int worker) {
        Instance& in = job.module->instances[worker];
        char error[1024];
        for (;;) {
            if (job.stop) return;
            unsigned long long first = job.next.fetch_add(job.chunk);
            if (first >= job.blocks) return;
            unsigned long long last = std::min(job.blocks, first + job.chunk);
            error[0] = 0;
            int code = in.runBlocks(job.launch, first, last, &job.stop, error, sizeof error);
            if (code != 0) {
                std::lock_guard<std::mutex> l(job.lock);
                if (job.code == 0 || first < job.failedBlock) {
                    job.code = code;
                    job.failedBlock = first;
                    job.error = error;
                }
                job.stop = 1;
                return;
            }
        }
    }

    int count_;
    std::vector<std::thread> threads_;
    std::mutex lock_;
    std::condition_variable wake_, done_;
    Job* job_ = nullptr;
    int busy_ = 0;
    unsigned long long generation_ = 0;
};

Workers* workers;

std::string dlerrorText() {
    const char* e = dlerror();
    return e == nullptr ? "unknown error" : e;
}

// ---- the context ---------------------------------------------------------------------------------

struct Event {
    std::chrono::steady_clock::time_point at;
    bool recorded = false;
};

// A captured call: what it was (for messages) and how to re-issue it.
struct Node {
    std::string what;
    Replay replay;
};

// A capture in progress on one stream (cuStreamBeginCapture_v2 .. cuStreamEndCapture).
struct Capture {
    int mode; // CUstreamCaptureMode: 0 global, 1 thread-local, 2 relaxed
    std::thread::id thread;
    std::vector<Node> nodes;
    std::string invalidated; // why, once a forbidden call has invalidated it
};

// A CUgraph (from cuStreamEndCapture) and a CUgraphExec (its instantiation, independent of it
// afterwards): both a chain of nodes; distinct types so that one is never taken for the other.
struct Graph {
    std::vector<Node> nodes;
};
struct GraphExec {
    std::vector<Node> nodes;
};

struct Context {
    int refs = 0;
    CUresult sticky = CUDA_SUCCESS;
    std::string stickyDetail;
    std::set<const void*> streams;
    std::set<Event*> events;
    std::set<Module*> modules;
    std::map<const void*, Capture> captures; // by stream
    std::set<Graph*> graphs;
    std::set<GraphExec*> execs;
};

Context primary;
const void* const PRIMARY = &primary;
thread_local const void* currentContext;
bool initialised;
unsigned long long launchCount, seed;

struct Stream {
    unsigned flags;
};

// Frees everything the context holds: its device memory, modules, streams and events.
void resetContext() {
    for (Allocation& a : memory.all)
        if (a.live) {
            a.live = false;
            madvise(reinterpret_cast<void*>(a.start), pageUp(a.size), MADV_DONTNEED);
            mprotect(reinterpret_cast<void*>(a.start), pageUp(a.size), PROT_NONE);
        }
    memory.liveBytes = 0;
    for (Module* m : primary.modules) {
        for (Instance& in : m->instances) dlclose(in.handle);
        delete m;
    }
    for (const void* s : primary.streams) delete static_cast<const Stream*>(s);
    for (Event* e : primary.events) delete e;
    for (Graph* g : primary.graphs) delete g;
    for (GraphExec* e : primary.execs) delete e;
    finishPending(nullptr);
    primary = Context{};
}

} // namespace

std::recursive_mutex& lock() { return apiLock; }

void count(Counter c, uint64_t by) {
    if (replaying == 0) counters[c] += by;
}

void setDetail(const std::string& d) { detail = d; }

std::string lastDetail() { return detail; }

CUresult failWith(CUresult code, const std::string& d) {
    detail = d;
    return code;
}

CUresult stickyError() {
    if (primary.sticky != CUDA_SUCCESS) detail = primary.stickyDetail + " (an earlier kernel failed: the context must be reset)";
    return primary.sticky;
}

void setSticky(CUresult code, const std::string& d) {
    primary.sticky = code;
    primary.stickyDetail = d;
    detail = d;
}

CUresult requireContext(const char* function) {
    if (!initialised) return failWith(CUDA_ERROR_NOT_INITIALIZED, std::string(function) + " before cuInit");
    if (currentContext == nullptr || currentContext != PRIMARY || primary.refs == 0)
        return failWith(CUDA_ERROR_INVALID_CONTEXT, std::string(function) + " on a thread where no live context is current (cuCtxSetCurrent)");
    if (CUresult v = reportViolation()) return v;
    return stickyError();
}

CUresult checkRange(uintptr_t address, size_t bytes, const char* what) {
    if (bytes == 0) return CUDA_SUCCESS;
    std::string problem = memory.check(address, bytes, nullptr, nullptr);
    if (problem.empty()) return CUDA_SUCCESS;
    char b[64];
    std::snprintf(b, sizeof b, " (0x%llx, %zu bytes) lies ", static_cast<unsigned long long>(address), bytes);
    return failWith(CUDA_ERROR_INVALID_VALUE, std::string(what) + b + problem);
}

bool validStream(const void* stream) {
    auto v = reinterpret_cast<uintptr_t>(stream);
    return v == 0 || v == 1 || v == 2 || primary.streams.count(stream) > 0;
}

// ---- stream capture ---------------------------------------------------------------------------------

namespace {
const char* const MODES[] = {"CU_STREAM_CAPTURE_MODE_GLOBAL", "CU_STREAM_CAPTURE_MODE_THREAD_LOCAL", "CU_STREAM_CAPTURE_MODE_RELAXED"};

// The null stream and CU_STREAM_LEGACY: the legacy stream, which waits for every blocking stream.
bool legacy(const void* stream) {
    auto v = reinterpret_cast<uintptr_t>(stream);
    return v == 0 || v == 1;
}

Capture* capturing(const void* stream) {
    auto it = primary.captures.find(stream);
    return it == primary.captures.end() ? nullptr : &it->second;
}

std::string streamName(const void* stream) {
    char b[40];
    std::snprintf(b, sizeof b, "stream %p", stream);
    return b;
}

// Fails the call with code and why, and invalidates the capture: it can only be ended (901), as on a GPU.
CUresult invalidate(Capture& c, CUresult code, const std::string& why) {
    if (c.invalidated.empty()) c.invalidated = why;
    return failWith(code, why + "; the capture is invalidated");
}

// For the calls CUDA calls potentially unsafe during capture (allocations, frees, synchronous copies,
// synchronisations, module loads): forbidden while this thread captures in a mode other than
// relaxed, or another thread captures in global mode — they would not be part of the graph.
// everyCapture: a call that waits for every stream (cuCtxSynchronize), forbidden in any mode.
CUresult forbidden(const char* function, bool everyCapture = false) {
    CUresult r = CUDA_SUCCESS;
    for (auto& [stream, c] : primary.captures) {
        bool mine = c.thread == std::this_thread::get_id();
        if (everyCapture || (mine ? c.mode != 2 : c.mode == 0))
            r = invalidate(c, CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, std::string(function) + " while " + streamName(stream) + " is capturing (" +
                                                                      MODES[c.mode] + "): not permitted during stream capture");
    }
    return r;
}
} // namespace

CUresult captureState(const char* function, const void* stream) {
    if (Capture* c = capturing(stream); c != nullptr && !c->invalidated.empty())
        return failWith(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, std::string(function) + " on " + streamName(stream) +
                                                                   ", whose capture was invalidated (" + c->invalidated +
                                                                   "): only cuStreamEndCapture ends it");
    if (legacy(stream))
        for (auto& [s, c] : primary.captures)
            if (static_cast<const Stream*>(s)->flags == 0) // CU_STREAM_DEFAULT: the legacy stream would wait for it
                return invalidate(c, CUDA_ERROR_STREAM_CAPTURE_IMPLICIT, std::string(function) + " on the legacy stream while blocking " +
                                                                             streamName(s) + " is capturing: it would depend on the capture");
    return CUDA_SUCCESS;
}

bool captured(const void* stream, const std::string& what, Replay replay) {
    Capture* c = capturing(stream);
    if (c == nullptr) return false;
    c->nodes.push_back(Node{what, std::move(replay)});
    return true;
}

} // namespace ncsim

using namespace ncsim;

#define API_LOCK std::lock_guard<std::recursive_mutex> apiGuard(ncsim::lock())
#define REQUIRE_CONTEXT(name)                          \
    if (CUresult r = requireContext(name)) return r
#define FORBIDDEN_DURING_CAPTURE(name)                 \
    if (CUresult r = forbidden(name)) return r

// ---- initialisation and devices -----------------------------------------------------------------

EXPORT CUresult cuInit(unsigned int flags) {
    API_LOCK;
    if (flags != 0) return failWith(CUDA_ERROR_INVALID_VALUE, "cuInit: flags must be 0");
    if (!initialised) {
        if (!memory.reserve()) return failWith(CUDA_ERROR_OUT_OF_MEMORY, "cuInit: cannot reserve address space for device memory");
        hostInterface.deviceBase = memory.base;
        hostInterface.deviceSize = memory.reserved;
        hostInterface.checkDevice = checkDevice;
        workers = new Workers(workerCount());
        seed = envNumber("NORMCLOCK_SIM_SEED", 1);
        initialised = true;
    }
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDriverGetVersion(int* version) {
    if (version == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, "cuDriverGetVersion: null pointer");
    *version = 13000;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetCount(int* n) {
    API_LOCK;
    if (!initialised) return failWith(CUDA_ERROR_NOT_INITIALIZED, "cuDeviceGetCount before cuInit");
    if (n == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, "cuDeviceGetCount: null pointer");
    *n = 1;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGet(int* device, int ordinal) {
    API_LOCK;
    if (!initialised) return failWith(CUDA_ERROR_NOT_INITIALIZED, "cuDeviceGet before cuInit");
    if (device == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, "cuDeviceGet: null pointer");
    if (ordinal != 0) return failWith(CUDA_ERROR_INVALID_DEVICE, "cuDeviceGet: the simulator has one device, 0");
    *device = 0;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetName(char* name, int length, int device) {
    API_LOCK;
    if (device != 0) return failWith(CUDA_ERROR_INVALID_DEVICE, "cuDeviceGetName: no device " + std::to_string(device));
    if (name == nullptr || length <= 0) return failWith(CUDA_ERROR_INVALID_VALUE, "cuDeviceGetName: no buffer");
    std::snprintf(name, static_cast<size_t>(length), "normclock CUDA simulator");
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceTotalMem_v2(size_t* bytes, int device) {
    API_LOCK;
    if (device != 0) return failWith(CUDA_ERROR_INVALID_DEVICE, "cuDeviceTotalMem: no device " + std::to_string(device));
    if (bytes == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, "cuDeviceTotalMem: null pointer");
    *bytes = memoryLimit();
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetAttribute(int* value, int attribute, int device) {
    API_LOCK;
    if (device != 0) return failWith(CUDA_ERROR_INVALID_DEVICE, "cuDeviceGetAttribute: no device " + std::to_string(device));
    if (value == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, "cuDeviceGetAttribute: null pointer");
    switch (attribute) {
        case 1: *value = 1024; return CUDA_SUCCESS;          // MAX_THREADS_PER_BLOCK
        case 2: case 3: *value = 1024; return CUDA_SUCCESS;  // MAX_BLOCK_DIM_X, _Y
        case 4: *value = 64; return CUDA_SUCCESS;            // MAX_BLOCK_DIM_Z
        case 5: *value = 2147483647; return CUDA_SUCCESS;    // MAX_GRID_DIM_X
        case 6: case 7: *value = 65535; return CUDA_SUCCESS; // MAX_GRID_DIM_Y, _Z
        case 8: *value = 48 * 1024; return CUDA_SUCCESS;     // MAX_SHARED_MEMORY_PER_BLOCK
        case 10: *value = 32; return CUDA_SUCCESS;           // WARP_SIZE
        case 16: *value = workers == nullptr ? 1 : workers->count(); return CUDA_SUCCESS; // MULTIPROCESSOR_COUNT
        case 75: *value = 9; return CUDA_SUCCESS;            // COMPUTE_CAPABILITY_MAJOR
        case 76: *value = 0; return CUDA_SUCCESS;            // COMPUTE_CAPABILITY_MINOR
        case 97: *value = 227 * 1024; return CUDA_SUCCESS;   // MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
        default: return failWith(CUDA_ERROR_INVALID_VALUE, "cuDeviceGetAttribute: the simulator does not model attribute " + std::to_string(attribute));
    }
}

// ---- errors ---------------------------------------------------------------------------------------

namespace {
struct ErrorName {
    CUresult code;
    const char* name;
    const char* text;
};
const ErrorName ERRORS[] = {
    {0, "CUDA_SUCCESS", "no error"},
    {1, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {3, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {101, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {200, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {201, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {400, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {401, "CUDA_ERROR_ILLEGAL_STATE", "the operation is not permitted in the current state"},
    {500, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {600, "CUDA_ERROR_NOT_READY", "device not ready"},
    {700, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"},
    {715, "CUDA_ERROR_ILLEGAL_INSTRUCTION", "an illegal instruction was encountered"},
    {719, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {801, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    {900, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", "operation not permitted when stream is capturing"},
    {901, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED", "operation failed due to a previous error during capture"},
    {906, "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT", "operation would make the legacy stream depend on a capturing blocking stream"},
    {908, "CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD", "attempt to terminate a thread-local capture sequence from another thread"},
    {999, "CUDA_ERROR_UNKNOWN", "unknown error"},
};
} // namespace

EXPORT CUresult cuGetErrorName(CUresult code, const char** name) {
    if (name == nullptr) return CUDA_ERROR_INVALID_VALUE;
    for (const ErrorName& e : ERRORS)
        if (e.code == code) {
            *name = e.name;
            return CUDA_SUCCESS;
        }
    *name = nullptr;
    return CUDA_ERROR_INVALID_VALUE;
}

EXPORT CUresult cuGetErrorString(CUresult code, const char** text) {
    if (text == nullptr) return CUDA_ERROR_INVALID_VALUE;
    for (const ErrorName& e : ERRORS)
        if (e.code == code) {
            *text = e.text;
            return CUDA_SUCCESS;
        }
    *text = nullptr;
    return CUDA_ERROR_INVALID_VALUE;
}

// ---- contexts --------------------------------------------------------------------------------------

EXPORT CUresult cuDevicePrimaryCtxRetain(const void** context, int device) {
    API_LOCK;
    if (!initialised) return failWith(CUDA_ERROR_NOT_INITIALIZED, "cuDevicePrimaryCtxRetain before cuInit");
    if (device != 0) return failWith(CUDA_ERROR_INVALID_DEVICE, "cuDevicePrimaryCtxRetain: no device " + std::to_string(device));
    if (context == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, "cuDevicePrimaryCtxRetain: null pointer");
    primary.refs++;
    *context = PRIMARY;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDevicePrimaryCtxRelease_v2(int device) {
    API_LOCK;
    if (device != 0) return failWith(CUDA_ERROR_INVALID_DEVICE, "cuDevicePrimaryCtxRelease: no device " + std::to_string(device));
    if (primary.refs == 0) return failWith(CUDA_ERROR_INVALID_CONTEXT, "cuDevicePrimaryCtxRelease: the primary context is not retained");
    if (--primary.refs == 0) resetContext(); // the last release destroys it: a later retain starts afresh
    return CUDA_SUCCESS;
}

EXPORT CUresult cuDevicePrimaryCtxReset_v2(int device) {
    API_LOCK;
    if (device != 0) return failWith(CUDA_ERROR_INVALID_DEVICE, "cuDevicePrimaryCtxReset: no device " + std::to_string(device));
    int refs = primary.refs;
    resetContext();
    primary.refs = refs;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxSetCurrent(const void* context) {
    API_LOCK;
    if (context != nullptr && context != PRIMARY) return failWith(CUDA_ERROR_INVALID_CONTEXT, "cuCtxSetCurrent: not a context of this driver");
    currentContext = context;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxGetCurrent(const void** context) {
    if (context == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, "cuCtxGetCurrent: null pointer");
    *context = currentContext;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxSynchronize() {
    API_LOCK;
    REQUIRE_CONTEXT("cuCtxSynchronize");
    if (CUresult r = forbidden("cuCtxSynchronize", true)) return r; // it waits for the capturing streams too
    count(HOST_SYNCHRONIZATIONS);
    finishPending(nullptr);
    return CUDA_SUCCESS;
}

EXPORT CUresult cuMemGetInfo_v2(size_t* freeBytes, size_t* totalBytes) {
    API_LOCK;
    REQUIRE_CONTEXT("cuMemGetInfo");
    if (freeBytes == nullptr || totalBytes == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, "cuMemGetInfo: null pointer");
    *totalBytes = memoryLimit();
    *freeBytes = memory.liveBytes >= *totalBytes ? 0 : *totalBytes - memory.liveBytes;
    return CUDA_SUCCESS;
}

// ---- modules ----------------------------------------------------------------------------------------

EXPORT CUresult cuModuleLoadData(Module** out, const void* image) {
    API_LOCK;
    REQUIRE_CONTEXT("cuModuleLoadData");
    FORBIDDEN_DURING_CAPTURE("cuModuleLoadData");
    if (out == nullptr || image == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, "cuModuleLoadData: null pointer");
    const auto* bytes = static_cast<const unsigned char*>(image);
    uint32_t magic;
    std::memcpy(&magic, bytes, 4);
    if (magic == 0xBA55ED50u)
        return failWith(CUDA_ERROR_INVALID_IMAGE, "cuModuleLoadData: this is a GPU fatbin; the simulator runs the kernels' host build "
                                                  "(normclock-sim-kernels.so, made by native/sim/build.sh)");
    if (std::memcmp(bytes, "\x7f" "ELF", 4) != 0)
        return failWith(CUDA_ERROR_INVALID_IMAGE, "cuModuleLoadData: not a simulator kernel module (no ELF header)");
    // The ELF image's size: the section headers end it (e_shoff + e_shnum·e_shentsize, 64-bit ELF).
    uint64_t shoff;
    uint16_t shentsize, shnum;
    std::memcpy(&shoff, bytes + 0x28, 8);
    std::memcpy(&shentsize, bytes + 0x3A, 2);
    std::memcpy(&shnum, bytes + 0x3C, 2);
    size_t size = shoff + static_cast<size_t>(shentsize) * shnum;
    auto module = std::make_unique<Module>();
    for (int w = 0; w < workers->count(); w++) {
        // One copy per worker, so that each has its own shared memory and thread state. Each in a
        // file of its own name: the loader returns an already loaded object for a known name or file.
        const char* tmp = std::getenv("TMPDIR");
        std::string path = std::string(tmp != nullptr && *tmp != 0 ? tmp : "/tmp") + "/normclock-sim-kernels-XXXXXX";
        int fd = mkstemp(path.data());
        if (fd < 0) return failWith(CUDA_ERROR_INVALID_IMAGE, "cuModuleLoadData: cannot create " + path);
        size_t written = 0;
        while (written < size) {
            ssize_t n = write(fd, bytes + written, size - written);
            if (n <= 0) {
                close(fd);
                unlink(path.c_str());
                return failWith(CUDA_ERROR_INVALID_IMAGE, "cuModuleLoadData: cannot write the image to " + path);
            }
            written += static_cast<size_t>(n);
        }
        close(fd);
        void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        unlink(path.c_str()); // mapped now: the file is not needed
        if (h == nullptr) return failWith(CUDA_ERROR_INVALID_IMAGE, "cuModuleLoadData: " + dlerrorText());
        auto init = reinterpret_cast<int (*)(const NcsimHost*, int)>(dlsym(h, "ncsim_module_init"));
        auto run = reinterpret_cast<int (*)(const NcsimLaunch*, unsigned long long, unsigned long long, const volatile int*, char*, size_t)>(
            dlsym(h, "ncsim_run_blocks"));
        if (init == nullptr || run == nullptr || init(&hostInterface, NCSIM_ABI_VERSION) != 0) {
            dlclose(h);
            return failWith(CUDA_ERROR_INVALID_IMAGE, "cuModuleLoadData: the image is not a kernel module of this simulator version");
        }
        module->instances.push_back(Instance{h, run});
    }
    void* h0 = module->instances[0].handle;
    auto countOf = reinterpret_cast<int (*)()>(dlsym(h0, "ncsim_kernel_count"));
    auto kernelAt = reinterpret_cast<const NcsimKernel* (*)(int)>(dlsym(h0, "ncsim_kernel"));
    auto shared = reinterpret_cast<size_t (*)()>(dlsym(h0, "ncsim_static_shared_bytes"));
    module->staticShared = shared();
    for (int i = 0; i < countOf(); i++) {
        auto f = std::make_unique<Function>();
        f->module = module.get();
        f->index = i;
        f->info = *kernelAt(i);
        module->functions.push_back(std::move(f));
    }
    *out = module.get();
    primary.modules.insert(module.release());
    return CUDA_SUCCESS;
}

EXPORT CUresult cuModuleUnload(Module* module) {
    API_LOCK;
    REQUIRE_CONTEXT("cuModuleUnload");
    FORBIDDEN_DURING_CAPTURE("cuModuleUnload");
    if (primary.modules.erase(module) == 0) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuModuleUnload: not a loaded module");
    for (Instance& in : module->instances) dlclose(in.handle);
    delete module;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuModuleGetFunction(Function** out, Module* module, const char* name) {
    API_LOCK;
    REQUIRE_CONTEXT("cuModuleGetFunction");
    if (out == nullptr || name == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, "cuModuleGetFunction: null pointer");
    if (primary.modules.count(module) == 0) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuModuleGetFunction: not a loaded module");
    for (auto& f : module->functions)
        if (std::strcmp(f->info.name, name) == 0) {
            *out = f.get();
            return CUDA_SUCCESS;
        }
    return failWith(CUDA_ERROR_NOT_FOUND, std::string("cuModuleGetFunction: the module has no kernel ") + name);
}

namespace {
bool knownFunction(const Function* f) {
    if (f == nullptr) return false;
    for (Module* m : primary.modules)
        for (auto& g : m->functions)
            if (g.get() == f) return true;
    return false;
}

size_t parameterOffset(const NcsimKernel& k, int index) {
    size_t at = 0;
    for (int i = 0; i <= index; i++) {
        at = (at + k.parameterAlignments[i] - 1) / k.parameterAlignments[i] * k.parameterAlignments[i];
        if (i < index) at += k.parameterSizes[i];
    }
    return at;
}
} // namespace

EXPORT CUresult cuFuncGetParamInfo(Function* f, size_t index, size_t* offset, size_t* size) {
    API_LOCK;
    REQUIRE_CONTEXT("cuFuncGetParamInfo");
    if (!knownFunction(f)) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuFuncGetParamInfo: not a kernel of a loaded module");
    if (index >= static_cast<size_t>(f->info.parameterCount))
        return failWith(CUDA_ERROR_INVALID_VALUE, std::string("cuFuncGetParamInfo: ") + f->info.name + " has " +
                                                      std::to_string(f->info.parameterCount) + " parameters");
    if (offset != nullptr) *offset = parameterOffset(f->info, static_cast<int>(index));
    if (size != nullptr) *size = f->info.parameterSizes[index];
    return CUDA_SUCCESS;
}

EXPORT CUresult cuFuncGetAttribute(int* value, int attribute, Function* f) {
    API_LOCK;
    REQUIRE_CONTEXT("cuFuncGetAttribute");
    if (!knownFunction(f) || value == nullptr) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuFuncGetAttribute: not a kernel of a loaded module");
    switch (attribute) {
        case 0: *value = f->info.launchBounds > 0 ? f->info.launchBounds : 1024; return CUDA_SUCCESS; // MAX_THREADS_PER_BLOCK
        case 1: *value = static_cast<int>(f->module->staticShared); return CUDA_SUCCESS;              // SHARED_SIZE_BYTES
        case 8: *value = f->maxDynamicShared; return CUDA_SUCCESS;                                   // MAX_DYNAMIC_SHARED_SIZE_BYTES
        default: return failWith(CUDA_ERROR_INVALID_VALUE, "cuFuncGetAttribute: the simulator does not model attribute " + std::to_string(attribute));
    }
}

EXPORT CUresult cuFuncSetAttribute(Function* f, int attribute, int value) {
    API_LOCK;
    REQUIRE_CONTEXT("cuFuncSetAttribute");
    if (!knownFunction(f)) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuFuncSetAttribute: not a kernel of a loaded module");
    if (attribute != 8) return failWith(CUDA_ERROR_INVALID_VALUE, "cuFuncSetAttribute: the simulator models MAX_DYNAMIC_SHARED_SIZE_BYTES only");
    if (value < 0 || static_cast<size_t>(value) + f->module->staticShared > 227 * 1024)
        return failWith(CUDA_ERROR_INVALID_VALUE, "cuFuncSetAttribute: more than the 227 KiB of shared memory a block can opt in to");
    f->maxDynamicShared = value;
    return CUDA_SUCCESS;
}

// ---- launches -----------------------------------------------------------------------------------------

EXPORT CUresult cuLaunchKernel(Function* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                               unsigned sharedBytes, const void* stream, void** params, void** extra) {
    API_LOCK;
    REQUIRE_CONTEXT("cuLaunchKernel");
    if (!knownFunction(f)) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuLaunchKernel: not a kernel of a loaded module");
    const NcsimKernel& k = f->info;
    std::string name = k.name;
    if (!validStream(stream)) return failWith(CUDA_ERROR_INVALID_HANDLE, name + ": launched on a stream this context does not have");
    if (CUresult r = captureState("cuLaunchKernel", stream)) return r;
    unsigned long long threads = 1ull * bx * by * bz;
    char b[300];
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0) {
        std::snprintf(b, sizeof b, "%s: grid (%u, %u, %u) of blocks (%u, %u, %u): every dimension must be at least 1", k.name, gx, gy, gz, bx, by, bz);
        return failWith(CUDA_ERROR_INVALID_VALUE, b);
    }
    if (threads > 1024 || bx > 1024 || by > 1024 || bz > 64) {
        std::snprintf(b, sizeof b, "%s: a block of (%u, %u, %u) threads; a block has at most 1024 threads (x, y ≤ 1024, z ≤ 64)", k.name, bx, by, bz);
        return failWith(CUDA_ERROR_INVALID_VALUE, b);
    }
    if (k.launchBounds > 0 && threads > static_cast<unsigned long long>(k.launchBounds)) {
        std::snprintf(b, sizeof b, "%s: a block of %llu threads, more than its __launch_bounds__(%d)", k.name, threads, k.launchBounds);
        return failWith(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, b);
    }
    if (gy > 65535 || gz > 65535 || gx > 2147483647u) {
        std::snprintf(b, sizeof b, "%s: grid (%u, %u, %u); grid.x < 2^31, grid.y and grid.z ≤ 65535", k.name, gx, gy, gz);
        return failWith(CUDA_ERROR_INVALID_VALUE, b);
    }
    size_t sharedLimit = 48 * 1024 + static_cast<size_t>(f->maxDynamicShared > 0 ? f->maxDynamicShared : 0);
    if (f->module->staticShared + sharedBytes > sharedLimit) {
        std::snprintf(b, sizeof b, "%s: %zu bytes of static and %u of dynamic shared memory, over the %zu a block may use "
                      "(above 48 KiB only with cuFuncSetAttribute's MAX_DYNAMIC_SHARED_SIZE_BYTES)", k.name, f->module->staticShared, sharedBytes,
                      sharedLimit);
        return failWith(CUDA_ERROR_INVALID_VALUE, b);
    }
    if (sharedBytes > 0)
        return failWith(CUDA_ERROR_NOT_SUPPORTED, name + ": dynamic shared memory is not modelled by the simulator (kernels declare static __shared__ arrays)");
    if (extra != nullptr) return failWith(CUDA_ERROR_NOT_SUPPORTED, name + ": the simulator takes parameters through kernelParams, not extra");
    if (k.parameterCount > 0 && params == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, name + ": kernelParams is null");
    // the parameters are copied now, as the driver does: the caller may reuse its buffers at once
    size_t slots = 0;
    for (int i = 0; i < k.parameterCount; i++) slots += (k.parameterSizes[i] + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t);
    std::vector<std::max_align_t> copies(slots + 1);
    std::vector<void*> pointers;
    std::vector<size_t> offsets;
    size_t at = 0;
    for (int i = 0; i < k.parameterCount; i++) {
        if (params[i] == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, name + ": kernelParams[" + std::to_string(i) + "] is null");
        std::memcpy(&copies[at], params[i], k.parameterSizes[i]);
        pointers.push_back(&copies[at]);
        offsets.push_back(at);
        at += (k.parameterSizes[i] + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t);
    }
    count(KERNEL_LAUNCHES);
    // captured: the node keeps the copied parameter values, as the driver's kernel node does
    if (captured(stream, "cuLaunchKernel " + name, [=](const void* s) mutable {
            std::vector<void*> p;
            for (size_t o : offsets) p.push_back(&copies[o]);
            return cuLaunchKernel(f, gx, gy, gz, bx, by, bz, sharedBytes, s, p.data(), nullptr);
        }))
        return CUDA_SUCCESS;
    NcsimLaunch launch{};
    launch.kernel = f->index;
    launch.parameters = pointers.data();
    launch.grid[0] = gx;
    launch.grid[1] = gy;
    launch.grid[2] = gz;
    launch.block[0] = bx;
    launch.block[1] = by;
    launch.block[2] = bz;
    launch.dynamicShared = sharedBytes;
    launch.seed = seed * 0x9E3779B97F4A7C15ull + ++launchCount;
    Job job;
    job.launch = &launch;
    job.module = f->module;
    job.blocks = 1ull * gx * gy * gz;
    job.chunk = std::max<unsigned long long>(1, job.blocks / (8ull * workers->count()));
    job.next = 0;
    job.stop = 0;
    job.code = 0;
    job.failedBlock = 0;
    workers->run(job);
    if (job.code != 0) {
        setSticky(job.code, job.error);
        return job.code;
    }
    return CUDA_SUCCESS;
}

// ---- memory -----------------------------------------------------------------------------------------

EXPORT CUresult cuMemAlloc_v2(uintptr_t* out, size_t bytes) {
    API_LOCK;
    REQUIRE_CONTEXT("cuMemAlloc");
    FORBIDDEN_DURING_CAPTURE("cuMemAlloc");
    if (out == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, "cuMemAlloc: null pointer");
    if (bytes == 0) return failWith(CUDA_ERROR_INVALID_VALUE, "cuMemAlloc of 0 bytes");
    if (memory.liveBytes + bytes > memoryLimit())
        return failWith(CUDA_ERROR_OUT_OF_MEMORY, "cuMemAlloc of " + std::to_string(bytes) + " bytes: " + std::to_string(memory.liveBytes) +
                                                      " of the simulated device's " + std::to_string(memoryLimit()) +
                                                      " bytes are in use (NORMCLOCK_SIM_MEMORY sets the size)");
    size_t span = pageUp(bytes), gap = std::max<size_t>(64 * 1024, span);
    if (memory.next + span + gap > memory.base + memory.reserved)
        return failWith(CUDA_ERROR_OUT_OF_MEMORY, "cuMemAlloc: the simulator's address space for device memory is used up (freed "
                                                  "addresses are never reused, so that a use after free is caught)");
    uintptr_t at = memory.next;
    if (mprotect(reinterpret_cast<void*>(at), span, PROT_READ | PROT_WRITE) != 0)
        return failWith(CUDA_ERROR_OUT_OF_MEMORY, "cuMemAlloc: the host cannot back " + std::to_string(bytes) + " bytes");
    memory.next = at + span + gap;
    memory.all.push_back(Allocation{at, bytes, ++memory.ids, true});
    memory.liveBytes += bytes;
    std::memset(reinterpret_cast<void*>(at), 0xFF, bytes); // device memory starts as garbage, not zeros
    count(ALLOCATIONS);
    *out = at;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuMemFree_v2(uintptr_t address) {
    API_LOCK;
    REQUIRE_CONTEXT("cuMemFree");
    FORBIDDEN_DURING_CAPTURE("cuMemFree");
    const Allocation* c = memory.around(address);
    if (c == nullptr || c->start != address)
    {
        char b[120];
        std::snprintf(b, sizeof b, "cuMemFree(0x%llx): not the start of a device allocation", static_cast<unsigned long long>(address));
        return failWith(CUDA_ERROR_INVALID_VALUE, b);
    }
    auto* a = const_cast<Allocation*>(c);
    if (!a->live) return failWith(CUDA_ERROR_INVALID_VALUE, "cuMemFree: " + DeviceMemory::describe(*a) + " again: a double free");
    a->live = false;
    memory.liveBytes -= a->size;
    madvise(reinterpret_cast<void*>(a->start), pageUp(a->size), MADV_DONTNEED);
    mprotect(reinterpret_cast<void*>(a->start), pageUp(a->size), PROT_NONE);
    count(FREES);
    return CUDA_SUCCESS;
}

EXPORT CUresult cuMemAllocHost_v2(void** out, size_t bytes) {
    API_LOCK;
    REQUIRE_CONTEXT("cuMemAllocHost");
    FORBIDDEN_DURING_CAPTURE("cuMemAllocHost");
    if (out == nullptr || bytes == 0) return failWith(CUDA_ERROR_INVALID_VALUE, "cuMemAllocHost: null pointer or 0 bytes");
    size_t span = pageUp(bytes);
    void* m = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return failWith(CUDA_ERROR_OUT_OF_MEMORY, "cuMemAllocHost of " + std::to_string(bytes) + " bytes");
    pinned.push_back(Pinned{reinterpret_cast<uintptr_t>(m), span});
    installHandler();
    *out = m;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuMemFreeHost(void* p) {
    API_LOCK;
    REQUIRE_CONTEXT("cuMemFreeHost");
    FORBIDDEN_DURING_CAPTURE("cuMemFreeHost");
    auto it = std::find_if(pinned.begin(), pinned.end(), [&](const Pinned& x) { return x.start == reinterpret_cast<uintptr_t>(p); });
    if (it == pinned.end()) return failWith(CUDA_ERROR_INVALID_VALUE, "cuMemFreeHost: not memory from cuMemAllocHost");
    finishPending(nullptr);
    munmap(p, it->size);
    pinned.erase(it);
    return CUDA_SUCCESS;
}

namespace {
// Before a copy: a synchronous one is potentially unsafe during capture and runs on the legacy
// stream; an async one into a capture must touch page-locked host memory (a graph's copy node reads
// or writes the host when it runs; pageable memory CUDA copies before returning, which a graph cannot).
CUresult captureRules(const char* name, const void* host, size_t bytes, const void* stream, bool async) {
    if (!async) {
        if (CUresult r = forbidden(name)) return r;
        return captureState(name, nullptr);
    }
    if (CUresult r = captureState(name, stream)) return r;
    if (Capture* c = capturing(stream); c != nullptr && !isPinned(reinterpret_cast<uintptr_t>(host), bytes))
        return invalidate(*c, CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, std::string(name) + " with pageable host memory while " +
                                                                         streamName(stream) + " is capturing (only page-locked memory, cuMemAllocHost, can be captured)");
    return CUDA_SUCCESS;
}

CUresult copyToDevice(const char* name, uintptr_t dst, const void* src, size_t bytes, const void* stream, bool async) {
    REQUIRE_CONTEXT(name);
    if (!validStream(stream)) return failWith(CUDA_ERROR_INVALID_HANDLE, std::string(name) + ": not a stream of this context");
    if (CUresult r = captureRules(name, src, bytes, stream, async)) return r;
    if (bytes > 0 && src == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, std::string(name) + ": null source");
    if (CUresult r = checkRange(dst, bytes, (std::string(name) + "'s destination").c_str())) return r;
    count(HOST_TO_DEVICE_COPIES);
    count(HOST_TO_DEVICE_BYTES, bytes);
    if (async && captured(stream, name, [=](const void* s) { return copyToDevice(name, dst, src, bytes, s, true); })) return CUDA_SUCCESS;
    std::memcpy(reinterpret_cast<void*>(dst), src, bytes);
    auto h = reinterpret_cast<uintptr_t>(src);
    if (!async) count(HOST_SYNCHRONIZATIONS);
    else if (isPinned(h, bytes)) {
        // read by the GPU until the stream is synchronised: the host must not write it
        Pending p{h, bytes, false, {}, stream};
        pending.push_back(std::move(p));
        restoreProtections();
    }
    return CUDA_SUCCESS;
}

CUresult copyToHost(const char* name, void* dst, uintptr_t src, size_t bytes, const void* stream, bool async) {
    REQUIRE_CONTEXT(name);
    if (!validStream(stream)) return failWith(CUDA_ERROR_INVALID_HANDLE, std::string(name) + ": not a stream of this context");
    if (CUresult r = captureRules(name, dst, bytes, stream, async)) return r;
    if (bytes > 0 && dst == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, std::string(name) + ": null destination");
    if (CUresult r = checkRange(src, bytes, (std::string(name) + "'s source").c_str())) return r;
    count(DEVICE_TO_HOST_COPIES);
    count(DEVICE_TO_HOST_BYTES, bytes);
    if (async && captured(stream, name, [=](const void* s) { return copyToHost(name, dst, src, bytes, s, true); })) return CUDA_SUCCESS;
    auto h = reinterpret_cast<uintptr_t>(dst);
    if (async && isPinned(h, bytes)) {
        // truly asynchronous: the data reaches the host at the stream's synchronisation
        Pending p{h, bytes, true, std::vector<char>(bytes), stream};
        std::memcpy(p.data.data(), reinterpret_cast<void*>(src), bytes);
        protectPages(h, bytes, PROT_READ | PROT_WRITE);
        std::memset(dst, 0xFF, bytes);
        pending.push_back(std::move(p));
        restoreProtections();
        return CUDA_SUCCESS;
    }
    std::memcpy(dst, reinterpret_cast<void*>(src), bytes);
    count(HOST_SYNCHRONIZATIONS); // the host waited for the copy (and so for all work before it)
    return CUDA_SUCCESS;
}
} // namespace

EXPORT CUresult cuMemcpyHtoD_v2(uintptr_t dst, const void* src, size_t bytes) {
    API_LOCK;
    return copyToDevice("cuMemcpyHtoD", dst, src, bytes, nullptr, false);
}

EXPORT CUresult cuMemcpyDtoH_v2(void* dst, uintptr_t src, size_t bytes) {
    API_LOCK;
    return copyToHost("cuMemcpyDtoH", dst, src, bytes, nullptr, false);
}

EXPORT CUresult cuMemcpyHtoDAsync_v2(uintptr_t dst, const void* src, size_t bytes, const void* stream) {
    API_LOCK;
    return copyToDevice("cuMemcpyHtoDAsync", dst, src, bytes, stream, true);
}

EXPORT CUresult cuMemcpyDtoHAsync_v2(void* dst, uintptr_t src, size_t bytes, const void* stream) {
    API_LOCK;
    return copyToHost("cuMemcpyDtoHAsync", dst, src, bytes, stream, true);
}

EXPORT CUresult cuMemcpyDtoDAsync_v2(uintptr_t dst, uintptr_t src, size_t bytes, const void* stream) {
    API_LOCK;
    REQUIRE_CONTEXT("cuMemcpyDtoDAsync");
    if (!validStream(stream)) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuMemcpyDtoDAsync: not a stream of this context");
    if (CUresult r = captureState("cuMemcpyDtoDAsync", stream)) return r;
    if (CUresult r = checkRange(src, bytes, "cuMemcpyDtoDAsync's source")) return r;
    if (CUresult r = checkRange(dst, bytes, "cuMemcpyDtoDAsync's destination")) return r;
    if (captured(stream, "cuMemcpyDtoDAsync", [=](const void* s) { return cuMemcpyDtoDAsync_v2(dst, src, bytes, s); })) return CUDA_SUCCESS;
    std::memmove(reinterpret_cast<void*>(dst), reinterpret_cast<void*>(src), bytes);
    return CUDA_SUCCESS;
}

EXPORT CUresult cuMemsetD8Async(uintptr_t dst, unsigned char value, size_t count_, const void* stream) {
    API_LOCK;
    REQUIRE_CONTEXT("cuMemsetD8Async");
    if (!validStream(stream)) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuMemsetD8Async: not a stream of this context");
    if (CUresult r = captureState("cuMemsetD8Async", stream)) return r;
    if (CUresult r = checkRange(dst, count_, "cuMemsetD8Async's destination")) return r;
    count(MEMSETS);
    if (captured(stream, "cuMemsetD8Async", [=](const void* s) { return cuMemsetD8Async(dst, value, count_, s); })) return CUDA_SUCCESS;
    std::memset(reinterpret_cast<void*>(dst), value, count_);
    return CUDA_SUCCESS;
}

EXPORT CUresult cuMemsetD32Async(uintptr_t dst, unsigned int value, size_t n, const void* stream) {
    API_LOCK;
    REQUIRE_CONTEXT("cuMemsetD32Async");
    if (!validStream(stream)) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuMemsetD32Async: not a stream of this context");
    if (CUresult r = captureState("cuMemsetD32Async", stream)) return r;
    if (dst % 4 != 0) return failWith(CUDA_ERROR_INVALID_VALUE, "cuMemsetD32Async: the destination is not 4-byte aligned");
    if (CUresult r = checkRange(dst, 4 * n, "cuMemsetD32Async's destination")) return r;
    count(MEMSETS);
    if (captured(stream, "cuMemsetD32Async", [=](const void* s) { return cuMemsetD32Async(dst, value, n, s); })) return CUDA_SUCCESS;
    auto* p = reinterpret_cast<unsigned int*>(dst);
    for (size_t i = 0; i < n; i++) p[i] = value;
    return CUDA_SUCCESS;
}

// ---- streams and events -------------------------------------------------------------------------------

EXPORT CUresult cuStreamCreate(const void** out, unsigned flags) {
    API_LOCK;
    REQUIRE_CONTEXT("cuStreamCreate");
    if (out == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, "cuStreamCreate: null pointer");
    if (flags > 1) return failWith(CUDA_ERROR_INVALID_VALUE, "cuStreamCreate: flags must be CU_STREAM_DEFAULT or CU_STREAM_NON_BLOCKING");
    auto* s = new Stream{flags};
    primary.streams.insert(s);
    *out = s;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuStreamDestroy_v2(const void* stream) {
    API_LOCK;
    REQUIRE_CONTEXT("cuStreamDestroy");
    if (Capture* c = capturing(stream))
        return invalidate(*c, CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "cuStreamDestroy of " + streamName(stream) + ", which is capturing");
    if (primary.streams.erase(stream) == 0) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuStreamDestroy: not a stream of this context");
    finishPending(stream);
    delete static_cast<const Stream*>(stream);
    return CUDA_SUCCESS;
}

EXPORT CUresult cuStreamSynchronize(const void* stream) {
    API_LOCK;
    REQUIRE_CONTEXT("cuStreamSynchronize");
    if (!validStream(stream)) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuStreamSynchronize: not a stream of this context");
    if (Capture* c = capturing(stream)) // in any mode: the capture has nothing to wait for
        return invalidate(*c, CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "cuStreamSynchronize of " + streamName(stream) + ", which is capturing");
    FORBIDDEN_DURING_CAPTURE("cuStreamSynchronize");
    if (CUresult r = captureState("cuStreamSynchronize", stream)) return r;
    count(HOST_SYNCHRONIZATIONS);
    finishPending(stream);
    return CUDA_SUCCESS;
}

EXPORT CUresult cuStreamQuery(const void* stream) {
    API_LOCK;
    REQUIRE_CONTEXT("cuStreamQuery");
    if (!validStream(stream)) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuStreamQuery: not a stream of this context");
    if (Capture* c = capturing(stream))
        return invalidate(*c, CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "cuStreamQuery of " + streamName(stream) + ", which is capturing");
    return CUDA_SUCCESS; // everything queued has run (the data of pending copies arrives at a synchronisation)
}

EXPORT CUresult cuEventCreate(Event** out, unsigned flags) {
    API_LOCK;
    REQUIRE_CONTEXT("cuEventCreate");
    if (out == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, "cuEventCreate: null pointer");
    (void) flags;
    auto* e = new Event;
    primary.events.insert(e);
    *out = e;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuEventRecord(Event* e, const void* stream) {
    API_LOCK;
    REQUIRE_CONTEXT("cuEventRecord");
    if (primary.events.count(e) == 0) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuEventRecord: not an event of this context");
    if (!validStream(stream)) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuEventRecord: not a stream of this context");
    // on a GPU an event in a capture joins streams into one graph; the simulator captures one stream
    if (Capture* c = capturing(stream))
        return invalidate(*c, CUDA_ERROR_NOT_SUPPORTED, "cuEventRecord on " + streamName(stream) + ", which is capturing: the simulator "
                                                         "captures single-stream graphs, without events");
    e->at = std::chrono::steady_clock::now();
    e->recorded = true;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuEventSynchronize(Event* e) {
    API_LOCK;
    REQUIRE_CONTEXT("cuEventSynchronize");
    FORBIDDEN_DURING_CAPTURE("cuEventSynchronize");
    if (primary.events.count(e) == 0) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuEventSynchronize: not an event of this context");
    count(HOST_SYNCHRONIZATIONS);
    finishPending(nullptr);
    return CUDA_SUCCESS;
}

EXPORT CUresult cuEventQuery(Event* e) {
    API_LOCK;
    REQUIRE_CONTEXT("cuEventQuery");
    if (primary.events.count(e) == 0) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuEventQuery: not an event of this context");
    return CUDA_SUCCESS;
}

EXPORT CUresult cuEventElapsedTime_v2(float* ms, Event* start, Event* end) {
    API_LOCK;
    REQUIRE_CONTEXT("cuEventElapsedTime");
    if (ms == nullptr || primary.events.count(start) == 0 || primary.events.count(end) == 0)
        return failWith(CUDA_ERROR_INVALID_HANDLE, "cuEventElapsedTime: not events of this context");
    if (!start->recorded || !end->recorded) return failWith(CUDA_ERROR_NOT_READY, "cuEventElapsedTime: an event was never recorded");
    *ms = std::chrono::duration<float, std::milli>(end->at - start->at).count();
    return CUDA_SUCCESS;
}

EXPORT CUresult cuEventElapsedTime(float* ms, Event* start, Event* end) {
    return cuEventElapsedTime_v2(ms, start, end);
}

EXPORT CUresult cuEventDestroy_v2(Event* e) {
    API_LOCK;
    REQUIRE_CONTEXT("cuEventDestroy");
    if (primary.events.erase(e) == 0) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuEventDestroy: not an event of this context");
    delete e;
    return CUDA_SUCCESS;
}

// ---- stream capture and graphs ------------------------------------------------------------------------

// Starts recording stream's work into a graph (cuda.h's cuStreamBeginCapture is this _v2 symbol).
// The simulator captures streams from cuStreamCreate, one graph per stream, as a chain of nodes.
EXPORT CUresult cuStreamBeginCapture_v2(const void* stream, int mode) {
    API_LOCK;
    REQUIRE_CONTEXT("cuStreamBeginCapture");
    if (!validStream(stream)) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuStreamBeginCapture: not a stream of this context");
    if (mode < 0 || mode > 2) return failWith(CUDA_ERROR_INVALID_VALUE, "cuStreamBeginCapture: mode " + std::to_string(mode) + " is not a CUstreamCaptureMode");
    if (legacy(stream)) return failWith(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "cuStreamBeginCapture: the legacy stream cannot be captured");
    if (reinterpret_cast<uintptr_t>(stream) == 2)
        return failWith(CUDA_ERROR_NOT_SUPPORTED, "cuStreamBeginCapture: the simulator captures streams from cuStreamCreate, not CU_STREAM_PER_THREAD");
    if (capturing(stream) != nullptr) return failWith(CUDA_ERROR_ILLEGAL_STATE, "cuStreamBeginCapture: " + streamName(stream) + " is already capturing");
    primary.captures[stream] = Capture{mode, std::this_thread::get_id(), {}, {}};
    return CUDA_SUCCESS;
}

// Ends the capture and returns its graph; an invalidated capture ends with 901 and no graph.
EXPORT CUresult cuStreamEndCapture(const void* stream, Graph** out) {
    API_LOCK;
    REQUIRE_CONTEXT("cuStreamEndCapture");
    if (out == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, "cuStreamEndCapture: null pointer");
    Capture* c = capturing(stream);
    if (c == nullptr) return failWith(CUDA_ERROR_ILLEGAL_STATE, "cuStreamEndCapture: " + streamName(stream) + " is not capturing");
    if (c->mode != 2 && c->thread != std::this_thread::get_id())
        return failWith(CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD, std::string("cuStreamEndCapture on another thread than the one that began a ") +
                                                                    MODES[c->mode] + " capture");
    Capture done = std::move(*c);
    primary.captures.erase(stream);
    *out = nullptr;
    if (!done.invalidated.empty())
        return failWith(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, "cuStreamEndCapture: the capture was invalidated by " + done.invalidated);
    auto* g = new Graph{std::move(done.nodes)};
    primary.graphs.insert(g);
    *out = g;
    return CUDA_SUCCESS;
}

// CU_STREAM_CAPTURE_STATUS_NONE (0), _ACTIVE (1) or _INVALIDATED (2).
EXPORT CUresult cuStreamIsCapturing(const void* stream, int* status) {
    API_LOCK;
    REQUIRE_CONTEXT("cuStreamIsCapturing");
    if (status == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, "cuStreamIsCapturing: null pointer");
    if (!validStream(stream)) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuStreamIsCapturing: not a stream of this context");
    if (legacy(stream))
        for (auto& [s, c] : primary.captures)
            if (static_cast<const Stream*>(s)->flags == 0) // the legacy stream is unusable then; the capture goes on
                return failWith(CUDA_ERROR_STREAM_CAPTURE_IMPLICIT, "cuStreamIsCapturing of the legacy stream while blocking " + streamName(s) + " is capturing");
    Capture* c = capturing(stream);
    *status = c == nullptr ? 0 : c->invalidated.empty() ? 1 : 2;
    return CUDA_SUCCESS;
}

// cuda.h's cuGraphInstantiate (CUDA 12 and 13). The executable graph is a copy: destroying the graph leaves it.
EXPORT CUresult cuGraphInstantiateWithFlags(GraphExec** out, Graph* graph, unsigned long long flags) {
    API_LOCK;
    REQUIRE_CONTEXT("cuGraphInstantiate");
    if (out == nullptr) return failWith(CUDA_ERROR_INVALID_VALUE, "cuGraphInstantiate: null pointer");
    if (primary.graphs.count(graph) == 0) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuGraphInstantiate: not a live graph of this context");
    if (flags != 0) return failWith(CUDA_ERROR_NOT_SUPPORTED, "cuGraphInstantiate: the simulator models flags 0 only, not " + std::to_string(flags));
    auto* e = new GraphExec{graph->nodes};
    primary.execs.insert(e);
    *out = e;
    return CUDA_SUCCESS;
}

// Replays the graph's nodes in order on stream, each through the entry point that captured it,
// so each is checked as its eager call is; the first that fails ends the launch with its error.
EXPORT CUresult cuGraphLaunch(GraphExec* exec, const void* stream) {
    API_LOCK;
    REQUIRE_CONTEXT("cuGraphLaunch");
    if (primary.execs.count(exec) == 0) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuGraphLaunch: not a live executable graph (cuGraphInstantiate)");
    if (!validStream(stream)) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuGraphLaunch: not a stream of this context");
    if (CUresult r = captureState("cuGraphLaunch", stream)) return r;
    if (Capture* c = capturing(stream))
        return invalidate(*c, CUDA_ERROR_NOT_SUPPORTED, "cuGraphLaunch into the capture of " + streamName(stream) + ": child graphs are not modelled");
    count(GRAPH_LAUNCHES);
    replaying++;
    CUresult r = CUDA_SUCCESS;
    size_t n = exec->nodes.size();
    for (size_t i = 0; i < n && r == CUDA_SUCCESS; i++) {
        r = exec->nodes[i].replay(stream);
        if (r != CUDA_SUCCESS)
            detail = "cuGraphLaunch: node " + std::to_string(i + 1) + " of " + std::to_string(n) + " (" + exec->nodes[i].what + "): " + detail;
    }
    replaying--;
    return r;
}

EXPORT CUresult cuGraphExecDestroy(GraphExec* exec) {
    API_LOCK;
    REQUIRE_CONTEXT("cuGraphExecDestroy");
    if (primary.execs.erase(exec) == 0) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuGraphExecDestroy: not a live executable graph");
    delete exec;
    return CUDA_SUCCESS;
}

EXPORT CUresult cuGraphDestroy(Graph* graph) {
    API_LOCK;
    REQUIRE_CONTEXT("cuGraphDestroy");
    if (primary.graphs.erase(graph) == 0) return failWith(CUDA_ERROR_INVALID_HANDLE, "cuGraphDestroy: not a live graph");
    delete graph;
    return CUDA_SUCCESS;
}

// ---- the simulator's own calls --------------------------------------------------------------------

// The detail of the last failed call on this thread: what the simulator saw (the kernel, block and
// thread of a bad access, the allocation it missed...); read it after a call that failed.
EXPORT const char* ncsimLastErrorDetail() {
    return detail.c_str();
}

// Writes min(n, COUNTERS) counters (see Counter in simulator.h); returns how many there are.
EXPORT int ncsimGetCounters(uint64_t* out, int n) {
    API_LOCK;
    for (int i = 0; i < n && i < COUNTERS; i++) out[i] = counters[i];
    return COUNTERS;
}

EXPORT void ncsimResetCounters() {
    API_LOCK;
    std::memset(counters, 0, sizeof counters);
}

// One line: what this simulator is and how it is set.
EXPORT const char* ncsimDescribe() {
    static std::string text;
    API_LOCK;
    char b[300];
    std::snprintf(b, sizeof b, "%d block threads (NORMCLOCK_SIM_THREADS), thread-order seed %llu (NORMCLOCK_SIM_SEED), %llu MiB of device memory "
                  "(NORMCLOCK_SIM_MEMORY)", workers == nullptr ? workerCount() : workers->count(),
                  static_cast<unsigned long long>(initialised ? seed : envNumber("NORMCLOCK_SIM_SEED", 1)), memoryLimit() >> 20);
    text = b;
    return text.c_str();
}
