#!/usr/bin/env bash
# Side-by-side training throughput: the PyTorch re-typing of d2l §9.5 (shared/reference) and
# `rnn-tui bench`, same machine, same thread counts, one after the other.
#
#   python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch numpy
#   bash benches/compare_pytorch.sh /tmp/torchenv/bin/python ../shared/reference/d2l_rnn_scratch.py
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-/tmp/torchenv/bin/python}
REF=${2:-../shared/reference/d2l_rnn_scratch.py}
EPOCHS=${EPOCHS:-5}
cargo build --release --quiet
for h in 32 256; do
  for t in 1 2; do
    tps=$("$PY" "$REF" sample_texts/timemachine.txt --epochs "$EPOCHS" --threads "$t" --hiddens "$h" \
          | grep -o 'tokens_per_s [0-9]*' | awk '{print $2}')
    echo "pytorch hiddens=$h threads=$t tokens_per_s=$tps"
    ./target/release/rnn-tui bench --single --threads "$t" --sizes "$h" --kernels fused,candle --batches 20 \
      | sed 's/^/rnn-tui /'
  done
done
