#!/usr/bin/env bash
# Times reprise and R's survival side by side on the same generated cohorts and prints
# the ratio: each side runs RUNS times (default 3), interleaved so that both meet the
# same machine noise, and the medians of wall time and peak memory are compared. The
# whole process is timed, from start to exit, loading included.
# Needs R with survival (and data.table, for R's fastest CSV reader); not run in CI.
#
#   bench/compare.sh [ROWS ...]          # default 1000000
#   RUNS=5 bench/compare.sh 1000000 10000000
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bins --examples
target="${CARGO_TARGET_DIR:-target}/release"
runs="${RUNS:-3}"
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ { print $2 }') GB"
echo "reprise $("$target/reprise" --version | cut -d' ' -f2); R $(Rscript -e 'cat(R.version$major, R.version$minor, sep = ".")') with survival $(Rscript -e 'cat(as.character(packageVersion("survival")))')"
for n in "${@:-1000000}"; do
  dir=$(mktemp -d)
  "$target/examples/bench" "$n" 2021 --keep "$dir" --generate-only > /dev/null
  : > "$dir/reprise.times"
  : > "$dir/r.times"
  for ((i = 1; i <= runs; i++)); do
    /usr/bin/time -f "%e %M" -o "$dir/t" "$target/reprise" check "$dir/study.yaml" > /dev/null
    cat "$dir/t" >> "$dir/reprise.times"
    /usr/bin/time -f "%e %M" -o "$dir/t" Rscript bench/r_survival.R "$dir/cohort.csv" > "$dir/r.steps.$i"
    cat "$dir/t" >> "$dir/r.times"
  done
  rs=$(cut -d' ' -f1 "$dir/reprise.times" | median)
  rm_=$(cut -d' ' -f2 "$dir/reprise.times" | median)
  Rs=$(cut -d' ' -f1 "$dir/r.times" | median)
  Rm=$(cut -d' ' -f2 "$dir/r.times" | median)
  echo "== $n rows, median of $runs runs"
  echo "  reprise: $(tr '\n' ' ' < <(cut -d' ' -f1 "$dir/reprise.times"))s -> ${rs} s, peak $((rm_ / 1024)) MB"
  echo "  R:       $(tr '\n' ' ' < <(cut -d' ' -f1 "$dir/r.times"))s -> ${Rs} s, peak $((Rm / 1024)) MB"
  echo "  R's steps (last run):"
  sed 's/^/  /' "$dir/r.steps.$runs"
  awk -v a="$rs" -v b="$Rs" 'BEGIN { printf "  reprise is %.1fx faster\n", b / a }'
  rm -rf "$dir"
done
