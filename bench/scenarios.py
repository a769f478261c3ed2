"""The scenarios of the performance issues. Every tool is timed the same way: the same number of runs, each
against a fresh emulator seeded with the same zones, as its own process, as a user types it; rows hold every
run's wall time (median and spread are reported), the API requests counted by the emulator, the minimum
Cloudflare allows, and the tool process's peak memory.

Tools: `floor` (bench/floor.py: the minimum requests through the same SDK client, JSON parsed, nothing
else), `zonesync`, `octodns-tuned` and `octodns-default` (bench/octodns_config.py)."""

from __future__ import annotations

import gc
import json
import math
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import emulator, octodns_config
from bench.minimum import BATCH_LIMITS, ZONES_PER_PAGE, ZoneLoad, minimum_requests, records_per_batch
from bench.runner import Measured, imports_module, run, tool
from bench.zonedata import (
    ChangeMix,
    Rec,
    api_record,
    canonical,
    desired_after,
    expected,
    make_records,
    zonesync_yaml,
)

ZONE = "example.com"
FLOOR, ZONESYNC, OCTO_TUNED, OCTO_DEFAULT = "floor", "zonesync", "octodns-tuned", "octodns-default"
TOOLS = (FLOOR, ZONESYNC, OCTO_TUNED, OCTO_DEFAULT)
FLOOR_SCRIPT = Path(__file__).resolve().with_name("floor.py")
OCTODNS_RETRY_PERIOD = 300
"""octodns-cloudflare sleeps this long (its `retry_period` default) after a 429 before trying again."""
RATE_LIMIT_MESSAGE = "rate limit encountered"
CLI_GC_THRESHOLD = (100_000, 50, 1000)
"""What `zonesync.cli.main` sets, so in-process stage timings match the command's."""


@dataclass
class Settings:
    workdir: Path
    latency: float = 0.05
    small: int = 50
    """Records of scenario 0's zone."""
    records: int = 10_000
    changes: int = 1_000
    zones: int = 200
    zone_records: int = 50
    zone_changes: int = 5
    account: int = 1_000
    """Zones in the account of scenario 5."""
    account_syncs: tuple[int, ...] = (3, 100, 1_000)
    account_records: int = 5
    thousands: int = 5_000
    thousands_records: int = 20
    thousands_window: float = 20.0
    """Scenario 6 runs under Cloudflare's 1,200 requests per window, the window scaled down from 300 s."""
    growth: tuple[int, ...] = (1_000, 10_000, 100_000)
    octodns: bool = True
    rate_limited: str = "project"
    """Scenario 3 under Cloudflare's rate limit, for octoDNS: "project" (stop it at its first 429 and add the
    300 s sleep and the remaining requests) or "skip"."""
    fast_runs: int = 5
    """Runs of every tool in scenario 0 (each a second or less)."""
    runs: int = 5
    """Runs of every tool in scenario 1 (octoDNS as installed: about 8 s each)."""
    slow_runs: int = 1
    """Runs of every tool in scenarios 2, 3, 5 and 6 (octoDNS's scenario 2 apply: about 100 s)."""
    repeat: int = 5
    """Runs of `zonesync --help` and `validate` (scenario 4)."""
    plan: str = "free"
    batch_size: int | None = None

    @property
    def batch_limit(self) -> int:
        return self.batch_size or BATCH_LIMITS[self.plan]

    @property
    def lock_batch(self) -> int:
        """Record changes per batch of a zonesync apply (the minimum's yardstick: it holds the zone lock)."""
        return records_per_batch(self.batch_size, BATCH_LIMITS[self.plan])

    @property
    def tools(self) -> tuple[str, ...]:
        return TOOLS if self.octodns else (FLOOR, ZONESYNC)


@dataclass
class Row:
    scenario: str
    step: str
    tool: str
    walls: list[float]
    requests: int | None
    minimum: int | None = None
    peak_mb: float | None = None
    ok: bool = True
    note: str = ""
    by_route: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def wall_s(self) -> float | None:
        return round(statistics.median(self.walls), 3) if self.walls else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "wall_s": self.wall_s}


