#!/usr/bin/env bash
# The one prepared script for a lent GPU machine (an H200): it builds nothing there. It expects the
# carried folder .device/ made here by bench/make-device-bundle.sh (a jlinked Java 25 runtime and
# the CLI jar with the kernels inside), and writes its logs to $OUT (or ./gpu-check-out). The device
# tool returns at most 8 files from $OUT, so there are 7, and an 8th only if a JVM crashes:
#   machine.txt     nvidia-smi, where the driver and cuBLAS were found, normclock devices
#   check.log       normclock devices --check's log: every primitive against the CPU, training steps of
#                   each model on both backends, the MLP step's throughput at p=59 for 16/64/256 models
#   check.out       the same run's terminal output (what it printed before a hang or a crash)
#   bench.txt       normclock bench --backend cuda beside the PyTorch population on the same GPU
#                   (bench/torch/mlp_population.py --device cuda), p=59, 16 and 256 models, FP32 and TF32,
#                   each with the step's counters and roofline, the ratios, and 256 models without graphs
#   train.txt       300 steps of the paper's cell, 8 seeds, on the cuda backend beside the cpu backend
#   sanitizer.txt   devices --check --primitives-only under compute-sanitizer --tool memcheck, where found
#   summary.txt     one line per step: exit status, seconds, its last line (also printed last)
#   hs_err.log      only if a JVM crashed (its fatal-error report)
# Usage (device tool): command "bash bench/gpu-check.sh", carry [".device"], timeout_s 600.
# Every step has its own timeout, and all of them share one deadline (GPU_CHECK_SECONDS, default 450 s):
# a step gets at most what is left, and is skipped with one line when under 15 s is left, so the script
# ends in about 7.5 minutes at worst, under the 10 a device command may run. Steps that need a GPU fail
# with one line each where there is none (so the script can be dry-run on a CPU machine).
# It only reads the GPU's state (nvidia-smi), never changes it.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/gpu-check-out}"
mkdir -p "$out"
cd "$root" || exit 2
dev="$root/.device"
java="$dev/java/bin/java"
jar="$dev/normclock.jar"
summary="$out/summary.txt"
: >"$summary"
if [[ ! -x "$java" || ! -f "$jar" ]]; then
  echo "gpu-check: $dev/java and $dev/normclock.jar are missing: run bench/make-device-bundle.sh here and carry .device" | tee "$summary"
  exit 2
fi
total="${GPU_CHECK_SECONDS:-450}"
deadline=$((SECONDS + total))
tmp="$(mktemp -d)" # the runs' databases and intermediate JSON stay off $OUT (8 files come back at most)
trap 'rm -rf "$tmp"' EXIT
# -XX:ErrorFile: a JVM crash (a bad pointer handed to the driver) leaves its report where it comes back.
flags=(--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:-TieredCompilation -XX:CompileThresholdScaling=0.1
  -XX:LoopMaxUnroll=1 -XX:ErrorFile="$out/hs_err.log")
normclock=("$java" "${flags[@]}" -jar "$jar") # an array, not a function: timeout runs programs only

# run NAME LIMIT CMD...: CMD under the smaller of LIMIT and what is left of the deadline. Prints what
# happened when it ran out of time; returns CMD's status (124 when stopped, 125 when skipped).
run() {
  local name="$1" limit="$2" left=$((deadline - SECONDS))
  shift 2
  if ((left < 15)); then
    echo "$name: skipped: ${left} s left of the script's ${total} s"
    return 125
  fi
  ((limit > left)) && limit=$left
  timeout -k 10 "$limit" "$@"
  local rc=$?
  ((rc == 124 || rc == 137)) && echo "$name: stopped after ${limit} s (its limit, or what was left of the deadline)"
  return $rc
}

# lastline FILE [PATTERN]: the last non-empty line of FILE (matching PATTERN), without the JVM's incubator warning.
lastline() {
  grep -v -e '^[[:space:]]*$' -e 'incubator modules' "$1" 2>/dev/null | grep -E -e "${2:-.}" | tail -1 | cut -c1-200
}

# note NAME STATUS START MESSAGE: the step's line in summary.txt.
note() {
  printf '%-11s exit %3d %4d s  %s\n' "$1" "$2" $((SECONDS - $3)) "$4" >>"$summary"
}

