#!/bin/sh
# Generate the four benchmark databases and run the benchmark on each (see bench/RESULTS.md).
# SQLite files go to bench/out/ (git-ignored); PostgreSQL databases bench_100k and bench_1m on 127.0.0.1:5432.
# Usage: bench/all.sh [generate] [run] [clean]   (no argument: generate and run)
set -e
cd "$(dirname "$0")/.."
PG=postgresql://postgres@127.0.0.1:5432
steps=${*:-generate run}
for size in 100k 1m; do
  case $size in 100k) n=100000 ;; 1m) n=1000000 ;; esac
  for step in $steps; do
    case $step in
      generate)
        rm -rf bench/out/sqlite-$size
        OPSDESK_DATA_DIR=bench/out/sqlite-$size uv run python bench/generate.py $n
        # The generator's rows are queued for the search index by the triggers: index them now, or the
        # server's worker would do it during the measurements (PostgreSQL 1M: 24 min).
        OPSDESK_DATA_DIR=bench/out/sqlite-$size uv run opsdesk manage search_rebuild
        dropdb -h 127.0.0.1 -U postgres --if-exists bench_$size
        createdb -h 127.0.0.1 -U postgres bench_$size
        OPSDESK_DATABASE_URL=$PG/bench_$size OPSDESK_DATA_DIR=bench/out/pg-$size uv run python bench/generate.py $n
        OPSDESK_DATABASE_URL=$PG/bench_$size OPSDESK_DATA_DIR=bench/out/pg-$size uv run opsdesk manage search_rebuild
        # The rebuild leaves a million index rows never visited since written: the first writes after it
        # cost PostgreSQL three times the CPU (bench/RESULTS.md, fourth round). Vacuum as a settled database is.
        psql -h 127.0.0.1 -U postgres -d bench_$size -c "VACUUM ANALYZE" ;;
      run)
        OPSDESK_DATA_DIR=bench/out/sqlite-$size uv run python bench/run.py --label sqlite-$size --create-batch 50
        OPSDESK_DATABASE_URL=$PG/bench_$size OPSDESK_DATA_DIR=bench/out/pg-$size \
          uv run python bench/run.py --label pg-$size --create-batch 50 ;;
      clean)
        rm -rf bench/out/sqlite-$size bench/out/pg-$size
        dropdb -h 127.0.0.1 -U postgres --if-exists bench_$size ;;
    esac
  done
done