@dataclass(frozen=True)
class Case:
    """One scenario: the account's zones as they are (`base`), the zone files (`want`: the account's zones
    to sync, with their changes), the steps every tool runs, how many times."""

    scenario: str
    base: dict[str, list[Rec]]
    want: dict[str, list[Rec]]
    changes: int
    """Changes per wanted zone."""
    steps: tuple[str, ...]
    runs: int
    tools: tuple[str, ...]
    rate_limit: tuple[int, float] | None = None
    zonesync_args: tuple[str, ...] = ()
    step_names: dict[str, str] = field(default_factory=dict)

    def loads(self) -> list[ZoneLoad]:
        return [ZoneLoad(len(self.base[z]), self.changes) for z in self.want]

    def minimum(self, step: str, batch_limit: int) -> int:
        return minimum_requests(self.loads(), batch_limit, len(self.base), apply=step == "apply")


@dataclass
class Outcome:
    measured: Measured
    requests: int
    routes: dict[str, int]
    refused: int
    ok: bool
    note: str = ""


# -- running one tool ---------------------------------------------------------------------------------------


def _zone_files(directory: Path, zones: dict[str, Sequence[Rec]]) -> list[str]:
    (directory / "zones").mkdir(parents=True, exist_ok=True)
    paths = []
    for zone, records in zones.items():
        path = directory / "zones" / f"{zone}.yaml"
        path.write_text(zonesync_yaml(zone, records))
        paths.append(str(path.relative_to(directory)))
    return paths


def _measure(
    cmd: Sequence[str], emu: Any, cwd: Path, **kwargs: Any
) -> tuple[Measured, int, dict[str, int], int]:
    emu.reset_stats()
    measured = run(cmd, env=emulator.env(emu), cwd=cwd, **kwargs)
    stats = emu.stats()
    refused = int((stats.get("by_status") or {}).get("429", 0))
    return measured, int(stats["total"]), dict(stats.get("by_route") or {}), refused


def _octodns_counts(measured: Measured) -> tuple[int, int, int]:
    found = re.findall(r"Summary: Creates=(\d+), Updates=(\d+), Deletes=(\d+)", measured.stderr)
    return (
        sum(int(c) for c, _, _ in found),
        sum(int(u) for _, u, _ in found),
        sum(int(d) for _, _, d in found),
    )


def _fail_note(measured: Measured) -> str:
    tail = (measured.stderr.strip() or measured.stdout.strip()).splitlines()[-3:]
    return f"exit {measured.returncode}: " + " | ".join(tail)


def _verify(emu: Any, want: dict[str, Sequence[Rec]]) -> str:
    """'' when every zone holds exactly the desired records, else what differs. zonesync's zone lock record
    (`zonesync.plan.zone_lock`, left free after each apply) is not one of them."""
    from zonesync.plan.zone_lock import is_lock_name

    problems = []
    for zone, records in want.items():
        have = canonical(zone, [r for r in emu.records(zone) if not is_lock_name(r["name"], zone)])
        exp = expected(zone, records)
        if have != exp:
            problems.append(f"{zone}: {len(exp - have)} missing, {len(have - exp)} unexpected")
    return "; ".join(problems[:3]) + (f" (+{len(problems) - 3} zones)" if len(problems) > 3 else "")


def _floor_spec(case: Case, directory: Path, step: str, batch_limit: int) -> Path:
    wanted, pages = len(case.want), math.ceil(len(case.base) / ZONES_PER_PAGE)
    spec: dict[str, Any] = {
        "zones": list(case.want),
        "lookup": "filtered" if wanted < pages or wanted == 1 else "pages",
        "pages": pages,
        "batch_limit": batch_limit,
    }
    if step == "apply":
        spec["apply"] = {z: [api_record(z, r) for r in recs] for z, recs in case.want.items()}
    path = directory / f"floor-{step}.json"
    path.write_text(json.dumps(spec))
    return path


