"""Command line of the benchmarks: choose scenarios, sizes and run counts; print docs/performance.md's tables in
Markdown and the targets; write everything they come from as JSON to bench/results/."""

from __future__ import annotations

import argparse
import base64
import compileall
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import report, scenarios, verify_dns
from bench.scenarios import Row, Settings

RESULTS = Path(__file__).resolve().parent / "results"
ALL = ("0", "1", "2", "3", "4", "5", "6", "growth", "verify")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "--only", default=",".join(ALL), help=f"comma-separated scenarios (default: {','.join(ALL)})"
    )
    p.add_argument("--latency", type=float, default=0.05, help="seconds added to every API request (0.05)")
    p.add_argument("--small", type=int, default=50, help="records in scenario 0's zone")
    p.add_argument("--records", type=int, default=10_000, help="records in the zone of scenarios 1, 2, 4")
    p.add_argument("--changes", type=int, default=1_000, help="changes in scenario 2")
    p.add_argument("--zones", type=int, default=200, help="zones in scenario 3")
    p.add_argument("--zone-records", type=int, default=50, help="records per zone in scenario 3")
    p.add_argument("--zone-changes", type=int, default=5, help="changes per zone in scenario 3")
    p.add_argument("--account", type=int, default=1_000, help="zones in scenario 5's account")
    p.add_argument("--account-syncs", default="3,100,1000", help="zones synced in scenario 5")
    p.add_argument("--thousands", type=int, default=5_000, help="zones in scenario 6")
    p.add_argument("--thousands-records", type=int, default=20, help="records per zone in scenario 6")
    p.add_argument(
        "--thousands-window",
        type=float,
        default=20.0,
        help="scenario 6: Cloudflare's 1,200 requests per this many seconds (300 real; default 20, 15x faster)",
    )
    p.add_argument("--growth", default="1000,10000,100000", help="zone sizes of the growth series")
    p.add_argument("--no-octodns", action="store_true", help="floor and zonesync only")
    p.add_argument(
        "--octodns-rate-limit",
        choices=("project", "skip"),
        default="project",
        help="scenario 3 under Cloudflare's rate limit: stop octoDNS at its first 429 and project its 300 s "
        "sleep (default), or skip that run",
    )
    p.add_argument("--plan", choices=("free", "paid"), default="free", help="Cloudflare plan of the zones")
    p.add_argument("--batch-size", type=int, help="zonesync apply --batch-size (default: the plan's limit)")
    p.add_argument("--fast-runs", type=int, default=5, help="runs of every tool in scenario 0 (5)")
    p.add_argument("--runs", type=int, default=5, help="runs of every tool in scenario 1 (5)")
    p.add_argument("--slow-runs", type=int, default=1, help="runs of every tool in scenarios 2, 3, 5, 6 (1)")
    p.add_argument("--repeat", type=int, default=5, help="runs of `zonesync --help` and validate (5)")
    p.add_argument("--keep", action="store_true", help="keep the generated files (path printed)")
    p.add_argument("--output", type=Path, help="JSON file (default: bench/results/bench-<time>.json)")
    return p.parse_args(argv)


def run_all(s: Settings, only: Sequence[str]) -> dict[str, Any]:
    rows: list[Row] = []
    stages: list[dict[str, Any]] = []
    steps: dict[str, Callable[[], list[Row]]] = {
        "0": lambda: scenarios.small_zone(s),
        "1": lambda: scenarios.big_zone_unchanged(s),
        "2": lambda: scenarios.big_zone(s),
        "3": lambda: scenarios.many_zones(s),
        "4": lambda: scenarios.cli_startup(s),
        "5": lambda: scenarios.account_shapes(s),
        "6": lambda: scenarios.thousands(s),
        "verify": lambda: verify_dns.scenario(s),
    }
    took: dict[str, float] = {}
    for key in only:
        started = time.perf_counter()
        print(f"bench: scenario {key} ...", file=sys.stderr, flush=True)
        if key == "growth":
            more, stages = scenarios.growth(s)
            rows += more
        else:
            rows += steps[key]()
        took[key] = round(time.perf_counter() - started, 1)
        print(f"bench: scenario {key} done in {took[key]:.1f} s", file=sys.stderr, flush=True)
    return {"rows": rows, "stages": stages, "seconds": took}


def precompile() -> Path:
    """zonesync's modules compiled to .pyc before anything is timed, as `pip install` leaves them: an
    editable install under PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module from source in
    every run (~0.1 s), which no real install pays. The SDK and octoDNS were installed by pip: compiled."""
    spec = importlib.util.find_spec("zonesync")
    assert spec is not None and spec.submodule_search_locations
    package = Path(next(iter(spec.submodule_search_locations)))
    if not compileall.compile_dir(package, quiet=1):
        raise SystemExit(f"bench: compiling {package} failed")
    return package


