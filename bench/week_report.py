#!/usr/bin/env python3
"""Turn bench/out/week.tsv (+ week-meta.txt, week-commands.txt) into bench/out/week.md.

Usage: bench/week_report.py OUT_DIR   (run by bench/week.sh at the end; works on a partial week.tsv)
"""
import csv
import os
import statistics
import sys

out = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(out, "week.tsv")), delimiter="\t"))
meta = {}
for line in open(os.path.join(out, "week-meta.txt")):
    k, _, v = line.rstrip("\n").partition(" ")
    meta.setdefault(k, v)
cmds = open(os.path.join(out, "week-commands.txt")).read()
planned = int(meta.get("hours", "168"))
done = len(rows)
partial = done < planned

MB = 1e6
def mb(x):
    return f"{int(x) / MB:,.1f}"
def num(r, k):
    v = r.get(k, "")
    return float(v) if v not in ("", None) else None

L = []
L.append("# A week of hourly backups, with and without retention" + (" (PARTIAL)" if partial else ""))
L.append("")
if partial:
    L.append(f"**Partial: {done} of {planned} hours recorded.**")
    L.append("")
L.append(f"Run of {meta.get('date', '?')}, {meta.get('strongbox', '?')}, commit {meta.get('commit', '?')}; "
         f"machine: {meta.get('machine', '?')}.")
L.append(f"Corpus: `gen_files.py --scale {meta.get('scale')}` ({int(meta.get('corpus_files_bytes', 0)) / MB:,.0f} MB in "
         f"{int(meta.get('corpus_files_count', 0)):,} files) and `gen_shop.py --orders {meta.get('orders')}` "
         f"({int(float(meta.get('corpus_db_data_index_bytes', 0) or 0)) / MB:,.0f} MB of InnoDB data and index), seed {meta.get('seed')}. "
         f"Repository A keeps every snapshot; B runs `forget {meta.get('policy')}` after each backup and `prune` after each day's last.")
for k, v in meta.items():
    if k == "resumed":
        L.append(f"Note: {k} {v}.")
L.append("")

# ---- per-day summary
L.append("| day | A bytes (MB) | A snapshots | B before prune (MB) | B after prune (MB) | B snapshots | stored that day (MB, A) | prune wall s | prune CPU s | freed (MB) | packs deleted / repacked |")
L.append("|---|---|---|---|---|---|---|---|---|---|---|")
for d in range(1, 8):
    day = [r for r in rows if int(r["day"]) == d]
    if not day:
        continue
    last = day[-1]
    stored = sum(int(r["a_bytes_stored"]) for r in day)
    pr = last["prune_wall_s"] != ""
    complete = len(day) == 24
    L.append("| " + " | ".join([
        f"{d}" + ("" if complete else f" ({len(day)} h)"),
        mb(last["a_repo_bytes"]), last["a_snapshots"],
        mb(last["b_repo_after_backup"]),
        mb(last["b_repo_bytes"]) if pr else "-",
        last["b_snapshots"],
        mb(stored),
        last["prune_wall_s"] or "-", last["prune_cpu_s"] or "-",
        mb(last["prune_freed"]) if pr else "-",
        f"{last['prune_packs_deleted']} / {last['prune_packs_repacked']}" if pr else "-",
    ]) + " |")
L.append("")

# ---- totals
first, lastr = rows[0], rows[-1]
hourly = [r for r in rows if int(r["hour"]) >= 1]
total_stored = sum(int(r["a_bytes_stored"]) for r in rows)
L.append("| total | value |")
L.append("|---|---|")
L.append(f"| hours recorded | {done} of {planned} |")
L.append(f"| first backup: stored / repository A | {mb(first['a_bytes_stored'])} MB / {mb(first['a_repo_bytes'])} MB |")
L.append(f"| A at the end (no retention) | {mb(lastr['a_repo_bytes'])} MB, {lastr['a_snapshots']} snapshots |")
L.append(f"| B at the end (retention) | {mb(lastr['b_repo_bytes'])} MB, {lastr['b_snapshots']} snapshots |")
L.append(f"| B / A at the end | {int(lastr['b_repo_bytes']) / int(lastr['a_repo_bytes']):.3f} |")
L.append(f"| stored by all backups into A (backup JSON `bytes_stored`) | {mb(total_stored)} MB |")
if hourly:
    hs = [int(r["a_bytes_stored"]) for r in hourly]
    growth = (int(lastr["a_repo_bytes"]) - int(first["a_repo_bytes"])) / len(hourly)
    L.append(f"| A growth per hour on disk (du, hours 1..{lastr['hour']}) | {growth / MB:,.2f} MB |")
    L.append(f"| stored per hourly backup: mean / median / max | {statistics.mean(hs) / MB:,.2f} / {statistics.median(hs) / MB:,.2f} / {max(hs) / MB:,.2f} MB |")
    for key, label in (("a_wall_s", "hourly backup wall s (A)"), ("a_cpu_s", "hourly backup CPU s (A)"),
                       ("a_db_cpu_s", "hourly backup DB-server CPU s (A)"), ("forget_wall_s", "forget wall s (B)"),
                       ("mut_files_s", "gen_files --mutate-hour wall s"), ("mut_shop_s", "gen_shop --mutate-hour wall s")):
        v = [float(r[key]) for r in hourly]
        L.append(f"| {label}: median / max | {statistics.median(v):.2f} / {max(v):.2f} |")
    rss = [int(r["a_rss_kb"]) for r in hourly]
    L.append(f"| hourly backup peak RSS (A), max | {max(rss) / 1024:.1f} MiB |")
    L.append(f"| first backup wall / CPU s (A) | {first['a_wall_s']} / {first['a_cpu_s']} |")
    L.append(f"| machine load (1-min average) at the hours' start: median / max | {statistics.median(float(r['load1']) for r in rows):.2f} / {max(float(r['load1']) for r in rows):.2f} |")
L.append("")

# ---- chart: repository sizes every 6 hours
L.append("Repository bytes on disk, every 6th hour (`#` A without retention, `=` B with retention; one mark = "
         "the scale below):")
L.append("")
L.append("```")
top = max(int(r["a_repo_bytes"]) for r in rows)
width = 60
unit = top / width if top else 1
for r in rows:
    h = int(r["hour"])
    if h % 6 != 5 and h != 0 and r is not lastr:
        continue
    a, b = int(r["a_repo_bytes"]), int(r["b_repo_bytes"])
    L.append(f"{r['time'][5:16].replace('T', ' ')} A {a / MB:7.1f} MB {'#' * round(a / unit)}")
    L.append(f"{'':11} B {b / MB:7.1f} MB {'=' * round(b / unit)}")
L.append(f"(one mark = {unit / MB:.2f} MB)")
L.append("```")
L.append("")
L.append("Commands:")
L.append("")
L.append("```sh")
L.append(cmds.rstrip())
L.append("```")
L.append("")
L.append("Raw figures per hour: `bench/out/week.tsv`; logs and JSON: `bench/out/week-logs/`.")
open(os.path.join(out, "week.md"), "w").write("\n".join(L) + "\n")
print(os.path.join(out, "week.md"))
