#!/usr/bin/env python3
"""Turn bench/out/raw.tsv, sizes.tsv, verify.tsv and commands.txt into results.md.

Usage: bench/report.py OUT MODE SCALE ORDERS SEED RESTIC_VERSION BORG_VERSION STRONGBOX_VERSION
"""
import csv
import os
import platform
import sys
import time

out, mode, scale, orders, seed, v_restic, v_borg, v_sb = sys.argv[1:9]
raw = list(csv.DictReader(open(os.path.join(out, "raw.tsv")), delimiter="\t"))
sizes = {}
for line in open(os.path.join(out, "sizes.tsv")):
    a, b, c = line.rstrip("\n").split("\t")
    sizes[(a, b)] = int(c)
verify, verify_db = {}, {}
vdb = os.path.join(out, "verify-db.tsv")
if os.path.exists(vdb):
    for line in open(vdb):
        t, ok = line.rstrip("\n").split("\t", 1)
        verify_db[t] = ok
vpath = os.path.join(out, "verify.tsv")
if os.path.exists(vpath):
    for line in open(vpath):
        t, ok = line.rstrip("\n").split("\t", 1)
        verify[t] = ok


def get(step, tool):
    for r in raw:
        if r["step"] == step and r["tool"] == tool:
            return r
    return None


def best_restore(tool):
    """The faster of the two restore rounds (run in opposite orders)."""
    rs = [r for r in (get("restore", tool), get("restore_r2", tool)) if r]
    return min(rs, key=wall) if rs else None


def cpu(r):
    return float(r["user_s"]) + float(r["sys_s"]) if r else None


def wall(r):
    return float(r["wall_s"]) if r else None


tools = [t for t in ("restic", "borg", "strongbox") if get("backup1", t)]
dump1, dump2 = get("dump1", "dump"), get("dump2", "dump")


def with_dump(t, r, d):
    """restic and borg need the dump; its cost is part of their backup."""
    if r is None:
        return None, None, None
    if t == "strongbox":
        return wall(r), cpu(r), float(r["db_server_cpu_s"])
    return wall(r) + wall(d), cpu(r) + cpu(d), float(r["db_server_cpu_s"]) + float(d["db_server_cpu_s"])


rows = {}
for t in tools:
    b1, b2 = get("backup1", t), get("backup2", t)
    w1, c1, s1 = with_dump(t, b1, dump1)
    w2, c2, s2 = with_dump(t, b2, dump2)
    rows[t] = {
        "b1_wall": w1, "b1_cpu": c1, "b1_db": s1, "b1_rss": int(b1["maxrss_kb"]) / 1024,
        "b1_size": sizes.get(("backup1", t), 0) / 1e6,
        "b2_wall": w2, "b2_cpu": c2, "b2_db": s2, "b2_added": sizes.get(("backup2", t), 0) / 1e6,
        "restore_wall": wall(best_restore(t)), "restore_cpu": cpu(best_restore(t)),
        "check_wall": wall(get("check", t)), "check_cpu": cpu(get("check", t)),
        "rdb_wall": wall(get("restoredb", t)), "rdb_cpu": cpu(get("restoredb", t)),
        "rdb_db": float(get("restoredb", t)["db_server_cpu_s"]) if get("restoredb", t) else None,
        "repo_final": sizes.get(("final", t), 0) / 1e6,
        "tool_only_b1_cpu": cpu(b1), "tool_only_b2_cpu": cpu(b2),
    }

COLS = [("b1_wall", "backup 1 wall s"), ("b1_cpu", "backup 1 CPU s"), ("b1_db", "backup 1 DB-server CPU s"),
        ("b1_rss", "backup 1 peak RSS MiB"), ("b1_size", "repo after backup 1 MB"),
        ("b2_wall", "backup 2 wall s"), ("b2_cpu", "backup 2 CPU s"), ("b2_db", "backup 2 DB-server CPU s"),
        ("b2_added", "backup 2 added MB"), ("restore_wall", "restore wall s"), ("restore_cpu", "restore CPU s"),
        ("check_wall", "check read-all wall s"), ("check_cpu", "check read-all CPU s")]
if any(get("restoredb", t) for t in tools):
    COLS += [("rdb_wall", "restore into DB wall s"), ("rdb_cpu", "restore into DB client CPU s"),
             ("rdb_db", "restore into DB server CPU s")]


def fmt(v):
    if v is None:
        return "n/a"
    return f"{v:.1f}" if abs(v) < 1000 else f"{v:.0f}"


