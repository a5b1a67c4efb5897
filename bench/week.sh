#!/usr/bin/env bash
# Benchmark: storage growth over a simulated week of hourly backups, with and
# without retention (issue 6). NOT part of the tests.
#
# Usage: bench/week.sh [--scale S] [--orders N] [--hours H] [--quick] [--resume]
#                      [--policy "--keep-hourly 24 --keep-daily 7"]
#
#   default   bench/run.sh's full corpus: gen_files.py --scale 1 (about 1.3 GB), 100k orders
#   --scale/--orders  a smaller corpus (the documented run used --scale 0.1 --orders 20000)
#   --hours   backups to make (default 168 = one week; a prune after every 24th)
#   --quick   scale 0.01, 500 orders, 30 hours: checks the harness in about a minute
#   --resume  continue after the last hour recorded in bench/out/week.tsv (same corpus options
#             needed). An hour that was interrupted half-way is applied again from its start
#             (its mutation runs a second time), so a resumed run is no longer byte-identical
#             to an uninterrupted one.
#   --policy  forget's retention options for repository B (default: --keep-hourly 24 --keep-daily 7)
#
# What it does, each command timed with /usr/bin/time -v under `nice -n 10` (as bench/run.sh):
#   0. a private MariaDB ($BENCH_DB_PORT, default 33327, data in $STRONGBOX_WORK/week/mariadb),
#      the corpus with bench/run.sh's seeds: gen_files.py --seed $BENCH_SEED, gen_shop.py --seed $BENCH_SEED;
#      two repositories, A (no retention) and B (retention).
#   1. hour h = 0 .. H-1, snapshot time T0 + h hours (T0 = 2026-11-02T00:30:00Z, a Monday):
#      for h >= 1 one "hour of shop activity": gen_files.py and gen_shop.py --mutate-hour --seed h+1
#      (hour 1 uses seed 2, as bench/run.sh's single mutation); then
#        strongbox --json backup --files SITE --db-name ... --time T   into A
#        strongbox --json backup ... (same)                             into B
#        strongbox --json forget POLICY                                 on B
#      and after every 24th backup (the day's last, 23:30) `strongbox --json prune` on B.
#   Recorded after every hour (bench/out/week.tsv): bytes on disk of A and B (du -sb), snapshots
#   in each (objects under snapshots/), the backups' wall/CPU/peak RSS and bytes stored (from the
#   backup's JSON stats), forget's time, prune's time and bytes freed, the machine's load.
# Output: bench/out/week.tsv, bench/out/week.md (bench/week_report.py: tables, chart, commands),
#         bench/out/week-commands.txt, per-step logs and JSON in bench/out/week-logs/.
# Environment: STRONGBOX_BIN (default target/release/strongbox), STRONGBOX_WORK (default .work;
# this script works in $STRONGBOX_WORK/week), BENCH_DB_PORT (33327), BENCH_SEED (1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WORKBASE="${STRONGBOX_WORK:-$ROOT/.work}"
W="$WORKBASE/week"
OUT="$ROOT/bench/out"
LOGS="$OUT/week-logs"
SCALE=1
ORDERS=100000
HOURS=168
RESUME=0
POLICY="--keep-hourly 24 --keep-daily 7"
SEED="${BENCH_SEED:-1}"
DB_PORT="${BENCH_DB_PORT:-33327}"
DB_NAME=week_shop
SB="${STRONGBOX_BIN:-$ROOT/target/release/strongbox}"
T0=2026-11-02T00:30:00Z

while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) SCALE=0.01; ORDERS=500; HOURS=30 ;;
    --scale) SCALE="$2"; shift ;;
    --orders) ORDERS="$2"; shift ;;
    --hours) HOURS="$2"; shift ;;
    --resume) RESUME=1 ;;
    --policy) POLICY="$2"; shift ;;
    -h|--help) sed -n '2,38p' "$0"; exit 0 ;;
    *) echo "week: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "week: $(date +%H:%M:%S) $*" >&2; }
