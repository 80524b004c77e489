#!/usr/bin/env bash
# Makes every picture of README.md, README.ko.md and docs/ from the real binary, into
# docs/images/. Rerun it on a clean checkout and the pictures come back with the same layout
# (the figures in them move a little: training speed and timing differ between machines).
#
#   bash scripts/screenshots.sh
#
# Needs tmux (the cockpit runs in a real terminal of a fixed size). The cockpit's screen is
# captured with its colours (`tmux capture-pane -e`) and painted into a PNG by
# examples/screenshot (an embedded font; see that file for why not a browser). The curves are
# drawn by `rnn-tui plot`.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v tmux >/dev/null || { echo "error: scripts/screenshots.sh needs tmux" >&2; exit 1; }

cargo build --release --bin rnn-tui --example screenshot
BIN="$PWD/target/release/rnn-tui"
SHOT="$PWD/target/release/examples/screenshot"
OUT=docs/images
mkdir -p "$OUT"
WORK=$(mktemp -d)
SESSION="rnn-tui-shots-$$"
SOCKET="$WORK/tmux.sock"
cleanup() {
    tmux -S "$SOCKET" kill-server 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

DATA="$WORK/data"
newest_run() { ls -td "$DATA"/runs/*/ | head -1; }

# Three models on The Time Machine with the d2l defaults (32 hidden units, batches of
# 1024 × 32, SGD lr 1, clip 1, 100 epochs, seed 0): the §9.5 RNN, a GRU and an LSTM.
declare -a RUNS
for cell in rnn gru lstm; do
    "$BIN" --data-dir "$DATA" train --headless --seed 0 --threads 2 --cell "$cell" >/dev/null
    RUNS+=("$(newest_run)")
done
"$BIN" --data-dir "$DATA" runs --label "${RUNS[0]}" "§9.5 RNN" >/dev/null
"$BIN" --data-dir "$DATA" runs --label "${RUNS[1]}" "GRU" >/dev/null
"$BIN" --data-dir "$DATA" runs --label "${RUNS[2]}" "LSTM" >/dev/null
"$BIN" --data-dir "$DATA" plot "${RUNS[@]}" --metric ppl --x epochs --size 1200x600 \
    -o "$OUT/models.png"

# Waits until the pane shows $1 (a fixed string), for at most $2 seconds.
wait_for() {
    local deadline=$((SECONDS + $2))
    until tmux -S "$SOCKET" capture-pane -p -t "$SESSION" | grep -qF -- "$1"; do
        if ((SECONDS > deadline)); then
            echo "error: the cockpit never showed \"$1\"" >&2
            tmux -S "$SOCKET" capture-pane -p -t "$SESSION" >&2
            exit 1
        fi
        sleep 0.2
    done
}

# Captures the pane into $1 (a PNG) at the session's size.
capture() {
    tmux -S "$SOCKET" capture-pane -e -p -t "$SESSION" >"$WORK/screen.ans"
    "$SHOT" "$WORK/screen.ans" "$1" --size "${COLS}x${ROWS}"
}

COLS=120
ROWS=40
start_cockpit() {
    tmux -S "$SOCKET" -f /dev/null new-session -d -s "$SESSION" -x "$COLS" -y "$ROWS" \
        env TERM=xterm-256color COLORTERM=truecolor "$BIN" --data-dir "$DATA" "$@"
    tmux -S "$SOCKET" set-option -t "$SESSION" status off >/dev/null
}

# The cockpit mid-training: a GRU with 128 hidden units on batches of 64, 40 s into its run.
start_cockpit --seed 0 --cell gru --hiddens 128 --batch-size 64 --epochs 200
wait_for READY 30
tmux -S "$SOCKET" send-keys -t "$SESSION" space
wait_for TRAINING 30
sleep 40
capture "$OUT/cockpit.png"
tmux -S "$SOCKET" send-keys -t "$SESSION" space
wait_for PAUSED 30

# The runs picker overlaying the three labelled models' curves on this run (the first row is
# this run itself, which is never overlaid on itself).
tmux -S "$SOCKET" send-keys -t "$SESSION" o
wait_for "Runs —" 10
for key in Down c Down c Down c; do
    tmux -S "$SOCKET" send-keys -t "$SESSION" "$key"
    sleep 0.3
done
wait_for "3 run(s) overlaid" 10
capture "$OUT/picker.png"
tmux -S "$SOCKET" kill-server

ls -l "$OUT"
