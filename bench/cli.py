"""Command line of the benchmarks: choose scenarios and sizes, print the table, the ratios and the targets,
and write everything as JSON to bench/results/."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import scenarios
from bench.scenarios import Row, Settings

RESULTS = Path(__file__).resolve().parent / "results"
ALL = ("1", "2", "3", "4", "growth")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "--only", default=",".join(ALL), help=f"comma-separated scenarios (default: {','.join(ALL)})"
    )
    p.add_argument("--latency", type=float, default=0.05, help="seconds added to every API request (0.05)")
    p.add_argument("--records", type=int, default=10_000, help="records in the zone of scenarios 1, 2, 4")
    p.add_argument("--changes", type=int, default=1_000, help="changes in scenario 2")
    p.add_argument("--zones", type=int, default=200, help="zones in scenario 3")
    p.add_argument("--zone-records", type=int, default=50, help="records per zone in scenario 3")
    p.add_argument("--zone-changes", type=int, default=5, help="changes per zone in scenario 3")
    p.add_argument("--growth", default="1000,10000,100000", help="zone sizes of the growth series")
    p.add_argument("--no-octodns", action="store_true", help="zonesync only")
    p.add_argument(
        "--octodns-rate-limit",
        choices=("project", "full", "skip"),
        default="project",
        help="scenario 3 under Cloudflare's rate limit: stop octoDNS at its first 429 and project its 300 s "
        "sleep (default), wait it out for real (full: about 7 more minutes), or skip that run",
    )
    p.add_argument("--plan", choices=("free", "paid"), default="free", help="Cloudflare plan of the zones")
    p.add_argument("--batch-size", type=int, help="zonesync apply --batch-size (default: the plan's limit)")
    p.add_argument("--repeat", type=int, default=5, help="runs of `zonesync --help` (median)")
    p.add_argument("--plan-repeat", type=int, default=3, help="runs of each unchanged zonesync plan (median)")
    p.add_argument(
        "--octodns-workers", type=int, default=8, help="octoDNS manager.max_workers (8, like zonesync)"
    )
    p.add_argument("--keep", action="store_true", help="keep the generated files (path printed)")
    p.add_argument("--output", type=Path, help="JSON file (default: bench/results/bench-<time>.json)")
    return p.parse_args(argv)


def run_all(s: Settings, only: Sequence[str]) -> dict[str, Any]:
    rows: list[Row] = []
    stages: list[dict[str, Any]] = []
    steps = {
        "1": lambda: scenarios.plan_unchanged(s, s.records, "1", octodns=s.octodns),
        "2": lambda: scenarios.big_zone(s),
        "3": lambda: scenarios.many_zones(s),
        "4": lambda: scenarios.cli_startup(s),
    }
    for key in only:
        started = time.perf_counter()
        print(f"bench: scenario {key} ...", file=sys.stderr, flush=True)
        if key == "growth":
            more, stages = scenarios.growth(s)
            rows += more
        else:
            rows += steps[key]()
        print(
            f"bench: scenario {key} done in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    return {"rows": rows, "stages": stages}


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs"}
    for dist in ("zonesync", "cloudflare", "octodns", "octodns-cloudflare"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


# -- report ------------------------------------------------------------------------------------------------


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(rows: Sequence[Row]) -> str:
    head = ("scenario", "step", "tool", "wall s", "requests", "minimum", "peak MB", "ok", "note")
    body = [
        (
            r.scenario,
            r.step,
            r.tool,
            _fmt(r.wall_s, 3),
            _fmt(r.requests),
            _fmt(r.minimum),
            _fmt(r.peak_mb, 1),
            "yes" if r.ok else "NO",
            r.note,
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    widths[-1] = 0
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in (head, *body)
    ]
    lines.insert(1, "-" * min(120, max(len(x) for x in lines)))
    return "\n".join(lines)


def ratios(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """zonesync / octoDNS per scenario and step, and for plan + apply together."""
    out = []
    scen = sorted({r.scenario for r in rows}, key=str)
    for name in scen:
        z = {r.step: r for r in rows if r.scenario == name and r.tool == "zonesync"}
        o = {r.step: r for r in rows if r.scenario == name and r.tool == "octodns"}
        steps = [k for k in z if k in o]
        if not steps:
            continue
        combos = [(k, [k]) for k in steps]
        if {"plan", "apply"} <= set(steps):
            combos.append(("plan+apply", ["plan", "apply"]))
        for label, keys in combos:
            zt = sum(z[k].wall_s or 0 for k in keys)
            ot = sum(o[k].wall_s or 0 for k in keys)
            zr = sum(z[k].requests or 0 for k in keys)
            orq = sum(o[k].requests or 0 for k in keys)
            out.append(
                {
                    "scenario": name,
                    "step": label,
                    "zonesync_s": round(zt, 3),
                    "octodns_s": round(ot, 3),
                    "time_ratio": round(zt / ot, 4) if ot else None,
                    "speedup": round(ot / zt, 1) if zt else None,
                    "zonesync_requests": zr,
                    "octodns_requests": orq,
                    "request_ratio": round(zr / orq, 4) if orq else None,
                }
            )
    return out


def ratio_table(items: Sequence[dict[str, Any]]) -> str:
    lines = ["zonesync / octoDNS (same run, same emulator):"]
    for it in items:
        lines.append(
            f"  {it['scenario']:<15} {it['step']:<10} time {it['zonesync_s']:.2f} s / {it['octodns_s']:.2f} s "
            f"= {it['time_ratio']} ({it['speedup']}x faster); requests {it['zonesync_requests']} / "
            f"{it['octodns_requests']} = {it['request_ratio']}"
        )
    return "\n".join(lines)


def stage_table(stages: Sequence[dict[str, Any]]) -> str:
    if not stages:
        return ""
    keys = (
        "load_zone_file_s",
        "json_decode_s",
        "from_api_s",
        "checks_s",
        "diff_and_fingerprint_s",
        "plan_cpu_s",
    )
    lines = [
        "plan stages in-process (seconds; listing request without latency) and SDK models for comparison:"
    ]
    lines.append(
        "  records  "
        + "  ".join(k.removesuffix("_s") for k in keys)
        + "  listing_request  sdk_models  µs/record"
    )
    for st in stages:
        per = st["plan_cpu_s"] / st["records"] * 1e6
        cells = "  ".join(f"{st[k]:>{len(k) - 2}.3f}" for k in keys)
        lines.append(
            f"  {st['records']:>7}  {cells}  {st['listing_request_s']:>15.3f}  {st['sdk_models_s']:>10.3f}  {per:>9.1f}"
        )
    return "\n".join(lines)


def targets(
    rows: Sequence[Row], rat: Sequence[dict[str, Any]], stages: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(name: str, met: bool | None, detail: str) -> None:
        out.append({"target": name, "met": met, "detail": detail})

    zs = [r for r in rows if r.tool == "zonesync" and r.scenario != "4"]
    if zs:
        over = [f"{r.scenario}/{r.step}: {r.requests} > {r.minimum}" for r in zs if r.requests != r.minimum]
        add("API requests = minimum", not over, "; ".join(over) or f"{len(zs)} zonesync runs at the minimum")
    for scen, step, factor, what in (
        ("1", "plan", 10, "plan"),
        ("2", "apply", 50, "apply run (reads, plans and writes: the run whose minimum is 7)"),
        ("2", "plan+apply", 50, "plan, then apply, as two commands"),
    ):
        it = next((x for x in rat if x["scenario"] == scen and x["step"] == step), None)
        if it and it["speedup"] is not None:
            detail = f"{it['speedup']}x ({it['zonesync_s']} s vs {it['octodns_s']} s)"
            add(f"scenario {scen} {what}: >= {factor}x faster than octoDNS", it["speedup"] >= factor, detail)
    rl = [r for r in rows if r.scenario == "3-ratelimited" and r.tool == "zonesync"]
    free = {r.step: r.requests for r in rows if r.scenario == "3" and r.tool == "zonesync"}
    if rl:
        total = sum(r.requests or 0 for r in rl)
        same = all(r.ok and r.requests == free.get(r.step, r.requests) for r in rl)
        add(
            "scenario 3 within Cloudflare's rate limit (1,200 / 300 s)",
            same and total <= 1200,
            f"{total} requests in plan + apply under the emulator's limit, "
            + ("none refused or retried" if same else "some refused or retried"),
        )
    for r in rows:
        if r.scenario.startswith("growth-") and r.scenario.endswith("100000") and r.peak_mb is not None:
            add("peak memory < 150 MB at 100,000 records", r.peak_mb < 150, f"{r.peak_mb} MB")
        if r.scenario == "4" and r.step == "--help" and r.wall_s is not None:
            add(
                "zonesync --help < 0.15 s, no SDK import", r.wall_s < 0.15 and r.ok, f"{r.wall_s} s; {r.note}"
            )
        if r.scenario == "4" and r.step == "validate" and r.wall_s is not None:
            add(
                "validate 10,000 records < 1 s, no SDK import",
                r.wall_s < 1 and r.ok,
                f"{r.wall_s} s; {r.note}",
            )
    if len(stages) >= 2:
        per = [(st["records"], st["plan_cpu_s"] / st["records"] * 1e6) for st in stages]
        spread = max(p for _, p in per) / min(p for _, p in per)
        detail = ", ".join(f"{n}: {p:.1f} µs/record" for n, p in per)
        add("plan/diff time linear in records", spread < 1.5, f"{detail} (max/min {spread:.2f})")
    return out


def target_table(items: Sequence[dict[str, Any]]) -> str:
    lines = ["targets:"]
    for it in items:
        mark = {True: "met   ", False: "MISSED", None: "?     "}[it["met"]]
        lines.append(f"  {mark} {it['target']}: {it['detail']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    only = [x.strip() for x in args.only.split(",") if x.strip()]
    unknown = set(only) - set(ALL)
    if unknown:
        raise SystemExit(f"unknown scenario(s): {', '.join(sorted(unknown))} (choose from {', '.join(ALL)})")
    workdir = Path(tempfile.mkdtemp(prefix="zonesync-bench-"))
    s = Settings(
        workdir=workdir,
        latency=args.latency,
        records=args.records,
        changes=args.changes,
        zones=args.zones,
        zone_records=args.zone_records,
        zone_changes=args.zone_changes,
        growth=tuple(int(x) for x in args.growth.split(",") if x.strip()),
        octodns=not args.no_octodns,
        rate_limited=args.octodns_rate_limit,
        repeat=args.repeat,
        zonesync_repeat=args.plan_repeat,
        octodns_workers=args.octodns_workers,
        plan=args.plan,
        batch_size=args.batch_size,
    )
    started = datetime.now(UTC)
    try:
        result = run_all(s, only)
    finally:
        if args.keep:
            print(f"bench: generated files kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    rows: list[Row] = result["rows"]
    rat = ratios(rows)
    tgt = targets(rows, rat, result["stages"])
    print()
    print(
        f"latency {s.latency * 1000:.0f} ms per request, zones on the {s.plan} plan "
        f"(batch limit {s.batch_limit}); peak MB = the tool process's max RSS (os.wait4)"
    )
    print(table(rows))
    print()
    if rat:
        print(ratio_table(rat))
        print()
    if result["stages"]:
        print(stage_table(result["stages"]))
        print()
    print(target_table(tgt))
    doc = {
        "started": started.isoformat(timespec="seconds"),
        "versions": versions(),
        "settings": {k: v for k, v in vars(s).items() if k != "workdir"},
        "rows": [r.as_dict() for r in rows],
        "ratios": rat,
        "stages": result["stages"],
        "targets": tgt,
    }
    out = args.output or RESULTS / f"bench-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    print(f"\nresults: {out}")
