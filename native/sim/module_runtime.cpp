// The runtime of a simulator kernel module: runs the blocks of a launch with every thread a fiber,
// implements the kernel language's barriers and warp collectives (kernel_language.h), and checks
// every instrumented load and store of the kernels.
//
// A module instance belongs to one worker thread of the driver at a time, so its state is plain
// globals. A block runs like this: its threads start in an order permuted from the launch's seed;
// each runs on a fiber until it finishes or reaches a barrier or warp collective, where it is
// suspended. The arrival that completes a wait (the last lane of a collective's mask, the last
// live thread at a __syncthreads) releases its threads into the ready queue in a permuted order,
// and a suspending or finishing fiber switches straight to the next ready thread, or to a fiber
// that starts the next thread. When nothing is ready and every thread has started, the block is
// done — or deadlocked, which is reported with who waits where.
//
// Memory checks. The kernels are compiled with g++'s kernel-address sanitizer in its outline form,
// so every load and store calls __asan_{load,store}N_noabort(address) below (stack accesses too).
// A device address (inside the driver's reserved range) must lie inside one live allocation.
// A shared-memory address is checked for hazards: a word read before any thread of the block
// wrote it, or read or written by one thread after another thread wrote (or read, for a write)
// it with no __syncthreads between them — or, within a warp, no __syncwarp. A violation ends the
// launch with one line naming the kernel, the block and the thread.
//
// This file is compiled without the sanitizer: only kernel code is checked.

#include "sim_abi.h"
#include "kernel_language.h"
#include "registry.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <vector>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

#define NCSIM_EXPORT extern "C" __attribute__((visibility("default")))

namespace ncsim {

Thread* current;
Block block;

namespace {

constexpr int MAX_THREADS = 1024;
constexpr size_t FIBER_STACK = 64 * 1024;

const NcsimHost* host;

} // namespace
} // namespace ncsim

extern "C" {
// One entry per extern "C" __global__ kernel, in the module's generated table (registry.h).
extern const NcsimRegistryEntry ncsim_registry[];
extern const int ncsim_registry_size;
extern char __start_ncsim_shared[] __attribute__((weak));
extern char __stop_ncsim_shared[] __attribute__((weak));
}

