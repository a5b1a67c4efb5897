#!/usr/bin/env bash
# Benchmark: restic vs borg vs strongbox on a generated WooCommerce shop.
# NOT part of the tests.
#
# Usage: bench/run.sh [--quick] [--scale S] [--orders N] [--tools restic,borg,strongbox] [--restore-db] [--keep]
#
#   default  site files at scale 1 (about 1.3 GB) + a 100k-order shop database
#   --quick  scale 0.05 and 5000 orders: checks the harness in a couple of minutes
#   --tools  subset of restic,borg,strongbox (strongbox is skipped when its binary is missing)
#   --restore-db  also restore the database into MariaDB (restic/borg: load the restored dump with
#            the mariadb client; strongbox: restore --db-name) and compare CHECKSUM TABLE of every table
#   --keep   keep the restored copies (deleted after verification by default)
#
# Steps, each timed with /usr/bin/time -v under `nice -n 10`:
#   1. start a private MariaDB (port $BENCH_DB_PORT, default 33307, data in .work/bench/mariadb),
#      generate the site files (scripts/gen_files.py) and the shop (scripts/gen_shop.py)
#   2. restic and borg back up the files plus a `mariadb-dump --single-transaction --quick`
#      (the dump is timed and counted as part of their backup); strongbox reads the database itself
#   3. one "hour of shop activity" (gen_files.py and gen_shop.py --mutate-hour), new dump, second backup
#   4. restore latest, each tool into a freshly made ext4 filesystem (loop mount; without
#      one, every restore runs twice in opposite orders and the faster counts), files
#      verified against the source with diff -r; check reading all data
# Output: bench/out/results.md (tables + exact commands), bench/out/raw.tsv, logs in bench/out/logs/.
# Environment: STRONGBOX_BIN (default target/release/strongbox), STRONGBOX_WORK (default .work),
# BENCH_DB_PORT (33307), BENCH_SEED (1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WORKBASE="${STRONGBOX_WORK:-$ROOT/.work}"
W="$WORKBASE/bench"
OUT="$ROOT/bench/out"
SCALE=1
ORDERS=100000
TOOLS="restic,borg,strongbox"
KEEP=0
RESTORE_DB=0
MODE=full
SEED="${BENCH_SEED:-1}"
DB_PORT="${BENCH_DB_PORT:-33307}"
DB_NAME=bench_shop
SB="${STRONGBOX_BIN:-$ROOT/target/release/strongbox}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) SCALE=0.05; ORDERS=5000; MODE=quick ;;
    --scale) SCALE="$2"; shift ;;
    --orders) ORDERS="$2"; shift ;;
    --tools) TOOLS="$2"; shift ;;
    --keep) KEEP=1 ;;
    --restore-db) RESTORE_DB=1 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }

for t in restic borg mariadb-dump /usr/bin/time python3; do
  command -v "$t" >/dev/null || die "$t not found (apt-get install -y restic borgbackup mariadb-client time python3)"
done
has_tool() { [[ ",$TOOLS," == *",$1,"* ]]; }
if has_tool strongbox && [[ ! -x "$SB" ]]; then
  say "strongbox binary $SB not found: skipping strongbox (build with cargo build --release, or set STRONGBOX_BIN)"
  TOOLS="${TOOLS//strongbox/}"
fi

export STRONGBOX_WORK="$WORKBASE"
export STRONGBOX_DB_PORT="$DB_PORT" STRONGBOX_DB_DATADIR="$W/mariadb" STRONGBOX_DB_BUFFER_POOL=1G
export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR="$W/cache/restic"
export BORG_PASSPHRASE=bench BORG_BASE_DIR="$W/cache/borg" BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
export STRONGBOX_PASSWORD=bench
unset STRONGBOX_DB_HOST STRONGBOX_DB_USER STRONGBOX_DB_PASSWORD STRONGBOX_DB_SOCKET STRONGBOX_DB_NAME STRONGBOX_REPOSITORY

say "mode $MODE: scale $SCALE, $ORDERS orders, tools ${TOOLS//,/ }; work dir $W, results in $OUT"
# Fresh state (the private MariaDB's data dir survives: the shop is regenerated with --reset).
rm -rf "$OUT" "$W/site" "$W/dump" "$W/repos" "$W/restore" "$W/cache"
mkdir -p "$OUT/logs" "$OUT/time" "$W/dump" "$W/repos" "$W/restore" "$W/cache"
RAW="$OUT/raw.tsv"
CMDS="$OUT/commands.txt"
printf 'step\ttool\twall_s\tuser_s\tsys_s\tmaxrss_kb\tdb_server_cpu_s\texit\n' >"$RAW"
: >"$CMDS"

