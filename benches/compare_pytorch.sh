#!/usr/bin/env bash
# Side-by-side training throughput: PyTorch (shared/reference/d2l_rnn_scratch.py) and
# `rnn-tui bench --single`, same machine, same thread counts, alternating one run of each per
# round, several rounds; prints every run, then the medians and their ratio.
#
#   python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch numpy
#   bash benches/compare_pytorch.sh /tmp/torchenv/bin/python ../shared/reference/d2l_rnn_scratch.py
#   CELL=gru bash benches/compare_pytorch.sh ...         # torch.nn.GRU vs the fused GRU kernel
#   CELL=lstm LAYERS=2 ROUNDS=5 SIZES="32" THREADS="1" bash benches/compare_pytorch.sh ...
#
# CELL=rnn (the default) compares d2l's §9.5 scratch RNN with both rnn-tui kernels (fused,
# candle) as before; CELL=gru|lstm compares `torch.nn.GRU` / `torch.nn.LSTM` (one-hot input,
# linear output, SGD with global-norm clipping; d2l's lr 4) with rnn-tui's fused gated kernel
# doing the same training step. Both sides count training tokens only (d2l batch 1024 × 32).
# PyTorch runs whole epochs (10 batches each): EPOCHS_32 / EPOCHS_256 epochs per run
# (default 2 / 1); rnn-tui times BATCHES_32 / BATCHES_256 batches (default 20 / 5) after 2
# warm-up batches.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-/tmp/torchenv/bin/python}
REF=${2:-../shared/reference/d2l_rnn_scratch.py}
CELL=${CELL:-rnn}
LAYERS=${LAYERS:-1}
ROUNDS=${ROUNDS:-3}
SIZES=${SIZES:-"32 256"}
THREADS=${THREADS:-"1 2"}
cargo build --release --quiet
BIN=./target/release/rnn-tui

if [ "$CELL" = rnn ] && [ "$LAYERS" = 1 ]; then
  pt_model=()
  rt_model=(--kernels fused,candle)
else
  pt_model=(--cell "$CELL" --layers "$LAYERS" --lr 4)
  rt_model=(--kernels fused --cell "$CELL" --layers "$LAYERS")
fi

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "?"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# What each side runs on, so every table says what it compares: the CPU, PyTorch's vector
# path (`get_cpu_capability`: avx512, avx2, default) and rnn-tui's (`--isa`, RNN_TUI_ISA).
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
pt_isa=$("$PY" -c 'import torch; print(torch.backends.cpu.get_cpu_capability())' 2>/dev/null || echo "?")
rt_isa=$("$BIN" bench --single --threads 1 --sizes 8 --batches 1 --kernels fused \
         | grep -o 'device=cpu [a-z0-9]*' | cut -d' ' -f2 | head -1)
echo "cpu: ${cpu_model:-?}  pytorch isa: $pt_isa  rnn-tui isa: ${rt_isa:-?}"
echo "cell=$CELL layers=$LAYERS rounds=$ROUNDS load: $(cut -d' ' -f1-3 /proc/loadavg)"
summary=()
for h in $SIZES; do
  if [ "$h" -ge 128 ]; then epochs=${EPOCHS_256:-1}; batches=${BATCHES_256:-5}; else epochs=${EPOCHS_32:-2}; batches=${BATCHES_32:-20}; fi
  for t in $THREADS; do
    pt=(); rt=()
    for r in $(seq "$ROUNDS"); do
      tps=$("$PY" "$REF" sample_texts/timemachine.txt --epochs "$epochs" --threads "$t" --hiddens "$h" "${pt_model[@]}" \
            | grep -o 'tokens_per_s [0-9]*' | awk '{print $2}')
      echo "round $r pytorch cell=$CELL layers=$LAYERS hiddens=$h threads=$t tokens_per_s=$tps"
      pt+=("$tps")
      out=$("$BIN" bench --single --threads "$t" --sizes "$h" --batches "$batches" "${rt_model[@]}")
      echo "$out" | sed "s/^/round $r rnn-tui /"
      rt+=("$(echo "$out" | grep '^kernel=fused' | grep -o 'tokens_per_s=[0-9]*' | cut -d= -f2)")
    done
    mp=$(printf '%s\n' "${pt[@]}" | median)
    mr=$(printf '%s\n' "${rt[@]}" | median)
    ratio=$(awk -v a="$mr" -v b="$mp" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }')
    summary+=("median cell=$CELL layers=$LAYERS hiddens=$h threads=$t pytorch=$mp rnn-tui-fused=$mr ratio=$ratio")
  done
done
printf '%s\n' "${summary[@]}"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
