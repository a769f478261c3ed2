"""A/B of two revisions of zonesync: does a mechanism earn its place?

    .venv/bin/python -m bench.ab BASE CANDIDATE [--runs 5] [--records 10000] [--memory 100000]

Each revision (a git revision of this checkout) is installed as a user installs it (a regular, non-editable
`pip install` into a virtualenv of its own under `.venv-ab/`, reused while the revision's tree is the
same). Then, on one emulator per run seeded as the bench seeds it, `zonesync plan` is timed for scenario 0
(one zone of 50 records, no change) and scenario 1 (one zone of `--records` records, no change), the two
revisions alternating run by run so that a noisy moment hits both alike; and the peak memory of a plan of
one zone of `--memory` records, once per revision (memory does not drift as time does).

The report gives each side's median and spread (min-max) and the median's change. An effect inside the
spread counts as none. The bar (issue 22 / docs/performance.md): a mechanism stays where removing it costs
at least 5 % wall time on scenario 0 or 1, or at least 20 % peak memory on the large zone.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench import emulator
from bench.runner import Measured, run
from bench.zonedata import make_records, zonesync_yaml

ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / ".venv-ab"
ZONE = "example.com"
WALL_BAR, MEMORY_BAR = 0.05, 0.20


def tree_of(rev: str) -> str:
    return subprocess.run(
        ["git", "rev-parse", f"{rev}^{{tree}}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def install(rev: str) -> Path:
    """A virtualenv holding `rev` installed from a clean export of its tree; its `zonesync` script."""
    tree = tree_of(rev)
    venv = VENVS / tree[:12]
    script = venv / "bin" / "zonesync"
    if script.exists():
        return script
    with tempfile.TemporaryDirectory(prefix="zonesync-ab-") as tmp:
        archive = subprocess.run(["git", "archive", tree], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, tmp], check=True)
    return script


def plan_once(script: Path, records: int, workdir: Path) -> Measured:
    zone_dir = workdir / f"zone-{records}"
    path = zone_dir / "zones" / f"{ZONE}.yaml"
    base = make_records(records)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(zonesync_yaml(ZONE, base))
    with emulator.running({ZONE: base}, latency=0.05) as emu:
        measured = run(
            [str(script), "plan", "--exit-code", f"zones/{ZONE}.yaml"], env=emulator.env(emu), cwd=zone_dir
        )
    if measured.returncode != 0:
        raise SystemExit(
            f"{script}: plan of {records} records exited {measured.returncode}: {measured.stderr[-400:]}"
        )
    return measured


def summary(values: Sequence[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def verdict(a: dict[str, float], b: dict[str, float], bar: float) -> str:
    """How much B costs against A (positive: B is slower or larger), and whether it clears the spread and the bar."""
    change = (b["median"] - a["median"]) / a["median"]
    overlap = not (b["min"] > a["max"] or a["min"] > b["max"])
    if overlap:
        return f"{change:+.1%} (inside the spread: none)"
    return f"{change:+.1%}" + (" (over the bar)" if abs(change) >= bar else " (under the bar)")


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.split("\n\n")[0])
    p.add_argument("base", help="revision A (the mechanism in place)")
    p.add_argument("candidate", help="revision B (the mechanism removed)")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--records", type=int, default=10_000)
    p.add_argument("--memory", type=int, default=100_000, help="records of the peak-memory plan (0: skip)")
    p.add_argument("--json", type=Path, help="also write the result here")
    args = p.parse_args(argv)
    scripts = {"A": install(args.base), "B": install(args.candidate)}
    walls: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="zonesync-ab-") as tmp:
        work = Path(tmp)
        for label, records in (("scenario 0", 50), ("scenario 1", args.records)):
            for script in scripts.values():  # warm the disk cache and the bytecode of both sides
                plan_once(script, records, work)
            for index in range(args.runs):
                order = ("A", "B") if index % 2 == 0 else ("B", "A")
                for side in order:
                    walls.setdefault((label, side), []).append(plan_once(scripts[side], records, work).wall_s)
        peaks = {}
        if args.memory:
            for side, script in scripts.items():
                peaks[side] = plan_once(script, args.memory, work).peak_mb
    result: dict[str, object] = {"base": args.base, "candidate": args.candidate, "runs": args.runs}
    lines = [f"A = {args.base}, B = {args.candidate}, {args.runs} alternating runs each"]
    for label in ("scenario 0", "scenario 1"):
        a, b = summary(walls[(label, "A")]), summary(walls[(label, "B")])
        result[label] = {"A": a, "B": b, "verdict": verdict(a, b, WALL_BAR)}
        lines.append(
            f"{label}: A {a['median']:.3f} s ({a['min']:.3f}-{a['max']:.3f}), "
            f"B {b['median']:.3f} s ({b['min']:.3f}-{b['max']:.3f}): B {result[label]['verdict']}"  # type: ignore[index]
        )
    if peaks:
        change = (peaks["B"] - peaks["A"]) / peaks["A"]
        result["peak_mb"] = {**peaks, "change": change}
        over = "over the bar" if change >= MEMORY_BAR else "under the bar"
        lines.append(
            f"peak memory, {args.memory} records: A {peaks['A']:.0f} MB, B {peaks['B']:.0f} MB: B {change:+.1%} ({over})"
        )
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
