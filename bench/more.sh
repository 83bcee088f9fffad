#!/usr/bin/env bash
# The analyses beyond KM, log-rank and Cox, timed in reprise and in R on the same
# generated cohort, one after the other: reprise in-process per analysis (the benchmark
# example), then R per step (bench/r_more.R). Needs R with survival, cmprsk and MASS;
# not run in CI.
#
#   [SKIP_ROBUST=1] bench/more.sh [ROWS]          # default 1000000
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --examples
target="${CARGO_TARGET_DIR:-target}/release"
dir=$(mktemp -d)
echo "== reprise"
"$target/examples/bench" "${1:-1000000}" 2021 --keep "$dir"
echo "== R $(Rscript -e 'cat(R.version$major, R.version$minor, sep = ".")'), survival $(Rscript -e 'cat(as.character(packageVersion("survival")))'), cmprsk $(Rscript -e 'cat(as.character(packageVersion("cmprsk")))')"
Rscript bench/r_more.R "$dir/cohort.csv"
rm -rf "$dir"
