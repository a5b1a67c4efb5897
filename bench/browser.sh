#!/usr/bin/env bash
# Benchmark (NOT a test): the browser engine (WebAssembly in headless Chromium)
# against the native CLI backing up the same WordPress site through the same
# REST API, on the seeded corpus of bench/run.sh loaded INTO the site.
#
# Usage: bench/browser.sh [--quick] [--scale S] [--orders N] [--workers 0,1[,2...]] [--driver plain|playwright] [--keep]
#
#   default   gen_files.py --scale 1 (about 1.34 GB) and gen_shop.py --orders 100000,
#             the corpus of bench/run.sh; about 8 minutes on 2 cores (commit 2a9470c)
#   --quick   scale 0.05 and 2,000 orders: checks the harness in about a minute
#   --workers compression workers of the engine worker to measure, one fresh
#             repository each (default: 0 and 1, plus 2..min(4, cores-1) when the
#             machine has more than 2 cores); 0 = compression inline
#   --driver  plain (default): Chromium started with no DevTools client attached, the
#             backup run by bench/browser-page.js (printed on the Strongbox dashboard by a
#             must-use plugin of the benchmark's own site copy, logged in beforehand by
#             Playwright); playwright: the tab driven by Playwright (CDP attached to the
#             page and its workers, as in the e2e tests; costs the browser CPU)
#   --keep    leave MariaDB, WordPress and moto running at the end (node
#             bench/browser.mjs can then be re-run with the variables of
#             $WORK/env.sh; it needs a freshly loaded site for meaningful figures)
#
# One run, one machine, one seeded data set:
#   1. its own MariaDB (33386), WordPress via php -S with PHP_CLI_SERVER_WORKERS=4
#      (38156, scripts/wordpress), moto (39086) behind the e2e CORS proxy (39087),
#      work dir .work/bench-browser; the shop (gen_shop.py --seed 1, prefix wp_) in
#      the WordPress database, the site files (gen_files.py --seed 1) copied into
#      wp-content as scripts/test-e2e does (without the generator's mu-plugins);
#   2. first backups, each into a fresh repository (a new prefix of one bucket,
#      initialised by `strongbox init`, untimed): the native CLI
#      `strongbox backup --site` (Application Password), then the browser engine
#      through the plugin's client (strongbox-client.js, engine-worker.js
#      `?compress=N`) for each --workers value, then the CLI again (how much the
#      machine's other work moved the figures; the ratios use the faster CLI run);
#   3. one hour of shop activity (gen_shop.py --mutate-hour --seed 2, gen_files.py
#      --mutate-hour --seed 2 as bench/run.sh, synced into the site), then a second
#      backup by the browser (fastest configuration of step 2) and by the CLI;
#   4. bench/out/browser.md (table, ratios, exact commands) and browser.json.
# Refuses a CLI or an engine older than a file of src/ or Cargo.* (BENCH_ALLOW_STALE=1 overrides).
# Environment: STRONGBOX_BIN (default target/release/strongbox),
# BENCH_BROWSER_WORK (.work/bench-browser), BENCH_SEED (1), BENCH_BROWSER_DB_PORT (33386),
# BENCH_BROWSER_WP_PORT (38156), BENCH_BROWSER_MOTO_PORT (39086), BENCH_BROWSER_PROXY_PORT (39087),
# STRONGBOX_E2E_CHROMIUM (/usr/bin/chromium).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
COMMAND="bench/browser.sh $*"
SCALE=1
ORDERS=100000
MODE=full
KEEP=0
WORKERS=""
DRIVER=plain
SEED="${BENCH_SEED:-1}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) SCALE=0.05; ORDERS=2000; MODE=quick ;;
    --scale) SCALE="$2"; MODE=custom; shift ;;
    --orders) ORDERS="$2"; MODE=custom; shift ;;
    --workers) WORKERS="$2"; shift ;;
    --keep) KEEP=1 ;;
    --driver) DRIVER="$2"; shift ;;
    -h|--help) sed -n '2,43p' "$0"; exit 0 ;;
    *) echo "bench-browser: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "bench-browser: $*" >&2; }
