#!/usr/bin/env bash
# Side-by-side results (issue 11): for each model row, train with `rnn-tui train --headless`,
# then the same model in PyTorch (CPU) for the same wall time, and print one markdown table:
# epochs, wall time, tokens/s, train and validation perplexity, and the 60-character greedy
# completion of "the time traveller" from each side.
#
#   bash benches/results_table.sh                      # all rows, THREADS=2
#   ROWS="lstm gru" THREADS=1 bash benches/results_table.sh
#   TUNED="--cell lstm --hiddens 512 ... --split whole --epochs 40" \
#   TUNED_TORCH="--cell lstm --hiddens 512 ..." ROWS=tuned bash benches/results_table.sh
#   EPOCHS=2 bash benches/results_table.sh             # smoke test: every rnn-tui row 2 epochs
#
# Rows (rnn-tui flags; the PyTorch twin is benches/torch_d2l.py for the d2l-split rows and
# benches/torch_charlm.py for the whole-text row):
#   rnn    d2l §9.5: the defaults (H 32, SGD lr 1, clip 1, batch 1024 × 32, 100 epochs)
#          vs torch_d2l.py (the scratch RNN, same recipe)
#   lstm   d2l §10.1: --cell lstm --hiddens 32 --lr 4 --epochs 50 vs torch_d2l.py --cell lstm --lr 4
#   gru    d2l §10.2: --cell gru --hiddens 32 --lr 4 --epochs 50  vs torch_d2l.py --cell gru --lr 4
#   gru2   d2l §10.3 (its concise deep GRU: GRU(num_hiddens=32, num_layers=2), RNNLM lr=2,
#          Trainer(max_epochs=100, gradient_clip_val=1), TimeMachine(batch_size=1024,
#          num_steps=32)): --cell gru --layers 2 --hiddens 32 --lr 2 --epochs 100
#          vs torch_d2l.py --cell gru --layers 2 --lr 2
#   tuned  whole-text split: rnn-tui $TUNED vs torch_charlm.py $TUNED_TORCH; the table shows the
#          best validation perplexity and its epoch, and the completion from the best weights
#          (`rnn-tui sample --best`; torch_charlm.py keeps its best weights too).
# PyTorch runs until its first epoch end past rnn-tui's own training time (the `seconds=` of
# rnn-tui's summary: training and validation since training started, which is what the Python
# scripts' --seconds / --minutes count), so each row compares the two at (about) the same wall
# time. "wall s" is measured here around each process (start-up and data loading included);
# "train s" is what each program reports.
#
# Environment: ROWS (default "rnn lstm gru gru2 tuned"), THREADS (2), PYTHON
# (/tmp/torchenv_kernels/bin/python), RNN_TUI (target/release/rnn-tui, built if missing), OUT
# (the directory for the raw logs and table.md; default a new /tmp/results_table.XXXXXX, kept),
# TEXT (sample_texts/timemachine.txt, the text rnn-tui has built in), PREFIX ("the time
# traveller"), CHARS (60), EPOCHS (overrides every row's rnn-tui epochs: smoke tests), SEED (0).
# rnn-tui's runs are saved in $OUT/data (--data-dir), so they can be inspected afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-"rnn lstm gru gru2 tuned"}
THREADS=${THREADS:-2}
PYTHON=${PYTHON:-/tmp/torchenv_kernels/bin/python}
RNN_TUI=${RNN_TUI:-target/release/rnn-tui}
TEXT=${TEXT:-sample_texts/timemachine.txt}
PREFIX=${PREFIX:-the time traveller}
CHARS=${CHARS:-60}
SEED=${SEED:-0}
EPOCHS=${EPOCHS:-}
TUNED=${TUNED:---cell gru --layers 2 --hiddens 256 --optimizer adam --lr 0.002 --batch-size 64 --num-steps 64 --dropout 0.3 --split whole --epochs 36}
TUNED_TORCH=${TUNED_TORCH:---cell gru --layers 2 --hiddens 256 --dropout 0.3 --opt adam --lr 2e-3 --batch 64 --steps 64}
OUT=${OUT:-$(mktemp -d /tmp/results_table.XXXXXX)}
mkdir -p "$OUT"
DATA=$OUT/data