md = []
md.append(f"# Strongbox benchmark ({mode})\n")
md.append(f"Generated {time.strftime('%Y-%m-%d %H:%M:%S %Z')} on {platform.node()} ({os.cpu_count()} cores, "
          f"shared with other work: wall times are noisy, CPU seconds less so). Tools ran one after another under "
          f"`nice -n 10`, with the corpus in the page cache.\n")
md.append(f"- {v_restic}\n- {v_borg}\n- {v_sb}\n")
md.append("## Corpus\n")
md.append(f"- scale {scale}, {orders} orders, seed {seed}")
md.append(f"- site files: {sizes.get(('corpus', 'files_bytes'), 0) / 1e6:.1f} MB in {sizes.get(('corpus', 'files_count'), 0)} files "
          f"(generated in {wall(get('gen', 'files')):.1f} s)")
md.append(f"- database: about {sizes.get(('corpus', 'db_rows_estimate'), 0)} rows (InnoDB estimate), "
          f"{sizes.get(('corpus', 'db_data_index_bytes'), 0) / 1e6:.0f} MB data+index (generated and loaded in {wall(get('gen', 'shop')):.1f} s)")
md.append(f"- `mariadb-dump --single-transaction --quick`: {sizes.get(('corpus', 'dump_bytes'), 0) / 1e6:.1f} MB, "
          f"{wall(dump1):.1f} s wall, {cpu(dump1):.1f} s client CPU, {float(dump1['db_server_cpu_s']):.1f} s server CPU")
md.append(f"- one hour of activity: gen_files --mutate-hour {wall(get('mutate', 'files')):.1f} s, gen_shop --mutate-hour "
          f"{wall(get('mutate', 'shop')):.1f} s; second dump {wall(dump2):.1f} s\n")
md.append("## Absolute figures\n")
md.append("restic and borg back up the site files plus the SQL dump; their backup figures INCLUDE the dump step "
          "(mariadb-dump client CPU; server CPU in its own column). strongbox reads the database itself. "
          "CPU = user + sys of the process tree (/usr/bin/time -v). DB-server CPU = mariadbd's CPU during the step.\n")
if any(r["step"] == "restore_r2" for r in raw):
    md.append("Restore: the faster of two rounds run in opposite orders (raw.tsv steps restore and restore_r2), "
              "since on this machine creating files right after another tool's restore was deleted costs more.\n")
else:
    md.append("Restore: each tool into a freshly made ext4 filesystem (a loop-mounted image), so none pays "
              "for the inodes another freed just before.\n")
md.append("| metric | " + " | ".join(tools) + " |")
md.append("|---|" + "---|" * len(tools))
for key, label in COLS:
    md.append(f"| {label} | " + " | ".join(fmt(rows[t][key]) for t in tools) + " |")
md.append("| backup 1 CPU s, tool only (no dump) | " + " | ".join(fmt(rows[t]["tool_only_b1_cpu"]) for t in tools) + " |")
md.append("| backup 2 CPU s, tool only (no dump) | " + " | ".join(fmt(rows[t]["tool_only_b2_cpu"]) for t in tools) + " |")
md.append("| repo size at end MB | " + " | ".join(fmt(rows[t]["repo_final"]) for t in tools) + " |")
md.append("| restore verified (files diff -r, dump cmp) | " + " | ".join(verify.get(t, "n/a") for t in tools) + " |")
if verify_db:
    md.append("| DB restore verified (CHECKSUM TABLE) | " + " | ".join(verify_db.get(t, "n/a") for t in tools) + " |")
md.append("")
if "restic" in rows:
    md.append("## Ratios vs restic (lower is better)\n")
    md.append("| metric | " + " | ".join(tools) + " |")
    md.append("|---|" + "---|" * len(tools))
    for key, label in COLS:
        base = rows["restic"][key]
        cells = []
        for t in tools:
            v = rows[t][key]
            cells.append("n/a" if v is None or not base else f"{v / base:.2f}")
        md.append(f"| {label} | " + " | ".join(cells) + " |")
    md.append("")
md.append("## Exact commands\n")
md.append("Passwords from the environment: RESTIC_PASSWORD, BORG_PASSPHRASE, STRONGBOX_PASSWORD. "
          "borg: `--encryption=repokey` (AES-CTR + HMAC-SHA256). restic: default repository version and compression (auto).\n")
md.append("```")
md.append(open(os.path.join(out, "commands.txt")).read().rstrip())
md.append("```\n")
md.append("Raw measurements: raw.tsv (per step), sizes.tsv (bytes), time/*.txt (full /usr/bin/time -v output), logs/.\n")
open(os.path.join(out, "results.md"), "w").write("\n".join(md))
print("\n".join(md[: md.index("## Exact commands\n")]))