die() { echo "week: error: $*" >&2; exit 1; }
for t in /usr/bin/time python3 jq du; do command -v "$t" >/dev/null || die "$t not found"; done
[[ -x "$SB" ]] || die "strongbox binary $SB not found (cargo build --release, or set STRONGBOX_BIN)"

export STRONGBOX_WORK="$WORKBASE"
export STRONGBOX_DB_PORT="$DB_PORT" STRONGBOX_DB_DATADIR="$W/mariadb" STRONGBOX_DB_BUFFER_POOL=1G
export STRONGBOX_PASSWORD=bench
unset STRONGBOX_DB_HOST STRONGBOX_DB_USER STRONGBOX_DB_PASSWORD STRONGBOX_DB_SOCKET STRONGBOX_DB_NAME STRONGBOX_REPOSITORY

SITE="$W/site" RA="$W/repos/A" RB="$W/repos/B"
TSV="$OUT/week.tsv" CMDS="$OUT/week-commands.txt" META="$OUT/week-meta.txt"
SB_DB=(--db-host 127.0.0.1 --db-port "$DB_PORT" --db-user wp --db-password wp --db-name "$DB_NAME")
read -r -a POLICY_ARGS <<<"$POLICY"
COLS=(hour time day load1 mut_files_s mut_shop_s
      a_wall_s a_cpu_s a_rss_kb a_db_cpu_s a_bytes_new a_bytes_stored a_files_read a_pages_read a_pages_reused a_repo_bytes a_snapshots
      b_wall_s b_cpu_s b_bytes_stored b_repo_after_backup forget_wall_s forget_cpu_s b_removed b_snapshots
      prune_wall_s prune_cpu_s prune_rss_kb prune_freed prune_packs_deleted prune_packs_repacked prune_bytes_written prune_unused_after
      b_repo_bytes)

TCK="$(getconf CLK_TCK)"
db_cpu_ticks() { awk '{print $14 + $15}' "/proc/$(cat "$WORKBASE/run/mariadb-$DB_PORT.pid")/stat"; }

# timed NAME STDOUT_FILE -- command...: runs under /usr/bin/time -v and nice -n 10; sets WALL CPU RSS.
# Stops the benchmark when the command fails.
timed() {
  local name="$1" outf="$2"; shift 3
  local tf="$LOGS/$name.time" rc=0 t0 t1
  t0="$(date +%s.%N)"
  /usr/bin/time -v -o "$tf" nice -n 10 "$@" >"$outf" 2>"$LOGS/$name.err" || rc=$?
  t1="$(date +%s.%N)"
  WALL="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b - a}')"
  CPU="$(awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{printf "%.2f", u + s}' "$tf")"
  RSS="$(awk -F': ' '/Maximum resident set size/{print $2}' "$tf")"
  if [[ $rc -ne 0 ]]; then
    tail -20 "$LOGS/$name.err" >&2
    die "$name failed (exit $rc; $LOGS/$name.err)"
  fi
}
size_of() { du -sb "$1" | cut -f1; }
snap_count() { find "$1/snapshots" -type f | wc -l; }
T0E="$(date -u -d "$T0" +%s)"
hour_time() { date -u -d "@$(( T0E + $1 * 3600 ))" +%Y-%m-%dT%H:%M:%SZ; }

scripts/mariadb start
trap 'say "stopping the benchmark MariaDB"; scripts/mariadb stop || true' EXIT

START_H=0
if [[ $RESUME -eq 1 && -s "$TSV" ]] && [[ "$(wc -l <"$TSV")" -gt 1 ]]; then
  START_H=$(( $(tail -1 "$TSV" | cut -f1) + 1 ))
  [[ -d "$RA" && -d "$RB" && -d "$SITE" ]] || die "--resume: $RA, $RB or $SITE missing"
  say "resuming at hour $START_H (scale $SCALE, $ORDERS orders)"
  echo "resumed at hour $START_H on $(date -u +%FT%TZ)" >>"$META"