def _run_step(
    s: Settings, case: Case, tool_name: str, step: str, emu: Any, directory: Path, files: list[str], **kw: Any
) -> Outcome:
    total_changes = case.changes * len(case.want)
    if tool_name == ZONESYNC:
        batch = ["--batch-size", str(s.batch_size)] if s.batch_size and step == "apply" else []
        args = ["plan", "--exit-code"] if step == "plan" else ["apply", "--yes", *batch]
        m, total, routes, refused = _measure(
            [*tool("zonesync"), *case.zonesync_args, *args, *files], emu, directory
        )
        expect = (2 if total_changes else 0) if step == "plan" else 0
        ok, note = m.returncode == expect, ""
    elif tool_name == FLOOR:
        spec = _floor_spec(case, directory, step, s.batch_limit)
        m, total, routes, refused = _measure([sys.executable, str(FLOOR_SCRIPT), str(spec)], emu, directory)
        ok, note = m.returncode == 0, ""
    else:
        config = octodns_config.write(
            directory, case.want, emu.url, emulator.TOKEN, tuned=tool_name == OCTO_TUNED
        )
        args = ["--config-file", str(config), *(["--doit"] if step == "apply" else [])]
        m, total, routes, refused = _measure([*tool("octodns-sync"), *args], emu, directory, **kw)
        ok, note = m.returncode == 0, ""
        if ok and step == "plan":
            counts = _octodns_counts(m)
            ok = sum(counts) == total_changes or (not total_changes and "No changes were planned" in m.stderr)
            note = "" if ok else f"planned creates/updates/deletes {counts}"
    if ok and step == "apply":
        note = _verify(emu, case.want)
        ok = not note
    if not ok and not note:
        note = _fail_note(m)
    return Outcome(m, total, routes, refused, ok, note)


def run_case(s: Settings, case: Case) -> list[Row]:
    """Every run: each tool in turn (so a noisy moment hits them alike), each on a fresh emulator."""
    directory = s.workdir / f"scenario-{case.scenario}"
    files = _zone_files(directory, case.want)
    outcomes: dict[tuple[str, str], list[Outcome]] = {}
    for index in range(case.runs):
        for tool_name in case.tools:
            started = time.perf_counter()
            with emulator.running(
                case.base, latency=s.latency, rate_limit=case.rate_limit, plan=s.plan
            ) as emu:
                for step in case.steps:
                    out = _run_step(s, case, tool_name, step, emu, directory, files)
                    outcomes.setdefault((tool_name, step), []).append(out)
            _progress(
                f"  {case.scenario} run {index + 1}/{case.runs} {tool_name}: {time.perf_counter() - started:.1f} s"
            )
    rows = []
    for (tool_name, step), outs in outcomes.items():
        rows.append(_row(case, tool_name, step, outs, case.minimum(step, s.lock_batch)))
    return rows


def _row(case: Case, tool_name: str, step: str, outs: list[Outcome], minimum: int) -> Row:
    requests = {o.requests for o in outs}
    notes = [o.note for o in outs if o.note]
    refused = sum(o.refused for o in outs)
    if len(requests) > 1:
        notes.append(f"requests differ between runs: {sorted(requests)}")
    if refused:
        notes.append(f"{refused} answers were 429")
    return Row(
        case.scenario,
        case.step_names.get(step, step),
        tool_name,
        [round(o.measured.wall_s, 3) for o in outs],
        max(requests),
        minimum,
        round(max(o.measured.peak_mb for o in outs), 1),
        all(o.ok for o in outs),
        "; ".join(dict.fromkeys(notes)),
        outs[-1].routes,
        {"refused": refused},
    )


