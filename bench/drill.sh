#!/usr/bin/env bash
# Benchmark (NOT a test): the time to restore (RTO) measured by a restore drill
# on the benchmark shop, run by the native agent as a scheduled job.
#
# Usage: bench/drill.sh [--scale S] [--orders N] [--keep]
#
#   default  the corpus of bench/run.sh loaded into a WordPress site:
#            gen_files.py --scale 1 (about 1.34 GB) and gen_shop.py --orders 100000
#
# Steps (one run, one machine, one seeded data set):
#   1. its own MariaDB (33317), WordPress via php -S with the simulated clock
#      (38097, STRONGBOX_TEST_CLOCK=1), moto (39017); the shop and the site files
#      generated into the site as bench/browser.sh does;
#   2. a destination, the passphrase, a repository (`strongbox init`), an hourly
#      backup schedule and a daily drill schedule; the site's clock is set so the
#      backup is due and `strongbox agent --once --type backup` runs it (timed);
#   3. the clock moves to the drill's time and `strongbox agent --once --type
#      drill --json` runs the drill: every table restored into scratch tables and
#      compared page by page with the snapshot's checksums, every file restored
#      into the plugin's private folder and compared by SHA-256, then cleaned up;
#      the job reports rto_ms (from opening the drill session to the last
#      comparison);
#   4. bench/out/drill.md and drill.json.
# Environment: STRONGBOX_BIN (default target/release/strongbox), BENCH_DRILL_WORK
# (.work/bench-drill), BENCH_SEED (1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
COMMAND="bench/drill.sh $*"
SCALE=1
ORDERS=100000
KEEP=0
SEED="${BENCH_SEED:-1}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --scale) SCALE="$2"; shift ;;
    --orders) ORDERS="$2"; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "bench-drill: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
say() { echo "bench-drill: $*" >&2; }
die() { echo "bench-drill: error: $*" >&2; exit 1; }

W="${BENCH_DRILL_WORK:-$ROOT/.work/bench-drill}"
OUT="$ROOT/bench/out"
export STRONGBOX_WORK="$W"
export STRONGBOX_DB_PORT="${BENCH_DRILL_DB_PORT:-33317}"
export STRONGBOX_WP_PORT="${BENCH_DRILL_WP_PORT:-38097}"
export STRONGBOX_MOTO_PORT="${BENCH_DRILL_MOTO_PORT:-39017}"
export STRONGBOX_WP_DB=bench_drill
export STRONGBOX_DB_BUFFER_POOL=1G
export STRONGBOX_TEST_CLOCK=1
unset STRONGBOX_DB_SOCKET STRONGBOX_DB_DATADIR STRONGBOX_DB_HOST STRONGBOX_DB_USER STRONGBOX_DB_PASSWORD \
  STRONGBOX_DB_NAME STRONGBOX_REPOSITORY STRONGBOX_PASSWORD STRONGBOX_PASSWORD_FILE
SB="${STRONGBOX_BIN:-$ROOT/target/release/strongbox}"
for bin in php mariadb mariadbd python3 curl /usr/bin/time; do
  command -v "$bin" >/dev/null || die "$bin not found (scripts/setup)"
done
[[ -x "$SB" ]] || die "no native CLI at $SB (cargo build --release, or set STRONGBOX_BIN)"
"$SB" agent --help >/dev/null 2>&1 || die "$SB has no 'agent' command: rebuild it"
mkdir -p "$W/run" "$OUT"
if [[ ! -e "$W/venv" && -x "$ROOT/.work/venv/bin/moto_server" ]]; then ln -s "$ROOT/.work/venv" "$W/venv"; fi

