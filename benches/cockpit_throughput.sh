#!/usr/bin/env bash
# Training tokens/s inside the cockpit (the real binary in a tmux pane, drawing live) against
# headless, same settings, alternating rounds. Needs tmux.
#
#   bash benches/cockpit_throughput.sh             # d2l defaults, 50 epochs, 1 thread, 3 rounds
#   EPOCHS=100 THREADS=2 ROUNDS=5 bash benches/cockpit_throughput.sh
#   INSPECT=1 bash benches/cockpit_throughput.sh   # the neuron inspector on: heatmap (3), f
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=$PWD/target/release/rnn-tui
EPOCHS=${EPOCHS:-50}
THREADS=${THREADS:-1}
ROUNDS=${ROUNDS:-3}
ARGS="--epochs $EPOCHS --threads $THREADS --no-save"
export RNN_TUI_CONFIG_DIR=/nonexistent/rnn-tui-bench-config
work=$(mktemp -d)
export RNN_TUI_DATA_DIR=$work
SOCK=rnn-tui-bench-$$
trap 'tmux -L $SOCK kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
wait_log() { # file pattern
  for _ in $(seq 1200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.25; done
  echo "timed out waiting for '$2' in $1" >&2; return 1
}
for r in $(seq "$ROUNDS"); do
  h=$("$BIN" train --headless $ARGS | grep -o 'tokens_per_s=[0-9.]*' | cut -d= -f2)
  log=$work/cockpit-$r.log
  tmux -L "$SOCK" new-session -d -s bench -x 120 -y 40 \
    "RNN_TUI_LOG=$log COLORTERM=truecolor $BIN train $ARGS; sleep 60"
  wait_log "$log" "ready on"
  sleep 0.5
  if [ "${INSPECT:-0}" = 1 ]; then
    # Select the heatmap's best unit: the completion and the validation strip are coloured
    # by it, and the trainer reads the validation excerpt with its snapshots.
    tmux -L "$SOCK" send-keys -t bench 3 f
    sleep 0.5
  fi
  tmux -L "$SOCK" send-keys -t bench Space
  wait_log "$log" "finished epochs="
  c=$(grep -o 'tokens_per_s=[0-9.]*' "$log" | tail -1 | cut -d= -f2)
  tmux -L "$SOCK" send-keys -t bench q
  sleep 0.5
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  awk -v r="$r" -v h="$h" -v c="$c" \
    'BEGIN { printf "round %d headless_tokens_per_s=%.0f cockpit_tokens_per_s=%.0f cockpit/headless=%.3f\n", r, h, c, c / h }'
done
