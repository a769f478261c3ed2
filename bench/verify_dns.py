"""Bench: `zonesync verify` of a `preset: maddy` zone plus N plain records, against the emulator's nameserver
with a delay added to every DNS answer (a round trip to a real nameserver).

`python -m bench.verify_dns [--records 1000] [--latency 0.05] [--repeat 3]`. The zone is applied through the
real CLI, then `zonesync verify --nameserver` runs as its own process (median of `--repeat`). Three shapes show
what the time follows: the maddy zone alone, the same plus N records (more questions, asked concurrently), the
same plus an SPF include chain three deep (more *dependent* questions), and N records without the delay (the
CPU cost of the questions alone). Kept in its own module so the main
bench's tables are left alone; results go to bench/results/verify_dns.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zonesync.emulator.server import Emulator

TOKEN = "bench-token"
ZONE = """zone: example.com
mail:
  preset: maddy
  mx:
    - host: mx
      priority: 10
  hosts:
    mx: {ipv4: [203.0.113.25], ipv6: ["2001:db8::25"]}
  dmarc:
    rua: ["mailto:dmarc@example.com"]
"""
SPF_CHAIN = """  spf:
    allow: [mx, "include:l1.other.example"]
"""


def _zone_text(records: int, chain: bool) -> str:
    text = ZONE + (SPF_CHAIN if chain else "")
    if records:
        text += "records:\n" + "".join(
            f"  h{i}: {{type: A, value: 198.51.100.{i % 250 + 1}}}\n" for i in range(records)
        )
    return text


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zonesync", *args], env=env, cwd=cwd, capture_output=True, text=True
    )


def measure(records: int, chain: bool, latency: float, repeat: int) -> dict[str, object]:
    emu = Emulator(tokens=(TOKEN,), zones=("example.com", "other.example"), rate_limit=0, dns_port=0).start()
    try:
        for depth in (1, 2, 3):  # other.example: l1 -> l2 -> l3, each one more dependent TXT lookup
            nxt = f" include:l{depth + 1}.other.example" if depth < 3 else ""
            emu.add_record(
                "other.example",
                {"type": "TXT", "name": f"l{depth}", "content": f"v=spf1 ip4:192.0.2.{depth}{nxt} -all"},
            )
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            (work / "zones").mkdir()
            (work / "zones" / "example.com.yaml").write_text(_zone_text(records, chain))
            env = {
                **os.environ,
                "CLOUDFLARE_API_TOKEN": TOKEN,
                "CLOUDFLARE_BASE_URL": emu.url,
                "NO_COLOR": "1",
            }
            applied = _cli(["apply", "--yes"], env, work)
            if applied.returncode != 0:
                raise SystemExit(f"bench: apply failed: {applied.stdout}{applied.stderr}")
            assert emu.dns is not None
            emu.dns.latency = latency
            times, questions, code = [], 0, 0
            for _ in range(repeat):
                before = emu.dns.questions
                start = time.perf_counter()
                run = _cli(
                    ["verify", "--nameserver", f"127.0.0.1:{emu.dns.port}", "--dns-only", "--format", "json"],
                    env,
                    work,
                )
                times.append(time.perf_counter() - start)
                questions, code = emu.dns.questions - before, run.returncode
                if code not in (0, 5):
                    raise SystemExit(f"bench: verify exited {code}: {run.stdout}{run.stderr}")
            start = time.perf_counter()
            _cli(["--help"], env, work)
            startup = time.perf_counter() - start
    finally:
        emu.stop()
    return {
        "shape": f"maddy + {records:,} records" + (" + SPF include chain of 3" if chain else ""),
        "records": records,
        "spf_chain": chain,
        "latency_s": latency,
        "wall_s": statistics.median(times),
        "dns_questions": questions,
        "exit_code": code,
        "cli_startup_s": startup,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every DNS answer")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = [
        measure(0, False, args.latency, args.repeat),
        measure(args.records, False, args.latency, args.repeat),
        measure(args.records, True, args.latency, args.repeat),
        measure(args.records, False, 0.0, args.repeat),  # the same work without the delay: CPU alone
    ]
    print(f"{'shape':<48} {'delay s':>7} {'wall s':>7} {'questions':>9} {'exit':>4}")
    for r in rows:
        print(
            f"{r['shape']:<48} {r['latency_s']:>7.2f} {r['wall_s']:>7.2f} {r['dns_questions']:>9} {r['exit_code']:>4}"
        )
    print(f"zonesync --help (start-up): {rows[0]['cli_startup_s']:.2f} s")
    out = Path(__file__).parent / "results" / "verify_dns.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