started=()
cleanup() {
  local rc=$?
  if [[ $KEEP == 0 ]]; then
    local i
    for ((i = ${#started[@]} - 1; i >= 0; i--)); do "$ROOT/scripts/${started[$i]}" stop >/dev/null 2>&1 || true; done
  fi
  exit $rc
}
trap cleanup EXIT INT TERM
start() {
  if "$ROOT/scripts/$1" status >/dev/null 2>&1; then "$ROOT/scripts/$1" stop >/dev/null 2>&1 || true; fi
  "$ROOT/scripts/$1" start >&2 || die "$1 did not start (log under $W/run)"
  started+=("$1")
}

start mariadb
start moto
eval "$("$ROOT/scripts/moto" env)"
say "fresh WordPress site and database $STRONGBOX_WP_DB"
"$ROOT/scripts/wordpress" stop >/dev/null 2>&1 || true
"$ROOT/scripts/mariadb" client -e "DROP DATABASE IF EXISTS \`$STRONGBOX_WP_DB\`"
rm -rf "$W/wordpress" "$W/strongbox-data"
"$ROOT/scripts/wordpress" install >/dev/null
eval "$("$ROOT/scripts/wordpress" env)"
say "gen_shop.py --orders $ORDERS --seed $SEED"
python3 "$ROOT/scripts/gen_shop.py" --database "$STRONGBOX_WP_DB" --prefix wp_ --orders "$ORDERS" --seed "$SEED" \
  --port "$STRONGBOX_DB_PORT" >"$W/run/gen_shop.log" 2>&1 || { tail -20 "$W/run/gen_shop.log" >&2; die "gen_shop.py failed"; }
"$ROOT/scripts/wordpress" install >/dev/null
say "gen_files.py --scale $SCALE --seed $SEED"
python3 "$ROOT/scripts/gen_files.py" "$W/genfiles" --scale "$SCALE" --seed "$SEED" --force \
  >"$W/run/gen_files.log" 2>&1 || { tail -20 "$W/run/gen_files.log" >&2; die "gen_files.py failed"; }
for entry in "$W/genfiles/wp-content/"* "$W/genfiles/wp-content/".[!.]*; do
  [[ -e "$entry" || -L "$entry" ]] || continue
  [[ "$(basename "$entry")" == mu-plugins ]] && continue
  cp -a "$entry" "$STRONGBOX_WP_DIR/wp-content/"
done
"$ROOT/scripts/wordpress" serve >&2
started+=(wordpress)

API="$STRONGBOX_WP_URL/wp-json/strongbox/v1"
APP="$(WP_DIR="$STRONGBOX_WP_DIR" URL="$STRONGBOX_WP_URL" php "$ROOT/tests/e2e/tools/wp.php" app-password admin)"
export STRONGBOX_SITE_USER=admin STRONGBOX_SITE_PASSWORD="$APP"
api() { curl -sS -f -u "admin:$APP" -H 'Content-Type: application/json' -X "$1" "$API/$2" ${3:+-d "$3"}; }
PASS="bench drill passphrase $SEED"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_DEFAULT_REGION=us-east-1
curl -sS -f -X PUT -H 'Authorization: AWS4-HMAC-SHA256 Credential=bench/20261125/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00' \
  "$STRONGBOX_MOTO_ENDPOINT/bench-drill" >/dev/null
STRONGBOX_PASSWORD="$PASS" "$SB" -q init -r "s3:$STRONGBOX_MOTO_ENDPOINT/bench-drill/shop" >/dev/null
api PUT settings/passphrase "{\"passphrase\": \"$PASS\"}" >/dev/null
DEST=$(api POST destinations "{\"name\":\"bench\",\"endpoint\":\"$STRONGBOX_MOTO_ENDPOINT\",\"region\":\"us-east-1\",\"bucket\":\"bench-drill\",\"prefix\":\"shop\",\"access_key_id\":\"bench\",\"secret_access_key\":\"bench-secret\",\"path_style\":true}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
T0=$(date -u -d '2026-11-02 00:10:00' +%s)
api PUT test/clock "{\"now\": $T0}" >/dev/null
api POST schedules "{\"name\":\"hourly\",\"type\":\"backup\",\"parts\":[\"database\",\"files\"],\"every\":\"hour\",\"destination_ids\":[\"$DEST\"]}" >/dev/null
api POST schedules "{\"name\":\"drill\",\"type\":\"drill\",\"every\":\"day\",\"at\":\"03:00\",\"destination_ids\":[\"$DEST\"]}" >/dev/null

api PUT test/clock "{\"now\": $((T0 + 3600))}" >/dev/null
say "first backup (agent, scheduled)"
/usr/bin/time -v -o "$W/run/backup.time" "$SB" agent --site "$STRONGBOX_WP_URL" --once --json --quiet --type backup >"$W/run/backup.json"
api PUT test/clock "{\"now\": $((T0 + 3 * 3600))}" >/dev/null
say "restore drill (agent, scheduled)"
/usr/bin/time -v -o "$W/run/drill.time" "$SB" agent --site "$STRONGBOX_WP_URL" --once --json --quiet --type drill >"$W/run/drill.json" || true

python3 - "$W" "$OUT" "$COMMAND" "$SCALE" "$ORDERS" <<'PY'
import json, re, sys
w, out, command, scale, orders = sys.argv[1:]
def tv(path):
    t = open(path).read()
    g = lambda k: re.search(k + r": (.*)", t).group(1).strip()
    wall = g(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\)")
    parts = [float(x) for x in wall.split(":")]
    secs = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    cpu = float(g("User time \(seconds\)")) + float(g("System time \(seconds\)"))
    return secs, cpu, int(g("Maximum resident set size \(kbytes\)")) / 1024
b = json.loads(open(f"{w}/run/backup.json").readline())
d = json.loads(open(f"{w}/run/drill.json").readline())
bs, bc, bm = tv(f"{w}/run/backup.time")
ds, dc, dm = tv(f"{w}/run/drill.time")
r = d["outcome"]["result"]
st = b["outcome"]["result"]["stats"]
res = {"command": command, "scale": scale, "orders": orders, "backup": {"wall_s": bs, "cpu_s": bc, "rss_mib": bm, "stats": st},
       "drill": {"state": d["outcome"]["state"], "wall_s": ds, "cpu_s": dc, "rss_mib": dm, "result": r}}
json.dump(res, open(f"{out}/drill.json", "w"), indent=1)
mb = lambda n: f"{n / 1e6:,.1f} MB"
md = f"""# Restore drill on the benchmark shop

`{command}` (scale {scale}, {orders} orders; site files {st['files']:,} files, {mb(st['file_bytes'])}; database {st['tables']} tables, {st['rows']:,} rows, {mb(st['db_bytes'])})

| step | wall | CLI CPU | CLI peak RSS | result |
|---|---|---|---|---|
| first backup (`agent --type backup`) | {bs:.1f} s | {bc:.1f} s | {bm:.0f} MiB | {mb(st['bytes_stored'])} stored |
| restore drill (`agent --type drill`) | {ds:.1f} s | {dc:.1f} s | {dm:.0f} MiB | {d['outcome']['state']}: {r.get('tables_checked')} tables / {r.get('rows_checked'):,} rows, {r.get('files_checked'):,} files / {mb(r.get('bytes_checked', 0))} equal to the snapshot, {len(r.get('mismatches', []))} mismatches |

Measured time to restore (RTO, the drill's own clock from opening the session to the last comparison): **{r.get('rto_ms', 0) / 1000:.1f} s**; bytes sent to the site {mb(r.get('bytes_to_site', 0))}.
"""
open(f"{out}/drill.md", "w").write(md)
print(md)
PY
