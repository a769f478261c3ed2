"""The scenarios of the performance issue. Each returns rows: one per tool and step, with wall time, API
requests (from the emulator's own counters), the minimum Cloudflare allows, and the process's peak memory."""

from __future__ import annotations

import gc
import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import emulator, octodns_config
from bench.minimum import BATCH_LIMITS, ZoneLoad, minimum_requests
from bench.runner import Measured, imports_module, run, tool
from bench.zonedata import ChangeMix, Rec, canonical, desired_after, expected, make_records, zonesync_yaml

ZONE = "example.com"
OCTODNS_RETRY_PERIOD = 300
"""octodns-cloudflare sleeps this long (its `retry_period` default) after a 429 before trying again."""
RATE_LIMIT_MESSAGE = "rate limit encountered"
CLI_GC_THRESHOLD = (100_000, 50, 1000)
"""What `zonesync.cli.main` sets, so in-process stage timings match the command's."""


@dataclass
class Settings:
    workdir: Path
    latency: float = 0.05
    records: int = 10_000
    changes: int = 1_000
    zones: int = 200
    zone_records: int = 50
    zone_changes: int = 5
    growth: tuple[int, ...] = (1_000, 10_000, 100_000)
    octodns: bool = True
    rate_limited: str = "project"
    """octoDNS under Cloudflare's rate limit: "project" (stop at its first 429 and add the 300 s sleep and
    the remaining requests), "full" (wait it out for real) or "skip"."""
    repeat: int = 5
    """Runs of `zonesync --help` (median)."""
    zonesync_repeat: int = 3
    """Runs of a zonesync plan that changes nothing (median), up to 20,000 records."""
    octodns_workers: int = octodns_config.MAX_WORKERS
    plan: str = "free"
    batch_size: int | None = None

    @property
    def batch_limit(self) -> int:
        return self.batch_size or BATCH_LIMITS[self.plan]


@dataclass
class Row:
    scenario: str
    step: str
    tool: str
    wall_s: float | None
    requests: int | None
    minimum: int | None = None
    peak_mb: float | None = None
    ok: bool = True
    note: str = ""
    by_route: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- helpers ---------------------------------------------------------------------------------------------


def _zone_files(directory: Path, zones: dict[str, Sequence[Rec]]) -> list[str]:
    (directory / "zones").mkdir(parents=True, exist_ok=True)
    paths = []
    for zone, records in zones.items():
        path = directory / "zones" / f"{zone}.yaml"
        path.write_text(zonesync_yaml(zone, records))
        paths.append(str(path.relative_to(directory)))
    return paths


def _zonesync(
    args: Sequence[str], emu: Any, cwd: Path, **kwargs: Any
) -> tuple[Measured, int, dict[str, int]]:
    emu.reset_stats()
    measured = run([*tool("zonesync"), *args], env=emulator.env(emu), cwd=cwd, **kwargs)
    total, routes = emulator.requests(emu)
    return measured, total, routes


def _octodns(
    config: Path, emu: Any, cwd: Path, doit: bool, **kwargs: Any
) -> tuple[Measured, int, dict[str, int]]:
    emu.reset_stats()
    args = ["--config-file", str(config), *(["--doit"] if doit else [])]
    measured = run([*tool("octodns-sync"), *args], env=emulator.env(emu), cwd=cwd, **kwargs)
    total, routes = emulator.requests(emu)
    return measured, total, routes


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
    """'' when every zone holds exactly the desired records, else what differs."""
    problems = []
    for zone, records in want.items():
        have = canonical(zone, emu.records(zone))
        exp = expected(zone, records)
        if have != exp:
            problems.append(f"{zone}: {len(exp - have)} missing, {len(have - exp)} unexpected")
    return "; ".join(problems)


def _row(
    scenario: str,
    step: str,
    name: str,
    m: Measured,
    total: int,
    routes: dict[str, int],
    minimum: int | None,
    ok: bool,
    note: str = "",
) -> Row:
    if not ok and not note:
        note = _fail_note(m)
    return Row(
        scenario, step, name, round(m.wall_s, 3), total, minimum, round(m.peak_mb, 1), ok, note, routes
    )