TCK="$(getconf CLK_TCK)"
db_pid() { cat "$WORKBASE/run/mariadb-$DB_PORT.pid"; }
db_cpu_ticks() { awk '{print $14 + $15}' "/proc/$(db_pid)/stat"; }

# measure STEP TOOL -- command...   (runs under nice -n 10 and /usr/bin/time -v)
measure() {
  local step="$1" tool="$2"; shift 3
  local log="$OUT/logs/$step-$tool.log" tf="$OUT/time/$step-$tool.txt"
  if [[ "$1" == sh && "$2" == -c ]]; then printf '# %s %s\n%s\n\n' "$step" "$tool" "$3" >>"$CMDS"
  else printf '# %s %s\n%s\n\n' "$step" "$tool" "$(printf '%q ' "$@")" >>"$CMDS"; fi
  say "$step $tool: $*"
  local c0 t0 t1 c1 rc=0
  c0="$(db_cpu_ticks)"; t0="$(date +%s.%N)"
  /usr/bin/time -v -o "$tf" nice -n 10 "$@" >"$log" 2>&1 || rc=$?
  t1="$(date +%s.%N)"; c1="$(db_cpu_ticks)"
  python3 - "$tf" "$step" "$tool" "$t0" "$t1" "$(( c1 - c0 ))" "$TCK" "$rc" >>"$RAW" <<'PY'
import sys
tf, step, tool, t0, t1, dticks, tck, rc = sys.argv[1:]
v = {}
for line in open(tf, errors="replace"):
    if ":" in line:
        k, _, val = line.strip().rpartition(": ")
        v[k] = val
print("\t".join([step, tool, f"{float(t1) - float(t0):.2f}", v.get("User time (seconds)", "0"),
                 v.get("System time (seconds)", "0"), v.get("Maximum resident set size (kbytes)", "0"),
                 f"{int(dticks) / int(tck):.2f}", rc]))
PY
  if [[ $rc -ne 0 ]]; then
    tail -20 "$log" >&2
    die "$step $tool failed (exit $rc, log $log)"
  fi
}
size_of() { du -sb "$1" | cut -f1; }
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$OUT/sizes.tsv"; }
: >"$OUT/sizes.tsv"

# ---------------------------------------------------------------- corpus
scripts/mariadb start
trap 'say "stopping the bench MariaDB"; scripts/mariadb stop || true' EXIT
measure gen files -- python3 scripts/gen_files.py "$W/site" --scale "$SCALE" --seed "$SEED" --force
measure gen shop -- python3 scripts/gen_shop.py --port "$DB_PORT" --database "$DB_NAME" --orders "$ORDERS" --seed "$SEED" --reset
DB_ROWS="$(scripts/mariadb client -N -e "SELECT SUM(table_rows) FROM information_schema.tables WHERE table_schema='$DB_NAME'")"
DB_BYTES="$(scripts/mariadb client -N -e "SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema='$DB_NAME'")"
record corpus db_rows_estimate "$DB_ROWS"
record corpus db_data_index_bytes "$DB_BYTES"
record corpus files_bytes "$(size_of "$W/site")"
record corpus files_count "$(find "$W/site" -type f | wc -l)"

DUMP=(mariadb-dump --no-defaults --host=127.0.0.1 --port="$DB_PORT" --user=wp --password=wp
      --single-transaction --quick --default-character-set=utf8mb4 "$DB_NAME")
dump() { measure "$1" dump -- sh -c "$(printf '%q ' "${DUMP[@]}") > $(printf '%q' "$W/dump/$DB_NAME.sql")"; }
dump dump1
record corpus dump_bytes "$(size_of "$W/dump/$DB_NAME.sql")"

# ---------------------------------------------------------------- tools
RR="$W/repos/restic" BR="$W/repos/borg" SR="$W/repos/strongbox"
SBQ=()  # no progress bars in the logs, when the CLI has the flag
if has_tool strongbox && "$SB" --help 2>/dev/null | grep -q -- '--quiet'; then SBQ=(-q); fi
SB_DB=(--db-host 127.0.0.1 --db-port "$DB_PORT" --db-user wp --db-password wp --db-name "$DB_NAME")

