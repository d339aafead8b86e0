// The table of a kernel module's kernels: for each extern "C" __global__ kernel of native/src its
// name, __launch_bounds__, parameter sizes, and a function that calls it with cuLaunchKernel's
// parameter array. build.sh generates the list of NCSIM_KERNEL lines from the sources; the
// parameter types come from the kernels' own declarations.
#pragma once

#include "sim_abi.h"

#include <array>
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
    enum : int { count = sizeof...(A) };
    using Sizes = std::array<size_t, sizeof...(A) + 1>;
    static constexpr Sizes sizes() { return Sizes{sizeof(std::decay_t<A>)..., 0}; }
    static constexpr Sizes alignments() { return Sizes{alignof(std::decay_t<A>)..., 0}; }

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

// Per kernel, at namespace scope (the module is compiled with -fno-weak, under which templates'
// static data would be duplicated): its parameters' sizes and alignments, then its table entry.
#define NCSIM_SIGNATURE(name)                                                                                         \
    static constexpr auto name##_sizes = ::ncsim::Signature<decltype(&name)>::sizes();                              \
    static constexpr auto name##_alignments = ::ncsim::Signature<decltype(&name)>::alignments();

#define NCSIM_KERNEL(name, bounds)                                                                                    \
    NcsimRegistryEntry {                                                                                              \
        NcsimKernel{#name, bounds, ::ncsim::Signature<decltype(&name)>::count, name##_sizes.data(), name##_alignments.data()}, \
            &::ncsim::run<&name>                                                                                      \
    }