# -- scenario 1: plan, no changes -------------------------------------------------------------------------


def plan_unchanged(s: Settings, n: int, scenario: str, octodns: bool) -> list[Row]:
    directory = s.workdir / f"plan-{n}"
    records = make_records(n)
    files = _zone_files(directory, {ZONE: records})
    minimum = minimum_requests([ZoneLoad(n)], s.batch_limit)
    rows = []
    runs = s.zonesync_repeat if n <= 20_000 else 1
    with emulator.running({ZONE: records}, latency=s.latency, plan=s.plan) as emu:
        results = [_zonesync(["plan", "--exit-code", *files], emu, directory) for _ in range(max(1, runs))]
    m, total, routes = results[-1]
    ok = all(r[0].returncode == 0 and r[1] == total for r in results)
    row = _row(scenario, "plan", "zonesync", m, total, routes, minimum, ok)
    if len(results) > 1:
        walls = [r[0].wall_s for r in results]
        row.wall_s = round(statistics.median(walls), 3)
        row.peak_mb = round(max(r[0].peak_mb for r in results), 1)
        row.note = row.note or f"median of {len(walls)} ({', '.join(f'{w:.2f}' for w in walls)} s)"
    rows.append(row)
    if octodns:
        with emulator.running({ZONE: records}, latency=s.latency, plan=s.plan) as emu:
            config = octodns_config.write(
                directory, {ZONE: records}, emu.url, emulator.TOKEN, workers=s.octodns_workers
            )
            m, total, routes = _octodns(config, emu, directory, doit=False)
            ok = m.returncode == 0 and "No changes were planned" in m.stderr
            rows.append(_row(scenario, "plan", "octodns", m, total, routes, minimum, ok))
    return rows


# -- scenarios 2 and 3: plan then apply ---------------------------------------------------------------------


def plan_apply(
    s: Settings,
    scenario: str,
    base: dict[str, list[Rec]],
    mix: ChangeMix,
    *,
    octodns: bool,
    rate_limit: tuple[int, int] | None = None,
    octodns_reference: Row | None = None,
) -> list[Row]:
    """zonesync `plan` + `apply --yes`, then octodns-sync + octodns-sync --doit, each tool on a fresh
    emulator seeded with `base`; the zone files hold `base` with `mix` applied to every zone."""
    want = {zone: desired_after(records, mix) for zone, records in base.items()}
    directory = s.workdir / f"scenario-{scenario}"
    files = _zone_files(directory, want)
    account_zones = len(base)
    loads = [ZoneLoad(len(r), mix.total) for r in base.values()]
    plan_min = minimum_requests(loads, s.batch_limit, account_zones)
    apply_min = minimum_requests(loads, s.batch_limit, account_zones, apply=True)
    batch = ["--batch-size", str(s.batch_size)] if s.batch_size else []
    rows = []

    with emulator.running(base, latency=s.latency, rate_limit=rate_limit, plan=s.plan) as emu:
        m, total, routes = _zonesync(["plan", "--exit-code", *files], emu, directory)
        rows.append(_row(scenario, "plan", "zonesync", m, total, routes, plan_min, m.returncode == 2))
        m, total, routes = _zonesync(["apply", "--yes", *batch, *files], emu, directory)
        problem = _verify(emu, want) if m.returncode == 0 else ""
        row = _row(
            scenario, "apply", "zonesync", m, total, routes, apply_min, m.returncode == 0 and not problem
        )
        row.note = row.note or problem
        rows.append(row)

    if not octodns:
        return rows
    with emulator.running(base, latency=s.latency, rate_limit=rate_limit, plan=s.plan) as emu:
        config = octodns_config.write(directory, want, emu.url, emulator.TOKEN, workers=s.octodns_workers)
        m, total, routes = _octodns(config, emu, directory, doit=False)
        counts = _octodns_counts(m)
        ok = m.returncode == 0 and sum(counts) == mix.total * len(base)
        note = "" if ok else f"planned creates/updates/deletes {counts}"
        rows.append(_row(scenario, "plan", "octodns", m, total, routes, plan_min, ok, note))

        watch = None
        reached: dict[str, float] = {}
        if rate_limit and s.rate_limited == "project":

            def at_first_429(elapsed: float) -> bool:
                reached["requests"] = emulator.requests(emu)[0]
                reached["elapsed"] = elapsed
                return True  # stop it: the rest is projected

            watch = {RATE_LIMIT_MESSAGE: at_first_429}
        m, total, routes = _octodns(config, emu, directory, doit=True, watch=watch)
        if reached and octodns_reference is not None and octodns_reference.requests:
            rows.append(_projected(scenario, m, total, routes, apply_min, reached, octodns_reference))
        else:
            problem = _verify(emu, want) if m.returncode == 0 else ""
            ok = m.returncode == 0 and not problem
            row = _row(scenario, "apply", "octodns", m, total, routes, apply_min, ok, problem)
            if RATE_LIMIT_MESSAGE in m.stderr:
                row.note = (row.note + "; " if row.note else "") + "hit the rate limit and slept (measured)"
            rows.append(row)
    return rows