init_tools() {
  if has_tool restic; then measure init restic -- restic -r "$RR" init; fi
  if has_tool borg; then measure init borg -- borg init --encryption=repokey "$BR"; fi
  if has_tool strongbox; then measure init strongbox -- "$SB" "${SBQ[@]}" -r "$SR" init; fi
}
backup_all() {  # $1 = step name, $2 = borg archive name
  if has_tool restic; then
    local before; before="$(size_of "$RR")"
    measure "$1" restic -- restic -r "$RR" backup --host bench "$W/site" "$W/dump"
    record "$1" restic "$(( $(size_of "$RR") - before ))"
  fi
  if has_tool borg; then
    local before; before="$(size_of "$BR")"
    measure "$1" borg -- sh -c "cd $(printf '%q' "$W") && borg create --compression lz4 $(printf '%q' "$BR")::$2 site dump"
    record "$1" borg "$(( $(size_of "$BR") - before ))"
  fi
  if has_tool strongbox; then
    local before; before="$(size_of "$SR")"
    measure "$1" strongbox -- "$SB" "${SBQ[@]}" -r "$SR" backup --files "$W/site" "${SB_DB[@]}"
    record "$1" strongbox "$(( $(size_of "$SR") - before ))"
  fi
}

init_tools
backup_all backup1 b1

# ---------------------------------------------------------------- one hour of activity
measure mutate files -- python3 scripts/gen_files.py "$W/site" --scale "$SCALE" --mutate-hour --seed 2
measure mutate shop -- python3 scripts/gen_shop.py --port "$DB_PORT" --database "$DB_NAME" --mutate-hour --seed 2
dump dump2
backup_all backup2 b2

# ---------------------------------------------------------------- restore and check
VERIFY="$OUT/verify.tsv"; : >"$VERIFY"
verify() {  # tool, restored files dir, restored dump file (or -)
  local ok=yes
  diff -r --no-dereference "$W/site" "$2" >"$OUT/logs/verify-$1.log" 2>&1 || ok=no
  if [[ "$3" != "-" ]]; then cmp -s "$W/dump/$DB_NAME.sql" "$3" || ok="${ok}, dump differs"; fi
  printf '%s\t%s\n' "$1" "$ok" >>"$VERIFY"
  say "restore verification $1: $ok"
}
# restore_db TOOL -- command...: restore into a fresh database bench_restore_TOOL, compare checksums
restore_db() {
  local tool="$1" rdb="bench_restore_$1"; shift 2
  scripts/mariadb client -e "DROP DATABASE IF EXISTS $rdb; CREATE DATABASE $rdb CHARACTER SET utf8mb4"
  measure restoredb "$tool" -- "$@"
  local tables q ok
  tables="$(scripts/mariadb client -N -e "SELECT table_name FROM information_schema.tables WHERE table_schema='$DB_NAME' ORDER BY 1")"
  q="CHECKSUM TABLE $(for t in $tables; do printf '%s.%s,' "$DB_NAME" "$t"; done | sed 's/,$//')"
  scripts/mariadb client -N -e "$q" | sed "s/^$DB_NAME\.//" >"$OUT/logs/checksum-source.txt"
  scripts/mariadb client -N -e "${q//$DB_NAME./$rdb.}" | sed "s/^$rdb\.//" >"$OUT/logs/checksum-$tool.txt"
  if diff "$OUT/logs/checksum-source.txt" "$OUT/logs/checksum-$tool.txt" >"$OUT/logs/checksum-$tool.diff"; then
    ok="all $(wc -l <"$OUT/logs/checksum-source.txt") tables equal"
  else
    ok="DIFFERENT: $(grep -c '^<' "$OUT/logs/checksum-$tool.diff") of $(wc -l <"$OUT/logs/checksum-source.txt") tables (logs/checksum-$tool.diff)"
  fi
  printf '%s\t%s\n' "$tool" "$ok" >>"$OUT/verify-db.tsv"
  say "database restore verification $tool: $ok"
  scripts/mariadb client -e "DROP DATABASE $rdb"
}
# Each restore goes into a freshly made ext4 filesystem (a loop-mounted image), when
# the machine allows it (root, mkfs.ext4, a free loop device): on this machine's root
# filesystem (ext4 without a journal) creating a file costs more the more inodes were
# freed just before, so whichever tool restored right after another's restore was
# deleted paid for it (restic 5.1 s first in line, 18.2 s after borg's). Without
# loop mounts every restore runs twice in opposite orders and the faster counts.
FRESH_FS=0
if [[ $EUID -eq 0 ]] && command -v mkfs.ext4 >/dev/null && command -v losetup >/dev/null && losetup -f >/dev/null 2>&1; then
  FRESH_FS=1
