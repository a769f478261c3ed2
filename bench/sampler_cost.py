"""What the bench's memory sampler costs a tool in wall time: `zonesync plan` of scenario 1, run bare and
through `bench/_measure.py` at two sampling intervals, alternating.

    .venv/bin/python -m bench.sampler_cost [REVISION] [--runs 11] [--records 10000]

REVISION (default: HEAD) is installed as `bench.ab` installs it. The sampler reads every process's memory
map while the tool runs a child process (zonesync parses a large zone file in one), which takes CPU from
the tool on a small machine; this shows how much (docs/performance.md, "How it measures").
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench import emulator
from bench.ab import ZONE, install
from bench.zonedata import make_records, zonesync_yaml

MEASURE = Path(__file__).with_name("_measure.py")
SAMPLE_LINE = re.compile(r"^SAMPLE_S = [0-9.]+$", re.MULTILINE)
"""The sampling interval's line in _measure.py, replaced in each copy (whatever its value today)."""


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.sampler_cost", description=__doc__.split("\n\n")[0])
    p.add_argument("revision", nargs="?", default="HEAD")
    p.add_argument("--runs", type=int, default=11)
    p.add_argument("--records", type=int, default=10_000)
    args = p.parse_args(argv)
    script = install(args.revision)
    base = make_records(args.records)
    with tempfile.TemporaryDirectory(prefix="zonesync-sampler-") as tmp:
        work = Path(tmp)
        (work / "zones").mkdir()
        (work / "zones" / f"{ZONE}.yaml").write_text(zonesync_yaml(ZONE, base))
        sampler = {interval: work / f"measure-{interval}.py" for interval in ("0.005", "0.02")}
        source = MEASURE.read_text()
        if len(SAMPLE_LINE.findall(source)) != 1:
            raise SystemExit(f"{MEASURE}: expected one `SAMPLE_S = <seconds>` line to vary")
        for interval, path in sampler.items():
            path.write_text(SAMPLE_LINE.sub(f"SAMPLE_S = {interval}", source))
        plan = [str(script), "plan", "--exit-code", f"zones/{ZONE}.yaml"]
        walls: dict[str, list[float]] = {"bare": [], **{f"sampled every {i} s": [] for i in sampler}}
        with emulator.running({ZONE: base}, latency=0.05) as emu:
            env = emulator.env(emu)
            for _ in range(args.runs):
                started = time.perf_counter()
                subprocess.run(plan, cwd=work, env=env, capture_output=True, check=True)
                walls["bare"].append(time.perf_counter() - started)
                for interval, path in sampler.items():
                    report = work / "report.json"
                    command = [sys.executable, "-E", "-S", str(path), str(report), *plan]
                    subprocess.run(command, cwd=work, env=env, capture_output=True, check=True)
                    walls[f"sampled every {interval} s"].append(json.loads(report.read_text())["wall_s"])
    for label, values in walls.items():
        print(
            f"{label}: median {statistics.median(values):.3f} s "
            f"({min(values):.3f}-{max(values):.3f}), {args.runs} runs"
        )


if __name__ == "__main__":
    main()