die() { echo "results_table: $*" >&2; exit 1; }
if [ ! -f "$RNN_TUI" ] || [ ! -x "$RNN_TUI" ]; then
  [ "$RNN_TUI" = target/release/rnn-tui ] || die "RNN_TUI=$RNN_TUI is not an executable"
  cargo build --release --quiet
fi
[ -x "$PYTHON" ] || die "PYTHON=$PYTHON is not an executable (a Python with torch)"
[ -f "$TEXT" ] || die "TEXT=$TEXT does not exist"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
now() { date +%s.%N; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
# `field NAME FILE`: the number after "NAME=" or "NAME " in FILE's summary line (the last line
# that has it); fails loudly when it is missing or not a number.
field() {
  local v
  v=$(grep -v '^completion: ' "$2" | grep -Eo "(^| )$1[= ][^ ]+" | tail -1 | sed -E "s/^ ?$1[= ]//") || true
  [[ "$v" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "no number for '$1' in $2 (got '$v'); see the log"
  echo "$v"
}
# The best epoch and its validation perplexity from the per-epoch lines of a log.
best() {
  local b
  b=$(grep -E '^epoch [0-9]+ ' "$1" | awk '{ for (i = 1; i < NF; i++) if ($i == "val_ppl") v = $(i + 1);
      if (n == 0 || v + 0 < bv) { bv = v + 0; be = $2 }; n++ } END { if (n) printf "%.3f %d", bv, be }')
  [ -n "$b" ] || die "no epoch lines in $1"
  echo "$b"
}
completion() {
  local c
  c=$(grep '^completion: ' "$1" | tail -1 | sed 's/^completion: //') || true
  [ -n "$c" ] || die "no completion in $1"
  echo "$c"
}
cell() { printf '`%s`' "${1//|/\\|}"; }
fmt_int() { printf "%'.0f" "$1" 2>/dev/null || echo "$1"; }

rows_md=()
for row in $ROWS; do
  case $row in
    rnn)   rt=(--epochs 100); pt=(benches/torch_d2l.py); settings="d2l §9.5 RNN, H 32, SGD lr 1" ;;
    lstm)  rt=(--cell lstm --hiddens 32 --lr 4 --epochs 50); pt=(benches/torch_d2l.py --cell lstm --lr 4)
           settings="d2l §10.1 LSTM, H 32, SGD lr 4" ;;
    gru)   rt=(--cell gru --hiddens 32 --lr 4 --epochs 50); pt=(benches/torch_d2l.py --cell gru --lr 4)
           settings="d2l §10.2 GRU, H 32, SGD lr 4" ;;
    gru2)  rt=(--cell gru --layers 2 --hiddens 32 --lr 2 --epochs 100)
           pt=(benches/torch_d2l.py --cell gru --layers 2 --lr 2)
           settings="d2l §10.3 GRU, 2 layers, H 32, SGD lr 2" ;;
    tuned) read -r -a rt <<< "$TUNED"; read -r -a pt <<< "$TUNED_TORCH"; pt=(benches/torch_charlm.py "${pt[@]}")
           settings="tuned, whole text" ;;
    *) die "unknown row '$row' (rows: rnn lstm gru gru2 tuned)" ;;
  esac
  if [ -n "$EPOCHS" ]; then # replace the row's --epochs
    kept=(); skip=0
    for w in "${rt[@]}"; do
      if [ $skip = 1 ]; then skip=0; elif [ "$w" = --epochs ]; then skip=1; else kept+=("$w"); fi
    done
    rt=("${kept[@]}" --epochs "$EPOCHS")
    settings="$settings ($EPOCHS epochs)"
  fi
  if [ "$row" = tuned ]; then settings="$settings: \`${rt[*]}\` vs \`${pt[*]:1}\`"; fi

  log=$OUT/$row.rnn-tui.log
  echo "== $row: rnn-tui train --headless --threads $THREADS --seed $SEED ${rt[*]}" >&2
  t0=$(now)
  "$RNN_TUI" train --headless --threads "$THREADS" --seed "$SEED" --data-dir "$DATA" "${rt[@]}" > "$log" 2>&1 \
    || die "rnn-tui failed (exit $?); see $log"
  rt_wall=$(minus "$(now)" "$t0")
  run=$(grep -Eo '^run [^ ]+' "$log" | head -1 | cut -d' ' -f2)
  [ -n "$run" ] || die "no run id in $log"
  rt_seconds=$(field seconds "$log")
  rt_epochs=$(field epochs "$log")
  rt_tps=$(field tokens_per_s "$log")
  rt_train=$(field train_ppl "$log")
  rt_val=$(field val_ppl "$log")
  sample_flags=()
  if [ "$row" = tuned ]; then sample_flags=(--best); fi
  "$RNN_TUI" sample --run "$run" --data-dir "$DATA" --prefix "$PREFIX" --len "$CHARS" "${sample_flags[@]}" \
    > "$OUT/$row.rnn-tui.sample" 2>&1 || die "rnn-tui sample failed; see $OUT/$row.rnn-tui.sample"
  printf 'completion: %s\n' "$(head -1 "$OUT/$row.rnn-tui.sample")" >> "$log"
  rt_completion=$(completion "$log")

  plog=$OUT/$row.pytorch.log
  if [ "$row" = tuned ]; then
    budget=(--minutes "$(awk -v s="$rt_seconds" 'BEGIN { printf "%.4f", s / 60 }')")
  else
    budget=(--seconds "$rt_seconds" --epochs 1000000 --val-every 1)
  fi
  echo "== $row: $PYTHON ${pt[*]} --threads $THREADS ${budget[*]}" >&2
  t0=$(now)
  "$PYTHON" "${pt[0]}" "$TEXT" "${pt[@]:1}" --threads "$THREADS" --seed "$SEED" "${budget[@]}" \
    --prefix "$PREFIX" --chars "$CHARS" > "$plog" 2>&1 || die "PyTorch failed (exit $?); see $plog"
  pt_wall=$(minus "$(now)" "$t0")
  pt_seconds=$(field seconds "$plog")
  pt_epochs=$(field epochs "$plog")
  pt_tps=$(field tokens_per_s "$plog")
  pt_train=$(field train_ppl "$plog")
  pt_val=$(field val_ppl "$plog")
  pt_completion=$(completion "$plog")

  if [ "$row" = tuned ]; then
    # rnn-tui's epoch lines round to 2 decimals: take the best epoch from the run's metrics.jsonl
    read -r rt_bv rt_be <<< "$("$PYTHON" - "$DATA/runs/$run/metrics.jsonl" <<'PY'
