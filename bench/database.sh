#!/usr/bin/env bash
# Times the benchmark study (KM by arm, log-rank, a 5-covariate Efron Cox model) on a
# cohort held in PostgreSQL: generates the rows, loads them into a throwaway local cluster
# (timed on its own), then runs `reprise check` on the study with `data.database` RUNS
# times (default 3) and reports the median wall time, the part of it spent waiting for the
# server (REPRISE_TIMINGS' `server:` steps), and reprise's own peak memory.
# Needs PostgreSQL's server (initdb, pg_ctl, psql); not run in CI.
#
#   bench/database.sh [ROWS ...]          # default 10000000
#   RUNS=1 bench/database.sh 100000000
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bins --examples
target="$(pwd)/${CARGO_TARGET_DIR:-target}/release"
runs="${RUNS:-3}"
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

work=$(mktemp -d "${BENCH_DIR:-/tmp}/reprise-db.XXXXXX")
chmod 755 "$work"
[ "$(id -u)" = 0 ] && chown postgres "$work"
port=54329
as_pg "$bin/initdb" -D "$work/pg" -A trust -U reprise > /dev/null
# A server sized for one analytical session: large shared buffers and work memory for the
# hash aggregates; no TCP, a unix socket in the work folder.
as_pg "$bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
  -o "-k $work -p $port -c listen_addresses= -c shared_buffers=4GB -c work_mem=256MB -c temp_buffers=1GB -c max_wal_size=8GB -c fsync=off" \
  start > /dev/null
trap 'as_pg "$bin/pg_ctl" -D "$work/pg" -m fast -w stop > /dev/null; rm -rf "$work"' EXIT
url="postgresql://reprise@localhost:$port/postgres?host=$work"
psql_() { psql -q -X -h "$work" -p "$port" -U reprise postgres "$@"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ { print $2 }') GB"
echo "reprise $("$target/reprise" --version | cut -d' ' -f2); $(psql_ -tA -c 'SHOW server_version' | sed 's/^/PostgreSQL /')"
for n in "${@:-10000000}"; do
  dir="$work/n$n"
  mkdir -p "$dir"
  "$target/examples/bench" "$n" 2021 --keep "$dir" --generate-only > /dev/null
  psql_ -c "DROP TABLE IF EXISTS cohort" -c "CREATE UNLOGGED TABLE cohort (id bigint, arm int, age float8, sex int, x1 float8, x2 float8, time float8, event int, ctime float8, cstatus text, resp int)"
  start=$(date +%s.%N)
  psql_ -c "\\copy cohort FROM '$dir/cohort.csv' CSV HEADER"
  psql_ -c "VACUUM ANALYZE cohort"
  loaded=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  size=$(psql_ -tA -c "SELECT pg_size_pretty(pg_total_relation_size('cohort'))")
  rm "$dir/cohort.csv"
  sed "s|data: { path: cohort.csv }|data: { database: { url: '$url', table: cohort } }|" "$dir/study.yaml" > "$dir/db.yaml"
  : > "$dir/times"
  for ((i = 1; i <= runs; i++)); do
    REPRISE_TIMINGS=1 /usr/bin/time -f "%e %M" -o "$dir/t" "$target/reprise" check "$dir/db.yaml" > /dev/null 2> "$dir/steps.$i"
    server=$(awk '/timing: +server:/ { s += $(NF - 1) } END { print s + 0 }' "$dir/steps.$i")
    echo "$(cat "$dir/t") $server" >> "$dir/times"
  done
  wall=$(cut -d' ' -f1 "$dir/times" | median)
  peak=$(cut -d' ' -f2 "$dir/times" | median)
  server=$(cut -d' ' -f3 "$dir/times" | median)
  echo "== $n rows in the database ($size), loaded in $(printf %.1f "$loaded") s; median of $runs runs"
  echo "  reprise check: $(tr '\n' ' ' < <(cut -d' ' -f1 "$dir/times"))s -> $wall s"
  echo "  of which the server: $server s; reprise itself: $(awk -v a="$wall" -v b="$server" 'BEGIN { print a - b }') s, peak $((peak / 1024)) MB"
  echo "  steps (last run):"
  grep 'timing:' "$dir/steps.$runs" | sed 's/^timing: /    /'
  rm -rf "$dir"
done
