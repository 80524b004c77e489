#!/usr/bin/env bash
# Soak test: the cockpit in a real terminal (tmux) for a long time at H = 256, with a resize
# every few seconds, bursts of keys, the runs picker opened and closed, saves, and a
# pause/resume every minute. Samples the process's RSS and open file descriptors every 10 s and
# fails if either keeps growing, or if the cockpit stops answering keys (pause/resume must show
# on screen within 10 s).
#
#   bash benches/soak.sh                      # 30 minutes (SOAK_SECONDS=1800), 1 thread
#   SOAK_SECONDS=120 bash benches/soak.sh     # a short smoke run
#   BIN=path/to/rnn-tui bash benches/soak.sh  # a binary built elsewhere
#
# Prints one line per sample (t, rss_kib, fds) and a summary with start / middle / end figures.
set -euo pipefail
cd "$(dirname "$0")/.."
SOAK_SECONDS=${SOAK_SECONDS:-1800}
THREADS=${THREADS:-1}
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=$PWD/target/release/rnn-tui
fi
command -v tmux >/dev/null || { echo "error: the soak test needs tmux" >&2; exit 1; }
work=$(mktemp -d)
SOCK=rnn-tui-soak-$$
S="-L $SOCK"
trap 'tmux $S kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
export RNN_TUI_CONFIG_DIR=$work/config RNN_TUI_DATA_DIR=$work/data

screen() { tmux $S capture-pane -p -t soak -J 2>/dev/null || true; }
# wait_screen PATTERN SECONDS: the pattern shows on screen within the time, or fail.
wait_screen() {
  local end=$((SECONDS + $2))
  while [ $SECONDS -lt $end ]; do
    screen | grep -q "$1" && return 0
    sleep 0.2
  done
  echo "FAIL: the cockpit did not show '$1' within $2 s (stopped answering keys?)" >&2
  screen >&2
  exit 1
}
keys() { tmux $S send-keys -t soak "$@"; }

# exec: the pane's process is the cockpit itself, so its pid is the pane's pid.
tmux $S new-session -d -s soak -x 120 -y 40 \
  "exec env COLORTERM=truecolor RNN_TUI_LOG=$work/cockpit.log $BIN train --hiddens 256 --epochs 100000 --threads $THREADS --save-every 50"
wait_screen READY 60
pid=$(tmux $S display -p -t soak '#{pane_pid}')
keys Space
wait_screen TRAINING 30

sizes=("120 40" "80 24" "200 50" "60 18" "100 30" "160 45")
samples=$work/samples
start=$SECONDS
next_sample=0
next_pause=60
i=0
echo "t_s rss_kib fds"
while [ $((SECONDS - start)) -lt "$SOAK_SECONDS" ]; do
  t=$((SECONDS - start))
  [ -d /proc/$pid ] || { echo "FAIL: the cockpit exited" >&2; cat "$work/cockpit.log" >&2 || true; exit 1; }
  # A resize every few seconds.
  read -r w h <<<"${sizes[$((i % ${#sizes[@]}))]}"
  tmux $S resize-window -t soak -x "$w" -y "$h"
  # A burst of keys that leave the cockpit as it was: a full Tab cycle and back, help on and
  # off, the runs picker opened and closed, a save.
  case $((i % 4)) in
    0) keys Tab Tab Tab Tab Tab BTab BTab BTab BTab BTab ;;
    1) keys '?' ; sleep 0.3; keys Escape ;;
    2) keys o ; sleep 0.5; keys Down Up Escape ;;
    3) keys s ;;
  esac
  if [ "$t" -ge "$next_sample" ]; then
    rss=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status)
    fds=$(ls /proc/$pid/fd | wc -l)
    echo "$t $rss $fds" | tee -a "$samples"
    next_sample=$((next_sample + 10))
  fi
  if [ "$t" -ge "$next_pause" ]; then
    tmux $S resize-window -t soak -x 120 -y 40
    keys Space
    wait_screen PAUSED 10
    keys Space
    wait_screen TRAINING 10
    next_pause=$((next_pause + 60))
  fi
  i=$((i + 1))
  sleep 3
done
keys q
for _ in $(seq 100); do [ -d /proc/$pid ] || break; sleep 0.1; done

# Verdict: compare the first, middle and last thirds of the samples (medians). Memory may
# settle after warm-up (the charts fill their bounded series), so growth is judged between
# the middle and the last third: more than 10 % more RSS, or more fds, is unbounded growth.
awk '
  { t[NR] = $1; r[NR] = $2; f[NR] = $3 }
  function med(a, lo, hi,   n, i, j, x, v) {
    n = 0; for (i = lo; i <= hi; i++) v[++n] = a[i]
    for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
    return v[int((n + 1) / 2)]
  }
  END {
    n = NR; if (n < 6) { print "FAIL: too few samples (" n ")"; exit 1 }
    a = int(n / 3); b = int(2 * n / 3)
    r1 = med(r, 1, a); r2 = med(r, a + 1, b); r3 = med(r, b + 1, n)
    f1 = med(f, 1, a); f2 = med(f, a + 1, b); f3 = med(f, b + 1, n)
    printf "summary: %d samples over %d s; RSS KiB start/middle/end (medians of thirds) %d / %d / %d; fds %d / %d / %d; RSS first/last sample %d / %d\n", n, t[n], r1, r2, r3, f1, f2, f3, r[1], r[n]
    if (r3 > r2 * 1.10) { print "FAIL: RSS keeps growing"; exit 1 }
    if (f3 > f2) { print "FAIL: open file descriptors keep growing"; exit 1 }
    print "soak: ok"
  }' "$samples"