import json, sys
ep = [e for e in map(json.loads, open(sys.argv[1])) if e.get("event") == "epoch"]
b = min(ep, key=lambda e: e["val_ppl"])
print(f"{b['val_ppl']:.3f} {b['epoch']}")
PY
)"
    [[ "$rt_be" =~ ^[0-9]+$ ]] || die "no best epoch in $DATA/runs/$run/metrics.jsonl"
    read -r pt_bv pt_be <<< "$(best "$plog")"
    pt_bv_reported=$(field best_val_ppl "$plog")
    [ "$(field best_epoch "$plog")" = "$pt_be" ] || die "torch_charlm.py's best_epoch disagrees with its epoch lines"
    rt_valcell="$rt_val (best $rt_bv, epoch $rt_be)"
    pt_valcell="$pt_val (best $pt_bv_reported, epoch $pt_be)"
  else
    rt_valcell=$rt_val; pt_valcell=$pt_val
  fi
  rows_md+=("| $row | $settings | rnn-tui | $rt_epochs | $rt_wall | $rt_seconds | $(fmt_int "$rt_tps") | $rt_train | $rt_valcell | $(cell "$rt_completion") |")
  rows_md+=("| $row | $settings | PyTorch | $pt_epochs | $pt_wall | $pt_seconds | $(fmt_int "$pt_tps") | $pt_train | $pt_valcell | $(cell "$pt_completion") |")
done

{
  echo "threads $THREADS, seed $SEED, load before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs, $("$PYTHON" -c 'import torch; print("PyTorch", torch.__version__)')"
  echo
  echo "| model | settings | tool | epochs | wall s | train s | tokens/s | train ppl | val ppl | completion of \"$PREFIX\" |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows_md[@]}"
} | tee "$OUT/table.md"
echo "raw logs, rnn-tui runs (data/) and table.md in $OUT" >&2
