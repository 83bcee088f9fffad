#!/usr/bin/env bash
# Times two reprise binaries on the same generated cohorts, interleaved so that both meet
# the same machine noise: how a change is shown to be no slower. The whole `reprise check`
# process is timed, from start to exit; medians of wall time and peak memory.
#
#   bench/versus.sh OLD_BINARY NEW_BINARY [ROWS ...]     # default 1000000
#   RUNS=7 bench/versus.sh /tmp/old/reprise target/release/reprise 1000000 10000000
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2
shift 2
cargo build --release --quiet --examples
target="${CARGO_TARGET_DIR:-target}/release"
runs="${RUNS:-5}"
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "old: $("$old" --version)   new: $("$new" --version)"
for n in "${@:-1000000}"; do
  dir=$(mktemp -d)
  "$target/examples/bench" "$n" 2021 --keep "$dir" --generate-only > /dev/null
  for who in old new; do : > "$dir/$who.times"; done
  for ((i = 1; i <= runs; i++)); do
    for who in old new; do
      bin=$old; [ "$who" = new ] && bin=$new
      /usr/bin/time -f "%e %M" -o "$dir/t" "$bin" check "$dir/study.yaml" > "$dir/$who.out"
      cat "$dir/t" >> "$dir/$who.times"
    done
  done
  cmp -s "$dir/old.out" "$dir/new.out" || echo "  note: the two print different check output"
  echo "== $n rows, median of $runs runs each"
  for who in old new; do
    s=$(cut -d' ' -f1 "$dir/$who.times" | median)
    m=$(cut -d' ' -f2 "$dir/$who.times" | median)
    echo "  $who: $(tr '\n' ' ' < <(cut -d' ' -f1 "$dir/$who.times"))s -> ${s} s, peak $((m / 1024)) MB"
    eval "${who}_s=$s"
  done
  awk -v a="$old_s" -v b="$new_s" 'BEGIN { printf "  new / old = %.3f\n", b / a }'
  rm -rf "$dir"
done