fi
fresh_fs() {  # DIR: an empty ext4 filesystem mounted there (or just an empty folder)
  mkdir -p "$1"
  if [[ $FRESH_FS -eq 1 ]]; then
    local img="$W/restore-$(basename "$1").img"
    rm -f "$img"
    truncate -s "$(( $(size_of "$W/site") * 2 + 4 * 1024 * 1024 * 1024 ))" "$img"
    mkfs.ext4 -q -F "$img" && mount -o loop "$img" "$1" || die "could not mount a fresh filesystem on $1"
  fi
}
drop_fs() {  # DIR
  if [[ $FRESH_FS -eq 1 ]] && mountpoint -q "$1"; then
    umount "$1"
    rm -f "$W/restore-$(basename "$1").img"
  fi
  rm -rf "$1"
}
trap 'for d in "$W"/restore/*; do drop_fs "$d" 2>/dev/null || true; done; say "stopping the bench MariaDB"; scripts/mariadb stop || true' EXIT
MYSQL_LOAD="mariadb --no-defaults --host=127.0.0.1 --port=$DB_PORT --user=wp --password=wp --default-character-set=utf8mb4"
: >"$OUT/verify-db.tsv"

if has_tool restic; then
  fresh_fs "$W/restore/restic"
  measure restore restic -- restic -r "$RR" restore latest --target "$W/restore/restic"
  verify restic "$W/restore/restic$W/site" "$W/restore/restic$W/dump/$DB_NAME.sql"
  if [[ $RESTORE_DB -eq 1 ]]; then
    restore_db restic -- sh -c "$MYSQL_LOAD bench_restore_restic < $(printf '%q' "$W/restore/restic$W/dump/$DB_NAME.sql")"
  fi
  [[ $KEEP -eq 1 ]] || drop_fs "$W/restore/restic"
  measure check restic -- restic -r "$RR" check --read-data
fi
if has_tool borg; then
  fresh_fs "$W/restore/borg"
  measure restore borg -- sh -c "cd $(printf '%q' "$W/restore/borg") && borg extract $(printf '%q' "$BR")::b2"
  verify borg "$W/restore/borg/site" "$W/restore/borg/dump/$DB_NAME.sql"
  if [[ $RESTORE_DB -eq 1 ]]; then
    restore_db borg -- sh -c "$MYSQL_LOAD bench_restore_borg < $(printf '%q' "$W/restore/borg/dump/$DB_NAME.sql")"
  fi
  [[ $KEEP -eq 1 ]] || drop_fs "$W/restore/borg"
  measure check borg -- borg check --verify-data "$BR"
fi
if has_tool strongbox; then
  RESTORE_ARGS=(--target "$W/restore/strongbox/files")
  if "$SB" restore --help 2>/dev/null | grep -q -- '--sql-dir'; then
    RESTORE_ARGS+=(--sql-dir "$W/restore/strongbox/sql")
  fi
  fresh_fs "$W/restore/strongbox"
  measure restore strongbox -- "$SB" "${SBQ[@]}" -r "$SR" restore latest "${RESTORE_ARGS[@]}"
  verify strongbox "$W/restore/strongbox/files" -
  record restore strongbox_sql_bytes "$(size_of "$W/restore/strongbox" 2>/dev/null || echo 0)"
  [[ $KEEP -eq 1 ]] || drop_fs "$W/restore/strongbox"
  if [[ $RESTORE_DB -eq 1 ]]; then
    restore_db strongbox -- "$SB" "${SBQ[@]}" -r "$SR" restore latest --db-host 127.0.0.1 --db-port "$DB_PORT" \
      --db-user wp --db-password wp --db-name bench_restore_strongbox
  fi
  measure check strongbox -- "$SB" "${SBQ[@]}" -r "$SR" check --read-data
fi
# Without fresh filesystems: every restore once more, in the reverse order (see fresh_fs).
if [[ $FRESH_FS -eq 0 ]]; then
  if has_tool strongbox; then
    measure restore_r2 strongbox -- "$SB" "${SBQ[@]}" -r "$SR" restore latest "${RESTORE_ARGS[@]}"
    rm -rf "$W/restore/strongbox"
  fi
  if has_tool borg; then
    mkdir -p "$W/restore/borg"
    measure restore_r2 borg -- sh -c "cd $(printf '%q' "$W/restore/borg") && borg extract $(printf '%q' "$BR")::b2"
    rm -rf "$W/restore/borg"
  fi
  if has_tool restic; then
    measure restore_r2 restic -- restic -r "$RR" restore latest --target "$W/restore/restic"
    rm -rf "$W/restore/restic"
  fi
fi
for t in restic borg strongbox; do
  if has_tool "$t"; then record final "$t" "$(size_of "$W/repos/$t")"; fi
done

# ---------------------------------------------------------------- report
python3 bench/report.py "$OUT" "$MODE" "$SCALE" "$ORDERS" "$SEED" \
  "$(restic version | head -1)" "$(borg --version)" "$(if has_tool strongbox; then echo "$("$SB" --version 2>/dev/null) ($SB)"; else echo "strongbox: not run ($SB missing or not selected)"; fi)"
say "done: $OUT/results.md"
