#!/usr/bin/env bash
# Records which snapshots restic's `forget` keeps for a set of retention
# policies, so tests/retention.rs can prove that Strongbox's policy
# (src/commands/forget.rs) keeps exactly the same ones.
#
# Two series of snapshots (an hourly week; 70 irregular ones across
# month, ISO-week and year boundaries) are made with `restic backup --time`
# (about 0.7 s each: restic's key derivation), then each policy is applied
# with `restic forget --dry-run --json`. Times are UTC (TZ=UTC).
#
# Output: tests/fixtures/restic-retention.json. Usage: bench/restic-retention.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/tests/fixtures/restic-retention.json"
command -v restic >/dev/null || { echo "restic is needed (apt install restic)" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export TZ=UTC RESTIC_PASSWORD=retention
mkdir "$WORK/data" && echo x >"$WORK/data/f"

python3 - "$WORK/series.json" <<'PY'
import json, sys, datetime as dt, random
hourly = [dt.datetime(2026, 11, 2, 0, 30) + dt.timedelta(hours=h) for h in range(168)]
random.seed(7)
t, irregular = dt.datetime(2025, 11, 20, 6, 15), []
while len(irregular) < 70:
    t += dt.timedelta(hours=random.choice([5, 13, 26, 50, 100, 170, 300]))
    irregular.append(t)
fmt = lambda xs: [x.strftime("%Y-%m-%d %H:%M:%S") for x in xs]
json.dump({"hourly-week": fmt(hourly), "irregular": fmt(irregular)}, open(sys.argv[1], "w"))
PY

CASES=(
  "--keep-hourly 24 --keep-daily 7"
  "--keep-last 3 --keep-daily 2 --keep-weekly 1"
  "--keep-within 2d"
  "--keep-within 1d12h --keep-last 2"
  "--keep-daily 10"
  "--keep-hourly 5 --keep-weekly 2"
  "--keep-weekly 3 --keep-monthly 6 --keep-yearly 2"
  "--keep-monthly 4"
  "--keep-within 1m5d"
)
# Not here: counts of -1 ("no limit"), which restic accepts only from 0.16
# on (0.14 ignores them); src/commands/forget.rs tests them.
echo "{" >"$WORK/out"
echo "  \"restic\": \"$(restic version | head -1)\"," >>"$WORK/out"
echo "  \"series\": $(cat "$WORK/series.json")," >>"$WORK/out"
echo "  \"cases\": [" >>"$WORK/out"
first=1
for series in hourly-week irregular; do
  export RESTIC_REPOSITORY="$WORK/repo-$series"
  restic init -q
  python3 -c "import json,sys; print('\n'.join(json.load(open(sys.argv[1]))[sys.argv[2]]))" "$WORK/series.json" "$series" |
    while read -r t; do restic backup -q --host h --time "$t" "$WORK/data" >/dev/null; done
  for args in "${CASES[@]}"; do
    # shellcheck disable=SC2086
    keep=$(restic forget --dry-run --json $args | python3 -c '
import json, sys
groups = json.load(sys.stdin)
print(json.dumps(sorted(s["time"][:19].replace("T", " ") for g in groups for s in g["keep"])))')
    [ $first = 1 ] || echo "," >>"$WORK/out"
    first=0
    printf '    {"series": "%s", "args": "%s", "keep": %s}' "$series" "$args" "$keep" >>"$WORK/out"
  done
done
printf '\n  ]\n}\n' >>"$WORK/out"
python3 -m json.tool "$WORK/out" >"$OUT"
echo "wrote $OUT" >&2