CHECKOUT = Path(__file__).resolve().parent.parent


def installed_zonesync() -> str:
    """How the timed tools' zonesync is installed. A regular install (`make bench`'s .venv-bench, as a
    user installs it) must hold this checkout's code, module for module, else the bench would time other
    code than the one it reports on; an editable install is the checkout itself."""
    found = list(metadata.distributions(name="zonesync", path=[sysconfig.get_path("purelib")]))
    if not found:  # run from a checkout without installing: the checkout itself
        return "editable"
    recorded = {
        str(f): f.hash.value
        for f in found[0].files or ()
        if f.parts[0] == "zonesync" and f.suffix == ".py" and f.hash is not None
    }
    if not recorded:
        return "editable"
    ours = {str(p.relative_to(CHECKOUT)): p for p in (CHECKOUT / "zonesync").rglob("*.py")}
    for name in sorted(set(recorded) | set(ours)):
        path = ours.get(name)
        digest = (
            base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest()).rstrip(b"=").decode()
            if path is not None
            else None
        )
        if digest != recorded.get(name):
            raise SystemExit(
                f"bench: the installed zonesync ({sys.prefix}) is not this checkout ({name} differs): "
                "`make bench` reinstalls it"
            )
    return "regular"


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs"}
    for dist in ("zonesync", "cloudflare", "octodns", "octodns-cloudflare"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


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
        small=args.small,
        records=args.records,
        changes=args.changes,
        zones=args.zones,
        zone_records=args.zone_records,
        zone_changes=args.zone_changes,
        account=args.account,
        account_syncs=tuple(int(x) for x in args.account_syncs.split(",") if x.strip()),
        thousands=args.thousands,
        thousands_records=args.thousands_records,
        thousands_window=args.thousands_window,
        growth=tuple(int(x) for x in args.growth.split(",") if x.strip()),
        octodns=not args.no_octodns,
        rate_limited=args.octodns_rate_limit,
        fast_runs=args.fast_runs,
        runs=args.runs,
        slow_runs=args.slow_runs,
        repeat=args.repeat,
        plan=args.plan,
        batch_size=args.batch_size,
    )
    install = installed_zonesync()
    if install == "editable":
        package = precompile()
        print(f"bench: compiled {package} to .pyc (as pip install does)", file=sys.stderr, flush=True)
        installed = "zonesync installed editable, its modules precompiled (.pyc, as pip installs them)"
    else:
        installed = f"zonesync installed as a user installs it (`pip install`, in {Path(sys.prefix).name}: no test tools)"
    started = datetime.now(UTC)
    try:
        result = run_all(s, only)
    finally:
        if args.keep:
            print(f"bench: generated files kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    rows: list[Row] = result["rows"]
    lines = report.comparison(rows)
    tgt = report.targets(rows, lines)
    out = args.output or RESULTS / f"bench-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    v = versions()
    print()
    print(
        f"Latency {s.latency * 1000:.0f} ms added to every request; zones on the {s.plan} plan (batch limit "
        f"{s.batch_limit}); Python {v['python']}, {v['machine']}; octoDNS {v['octodns']}, octodns-cloudflare "
        f"{v['octodns-cloudflare']}, cloudflare SDK {v['cloudflare']}. Seconds: median of the runs, (min–max) "
        f"when more than one; runs per tool: scenario 0 {s.fast_runs}, scenario 1 {s.runs}, others "
        f"{s.slow_runs}. {installed}. Peak MB: zonesync's peak memory: its process's maximum RSS, or with a parse process the two processes' sampled PSS, whichever is larger. Results: `{out.relative_to(RESULTS.parent.parent) if out.is_relative_to(RESULTS.parent.parent) else out}`."
    )
    print()
    if lines:
        print(report.comparison_table(lines))
        print()
    print(report.zonesync_table(rows))
    print()
    if result["stages"]:
        print("```")
        print(stage_table(result["stages"]))
        print("```")
        print()
    print(report.target_lines(tgt))
    doc = {
        "started": started.isoformat(timespec="seconds"),
        "versions": v,
        "zonesync_install": installed,
        "settings": {k: val for k, val in vars(s).items() if k != "workdir"},
        "seconds_per_scenario": result["seconds"],
        "rows": [r.as_dict() for r in rows],
        "comparison": [
            {k: (val.as_dict() if isinstance(val, Row) else val) for k, val in line.items()} for line in lines
        ],
        "stages": result["stages"],
        "targets": tgt,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    print(f"\nresults: {out}", file=sys.stderr)