namespace ncsim {
namespace {

uintptr_t sharedStart() { return reinterpret_cast<uintptr_t>(__start_ncsim_shared); }
uintptr_t sharedEnd() { return reinterpret_cast<uintptr_t>(__stop_ncsim_shared); }

// ---- fibers -------------------------------------------------------------------------------------

struct Fiber;
void fiberMain(Fiber* f);

#if defined(__x86_64__)
// Saves the callee-saved registers on the current stack, stores the stack pointer in *save and
// continues on the stack `to` (saved the same way). The floating-point control words are not
// switched: kernels never change them.
extern "C" void ncsim_switch(void** save, void* to);
asm(R"(
    .text
    .p2align 4
    .type ncsim_switch,@function
ncsim_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size ncsim_switch, .-ncsim_switch

    .p2align 4
    .type ncsim_fiber_start,@function
ncsim_fiber_start:
    movq %rbx, %rdi
    andq $-16, %rsp
    call ncsim_fiber_entry
    ud2
    .size ncsim_fiber_start, .-ncsim_fiber_start
)");
extern "C" void ncsim_fiber_start();
extern "C" void ncsim_fiber_entry(void* fiber) { fiberMain(static_cast<Fiber*>(fiber)); }
#endif

struct Fiber {
    char* stack = nullptr; // with a guard page below it
#if defined(__x86_64__)
    void* sp = nullptr;
#else
    ucontext_t context;
#endif
    bool idle = true;
};

#if !defined(__x86_64__)
Fiber* starting;
void fiberMainTrampoline() { fiberMain(starting); }
#endif

#if defined(__x86_64__)
void* schedulerSp;
#else
ucontext_t schedulerContext;
#endif
Fiber* running; // the fiber executing now, null on the scheduler

void resetFiber(Fiber* f) {
#if defined(__x86_64__)
    auto* top = reinterpret_cast<uint64_t*>(f->stack + FIBER_STACK);
    uint64_t* sp = top - 8;
    sp[0] = sp[1] = sp[2] = sp[3] = 0;     // r15, r14, r13, r12
    sp[4] = reinterpret_cast<uint64_t>(f); // rbx: the argument of ncsim_fiber_start
    sp[5] = 0;                             // rbp
    sp[6] = reinterpret_cast<uint64_t>(&ncsim_fiber_start);
    sp[7] = 0;
    f->sp = sp;
#else
    getcontext(&f->context);
    f->context.uc_stack.ss_sp = f->stack;
    f->context.uc_stack.ss_size = FIBER_STACK;
    f->context.uc_link = nullptr;
    makecontext(&f->context, reinterpret_cast<void (*)()>(fiberMainTrampoline), 0);
#endif
    f->idle = true;
}

Fiber* newFiber() {
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void* m = mmap(nullptr, FIBER_STACK + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
        std::fprintf(stderr, "normclock CUDA simulator: cannot map a fiber stack\n");
        std::abort();
    }
    mprotect(m, page, PROT_NONE); // an overflowing kernel stack faults instead of corrupting its neighbour
    auto* f = new Fiber;
    f->stack = static_cast<char*>(m) + page;
    resetFiber(f);
    return f;
}

// Switches from the running fiber (or the scheduler, when none runs) to `to` (the scheduler when null).
void switchTo(Fiber* to) {
    Fiber* from = running;
    running = to;
#if defined(__x86_64__)
    ncsim_switch(from != nullptr ? &from->sp : &schedulerSp, to != nullptr ? to->sp : schedulerSp);
#else
    if (to != nullptr) starting = to;
    swapcontext(from != nullptr ? &from->context : &schedulerContext, to != nullptr ? &to->context : &schedulerContext);
#endif
}

// ---- a block's threads ---------------------------------------------------------------------------

enum class State : unsigned char { NOT_STARTED, RUNNING, READY, AT_BARRIER, AT_WARP, DONE };

struct SimThread : Thread {
    State state;
    Fiber* fiber;
    // the collective it waits at
    WarpOp op;
    unsigned int mask;
    int arg, width;
    const char* opName;
    unsigned long long value, result;
};

struct Warp {
    unsigned int arrived; // lanes waiting at a collective
    unsigned int exited;  // lanes that have finished
    unsigned int present; // lanes the block has
};

SimThread threads[MAX_THREADS];
Warp warps[MAX_THREADS / 32];
int order[MAX_THREADS];
int ready[MAX_THREADS];                 // a ring: each thread is in it at most once
unsigned int readyHead, readyTail;      // counters, taken modulo MAX_THREADS
int threadCount, nextToStart, doneCount, atBarrier;
const NcsimRegistryEntry* kernel;
void* const* arguments;
std::vector<Fiber*> fibers;

// Errors: the first one of the launch, one line.
int errorCode;
char errorText[1024];

uint64_t rngState;
uint64_t nextRandom() {
    uint64_t z = (rngState += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void shuffle(int* v, int n) {
    for (int i = n - 1; i > 0; i--) {
        // uniform in [0, i] by multiply and shift (no division: this runs for every released thread)
        int j = static_cast<int>(((nextRandom() >> 32) * static_cast<uint64_t>(i + 1)) >> 32);
        int t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

// "nc_x: block (1, 2, 0) thread (3, 0, 0)"
int where(char* out, size_t n, const SimThread* t) {
    if (t == nullptr)
        return std::snprintf(out, n, "%s: block (%u, %u, %u)", kernel->info.name, block.index.x, block.index.y, block.index.z);
    return std::snprintf(out, n, "%s: block (%u, %u, %u) thread (%u, %u, %u)", kernel->info.name, block.index.x, block.index.y,
                         block.index.z, t->index.x, t->index.y, t->index.z);
}

__attribute__((format(printf, 3, 4))) void fail(int code, const SimThread* t, const char* format, ...) {
    if (errorCode != 0) return;
    errorCode = code;
    int at = where(errorText, sizeof errorText, t);
    if (at < 0 || static_cast<size_t>(at) >= sizeof errorText) return;
    errorText[at++] = ' ';
    va_list args;
    va_start(args, format);
    std::vsnprintf(errorText + at, sizeof errorText - at, format, args);
    va_end(args);
}

// A thread that failed never continues: back to the scheduler, which ends the block; the fibers
// are reset before they are used again.
[[noreturn]] void abortThread() {
    switchTo(nullptr);
    __builtin_unreachable();
}

constexpr int CUDA_ERROR_ILLEGAL_ADDRESS = 700, CUDA_ERROR_LAUNCH_FAILED = 719, CUDA_ERROR_ILLEGAL_INSTRUCTION = 715;

// ---- shared memory hazards ------------------------------------------------------------------------

// Per 4-byte word of shared memory: who last wrote it and read it, in which barrier interval.
// Epochs grow over the life of the instance, so "written in this block" is writeEpoch ≥ the
// block's first epoch and no table is cleared between blocks.
struct Word {
    uint64_t writeEpoch, readEpoch;
    uint32_t writeWarpSync, readWarpSync;
    int16_t writer, reader; // reader: MANY when several threads read in the epoch
    int16_t writerWarp, readerWarp;
};
constexpr int16_t MANY = -2, MANY_WARPS = -2;
std::vector<Word> shadow;
uint64_t epoch, blockFirstEpoch;
uint32_t warpSyncs[MAX_THREADS / 32];

bool orderedInWarp(int16_t otherWarp, uint32_t otherSync, const SimThread* t) {
    return otherWarp == t->warp && warpSyncs[t->warp] > otherSync;
}

void describeThread(char* out, size_t n, int linear) {
    const SimThread& o = threads[linear];
    std::snprintf(out, n, "thread (%u, %u, %u)", o.index.x, o.index.y, o.index.z);
}

void checkShared(uintptr_t address, size_t size, bool write) {
    auto* t = static_cast<SimThread*>(current);
    size_t offset = address - sharedStart();
    if (address + size > sharedEnd()) {
        fail(CUDA_ERROR_ILLEGAL_ADDRESS, t, "%s %zu bytes at shared offset %zu, past the end of the module's %zu bytes of shared memory",
             write ? "wrote" : "read", size, offset, static_cast<size_t>(sharedEnd() - sharedStart()));
        abortThread();
    }
    char other[64];
    for (size_t w = offset / 4; w <= (offset + size - 1) / 4; w++) {
        Word& s = shadow[w];
        if (!write) {
            if (s.writeEpoch < blockFirstEpoch) {
                fail(CUDA_ERROR_LAUNCH_FAILED, t, "read %zu bytes at shared offset %zu, which no thread of the block has written yet "
                     "(shared memory starts undefined: a missing write, or a missing __syncthreads before this read)", size, offset);
                abortThread();
            }
            if (s.writeEpoch == epoch && s.writer != t->linear && !orderedInWarp(s.writerWarp, s.writeWarpSync, t)) {
                describeThread(other, sizeof other, s.writer);
                fail(CUDA_ERROR_LAUNCH_FAILED, t, "read %zu bytes at shared offset %zu that %s wrote after the last barrier "
                     "(a race: __syncthreads, or __syncwarp within a warp, is missing between them)", size, offset, other);
                abortThread();
            }
            if (s.readEpoch != epoch) {
                s.readEpoch = epoch;
                s.reader = static_cast<int16_t>(t->linear);
                s.readerWarp = static_cast<int16_t>(t->warp);
                s.readWarpSync = warpSyncs[t->warp];
            } else if (s.reader != t->linear) {
                s.reader = MANY;
                if (s.readerWarp != t->warp) s.readerWarp = MANY_WARPS;
                else s.readWarpSync = warpSyncs[t->warp] < s.readWarpSync ? warpSyncs[t->warp] : s.readWarpSync;
            }
        } else {
            if (s.writeEpoch == epoch && s.writer != t->linear && !orderedInWarp(s.writerWarp, s.writeWarpSync, t)) {
                describeThread(other, sizeof other, s.writer);
                fail(CUDA_ERROR_LAUNCH_FAILED, t, "wrote %zu bytes at shared offset %zu that %s also wrote after the last barrier "
                     "(a race: __syncthreads, or __syncwarp within a warp, is missing between them)", size, offset, other);
                abortThread();
            }
            if (s.readEpoch == epoch && s.reader != t->linear && !orderedInWarp(s.readerWarp, s.readWarpSync, t)) {
                if (s.reader == MANY) std::snprintf(other, sizeof other, "other threads");
                else describeThread(other, sizeof other, s.reader);
                fail(CUDA_ERROR_LAUNCH_FAILED, t, "wrote %zu bytes at shared offset %zu that %s read after the last barrier "
                     "(a race: __syncthreads, or __syncwarp within a warp, is missing between them)", size, offset, other);
                abortThread();
            }
            s.writeEpoch = epoch;
            s.writer = static_cast<int16_t>(t->linear);
            s.writerWarp = static_cast<int16_t>(t->warp);
            s.writeWarpSync = warpSyncs[t->warp];
        }
    }
}

// ---- device memory ---------------------------------------------------------------------------------

// The live allocations checked accesses fell in lately (most accesses of a thread go to a few),
// kept for the launch: allocations change only between launches.
constexpr int CACHED = 8;
uintptr_t liveStart[CACHED], liveEnd[CACHED];
int nextCached;

void forgetAllocations() {
    for (int i = 0; i < CACHED; i++) {
        liveStart[i] = 1;
        liveEnd[i] = 0;
    }
}

void checkDevice(uintptr_t address, size_t size, bool write) {
    for (int i = 0; i < CACHED; i++)
        if (address >= liveStart[i] && address + size <= liveEnd[i]) return;
    char why[512];
    uintptr_t s = 0, e = 0;
    if (host->checkDevice(address, size, write ? 1 : 0, &s, &e, why, sizeof why) == 0) {
        liveStart[nextCached] = s;
        liveEnd[nextCached] = e;
        nextCached = (nextCached + 1) % CACHED;
        return;
    }
    fail(CUDA_ERROR_ILLEGAL_ADDRESS, static_cast<SimThread*>(current), "%s", why);
    abortThread();
}

inline void check(uintptr_t address, size_t size, bool write) {
    if (current == nullptr) return; // not inside a kernel thread (static initialisers)
    if (address - host->deviceBase < host->deviceSize) checkDevice(address, size, write);
    else if (address - sharedStart() < sharedEnd() - sharedStart()) checkShared(address, size, write);
}

// ---- scheduling --------------------------------------------------------------------------------

void makeReady(int linear) {
    threads[linear].state = State::READY;
    ready[readyTail++ % MAX_THREADS] = linear;
}

Fiber* idleFiber() {
    for (Fiber* f : fibers)
        if (f->idle) return f;
    fibers.push_back(newFiber());
    return fibers.back();
}

// The running fiber's thread waits or has finished: on to the next ready thread, else to a fiber
// that starts the next thread, else to the scheduler (the block is done, or deadlocked).
void next() {
    if (errorCode != 0) abortThread();
    if (readyHead < readyTail) {
        SimThread* t = &threads[ready[readyHead++ % MAX_THREADS]];
        t->state = State::RUNNING;
        current = t;
        if (t->fiber != running) switchTo(t->fiber);
        return;
    }
    if (nextToStart < threadCount) {
        Fiber* f = idleFiber(); // not the running one: it waits, or it would start the thread itself
        f->idle = false;
        switchTo(f);
        return;
    }
    switchTo(nullptr);
}

void fiberMain(Fiber* f) {
    for (;;) {
        while (nextToStart < threadCount && errorCode == 0) {
            SimThread* t = &threads[order[nextToStart++]];
            t->fiber = f;
            t->state = State::RUNNING;
            current = t;
            kernel->run(arguments);
            t->state = State::DONE;
            doneCount++;
            warps[t->warp].exited |= 1u << t->lane;
            if (atBarrier > 0 && atBarrier == threadCount - doneCount) {
                const SimThread* waiting = nullptr;
                for (int i = 0; i < threadCount && waiting == nullptr; i++)
                    if (threads[i].state == State::AT_BARRIER) waiting = &threads[i];
                fail(CUDA_ERROR_ILLEGAL_INSTRUCTION, waiting, "waits at __syncthreads, which thread (%u, %u, %u) never reaches: it has exited "
                     "(a barrier in divergent code)", t->index.x, t->index.y, t->index.z);
            }
            const Warp& w = warps[t->warp];
            for (unsigned int lanes = w.arrived; lanes != 0 && errorCode == 0; lanes &= lanes - 1) {
                const SimThread& o = threads[t->warp * 32 + __builtin_ctz(lanes)];
                if (o.mask >> t->lane & 1u)
                    fail(CUDA_ERROR_ILLEGAL_INSTRUCTION, &o, "%s with mask 0x%08x waits for lane %d, which has exited", o.opName, o.mask, t->lane);
            }
            current = nullptr;
        }
        f->idle = true;
        next();
        // resumed as an idle fiber: start more threads
    }
}

// A thread arrived at a collective; when it is the last lane of its mask, every lane's result is
// computed as the GPU defines it and the lanes become ready. Any misuse is an error.
void arrive(SimThread* t) {
    Warp& w = warps[t->warp];
    unsigned int mask = t->mask, lane = 1u << t->lane;
    if (!(mask & lane)) {
        fail(CUDA_ERROR_ILLEGAL_INSTRUCTION, t, "%s with mask 0x%08x, which does not include the calling lane %d", t->opName, mask, t->lane);
        abortThread();
    }
    if (mask & ~w.present) {
        fail(CUDA_ERROR_ILLEGAL_INSTRUCTION, t, "%s with mask 0x%08x names lanes this block of %d threads does not have", t->opName, mask, threadCount);
        abortThread();
    }
    if (mask & w.exited) {
        fail(CUDA_ERROR_ILLEGAL_INSTRUCTION, t, "%s with mask 0x%08x waits for lane %d, which has exited", t->opName, mask,
             __builtin_ctz(mask & w.exited));
        abortThread();
    }
    int base = t->warp * 32;
    // Lanes already waiting with this lane in their collective must wait at the same one. Those in
    // this lane's mask were compared with each other as they came, so the first of them stands
    // for all; lanes outside the mask (usually none) are compared one by one.
    unsigned int same = w.arrived & mask;
    for (unsigned int lanes = (same & -same) | (w.arrived & ~mask); lanes != 0; lanes &= lanes - 1) {
        const SimThread& o = threads[base + __builtin_ctz(lanes)];
        if (!(mask >> o.lane & 1u) && !(o.mask >> t->lane & 1u)) continue; // another collective of the warp
        if (o.op != t->op || o.mask != mask || o.width != t->width) {
            fail(CUDA_ERROR_ILLEGAL_INSTRUCTION, t, "is at %s (mask 0x%08x) while lane %d is at %s (mask 0x%08x): divergent warp collectives",
                 t->opName, mask, o.lane, o.opName, o.mask);
            abortThread();
        }
    }
    w.arrived |= lane;
    if ((w.arrived & mask) != mask) return; // others still to come
    int width = t->width;
    if (width < 1 || width > 32 || (width & (width - 1)) != 0) {
        fail(CUDA_ERROR_ILLEGAL_INSTRUCTION, t, "%s with width %d: the width must be a power of 2 from 1 to 32", t->opName, width);
        abortThread();
    }
    unsigned long long ballot = 0;
    for (unsigned int lanes = mask; lanes != 0; lanes &= lanes - 1) {
        int l = __builtin_ctz(lanes);
        ballot |= static_cast<unsigned long long>(threads[base + l].value != 0) << l;
    }
    int released[32], count = 0;
    for (unsigned int lanes = mask; lanes != 0; lanes &= lanes - 1) {
        int l = __builtin_ctz(lanes);
        SimThread& o = threads[base + l];
        int segment = l & ~(width - 1), src = l; // width is a power of 2
        switch (o.op) {
            case WarpOp::SHFL_IDX: src = segment + (o.arg & (width - 1)); break;
            case WarpOp::SHFL_UP: src = l - o.arg >= segment ? l - o.arg : l; break;
            case WarpOp::SHFL_DOWN: src = l + o.arg < segment + width ? l + o.arg : l; break;
            case WarpOp::SHFL_XOR: src = ((l ^ o.arg) & 31) < segment + width ? (l ^ o.arg) & 31 : l; break;
            default: break;
        }
        switch (o.op) {
            case WarpOp::SHFL_IDX:
            case WarpOp::SHFL_UP:
            case WarpOp::SHFL_DOWN:
            case WarpOp::SHFL_XOR:
                if (!(mask >> src & 1u)) {
                    fail(CUDA_ERROR_ILLEGAL_INSTRUCTION, &o, "%s reads lane %d, which is not in its mask 0x%08x (undefined on a GPU)", o.opName, src, mask);
                    abortThread();
                }
                o.result = threads[base + src].value;
                break;
            case WarpOp::BALLOT: o.result = ballot; break;
            case WarpOp::ANY: o.result = ballot != 0; break;
            case WarpOp::ALL: o.result = ballot == mask; break;
            case WarpOp::SYNC: o.result = 0; break;
        }
        released[count++] = base + l;
    }
    w.arrived &= ~mask;
    if (t->op == WarpOp::SYNC) warpSyncs[t->warp]++;
    shuffle(released, count);
    for (int i = 0; i < count; i++) makeReady(released[i]);
}

// Says why the block cannot go on: no thread is ready, every thread has started, some have not finished.
void describeDeadlock() {
    for (int i = 0; i < threadCount; i++) {
        const SimThread& o = threads[i];
        if (o.state == State::AT_WARP) {
            fail(CUDA_ERROR_ILLEGAL_INSTRUCTION, &o, "waits forever at %s (mask 0x%08x): %d of %d live threads wait at __syncthreads, "
                 "the others at warp collectives whose lanes never all arrive", o.opName, o.mask, atBarrier, threadCount - doneCount);
            return;
        }
    }
    fail(CUDA_ERROR_ILLEGAL_INSTRUCTION, nullptr, "deadlocked: no thread can continue");
}

int runBlock(const NcsimLaunch* launch, unsigned long long linear) {
    block.grid = dim3(launch->grid[0], launch->grid[1], launch->grid[2]);
    block.size = dim3(launch->block[0], launch->block[1], launch->block[2]);
    unsigned long long gx = launch->grid[0], gy = launch->grid[1];
    block.index = uint3{static_cast<unsigned>(linear % gx), static_cast<unsigned>(linear / gx % gy), static_cast<unsigned>(linear / (gx * gy))};
    threadCount = static_cast<int>(launch->block[0] * launch->block[1] * launch->block[2]);
    rngState = launch->seed ^ (linear * 0xD1B54A32D192ED03ull);
    unsigned bx = launch->block[0], by = launch->block[1];
    for (int i = 0; i < threadCount; i++) {
        SimThread& t = threads[i];
        t.index = uint3{i % bx, i / bx % by, i / (bx * by)};
        t.linear = i;
        t.lane = i & 31;
        t.warp = i >> 5;
        t.state = State::NOT_STARTED;
        t.fiber = nullptr;
        order[i] = i;
    }
    for (int w = 0; w < (threadCount + 31) / 32; w++) {
        int lanes = threadCount - 32 * w < 32 ? threadCount - 32 * w : 32;
        warps[w] = Warp{0, 0, lanes == 32 ? 0xffffffffu : (1u << lanes) - 1};
    }
    shuffle(order, threadCount);
    nextToStart = doneCount = atBarrier = 0;
    readyHead = readyTail = 0;
    blockFirstEpoch = ++epoch;
    Fiber* f = idleFiber();
    f->idle = false;
    switchTo(f); // the block runs until no fiber can go on
    current = nullptr;
    if (errorCode == 0 && doneCount < threadCount) describeDeadlock();
    if (errorCode != 0) {
        // threads left suspended (or the one that failed) never resume: their fibers start afresh
        for (Fiber* g : fibers) resetFiber(g);
    }
    return errorCode;
}

} // namespace

// ---- the kernel language's runtime calls -----------------------------------------------------------

void syncthreads() {
    auto* t = static_cast<SimThread*>(current);
    t->state = State::AT_BARRIER;
    if (++atBarrier == threadCount - doneCount) {
        if (doneCount > 0) {
            const SimThread* exited = nullptr;
            for (int i = 0; i < threadCount && exited == nullptr; i++)
                if (threads[i].state == State::DONE) exited = &threads[i];
            fail(CUDA_ERROR_ILLEGAL_INSTRUCTION, t, "waits at __syncthreads, which thread (%u, %u, %u) never reaches: it has exited "
                 "(a barrier in divergent code)", exited->index.x, exited->index.y, exited->index.z);
            abortThread();
        }
        atBarrier = 0;
        epoch++;
        int released[MAX_THREADS];
        for (int i = 0; i < threadCount; i++) released[i] = i;
        shuffle(released, threadCount);
        for (int i = 0; i < threadCount; i++) makeReady(released[i]);
    }
    next();
}

unsigned long long warpCollective(WarpOp op, unsigned int mask, unsigned long long value, int arg, int width, const char* name) {
    auto* t = static_cast<SimThread*>(current);
    t->op = op;
    t->mask = mask;
    t->value = value;
    t->arg = arg;
    t->width = width;
    t->opName = name;
    t->state = State::AT_WARP;
    arrive(t);
    next();
    return t->result;
}

void checkAtomic(const void* address, unsigned long size) {
    check(reinterpret_cast<uintptr_t>(address), size, true);
}

} // namespace ncsim

// ---- the sanitizer's outline calls (every load and store of the kernels) ----------------------------

// Hidden: the kernels call them directly, not through the PLT (they run for every load and store).
#define NCSIM_ACCESS(n)                                                                                                 \
    extern "C" void __asan_load##n##_noabort(uintptr_t a) { ncsim::check(a, n, false); }                               \
    extern "C" void __asan_store##n##_noabort(uintptr_t a) { ncsim::check(a, n, true); }
NCSIM_ACCESS(1)
NCSIM_ACCESS(2)
NCSIM_ACCESS(4)
NCSIM_ACCESS(8)
NCSIM_ACCESS(16)
extern "C" void __asan_loadN_noabort(uintptr_t a, size_t n) { ncsim::check(a, n, false); }
extern "C" void __asan_storeN_noabort(uintptr_t a, size_t n) { ncsim::check(a, n, true); }
extern "C" void __asan_handle_no_return() {}

// ---- the module's interface to the driver -----------------------------------------------------------

NCSIM_EXPORT int ncsim_module_init(const NcsimHost* h, int abiVersion) {
    if (abiVersion != NCSIM_ABI_VERSION) return 1;
    ncsim::host = h;
    ncsim::shadow.assign((ncsim::sharedEnd() - ncsim::sharedStart() + 3) / 4 + 1, ncsim::Word{});
    if (ncsim::sharedEnd() > ncsim::sharedStart()) std::memset(__start_ncsim_shared, 0xFF, ncsim::sharedEnd() - ncsim::sharedStart());
    return 0;
}

NCSIM_EXPORT int ncsim_kernel_count() {
    return ncsim_registry_size;
}

NCSIM_EXPORT const NcsimKernel* ncsim_kernel(int index) {
    return index >= 0 && index < ncsim_registry_size ? &ncsim_registry[index].info : nullptr;
}

NCSIM_EXPORT size_t ncsim_static_shared_bytes() {
    return ncsim::sharedEnd() - ncsim::sharedStart();
}

NCSIM_EXPORT int ncsim_run_blocks(const NcsimLaunch* launch, unsigned long long first, unsigned long long last, const volatile int* stop,
                                  char* error, size_t errorLength) {
    using namespace ncsim;
    kernel = &ncsim_registry[launch->kernel];
    arguments = launch->parameters;
    errorCode = 0;
    errorText[0] = 0;
    forgetAllocations();
    for (unsigned long long b = first; b < last && errorCode == 0 && !*stop; b++) runBlock(launch, b);
    if (errorCode != 0) std::snprintf(error, errorLength, "%s", errorText);
    return errorCode;
}