else
  say "fresh run: scale $SCALE, $ORDERS orders, $HOURS hours, policy '$POLICY'; work dir $W"
  rm -rf "$SITE" "$W/repos" "$LOGS" "$TSV" "$CMDS" "$META" "$OUT/week.md"
  mkdir -p "$W/repos" "$LOGS"
  timed gen-files /dev/null -- python3 scripts/gen_files.py "$SITE" --scale "$SCALE" --seed "$SEED" --force
  GEN_FILES_S="$WALL"
  timed gen-shop /dev/null -- python3 scripts/gen_shop.py --port "$DB_PORT" --database "$DB_NAME" --orders "$ORDERS" --seed "$SEED" --reset
  GEN_SHOP_S="$WALL"
  timed init-A /dev/null -- "$SB" -q -r "$RA" init
  timed init-B /dev/null -- "$SB" -q -r "$RB" init
  DB_BYTES="$(scripts/mariadb client -N -e "SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema='$DB_NAME'")"
  {
    echo "date $(date -u +%FT%TZ)"
    echo "scale $SCALE"; echo "orders $ORDERS"; echo "hours $HOURS"; echo "seed $SEED"; echo "policy $POLICY"
    echo "t0 $T0"
    echo "strongbox $("$SB" --version) ($SB)"
    echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "corpus_files_bytes $(size_of "$SITE")"
    echo "corpus_files_count $(find "$SITE" -type f | wc -l)"
    echo "corpus_db_data_index_bytes $DB_BYTES"
    echo "gen_files_s $GEN_FILES_S"; echo "gen_shop_s $GEN_SHOP_S"
    echo "machine $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME")"
  } >"$META"
  {
    echo "# corpus (once)"
    echo "python3 scripts/gen_files.py $SITE --scale $SCALE --seed $SEED --force"
    echo "python3 scripts/gen_shop.py --port $DB_PORT --database $DB_NAME --orders $ORDERS --seed $SEED --reset"
    echo "strongbox -q -r $RA init; strongbox -q -r $RB init"
    echo; echo "# every hour h (T = $T0 + h hours; the mutations from h = 1 on)"
    echo "python3 scripts/gen_files.py $SITE --scale $SCALE --mutate-hour --seed \$((h + 1))"
    echo "python3 scripts/gen_shop.py --port $DB_PORT --database $DB_NAME --mutate-hour --seed \$((h + 1))"
    echo "strongbox -q --json -r $RA backup --files $SITE ${SB_DB[*]} --time \$T"
    echo "strongbox -q --json -r $RB backup --files $SITE ${SB_DB[*]} --time \$T"
    echo "strongbox -q --json -r $RB forget $POLICY"
    echo; echo "# after every 24th backup (h = 23, 47, ...)"
    echo "strongbox -q --json -r $RB prune"
    echo; echo "# each under: /usr/bin/time -v nice -n 10 ...; sizes: du -sb REPO; snapshots: files under REPO/snapshots"
  } >"$CMDS"
  (IFS=$'\t'; echo "${COLS[*]}") >"$TSV"
fi
mkdir -p "$LOGS"