def _projected(
    scenario: str,
    m: Measured,
    total: int,
    routes: dict[str, int],
    minimum: int,
    reached: dict[str, float],
    reference: Row,
) -> Row:
    """octoDNS stopped at its first 429: measured time so far + its 300 s sleep + the requests it still had
    to make, at the per-request pace of the same run without a rate limit."""
    assert reference.requests and reference.wall_s
    done = int(reached["requests"])
    remaining = max(0, reference.requests - done + 1)  # the refused request is made again
    pace = reference.wall_s / reference.requests
    projected = reached["elapsed"] + OCTODNS_RETRY_PERIOD + remaining * pace
    note = (
        f"projected: first 429 after {reached['elapsed']:.1f} s and {done} requests, then sleeps "
        f"{OCTODNS_RETRY_PERIOD} s; {remaining} requests left at {pace * 1000:.0f} ms each"
    )
    return Row(
        scenario,
        "apply",
        "octodns",
        round(projected, 1),
        reference.requests + 1,
        minimum,
        round(m.peak_mb, 1),
        True,
        note,
        routes,
    )


def big_zone(s: Settings) -> list[Row]:
    base = {ZONE: make_records(s.records)}
    return plan_apply(s, "2", base, ChangeMix.split(s.changes), octodns=s.octodns)


def many_zones(s: Settings) -> list[Row]:
    base = {f"bench{i:03d}.com": make_records(s.zone_records) for i in range(s.zones)}
    mix = ChangeMix.split(s.zone_changes)
    rows = plan_apply(s, "3", base, mix, octodns=s.octodns)
    if s.rate_limited != "skip":
        reference = next((r for r in rows if r.tool == "octodns" and r.step == "apply"), None)
        rows += plan_apply(
            s,
            "3-ratelimited",
            base,
            mix,
            octodns=s.octodns,
            rate_limit=emulator.CLOUDFLARE_RATE_LIMIT,
            octodns_reference=reference,
        )
    return rows


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
        note = f"median of {len(runs)} (min {min(r.wall_s for r in runs):.3f} s); imports cloudflare: {'yes' if sdk else 'no'}"
        rows.append(
            Row(
                "4",
                step,
                "zonesync",
                round(statistics.median(r.wall_s for r in runs), 3),
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
        rows += plan_unchanged(s, n, f"growth-{n}", octodns=False)
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

    from zonesync.loader import load_zone_file
    from zonesync.orchestrate import build_desired, make_zone_plan
    from zonesync.providers.cloudflare import CloudflareProvider, LiveZone
    from zonesync.providers.cloudflare_records import Skipped, from_api

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
