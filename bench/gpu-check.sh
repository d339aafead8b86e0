#!/usr/bin/env bash
# The one prepared script for a lent GPU machine (an H200): it builds nothing there. It expects the
# carried folder .device/ made here by bench/make-device-bundle.sh (a jlinked Java 25 runtime and
# the CLI jar with the kernels inside), and writes its logs to $OUT (or ./gpu-check-out):
#   machine.txt     nvidia-smi, where the driver and cuBLAS were found
#   devices.txt     normclock devices
#   gpu-check.log   normclock devices --check: every primitive against the CPU, training steps of
#                   each model on both backends, the MLP step's throughput at p=59 for 16/64/256 models
#   train.txt       a short run of the paper's cell on the cuda backend beside the cpu backend
#   bench.txt       normclock bench --backend cuda at p=59, 16 and 64 models
# Usage (device tool): command "bash bench/gpu-check.sh", carry [".device"], timeout_s 540.
# Every step has its own timeout so that a hang in one leaves the others' logs; the whole script
# stays under about 8 minutes. It only reads the GPU's state (nvidia-smi), never changes it.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/gpu-check-out}"
mkdir -p "$out"
dev="$root/.device"
java="$dev/java/bin/java"
jar="$dev/normclock.jar"
if [[ ! -x "$java" || ! -f "$jar" ]]; then
  echo "gpu-check: $dev/java and $dev/normclock.jar are missing: run bench/make-device-bundle.sh here and carry .device" | tee "$out/machine.txt"
  exit 2
fi
flags=(--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:-TieredCompilation -XX:CompileThresholdScaling=0.1 -XX:LoopMaxUnroll=1)

{
  date -u
  nvidia-smi -L 2>&1
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv 2>&1
  ldconfig -p 2>/dev/null | grep -E 'libcuda\.so|libcublas' || echo "(ldconfig lists no libcuda/libcublas)"
} >"$out/machine.txt" 2>&1

# cuBLAS: normclock looks in CUDA_HOME/lib64, /usr/local/cuda/lib64, Python's site-packages/nvidia/cublas/lib and
# the loader's path. Where it finds none, take the first libcublas.so.1x on the machine (PyTorch's wheels keep
# it under site-packages/nvidia/…/lib) and put its folder on the loader's path for libcublasLt beside it.
found="$(timeout 60 "$java" "${flags[@]}" -jar "$jar" devices 2>/dev/null || true)"
if ! grep -q '^cublas: [0-9]' <<<"$found"; then
  lib="$(timeout 60 find / -xdev \( -path /proc -o -path /sys \) -prune -o -name 'libcublas.so.1[0-9]*' -print 2>/dev/null | sort | head -1)"
  if [[ -n "$lib" ]]; then
    export NORMCLOCK_CUBLAS="$lib"
    export LD_LIBRARY_PATH="$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "cuBLAS taken from $lib" >>"$out/machine.txt"
  else
    echo "no libcublas.so.1x anywhere on this machine" >>"$out/machine.txt"
  fi
fi

timeout 60 "$java" "${flags[@]}" -jar "$jar" devices >"$out/devices.txt" 2>&1
cat "$out/devices.txt"

echo "== self-check"
timeout 300 "$java" "${flags[@]}" -jar "$jar" devices --check --log "$out/gpu-check.log" --steps 5 --bench-seconds 3 --bench-models 16,64,256 \
  >"$out/gpu-check.out" 2>&1
status=$?
cat "$out/gpu-check.out"
echo "self-check exit $status" | tee -a "$out/gpu-check.out"

tmp="$(mktemp -d)" # the runs' databases stay off $OUT, which returns 8 files at most
echo "== the paper's cell, 300 steps, 8 seeds, on both backends"
{
  for be in cuda cpu; do
    echo "-- --backend $be"
    timeout 60 "$java" "${flags[@]}" -jar "$jar" train --backend "$be" --seeds 1-8 --steps 300 --no-progress --out "$tmp/train-$be" 2>&1
    echo "exit $?"
  done
} >"$out/train.txt" 2>&1
cat "$out/train.txt"

echo "== bench --backend cuda"
{
  for b in 16 64; do timeout 45 "$java" "${flags[@]}" -jar "$jar" bench --backend cuda --models "$b" --seconds 5 --repeats 2 --warmup 10 2>&1; echo "exit $?"; done
} >"$out/bench.txt" 2>&1
cat "$out/bench.txt"
rm -rf "$tmp"
exit $status