# --- machine: nvidia-smi, the driver and cuBLAS, normclock devices ---------------------------------
start=$SECONDS
{
  date -u
  uname -srm
  if command -v nvidia-smi >/dev/null; then
    timeout 20 nvidia-smi -L 2>&1
    timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv 2>&1
  else
    echo "no nvidia-smi on this machine"
  fi
  ldconfig -p 2>/dev/null | grep -E 'libcuda\.so|libcublas' || echo "(ldconfig lists no libcuda/libcublas)"
} >"$out/machine.txt" 2>&1
# cuBLAS: normclock looks in CUDA_HOME/lib64, /usr/local/cuda/lib64, Python's site-packages/nvidia/cublas/lib and
# the loader's path. Where it finds none, take the first libcublas.so.1x on the machine (PyTorch's wheels keep
# it under site-packages/nvidia/…/lib) and put its folder on the loader's path for libcublasLt beside it.
found="$(run probe 60 "${normclock[@]}" devices 2>/dev/null || true)"
if ! grep -q '^cublas: [0-9]' <<<"$found"; then
  lib="$(timeout 30 find / -xdev \( -path /proc -o -path /sys \) -prune -o -name 'libcublas.so.1[0-9]*' -print 2>/dev/null | sort | head -1)"
  if [[ -n "$lib" ]]; then
    export NORMCLOCK_CUBLAS="$lib"
    export LD_LIBRARY_PATH="$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "cuBLAS taken from $lib" >>"$out/machine.txt"
  else
    echo "no libcublas.so.1x anywhere on this machine" >>"$out/machine.txt"
  fi
fi
echo "== normclock devices" >>"$out/machine.txt"
run devices 60 "${normclock[@]}" devices >>"$out/machine.txt" 2>&1
st=$?
cat "$out/machine.txt"
note devices $st $start "$(lastline "$out/machine.txt")"

# --- the self-check: primitives, training steps, throughput ---------------------------------------
echo "== self-check"
start=$SECONDS
run self-check 200 "${normclock[@]}" devices --check --log "$out/check.log" --steps 5 --bench-seconds 3 --bench-models 16,64,256 >"$out/check.out" 2>&1
status=$?
note self-check $status $start "$(lastline "$out/check.out")"
echo "self-check exit $status" >>"$out/check.out"
cat "$out/check.out"

# --- throughput: normclock's cuda backend beside the PyTorch population on the same GPU ---------------
# Python: the first of python3 and /usr/bin/python3 that can import torch.
py=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && timeout 60 "$p" -c 'import torch' 2>/dev/null; then py="$p"; break; fi
done
echo "== bench: normclock --backend cuda beside PyTorch --device cuda"
start=$SECONDS
bench_st=0
{
  echo "p=59 d=128 H=256 f=0.4; normclock: bench --backend cuda --seconds 3 (its JSON: the step's counters, the roofline); PyTorch: mlp_population.py --device cuda --seconds 3"
  [[ -n "$py" ]] && echo "python: $py, torch $("$py" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)' 2>&1)" \
    || echo "torch: neither python3 nor /usr/bin/python3 can import torch: no PyTorch figures"
  # 16 and 256 models in plain FP32 and with TF32 (issue 13's targets at 256: >= 5x in FP32, >= 10x with TF32),
  # and 256 models with every launch issued (--no-graphs), to see what the CUDA Graph buys
  for cfg in "16 fp32" "256 fp32" "256 tf32" "16 tf32" "256 fp32 --no-graphs"; do
    read -r b prec extra <<<"$cfg"
    flag=""; [[ "$prec" == tf32 ]] && flag="--tf32"
    tag="$b-$prec${extra:+-eager}"
    echo "-- $b models, $prec${extra:+ ($extra)}"
    run "normclock bench $tag" 40 "${normclock[@]}" bench --backend cuda --models "$b" --seconds 3 --repeats 1 --warmup 10 $flag $extra --json \
      >"$tmp/nc-$tag.json" 2>"$tmp/nc-$tag.err"
    st=$?
    cat "$tmp/nc-$tag.json" "$tmp/nc-$tag.err" | grep -v 'incubator modules'
    echo "normclock exit $st"
    ((st != 0 && bench_st == 0)) && bench_st=$st # the first failure
    if [[ -n "$py" && -z "$extra" ]]; then
      run "torch $tag" 45 env PYTHONUNBUFFERED=1 "$py" bench/torch/mlp_population.py --device cuda --models "$b" --seconds 3 --warmup 10 $flag \
        >"$tmp/pt-$tag.json" 2>"$tmp/pt-$tag.err"
      st=$?
      cat "$tmp/pt-$tag.json" "$tmp/pt-$tag.err"
      echo "torch exit $st"
      ((st != 0 && bench_st == 0)) && bench_st=$st # the first failure
      # the ratio, where both printed a figure (python without torch is enough to read two JSON lines)
      "$py" - "$tmp/nc-$tag.json" "$tmp/pt-$tag.json" "$b" "$prec" <<'PY' 2>/dev/null
import json, sys
def last(path):
    lines = [l for l in open(path) if l.strip().startswith("{")]
    return json.loads(lines[-1]) if lines else None
nc, pt = last(sys.argv[1]), last(sys.argv[2])
if nc and pt:
    a, b = nc["model_steps_per_second"], pt["model_steps_per_second"]
    target = {"fp32": 5, "tf32": 10}[sys.argv[4]]
    print(f"{sys.argv[3]} models {sys.argv[4]}: normclock cuda {a:.1f} model-steps/s, PyTorch cuda {b:.1f} -> ratio {a / b:.2f} "
          f"(target at 256 models: >= {target}); per step {nc.get('kernel_launches_per_step')} launches, "
          f"{nc.get('graph_launches_per_step')} graph launches, {nc.get('host_syncs_per_step')} syncs; roofline "
          f"{(nc.get('roofline') or {}).get('measured_over_estimate')} of the estimate")
PY
    fi
  done
} >"$out/bench.txt" 2>&1
cat "$out/bench.txt"
# the summary: the ratios where both ran, else the first line that says why not
if grep -q ' -> ratio ' "$out/bench.txt"; then msg="$(grep ' -> ratio ' "$out/bench.txt" | sed 's/ model-steps\/s//; s/ (target.*//' | paste -sd ';' -)"
else msg="no ratio: $(grep -v -e 'incubator modules' -e '^--' -e '^p=59' -e '^python:' -e ' exit ' "$out/bench.txt" | grep -v '^[[:space:]]*$' | head -1 | cut -c1-160)"; fi
note bench $bench_st $start "$msg"

