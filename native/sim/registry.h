// The table of a kernel module's kernels: for each extern "C" __global__ kernel of native/src its
// name, __launch_bounds__, parameter sizes, and a function that calls it with cuLaunchKernel's
// parameter array. build.sh generates the list of NCSIM_KERNEL lines from the sources; the
// parameter types come from the kernels' own declarations.
#pragma once

#include "sim_abi.h"

#include <cstddef>
#include <type_traits>
#include <utility>

extern "C" struct NcsimRegistryEntry {
    NcsimKernel info;
    void (*run)(void* const* parameters);
};

namespace ncsim {

template <class F>
struct Signature;

template <class... A>
struct Signature<void (*)(A...)> {
    static constexpr int count = sizeof...(A);
    static constexpr size_t sizes[sizeof...(A) + 1] = {sizeof(std::decay_t<A>)..., 0};
    static constexpr size_t alignments[sizeof...(A) + 1] = {alignof(std::decay_t<A>)..., 0};

    template <auto F, size_t... I>
    static void call(void* const* p, std::index_sequence<I...>) {
        F(*static_cast<std::decay_t<A>*>(p[I])...);
    }
};

template <auto F>
void run(void* const* parameters) {
    using S = Signature<decltype(F)>;
    S::template call<F>(parameters, std::make_index_sequence<S::count>{});
}

} // namespace ncsim

#define NCSIM_KERNEL(name, bounds)                                                                                   \
    NcsimRegistryEntry {                                                                                             \
        NcsimKernel{#name, bounds, ::ncsim::Signature<decltype(&name)>::count, ::ncsim::Signature<decltype(&name)>::sizes, \
                    ::ncsim::Signature<decltype(&name)>::alignments},                                                \
            &::ncsim::run<&name>                                                                                     \
    }