die() { echo "bench-browser: error: $*" >&2; exit 1; }

W="${BENCH_BROWSER_WORK:-$ROOT/.work/bench-browser}"
OUT="$ROOT/bench/out"
export STRONGBOX_WORK="$W"
export STRONGBOX_DB_PORT="${BENCH_BROWSER_DB_PORT:-33386}"
export STRONGBOX_WP_PORT="${BENCH_BROWSER_WP_PORT:-38156}"
export STRONGBOX_MOTO_PORT="${BENCH_BROWSER_MOTO_PORT:-39086}"
export STRONGBOX_WP_DB=bench_browser
export STRONGBOX_DB_BUFFER_POOL=1G
unset STRONGBOX_DB_SOCKET STRONGBOX_DB_DATADIR STRONGBOX_DB_HOST STRONGBOX_DB_USER STRONGBOX_DB_PASSWORD \
  STRONGBOX_DB_NAME STRONGBOX_REPOSITORY STRONGBOX_PASSWORD STRONGBOX_PASSWORD_FILE
PROXY_PORT="${BENCH_BROWSER_PROXY_PORT:-39087}"
CHROMIUM="${STRONGBOX_E2E_CHROMIUM:-/usr/bin/chromium}"
SB="${STRONGBOX_BIN:-$ROOT/target/release/strongbox}"
ENGINE="$ROOT/plugin/strongbox/assets/engine"
CORES="$(nproc)"
if [[ -z "$WORKERS" ]]; then
  WORKERS="0,1"
  for ((n = 2; n <= CORES - 1 && n <= 4; n++)); do WORKERS+=",$n"; done
fi
[[ "$WORKERS" =~ ^[0-8](,[0-8])*$ ]] || die "--workers takes numbers 0-8 separated by commas"
[[ "$DRIVER" == plain || "$DRIVER" == playwright ]] || die "--driver is plain or playwright"

# ------------------------------------------------------------------ checks
for bin in node php mariadb mariadbd mariadb-dump python3 curl rsync /usr/bin/time; do
  command -v "$bin" >/dev/null || die "$bin not found (scripts/setup)"
done
[[ -x "$CHROMIUM" ]] || die "$CHROMIUM not found (apt-get install -y chromium)"
[[ -x "$SB" ]] || die "no native CLI at $SB (cargo build --release, or set STRONGBOX_BIN)"
"$SB" backup --help 2>/dev/null | grep -q -- '--site' \
  || die "$SB has no 'backup --site' (built $(date -r "$SB" '+%F %T')): rebuild it (cargo build --release)"
[[ -f "$ENGINE/strongbox_bg.wasm" && -f "$ENGINE/strongbox.js" ]] || die "no engine in ${ENGINE#$ROOT/} (scripts/build-wasm)"
grep -q 'memoryBytes' "$ENGINE/strongbox.js" && grep -q 'setCompressor' "$ENGINE/strongbox.js" \
  || die "the engine in ${ENGINE#$ROOT/} (built $(date -r "$ENGINE/strongbox.js" '+%F %T')) has no setCompressor/memoryBytes: rebuild it (scripts/build-wasm)"
# Both sides must be built from the same sources, or the comparison says nothing.
stale="$(find "$ROOT/src" "$ROOT/Cargo.toml" "$ROOT/Cargo.lock" -newer "$SB" -type f 2>/dev/null | head -3)"
[[ -z "$stale" || "${BENCH_ALLOW_STALE:-0}" == 1 ]] \
  || die "$SB is older than ${stale//$'\n'/, } (cargo build --release; BENCH_ALLOW_STALE=1 to measure anyway)"