# --- the paper's cell on both backends --------------------------------------------------------------
echo "== the paper's cell, 300 steps, 8 seeds, on both backends"
start=$SECONDS
train_st=0
tmsg=""
{
  for be in cuda cpu; do
    echo "-- --backend $be"
    run "train $be" 60 "${normclock[@]}" train --backend "$be" --seeds 1-8 --steps 300 --no-progress --out "$tmp/train-$be" >"$tmp/train-$be.txt" 2>&1
    st=$?
    cat "$tmp/train-$be.txt"
    echo "exit $st"
    ((st != 0)) && train_st=$st
    # for the summary: the compute line of a finished run, else its last line (why it stopped)
    if ((st == 0)); then tmsg+="$be: $(lastline "$tmp/train-$be.txt" '^compute:' | sed 's/^compute: //'); "
    else tmsg+="$be: exit $st, $(lastline "$tmp/train-$be.txt" | cut -c1-120); "; fi
  done
} >"$out/train.txt" 2>&1
cat "$out/train.txt"
note train $train_st $start "${tmsg%; }"

# --- compute-sanitizer: the primitives (small shapes) under memcheck ---------------------------------
# Last, since it is the slowest and the least likely to fit: it gets what is left of the deadline, 150 s at most.
echo "== compute-sanitizer memcheck, devices --check --primitives-only"
start=$SECONDS
san="$(command -v compute-sanitizer || true)"
if [[ -z "$san" ]]; then
  for c in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda-*/bin/compute-sanitizer /opt/nvidia/*/compute-sanitizer/compute-sanitizer; do
    [[ -x "$c" ]] && { san="$c"; break; }
  done
fi
if [[ -z "$san" ]]; then
  echo "compute-sanitizer: not found (PATH, /usr/local/cuda*/bin): memcheck not run" >"$out/sanitizer.txt"
  san_st=127
else
  {
    echo "$san ($("$san" --version 2>&1 | grep -i version | head -1))"
    # --error-exitcode: a memory error fails the step even if the comparison itself passes.
    run sanitizer 150 "$san" --tool memcheck --leak-check no --error-exitcode 3 --print-limit 50 \
      "${normclock[@]}" devices --check --primitives-only --log "$tmp/sanitizer-check.log"
    san_st=$?
    echo "exit $san_st"
  } >"$out/sanitizer.txt" 2>&1
fi
cat "$out/sanitizer.txt"
# the summary: what the check said, then memcheck's own verdict
msg="$(lastline "$out/sanitizer.txt" 'not found|skipped|stopped|self-check|no usable GPU|failed to start')"
err="$(lastline "$out/sanitizer.txt" 'ERROR SUMMARY')"
note sanitizer $san_st $start "${msg}${err:+ | $err}"

echo "== summary ($((SECONDS)) s of ${total})"
cat "$summary"
exit $status
