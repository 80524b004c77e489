#!/usr/bin/env bash
# Checks and builds rnn-tui's CUDA backend on a machine with no GPU, no driver and no system CUDA
# toolkit: the CUDA 13.0 compiler and libraries come as pinned PyPI wheels in a venv.
#
#   bash scripts/check-gpu-build.sh            # check + clippy + release binary (sm_90: H100/H200)
#   CUDA_COMPUTE_CAP=80 bash scripts/check-gpu-build.sh
#
# Steps, each timed:
#   1. a venv (target/cuda-venv) with nvcc, nvvm, crt, cccl, the runtime, nvrtc, cuBLAS, cuRAND;
#   2. `cargo check --release --features cuda` and `cargo clippy --release --features cuda`
#      (compiles candle's CUDA kernels with nvcc: ~15 minutes on 2 cores the first time);
#   3. `cargo build --release --features cuda`: a binary that links without a driver (~10 more
#      minutes).
#      candle 0.11 asks cudarc for `dynamic-linking` (libcuda, nvrtc, curand, cublas, cublasLt at
#      link time; candle-kernels adds cudart). cudarc's `dynamic-loading` would need none of
#      them, but cudarc's build script
#      refuses both features at once and candle-core turns `dynamic-linking` on, so it cannot be
#      chosen from this crate. Instead the five libraries link against the wheels' real ones, and
#      `libcuda.so.1` against a stub built here from the driver symbols cudarc uses (as the
#      toolkit's own lib64/stubs/libcuda.so does); at run time the real driver is found.
# The result is target/cuda/release/rnn-tui (features: cuda). Its size and the time of each step
# are printed at the end. Not part of .ci/run (too slow for every run).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-90}
export CARGO_TARGET_DIR=$root/target/cuda
venv=$root/target/cuda-venv
t0=$SECONDS
step() { printf '\n== %s (%d s so far)\n' "$1" $((SECONDS - t0)); }

step "venv with the CUDA 13.0 wheels"
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check \
  nvidia-cuda-nvcc==13.0.88 nvidia-nvvm==13.0.88 nvidia-cuda-crt==13.0.88 \
  nvidia-cuda-runtime==13.0.96 nvidia-cuda-cccl==13.0.85 \
  nvidia-cuda-nvrtc==13.0.88 nvidia-cublas==13.1.0.3 nvidia-curand==10.4.0.35
cu=$("$venv/bin/python" -c 'import nvidia, os; print(os.path.join(nvidia.__path__[0], "cu13"))')
[ -x "$cu/bin/nvcc" ] || { echo "error: no nvcc under $cu/bin" >&2; exit 1; }
export PATH=$cu/bin:$PATH CUDA_ROOT=$cu CUDA_PATH=$cu
nvcc --version | tail -2

# The linker wants unversioned names (libcublas.so); the wheels ship versioned ones.
links=$CARGO_TARGET_DIR/cuda-link
mkdir -p "$links"
for lib in nvrtc curand cublas cublasLt cudart; do
  real=$(ls "$cu"/lib/lib$lib.so.* 2>/dev/null | head -1)
  [ -n "$real" ] || { echo "error: lib$lib.so.* not found under $cu/lib" >&2; exit 1; }
  ln -sf "$real" "$links/lib$lib.so"
done
export RUSTFLAGS="${RUSTFLAGS:-} -L native=$links"

step "cargo check --release --features cuda"
cargo check --release --features cuda

step "cargo clippy --release --features cuda -- -D warnings"
cargo clippy --release --features cuda -- -D warnings

step "stub libcuda.so.1 from the driver symbols cudarc uses"
# Every driver function cudarc declares (a superset of what candle calls; extra stubs are harmless).
cudarc_src=$(cargo metadata --format-version 1 --features cuda 2>/dev/null \
  | "$venv/bin/python" -c 'import json, sys, os; m = json.load(sys.stdin); print(next(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"] == "cudarc"))')
syms=$(grep -ohE '\bfn cu[A-Z][A-Za-z0-9_]*' "$cudarc_src"/src/driver/sys/mod.rs | awk '{print $2}' | sort -u)
[ -n "$syms" ] || { echo "error: no driver symbols found in $cudarc_src" >&2; exit 1; }
stub_c=$links/cuda_stub.c
{
  echo "/* Link-time stand-in for the CUDA driver: never run; the real libcuda.so.1 is loaded at run time. */"
  for s in $syms; do echo "int $s(void) { return 999; /* CUDA_ERROR_UNKNOWN */ }"; done
} >"$stub_c"
cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$links/libcuda.so" "$stub_c"
echo "$(echo "$syms" | wc -l) driver symbols"

step "cargo build --release --features cuda"
cargo build --release --features cuda --bin rnn-tui
bin=$CARGO_TARGET_DIR/release/rnn-tui
objcopy --strip-debug "$bin" "$bin.stripped"

step "done"
echo "binary: $bin ($(du -h "$bin" | cut -f1); without debug info: $(du -h "$bin.stripped" | cut -f1))"
echo "needs at run time:"
ldd "$bin" | grep -E 'cuda|nvrtc|cublas|curand' || true
# Without a driver the binary starts (the stub stands in for libcuda.so.1) and refuses CUDA with
# one line, as on any machine whose driver is missing.
ln -sf libcuda.so "$links/libcuda.so.1"
LD_LIBRARY_PATH=$links:$cu/lib "$bin" --version
if LD_LIBRARY_PATH=$links:$cu/lib "$bin" train --headless --device cuda --epochs 1 --no-save 2>"$links/no-driver.txt"; then
  echo "error: --device cuda trained with a stub driver" >&2; exit 1
fi
echo "without a driver: $(head -1 "$links/no-driver.txt")"
echo "check-gpu-build: ok in $((SECONDS - t0)) s"
