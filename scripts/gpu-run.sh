#!/usr/bin/env bash
# The prepared GPU run: on a machine with an NVIDIA GPU and a driver but no Rust toolchain, run
# the CUDA binary built by scripts/check-gpu-build.sh (carried along with the repository) and
# print the figures the guide (docs/gpu.md, docs/performance.md) quotes. Stays under 10 minutes on one H200.
#
#   BIN=target/cuda/release/rnn-tui.stripped bash scripts/gpu-run.sh
#
# 1. the d2l defaults for 100 epochs on --device cuda --kernel candle (the `done` line);
# 2. `rnn-tui bench --device cuda` at H = 32, 256 and 1024;
# 3. where PyTorch with CUDA is installed, the same recipe in PyTorch on the GPU beside it
#    (benches/torch_d2l.py --device cuda).
# The CUDA 13 libraries (nvrtc, cuBLAS, cuBLASLt, cuRAND) are looked for in CUDA_ROOT,
# /usr/local/cuda* and the Python `nvidia` wheels; the driver's libcuda.so.1 in the usual places.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/cuda/release/rnn-tui.stripped}
[ -x "$BIN" ] || { echo "error: no CUDA binary at $BIN (build it with scripts/check-gpu-build.sh)" >&2; exit 1; }

dirs=()
for d in "${CUDA_ROOT:-}/lib" "${CUDA_ROOT:-}/lib64" /usr/local/cuda/lib64 /usr/local/cuda-13*/lib64; do
  [ -d "$d" ] && dirs+=("$d")
done
for py in python3 python; do
  command -v "$py" >/dev/null || continue
  while read -r d; do [ -d "$d" ] && dirs+=("$d"); done < <("$py" - <<'PY' 2>/dev/null
import glob, os
try:
    import nvidia
    for root in nvidia.__path__:
        for d in glob.glob(os.path.join(root, "*", "lib")):
            print(d)
except ImportError:
    pass
PY
)
  break
done
LD_LIBRARY_PATH=$(IFS=:; echo "${dirs[*]:-}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not found"
missing=$(ldd "$BIN" | grep "not found")
if [ -n "$missing" ]; then
  echo "error: the CUDA binary cannot start here; missing libraries:" >&2
  echo "$missing" >&2
  exit 1
fi
export RNN_TUI_DATA_DIR=$(mktemp -d) RNN_TUI_CONFIG_DIR=/nonexistent/rnn-tui-gpu-config

echo "== d2l defaults, 100 epochs, --device cuda --kernel candle"
start=$(date +%s.%N)
"$BIN" train --headless --device cuda --kernel candle --no-save | tail -3
echo "wall_s=$(awk -v s="$start" -v e="$(date +%s.%N)" "BEGIN { printf \"%.1f\", e - s }")"

echo "== rnn-tui bench --device cuda"
"$BIN" bench --device cuda --kernels candle --sizes 32,256,1024 --thread-counts 1 --batches 20

if python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  echo "== PyTorch $(python3 -c 'import torch; print(torch.__version__)') on the GPU, same recipe"
  for h in 32 256 1024; do
    python3 benches/torch_d2l.py sample_texts/timemachine.txt --device cuda --hiddens "$h" --epochs 10 | grep tokens_per_s
  done
else
  echo "== PyTorch with CUDA: not installed here, no side-by-side figures"
fi
