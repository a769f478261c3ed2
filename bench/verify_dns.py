"""Bench scenario "verify": `zonesync verify --dns-only` of a `preset: maddy` zone plus N plain records, against
the emulator's nameserver with a delay added to every DNS answer (a round trip to a real nameserver).

The zone is applied through the real CLI, then `zonesync verify --nameserver` runs as its own process. The
issue's target: the time follows the deepest chain of *dependent* lookups, not the number of records. So each
shape runs alternately with and without the delay, and the delay's cost is compared with the chain: `rounds`
dependent round trips x the delay. The cost is measured on the DNS phase, from the first question to the last
answer as the emulator sees them (the median of the paired differences), because the whole process's time
varies by more than the chain from run to run with its start-up on this shared machine. Met when the cost is at
most 1.5x the chain (its round trips, plus half again for answers queued behind the CPU of a thousand others).
The rest of the time is Python's start-up, reading the zone file and ~0.5 ms of dnspython per question on
each side (client and emulator share the machine): the rows show the whole process's time too.

The chains, as `zonesync verify` asks (tests/test_verify_resolver.py shows the SPF audit's round trips):
* maddy zone: SOA (is the zone served?) -> every declared record set at once (MX, the TXT records, the MX
  host's A/AAAA...) and the SPF tree -> the PTR of the MX addresses (REFUSED by the authoritative-only
  nameserver, so FCrDNS stops there): 3.
* + an SPF include chain three deep (`include:l1.other.example` -> l2 -> l3): SOA -> apex TXT -> l1 -> l2 -> l3:
  5.
`python -m bench.verify_dns [--records 1000] [--latency 0.05] [--runs 5]` prints the rows alone; `python -m
bench --only verify` makes them rows of docs/performance.md's zonesync table and a target line.
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

from bench.scenarios import ZONESYNC, Row, Settings
from zonesync.emulator.server import Emulator

TOKEN = "bench-token"
RECORDS = 1_000
ALLOWED = 1.5
"""The delay may cost at most this many times the chain of dependent round trips."""
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
CHAIN_ROUNDS = {False: 3, True: 5}
"""Dependent round trips (see the module's docstring): without and with the SPF include chain."""


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


def measure(records: int, chain: bool, latency: float, runs: int, workdir: Path | None = None) -> Row:
    """`runs` timed `verify` runs with the delay and, alternating with them, `runs` without it."""
    emu = Emulator(tokens=(TOKEN,), zones=("example.com", "other.example"), rate_limit=0, dns_port=0).start()
    try:
        for depth in (1, 2, 3):  # other.example: l1 -> l2 -> l3, each one more dependent TXT lookup
            nxt = f" include:l{depth + 1}.other.example" if depth < 3 else ""
            emu.add_record(
                "other.example",
                {"type": "TXT", "name": f"l{depth}", "content": f"v=spf1 ip4:192.0.2.{depth}{nxt} -all"},
            )
        with tempfile.TemporaryDirectory(dir=workdir) as tmp:
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
            args = ["verify", "--nameserver", f"127.0.0.1:{emu.dns.port}", "--dns-only", "--format", "json"]
            walls: dict[float, list[float]] = {latency: [], 0.0: []}
            phases: dict[float, list[float]] = {latency: [], 0.0: []}
            questions, codes = 0, set()
            for _ in range(runs):
                for delay in walls:
                    emu.dns.latency = delay
                    emu.dns.reset_timing()
                    before = emu.dns.questions
                    start = time.perf_counter()
                    run = _cli(args, env, work)
                    walls[delay].append(time.perf_counter() - start)
                    first, last = emu.dns.first_question_at, emu.dns.last_answer_at
                    phases[delay].append(last - first if first is not None and last is not None else 0.0)
                    questions = emu.dns.questions - before
                    codes.add(run.returncode)
    finally:
        emu.stop()
    rounds = CHAIN_ROUNDS[chain]
    undelayed = statistics.median(walls[0.0])
    phase, phase0 = statistics.median(phases[latency]), statistics.median(phases[0.0])
    cost = statistics.median(a - b for a, b in zip(phases[latency], phases[0.0], strict=True))
    chain_s = rounds * latency
    step = "verify, maddy zone" + (f" + {records:,} records" if records else "")
    step += ", SPF include chain 3 deep" if chain else ""
    ok = codes <= {0}
    return Row(
        "verify",
        step,
        ZONESYNC,
        [round(w, 3) for w in walls[latency]],
        questions,
        ok=ok,
        note=(
            f"{latency * 1000:.0f} ms per DNS answer; {questions:,} DNS questions (not API requests); without the "
            f"delay {undelayed:.2f} s; DNS phase {phase:.2f} s ({phase0:.2f} s without the delay); chain "
            f"{rounds} x {latency * 1000:.0f} ms = {chain_s:.2f} s"
        )
        + ("" if ok else f"; exit codes {sorted(codes)}"),
        extra={
            "latency_s": latency,
            "chain_rounds": rounds,
            "chain_s": round(chain_s, 3),
            "no_delay_walls": [round(w, 3) for w in walls[0.0]],
            "no_delay_s": round(undelayed, 3),
            "dns_phase_walls": [round(w, 3) for w in phases[latency]],
            "dns_phase_no_delay_walls": [round(w, 3) for w in phases[0.0]],
            "dns_phase_s": round(phase, 3),
            "dns_phase_no_delay_s": round(phase0, 3),
            "delay_cost_s": round(cost, 3),
            "allowed_s": round(ALLOWED * chain_s, 3),
            "target": records > 0,
        },
    )


def scenario(s: Settings) -> list[Row]:
    """`make bench`'s scenario "verify": the maddy zone alone, + 1,000 records, + an SPF include chain."""
    return [
        measure(0, False, s.latency, s.fast_runs, s.workdir),
        measure(RECORDS, False, s.latency, s.fast_runs, s.workdir),
        measure(RECORDS, True, s.latency, s.fast_runs, s.workdir),
    ]


def target(row: Row) -> tuple[str, bool, str]:
    """The issue's target for one row: (name, met, detail)."""
    e = row.extra
    return (
        f"{row.step}: the DNS delay costs <= {ALLOWED}x the chain of dependent lookups",
        row.ok and e["delay_cost_s"] <= e["allowed_s"],
        f"DNS phase {e['dns_phase_s']:.2f} s with {e['latency_s'] * 1000:.0f} ms per answer, "
        f"{e['dns_phase_no_delay_s']:.2f} s without: the delay costs {e['delay_cost_s']:.2f} s for "
        f"{row.requests:,} questions; chain {e['chain_rounds']} x {e['latency_s'] * 1000:.0f} ms = "
        f"{e['chain_s']:.2f} s (allowed {e['allowed_s']:.2f} s); whole process {row.wall_s:.2f} s "
        f"({e['no_delay_s']:.2f} s without the delay)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every DNS answer")
    parser.add_argument("--runs", "--repeat", type=int, default=5, help="runs with and without the delay")
    args = parser.parse_args()
    rows = [
        measure(0, False, args.latency, args.runs),
        measure(args.records, False, args.latency, args.runs),
        measure(args.records, True, args.latency, args.runs),
    ]
    print(
        f"{'shape':<58} {'wall s':>7} {'no delay':>8} {'DNS phase':>9} {'no delay':>8} {'chain s':>7} {'questions':>9}"
    )
    for r in rows:
        e = r.extra
        print(
            f"{r.step:<58} {r.wall_s:>7.2f} {e['no_delay_s']:>8.2f} {e['dns_phase_s']:>9.2f} "
            f"{e['dns_phase_no_delay_s']:>8.2f} {e['chain_s']:>7.2f} {r.requests:>9}"
        )
    for r in rows:
        name, met, detail = target(r)
        print(f"- {'met' if met else 'MISSED'}: {name} — {detail}")
    out = Path(__file__).parent / "results" / "verify_dns.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps([r.as_dict() for r in rows], indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