RUN_T0="$(date +%s)"
for (( h = START_H; h < HOURS; h++ )); do
  T="$(hour_time "$h")"
  day=$(( h / 24 + 1 ))
  load1="$(cut -d' ' -f1 /proc/loadavg)"
  mf=0 ms=0
  if [[ $h -ge 1 ]]; then
    timed "h$h-mutate-files" "$LOGS/h$h-mutate-files.out" -- python3 scripts/gen_files.py "$SITE" --scale "$SCALE" --mutate-hour --seed $(( h + 1 ))
    mf="$WALL"
    timed "h$h-mutate-shop" "$LOGS/h$h-mutate-shop.out" -- python3 scripts/gen_shop.py --port "$DB_PORT" --database "$DB_NAME" --mutate-hour --seed $(( h + 1 ))
    ms="$WALL"
  fi

  # repository A: no retention
  c0="$(db_cpu_ticks)"
  timed "h$h-backup-A" "$LOGS/h$h-backup-A.json" -- "$SB" -q --json -r "$RA" backup --files "$SITE" "${SB_DB[@]}" --time "$T"
  c1="$(db_cpu_ticks)"
  a_wall="$WALL" a_cpu="$CPU" a_rss="$RSS"
  a_db="$(awk -v d=$(( c1 - c0 )) -v t="$TCK" 'BEGIN{printf "%.2f", d / t}')"
  read -r a_new a_stored a_fr a_pr a_pu < <(jq -r '.snapshot.stats | "\(.bytes_new) \(.bytes_stored) \(.files_read) \(.pages_read) \(.pages_reused)"' "$LOGS/h$h-backup-A.json")
  a_repo="$(size_of "$RA")" a_snaps="$(snap_count "$RA")"

  # repository B: retention
  timed "h$h-backup-B" "$LOGS/h$h-backup-B.json" -- "$SB" -q --json -r "$RB" backup --files "$SITE" "${SB_DB[@]}" --time "$T"
  b_wall="$WALL" b_cpu="$CPU"
  b_stored="$(jq -r '.snapshot.stats.bytes_stored' "$LOGS/h$h-backup-B.json")"
  b_after_backup="$(size_of "$RB")"
  timed "h$h-forget-B" "$LOGS/h$h-forget-B.json" -- "$SB" -q --json -r "$RB" forget "${POLICY_ARGS[@]}"
  f_wall="$WALL" f_cpu="$CPU"
  b_removed="$(jq -r '.forget.removed | length' "$LOGS/h$h-forget-B.json")"
  b_snaps="$(snap_count "$RB")"

  p_wall="" p_cpu="" p_rss="" p_freed="" p_del="" p_rep="" p_written="" p_unused=""
  if (( (h + 1) % 24 == 0 )); then
    timed "h$h-prune-B" "$LOGS/h$h-prune-B.json" -- "$SB" -q --json -r "$RB" prune
    p_wall="$WALL" p_cpu="$CPU" p_rss="$RSS"
    read -r p_freed p_del p_rep p_written p_unused < <(jq -r '"\(.bytes_freed) \(.packs_deleted) \(.packs_repacked) \(.bytes_written) \(.bytes_unused_after)"' "$LOGS/h$h-prune-B.json")
  fi
  b_repo="$(size_of "$RB")"

  printf '%s\t' "$h" "$T" "$day" "$load1" "$mf" "$ms" \
    "$a_wall" "$a_cpu" "$a_rss" "$a_db" "$a_new" "$a_stored" "$a_fr" "$a_pr" "$a_pu" "$a_repo" "$a_snaps" \
    "$b_wall" "$b_cpu" "$b_stored" "$b_after_backup" "$f_wall" "$f_cpu" "$b_removed" "$b_snaps" \
    "$p_wall" "$p_cpu" "$p_rss" "$p_freed" "$p_del" "$p_rep" "$p_written" "$p_unused" >>"$TSV"
  printf '%s\n' "$b_repo" >>"$TSV"

  el=$(( $(date +%s) - RUN_T0 )); done_h=$(( h - START_H + 1 ))
  say "hour $h/$HOURS ($T): A $(( a_repo / 1000000 )) MB ${a_snaps} snaps (+$(( a_stored / 1000 )) kB, ${a_wall}s) | B $(( b_repo / 1000000 )) MB ${b_snaps} snaps${p_wall:+ | prune ${p_wall}s freed $(( p_freed / 1000 )) kB} | load $load1 | eta $(( el * (HOURS - h - 1) / done_h / 60 )) min"
done

python3 bench/week_report.py "$OUT"
say "done: $OUT/week.md"