def _progress(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


# -- scenarios 0 to 3 ----------------------------------------------------------------------------------------


def one_zone(
    s: Settings, scenario: str, records: int, changes: int, runs: int, tools: tuple[str, ...] | None = None
) -> list[Row]:
    base = {ZONE: make_records(records)}
    mix = ChangeMix.split(changes)
    want = {ZONE: desired_after(base[ZONE], mix)} if changes else base
    steps = ("plan", "apply") if changes else ("plan",)
    return run_case(s, Case(scenario, base, want, changes, steps, runs, tools or s.tools))


def small_zone(s: Settings) -> list[Row]:
    """Scenario 0: the common case, one small zone, no change; and where zonesync's start-up goes."""
    rows = one_zone(s, "0", s.small, 0, s.fast_runs)
    rows.append(startup_profile(s))
    return rows


def big_zone_unchanged(s: Settings) -> list[Row]:
    return one_zone(s, "1", s.records, 0, s.runs)


def big_zone(s: Settings) -> list[Row]:
    return one_zone(s, "2", s.records, s.changes, s.slow_runs)


def many_zones(s: Settings) -> list[Row]:
    base = {f"bench{i:03d}.com": make_records(s.zone_records) for i in range(s.zones)}
    mix = ChangeMix.split(s.zone_changes)
    want = {zone: desired_after(records, mix) for zone, records in base.items()}
    rows = run_case(s, Case("3", base, want, mix.total, ("plan", "apply"), s.slow_runs, s.tools))
    if s.rate_limited == "skip" or not s.octodns:
        return rows
    # Under Cloudflare's real limit (1,200 / 300 s): zonesync, and octoDNS tuned stopped at its first 429
    # with the rest projected (its 300 s sleep is not worth waiting for).
    limited = Case(
        "3-ratelimited",
        base,
        want,
        mix.total,
        ("plan", "apply"),
        1,
        (ZONESYNC,),
        emulator.CLOUDFLARE_RATE_LIMIT,
    )
    rows += run_case(s, limited)
    reference = next(r for r in rows if r.scenario == "3" and r.tool == OCTO_TUNED and r.step == "apply")
    rows += _octodns_rate_limited(s, limited, reference)
    return rows


def _octodns_rate_limited(s: Settings, case: Case, reference: Row) -> list[Row]:
    directory = s.workdir / f"scenario-{case.scenario}"
    rows = []
    with emulator.running(case.base, latency=s.latency, rate_limit=case.rate_limit, plan=s.plan) as emu:
        plan = _run_step(s, case, OCTO_TUNED, "plan", emu, directory, [])
        rows.append(_row(case, OCTO_TUNED, "plan", [plan], case.minimum("plan", s.batch_limit)))
        reached: dict[str, float] = {}

        def at_first_429(elapsed: float) -> bool:
            reached["requests"] = emulator.requests(emu)[0]
            reached["elapsed"] = elapsed
            return True  # stop it: the rest is projected

        apply = _run_step(
            s, case, OCTO_TUNED, "apply", emu, directory, [], watch={RATE_LIMIT_MESSAGE: at_first_429}
        )
    minimum = case.minimum("apply", s.lock_batch)
    if not reached or not reference.requests or not reference.wall_s:
        rows.append(_row(case, OCTO_TUNED, "apply", [apply], minimum))
        return rows
    done = int(reached["requests"])
    remaining = max(0, reference.requests - done + 1)  # the refused request is made again
    pace = reference.wall_s / reference.requests
    projected = reached["elapsed"] + OCTODNS_RETRY_PERIOD + remaining * pace
    note = (
        f"projected: first 429 after {reached['elapsed']:.1f} s and {done} requests, then sleeps "
        f"{OCTODNS_RETRY_PERIOD} s; {remaining} requests left at {pace * 1000:.0f} ms each"
    )
    rows.append(
        Row(
            case.scenario,
            "apply",
            OCTO_TUNED,
            [round(projected, 1)],
            reference.requests + 1,
            minimum,
            round(apply.measured.peak_mb, 1),
            True,
            note,
            apply.routes,
            {"projected": True},
        )
    )
    return rows


# -- scenario 5: an account larger than the repository ---------------------------------------------------------


def account_shapes(s: Settings) -> list[Row]:
    """An account of `account` zones, syncing some of them: zone lookups must cost min(zones, pages)."""
    base = {f"acct{i:05d}.com": make_records(s.account_records) for i in range(s.account)}
    names = list(base)
    rows = []
    for count in s.account_syncs:
        count = min(count, len(names))
        picked = [names[i * len(names) // count] for i in range(count)]  # spread over the account
        want = {z: base[z] for z in picked}
        step = f"plan {count:,} of {len(names):,} zones"
        case = Case(
            f"5-{count}", base, want, 0, ("plan",), s.slow_runs, (FLOOR, ZONESYNC), step_names={"plan": step}
        )
        rows += run_case(s, case)
    return rows


# -- scenario 6: thousands of zones under Cloudflare's rate limit -------------------------------------------------


def thousands(s: Settings) -> list[Row]:
    """A full plan of `thousands` zones, paced under 1,200 requests per (scaled) window: exactly the minimum
    requests, none refused, the limit's rate sustained; peak memory against the same records in one zone."""
    base = {f"z{i:05d}.com": make_records(s.thousands_records) for i in range(s.thousands)}
    limit = (emulator.CLOUDFLARE_RATE_LIMIT[0], s.thousands_window)
    args = ("--rate-limit", f"{limit[0]}/{limit[1]:g}")
    step = f"plan {s.thousands:,} zones"
    case = Case("6", base, base, 0, ("plan",), s.slow_runs, (ZONESYNC,), limit, args, {"plan": step})
    rows = run_case(s, case)
    for row in rows:
        rate = (row.requests or 0) / row.wall_s if row.wall_s else 0.0
        row.extra.update(
            {
                "requests_per_s": round(rate, 1),
                "limit_per_s": round(limit[0] / limit[1], 1),
                "limit": f"{limit[0]}/{limit[1]:g}s",
            }
        )
        row.ok = row.ok and not row.extra.get("refused")
    return rows


# -- zonesync's start-up -------------------------------------------------------------------------------------


def startup_profile(s: Settings) -> Row:
    """Scenario 0 once more, `s.fast_runs` times, with `-X importtime` and `-v`: what zonesync's own start-up
    costs, besides the SDK's import and the requests (target < 0.1 s, the median run), and which modules it
    imports. Also reported: how much of it is modules the SDK imports too (click, logging, inspect...: the
    command line imports them first, so the SDK's share of -X importtime leaves them out)."""
    directory = s.workdir / "scenario-0-startup"
    base = {ZONE: make_records(s.small)}
    files = _zone_files(directory, base)
    runs = []
    with emulator.running(base, latency=s.latency, plan=s.plan) as emu:
        env = {**emulator.env(emu), "PYTHONPROFILEIMPORTTIME": "1"}
        cmd = [*tool("zonesync"), "-v", "plan", "--exit-code", *files]
        for _ in range(max(1, s.fast_runs)):
            runs.append(_startup_run(run(cmd, env=env, cwd=directory)))
        sdk_alone = _sdk_alone_modules(env, directory)
    for r in runs:
        # The SDK's import is every module `import cloudflare` loads by itself, whoever loads it first: click,
        # logging, inspect... cost the same wall time when the command line happens to import them first.
        shared = sum(
            self_us
            for name, self_us, _, _ in r["imports"]
            if name in sdk_alone and name not in r["sdk_names"]
        )
        r["shared_with_sdk_s"] = round(shared / 1e6, 3)
        r["own_net_s"] = round(r["own_s"] - r["shared_with_sdk_s"], 3)
    runs.sort(key=lambda r: r["own_net_s"])
    m, e = runs[len(runs) // 2]["measured"], runs[len(runs) // 2]  # the median run
    imports = e.pop("imports")
    extra = {
        "runs": len(runs),
        "own_runs_s": [r["own_net_s"] for r in runs],
        **{k: v for k, v in e.items() if k not in ("measured", "sdk_names")},
        "zonesync_modules": sorted(n for n, *_ in imports if n.startswith("zonesync")),
        "top_level_imports_ms": {n: round(c / 1000, 1) for n, _, c, d in imports if d == 0},
    }
    note = (
        f"own start-up {e['own_net_s']:.3f} s (median of {len(runs)}) = wall {e['wall_s']:.3f} - SDK import "
        f"{e['sdk_import_s']:.3f} (-X importtime) - modules the SDK imports by itself that zonesync loaded "
        f"first {e['shared_with_sdk_s']:.3f} (click, logging...) - requests {e['requests_s']:.3f} (-v); "
        f"without that middle term {e['own_s']:.3f} s; zonesync's imports besides the SDK "
        f"{e['own_imports_s']:.3f} s"
    )
    ok = all(r["measured"].returncode == 0 for r in runs)
    return Row(
        "0",
        "start-up (-X importtime)",
        ZONESYNC,
        [r["own_net_s"] for r in runs],
        None,
        None,
        round(m.peak_mb, 1),
        ok and e["own_net_s"] < 0.1,
        note,
        {},
        extra,
    )


def _startup_run(m: Measured) -> dict[str, Any]:
    imports = parse_importtime(m.stderr)
    request_s = sum(int(ms) for ms in re.findall(r"-> \d+ (\d+)ms", m.stderr)) / 1000
    sdk_s = sdk_import_us(imports) / 1e6
    all_imports = sum(cum for _, _, cum, depth in imports if depth == 0) / 1e6
    return {
        "measured": m,
        "imports": imports,
        "sdk_names": sdk_counted(imports),
        "own_s": round(m.wall_s - sdk_s - request_s, 3),
        "wall_s": round(m.wall_s, 3),
        "sdk_import_s": round(sdk_s, 3),
        "requests_s": round(request_s, 3),
        "own_imports_s": round(all_imports - sdk_s, 3),
    }


def _sdk_alone_modules(env: dict[str, str], cwd: Path) -> set[str]:
    """The modules the SDK imports by itself (`import cloudflare` and a client with its transport), beyond
    those of a bare interpreter."""
    code = "import cloudflare; cloudflare.Cloudflare(api_token='x').close()"
    found = []
    for args in (["-c", code], ["-c", "pass"]):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", *args], env=env, cwd=cwd, capture_output=True, text=True
        )
        found.append({name for name, *_ in parse_importtime(result.stderr)})
    return found[0] - found[1]


SDK_MODULES = (
    "cloudflare",
    "httpx",
    "httpcore",
    "pydantic",
    "anyio",
    "h11",
    "h2",
    "certifi",
    "idna",
    "sniffio",
    "distro",
    "typing_extensions",
    "annotated_types",
)


def _is_sdk(name: str) -> bool:
    return name.split(".")[0] in SDK_MODULES


def parse_importtime(stderr: str) -> list[tuple[str, int, int, int]]:
    """`-X importtime` lines, in their order (a module after the modules it imported) -> (module, self µs,
    cumulative µs, depth); depth 0 is imported by the program itself."""
    out = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        self_us, cum_us, raw = line.split(":", 1)[1].split("|")
        if not self_us.strip().isdigit():
            continue  # the header line
        depth = (len(raw) - len(raw.lstrip(" ")) - 1) // 2
        out.append((raw.strip(), int(self_us), int(cum_us), depth))
    return out


def sdk_counted(imports: Sequence[tuple[str, int, int, int]]) -> set[str]:
    """The modules inside the SDK's share as `sdk_import_us` counts it (an SDK module and what it imported)."""
    names: set[str] = set()
    stack: list[tuple[int, bool]] = []
    for name, _, _, depth in reversed(imports):
        while stack and stack[-1][0] >= depth:
            stack.pop()
        inside = (bool(stack) and stack[-1][1]) or _is_sdk(name)
        if inside:
            names.add(name)
        stack.append((depth, inside))
    return names


def sdk_import_us(imports: Sequence[tuple[str, int, int, int]]) -> int:
    """Cumulative import time of the SDK and its dependencies: every SDK module not imported by another."""
    total = 0
    stack: list[tuple[int, bool]] = []  # (depth, inside the SDK) of the enclosing imports
    for name, _, cum, depth in reversed(imports):  # a parent now comes before its children
        while stack and stack[-1][0] >= depth:
            stack.pop()
        inside = bool(stack) and stack[-1][1]
        sdk = _is_sdk(name)
        if sdk and not inside:
            total += cum
        stack.append((depth, inside or sdk))
    return total


# -- scenario 4: CLI start-up and offline parse -------------------------------------------------------------


def cli_startup(s: Settings) -> list[Row]:
    directory = s.workdir / "cli"
    records = make_records(s.records)
    files = _zone_files(directory, {ZONE: records})
    env = {**emulator.env_offline(), "NO_COLOR": "1"}
    rows = []
    for step, args, repeat in (("--help", ["--help"], s.repeat), ("validate", ["validate", *files], 3)):
        cmd = [*tool("zonesync"), *args]
        runs = [run(cmd, env=env, cwd=directory) for _ in range(max(1, repeat))]
        ok = all(r.returncode == 0 for r in runs)
        sdk = imports_module(cmd, "cloudflare", env, directory)
        note = f"imports cloudflare: {'yes' if sdk else 'no'}"
        rows.append(
            Row(
                "4",
                step,
                "zonesync",
                [round(r.wall_s, 3) for r in runs],
                0,
                0,
                round(max(r.peak_mb for r in runs), 1),
                ok and not sdk,
                note if ok else _fail_note(runs[0]),
            )
        )
    return rows


# -- growth: plan time and memory at 1k / 10k / 100k, and where the time goes --------------------------------


def growth(s: Settings) -> tuple[list[Row], list[dict[str, Any]]]:
    rows: list[Row] = []
    stages = []
    for n in s.growth:
        rows += one_zone(s, f"growth-{n}", n, 0, 1, (ZONESYNC,))
    # In-process stages: warmed up (imports, first-use caches) and with the CLI's garbage-collector setting.
    saved = gc.get_threshold()
    gc.set_threshold(*CLI_GC_THRESHOLD)
    try:
        plan_stages(s, min(200, *s.growth))
        stages = [plan_stages(s, n) for n in s.growth]
    finally:
        gc.set_threshold(*saved)
    return rows, stages


def plan_stages(s: Settings, n: int) -> dict[str, Any]:
    """One zone planned in this process, stage by stage, against an emulator without latency: reading the
    zone file, the listing request, JSON decoding, records -> canonical form, checks, diff; and what the
    same listing would cost through the SDK's pydantic models instead of its raw-response interface."""
    import cloudflare

    from zonesync.cloudflare.provider import CloudflareProvider
    from zonesync.cloudflare.records import Skipped, from_api
    from zonesync.plan.desired import build_desired
    from zonesync.plan.model import LiveZone
    from zonesync.run.orchestrate import make_zone_plan
    from zonesync.zonefile.load import load_zone_file

    directory = s.workdir / f"plan-{n}"
    records = make_records(n)
    (path,) = _zone_files(directory, {ZONE: records})
    out: dict[str, Any] = {"records": n}
    with emulator.running({ZONE: records}, latency=0.0, plan=s.plan) as emu:
        t = time.perf_counter()
        config = load_zone_file(directory / path)
        out["load_zone_file_s"] = time.perf_counter() - t

        provider = CloudflareProvider(emulator.TOKEN, base_url=emu.url)
        zone = provider.find_zones([ZONE])[ZONE]
        client: Any = provider._client
        t = time.perf_counter()
        raw = client.dns.records.with_raw_response.list(zone_id=zone.id, per_page=5_000_000)
        raw.http_response.read()
        out["listing_request_s"] = time.perf_counter() - t
        t = time.perf_counter()
        body = raw.http_response.json()
        out["json_decode_s"] = time.perf_counter() - t
        t = time.perf_counter()
        converted = [from_api(item, ZONE) for item in body["result"]]
        live = tuple(r for r in converted if not isinstance(r, Skipped))
        out["from_api_s"] = time.perf_counter() - t
        t = time.perf_counter()
        desired = build_desired(config, live)
        out["checks_s"] = time.perf_counter() - t
        t = time.perf_counter()
        zone_plan = make_zone_plan(config, LiveZone(zone, live, ()), desired)
        out["diff_and_fingerprint_s"] = time.perf_counter() - t
        out["changes"] = len(zone_plan.changes)
        t = time.perf_counter()
        page = raw.parse()
        models = list(page.result)
        out["sdk_models_s"] = time.perf_counter() - t
        out["sdk_models_count"] = len(models)
        provider.close()
        del cloudflare
    out["plan_cpu_s"] = sum(
        out[k]
        for k in ("load_zone_file_s", "json_decode_s", "from_api_s", "checks_s", "diff_and_fingerprint_s")
    )
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}
