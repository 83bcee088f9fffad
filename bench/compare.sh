#!/usr/bin/env bash
# Times reprise and R's survival on the same generated cohorts, side by side, and prints
# the ratio. Needs R with the survival package (and data.table for a fair read); not run
# in CI. Usage: bench/compare.sh [ROWS ...]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bins --examples
target="${CARGO_TARGET_DIR:-target}/release"
rows=("${@:-1000000}")
for n in "${rows[@]}"; do
  dir=$(mktemp -d)
  "$target/examples/bench" "$n" 2021 --keep "$dir" > /dev/null
  echo "== $n rows ($(nproc) cores); R survival $(Rscript -e 'cat(as.character(packageVersion("survival")))')"
  start=$(date +%s.%N)
  /usr/bin/time -f "  reprise peak memory %M KB" "$target/reprise" check "$dir/study.yaml" > /dev/null
  mid=$(date +%s.%N)
  echo "R:"
  /usr/bin/time -f "  R peak memory %M KB" Rscript bench/r_survival.R "$dir/cohort.csv"
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$mid" -v c="$end" 'BEGIN { printf "  reprise %.2f s, R %.2f s: %.1fx\n", b - a, c - b, (c - b) / (b - a) }'
  rm -rf "$dir"
done