stale="$(find "$ROOT/src" "$ROOT/Cargo.toml" "$ROOT/Cargo.lock" -newer "$ENGINE/strongbox_bg.wasm" -type f 2>/dev/null | head -3)"
[[ -z "$stale" || "${BENCH_ALLOW_STALE:-0}" == 1 ]] \
  || die "the engine in ${ENGINE#$ROOT/} is older than ${stale//$'\n'/, } (scripts/build-wasm; BENCH_ALLOW_STALE=1 to measure anyway)"
[[ -f "$ROOT/tests/e2e/node_modules/playwright-core/package.json" ]] \
  || (cd "$ROOT/tests/e2e" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)

say "mode $MODE: scale $SCALE, $ORDERS orders, seed $SEED, browser compression workers {$WORKERS} ($DRIVER Chromium), $CORES cores; work dir $W"
mkdir -p "$W/run" "$OUT"
if [[ ! -e "$W/venv" && -x "$ROOT/.work/venv/bin/moto_server" ]]; then ln -s "$ROOT/.work/venv" "$W/venv"; fi

started=()
cleanup() {
  local rc=$?
  if [[ $KEEP == 1 ]]; then
    say "--keep: leaving ${started[*]:-nothing} running (stop: . $W/env.sh; scripts/<service> stop)"
  else
    local i
    for ((i = ${#started[@]} - 1; i >= 0; i--)); do "$ROOT/scripts/${started[$i]}" stop >/dev/null 2>&1 || true; done
  fi
  exit $rc
}
trap cleanup EXIT INT TERM

wait_time_wait() {  # moto leaves its port in TIME-WAIT for a minute after each run
  command -v ss >/dev/null || return 0
  local i
  for ((i = 0; i < 75; i++)); do
    ss -Htan state time-wait "( sport = :$1 )" 2>/dev/null | grep -q . || return 0
    ((i == 0)) && say "port $1 is in TIME-WAIT from an earlier run: waiting (at most 75 s)"
    sleep 1
  done
}
start() {
  if "$ROOT/scripts/$1" status >/dev/null 2>&1; then "$ROOT/scripts/$1" stop >/dev/null 2>&1 || true; fi
  "$ROOT/scripts/$1" start >&2 || die "$1 did not start (log under $W/run)"
  started+=("$1")
}

# ------------------------------------------------------------------ services and corpus
T0=$(date +%s)
start mariadb
wait_time_wait "$STRONGBOX_MOTO_PORT"
start moto   # a fresh moto holds no objects

say "fresh WordPress site and database $STRONGBOX_WP_DB"
"$ROOT/scripts/wordpress" stop >/dev/null 2>&1 || true
"$ROOT/scripts/mariadb" client -e "DROP DATABASE IF EXISTS \`$STRONGBOX_WP_DB\`"
rm -rf "$W/wordpress" "$W/strongbox-data"
"$ROOT/scripts/wordpress" install >/dev/null
eval "$("$ROOT/scripts/wordpress" env)"

say "gen_shop.py --orders $ORDERS --seed $SEED into $STRONGBOX_WP_DB (prefix wp_)"
t=$(date +%s)
python3 "$ROOT/scripts/gen_shop.py" --database "$STRONGBOX_WP_DB" --prefix wp_ --orders "$ORDERS" --seed "$SEED" \
  --port "$STRONGBOX_DB_PORT" >"$W/run/gen_shop.log" 2>&1 || { tail -20 "$W/run/gen_shop.log" >&2; die "gen_shop.py failed"; }
GEN_SHOP_S=$(( $(date +%s) - t ))
"$ROOT/scripts/wordpress" install >/dev/null   # the generator's options must not replace the site's own

say "gen_files.py --scale $SCALE --seed $SEED, copied into $STRONGBOX_WP_DIR/wp-content"
t=$(date +%s)
python3 "$ROOT/scripts/gen_files.py" "$W/genfiles" --scale "$SCALE" --seed "$SEED" --force \
  >"$W/run/gen_files.log" 2>&1 || { tail -20 "$W/run/gen_files.log" >&2; die "gen_files.py failed"; }
for entry in "$W/genfiles/wp-content/"* "$W/genfiles/wp-content/".[!.]*; do
  [[ -e "$entry" || -L "$entry" ]] || continue
  [[ "$(basename "$entry")" == mu-plugins ]] && continue
  cp -a "$entry" "$STRONGBOX_WP_DIR/wp-content/"
done
GEN_FILES_S=$(( $(date +%s) - t ))

# The plain-Chromium driver's page script, in this site copy only (never in the plugin).
mkdir -p "$STRONGBOX_WP_DIR/wp-content/mu-plugins/strongbox-bench"
cp "$ROOT/bench/browser-page.js" "$STRONGBOX_WP_DIR/wp-content/mu-plugins/strongbox-bench/page.js"
cat >"$STRONGBOX_WP_DIR/wp-content/mu-plugins/strongbox-bench.php" <<'PHP'
<?php
// bench/browser.sh only: prints bench/browser-page.js on the Strongbox screen when the URL has sb_bench=1.
defined( 'ABSPATH' ) || exit;
add_action(
	'admin_footer',
	static function () {
		if ( empty( $_GET['sb_bench'] ) || ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$file = __DIR__ . '/strongbox-bench/page.js';
		echo '<script type="module" src="' . esc_url( content_url( 'mu-plugins/strongbox-bench/page.js' ) . '?ver=' . filemtime( $file ) ) . '"></script>' . "\n";
	}
);
PHP

"$ROOT/scripts/wordpress" serve >&2
started+=(wordpress)

cat >"$W/env.sh" <<EOF
export STRONGBOX_WORK=$W STRONGBOX_DB_PORT=$STRONGBOX_DB_PORT STRONGBOX_WP_PORT=$STRONGBOX_WP_PORT STRONGBOX_MOTO_PORT=$STRONGBOX_MOTO_PORT STRONGBOX_WP_DB=$STRONGBOX_WP_DB
export STRONGBOX_E2E_URL=$STRONGBOX_WP_URL STRONGBOX_E2E_WP_DIR=$STRONGBOX_WP_DIR STRONGBOX_E2E_ADMIN_PASSWORD_FILE=$STRONGBOX_WP_ADMIN_PASSWORD_FILE
export STRONGBOX_E2E_DB=$STRONGBOX_WP_DB STRONGBOX_E2E_DB_PORT=$STRONGBOX_DB_PORT STRONGBOX_E2E_MOTO=http://127.0.0.1:$STRONGBOX_MOTO_PORT
export STRONGBOX_E2E_PROXY_PORT=$PROXY_PORT STRONGBOX_E2E_WORK=$W STRONGBOX_E2E_ROOT=$ROOT STRONGBOX_E2E_CHROMIUM=$CHROMIUM STRONGBOX_BIN=$SB
export STRONGBOX_E2E_TIMEOUT_MS=7200000
export BENCH_DRIVER=$DRIVER BENCH_OUT=$OUT BENCH_MODE=$MODE BENCH_SCALE=$SCALE BENCH_ORDERS=$ORDERS BENCH_SEED=$SEED BENCH_WORKERS=$WORKERS
export BENCH_GENFILES=$W/genfiles BENCH_SETUP_S=$(( $(date +%s) - T0 )) BENCH_GEN_SHOP_S=$GEN_SHOP_S BENCH_GEN_FILES_S=$GEN_FILES_S
export BENCH_COMMAND=$(printf '%q' "$COMMAND")
EOF
# shellcheck disable=SC1091
. "$W/env.sh"
say "site ready at $STRONGBOX_WP_URL after $BENCH_SETUP_S s; measuring (node bench/browser.mjs)"
node "$ROOT/bench/browser.mjs"
echo
cat "$OUT/browser.md"
