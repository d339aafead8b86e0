#!/usr/bin/env bash
# Builds the cuda backend's kernels (src/normclock.cu) into one fatbin: machine code for Ampere
# (sm_80: A100; a cubin runs on every GPU of its major version, so also 8.6 and 8.9) and for Hopper
# (sm_90: H100, H200), and compute_90 PTX that GPUs newer than Hopper compile at load time.
# No compute_80 PTX: every GPU from 8.0 up is already covered by the two cubins or the compute_90
# PTX, and the driver always picks a matching cubin before PTX, so it would only add size.
# Usage: native/build.sh OUTPUT_DIR   (writes OUTPUT_DIR/normclock.fatbin)
# NVCC overrides the compiler (default: nvcc on PATH, else /usr/local/cuda/bin/nvcc).
# Exact float semantics are kept: no --use_fast_math (IEEE division and sqrt, accurate erfcf/expf).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: native/build.sh OUTPUT_DIR}"
nvcc="${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}"
if [[ ! -x "$nvcc" ]]; then
  echo "native/build.sh: nvcc not found (set NVCC or install the CUDA toolkit); the cuda backend will report 'kernels not built'" >&2
  exit 1
fi
mkdir -p "$out"
start=$SECONDS
"$nvcc" -fatbin -O3 -std=c++17 -fmad=false \
  -gencode arch=compute_80,code=sm_80 \
  -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_90,code=compute_90 \
  -o "$out/normclock.fatbin.tmp" "$here/src/normclock.cu"
mv "$out/normclock.fatbin.tmp" "$out/normclock.fatbin"
echo "native/build.sh: $out/normclock.fatbin ($(stat -c %s "$out/normclock.fatbin") bytes, sm_80 + sm_90 + compute_90 PTX, $((SECONDS - start)) s, $("$nvcc" --version | tail -1))"
