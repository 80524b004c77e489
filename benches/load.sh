#!/usr/bin/env bash
# Loading at disk speed (issue 15): generate texts of 10, 50 and 500 MiB (in a temporary
# directory, never committed), then for each, in a fresh process, time how long `rnn-tui`
# takes to load it and reach its first training batch, and its peak memory (VmHWM).
#
#   bash benches/load.sh                      # raw text, whole split, 10 50 500 MiB
#   SIZES="50" TEXT=letters SPLIT=d2l bash benches/load.sh
#
# The texts are the shipped books (sample_texts/*.txt) repeated, cut at a character boundary.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"10 50 500"}
TEXT=${TEXT:-raw}
SPLIT=${SPLIT:-whole}
THREADS=${THREADS:-2}
cargo build --release --quiet
BIN=target/release/rnn-tui
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat sample_texts/*.txt > "$dir/base.txt"
echo "text $TEXT, split $SPLIT, threads $THREADS; base text $(wc -c < "$dir/base.txt") bytes (sample_texts/*.txt) repeated"
for mib in $SIZES; do
    f="$dir/text-$mib.txt"
    perl -e '
        my ($base, $size, $out) = @ARGV;
        open my $b, "<:raw", $base or die; local $/; my $t = <$b>;
        open my $o, ">:raw", $out or die;
        my $left = $size;
        while ($left > 0) {
            my $c = length($t) <= $left ? $t : substr($t, 0, $left);
            # never cut inside a UTF-8 character: drop a trailing partial one
            $c =~ s/[\xC0-\xFF][\x80-\xBF]*\z// if length($c) < length($t);
            print $o $c; $left -= length($c);
            last if length($c) < length($t);
        }' "$dir/base.txt" $((mib * 1024 * 1024)) "$f"
    # Drop the file from the page cache's point of view? No: "disk speed" here is a warm
    # cache, as a text just written or read once is. Each size runs in its own process.
    "$BIN" bench --load "$f" --text "$TEXT" --split "$SPLIT" --threads "$THREADS"
    rm -f "$f"
done
