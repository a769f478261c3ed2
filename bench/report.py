"""The tables of docs/performance.md, in Markdown, and the targets, computed from the rows of one `make bench` run (the
JSON written beside it holds every number they come from)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from bench.scenarios import FLOOR, OCTO_DEFAULT, OCTO_TUNED, ZONESYNC, Row
from bench.verify_dns import target as verify_target

COMPARED = ("0", "1", "2", "3", "3-ratelimited")
TITLES = {
    "0": "0. one zone, 50 records, no change",
    "1": "1. 10,000 records, no change",
    "2": "2. 1,000 changes in 10,000 records",
    "3": "3. 200 zones x 50 records, 5 changes each",
    "3-ratelimited": "3. same, Cloudflare's limit (1,200 / 300 s)",
}


def _num(value: float | None) -> str:
    if value is None:
        return ""
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


def time_cell(row: Row | None) -> str:
    """Median, with the spread (min-max) when there was more than one run."""
    if row is None or not row.walls:
        return "—"
    text = _num(row.wall_s)
    if len(row.walls) > 1:
        text += f" ({_num(min(row.walls))}–{_num(max(row.walls))})"
    if row.extra.get("projected"):
        text += " projected"
    return text if row.ok else f"{text} FAILED"


def _req(row: Row | None) -> str:
    return "—" if row is None or row.requests is None else f"{row.requests:,}"


def _combined(a: Row | None, b: Row | None) -> Row | None:
    """plan, then apply: the sum of the two medians."""
    if a is None or b is None or a.wall_s is None or b.wall_s is None:
        return None
    return Row(
        a.scenario,
        "plan, then apply",
        a.tool,
        [a.wall_s + b.wall_s],
        (a.requests or 0) + (b.requests or 0),
        None,
        None,
        a.ok and b.ok,
        "",
        {},
        dict(b.extra),
    )


def comparison(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """One line per scenario and step: every tool's row, plus `plan, then apply` where both ran."""
    index = {(r.scenario, r.step, r.tool): r for r in rows}
    lines = []
    for scen in COMPARED:
        steps = list(
            dict.fromkeys(r.step for r in rows if r.scenario == scen and not r.step.startswith("start-up"))
        )
        if not steps:
            continue
        for step in steps:
            cells = {t: index.get((scen, step, t)) for t in (FLOOR, ZONESYNC, OCTO_TUNED, OCTO_DEFAULT)}
            minimum = next((r.minimum for r in cells.values() if r and r.minimum is not None), None)
            lines.append({"scenario": scen, "step": step, "minimum": minimum, **cells})
        if {"plan", "apply"} <= set(steps):
            cells = {
                t: _combined(index.get((scen, "plan", t)), index.get((scen, "apply", t)))
                for t in (FLOOR, ZONESYNC, OCTO_TUNED, OCTO_DEFAULT)
            }
            mins = [index.get((scen, s, ZONESYNC)) for s in ("plan", "apply")]
            minimum = sum(r.minimum or 0 for r in mins if r) if all(mins) else None
            lines.append({"scenario": scen, "step": "plan, then apply", "minimum": minimum, **cells})
    return lines


def speedup(slow: Row | None, fast: Row | None) -> float | None:
    if slow is None or fast is None or not slow.wall_s or not fast.wall_s:
        return None
    return slow.wall_s / fast.wall_s


def _x(value: float | None) -> str:
    return "—" if value is None else (f"{value:.0f}x" if value >= 10 else f"{value:.1f}x")


def comparison_table(lines: Sequence[dict[str, Any]]) -> str:
    head = [
        "Scenario",
        "Step",
        "min. requests",
        "floor s",
        "zonesync s",
        "requests",
        "peak MB",
        "octoDNS tuned s",
        "requests",
        "octoDNS default s",
        "requests",
        "tuned / zonesync",
        "zonesync / floor",
    ]
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|"]
    last = None
    for line in lines:
        z = line[ZONESYNC]
        title = TITLES.get(line["scenario"], line["scenario"]) if line["scenario"] != last else ""
        last = line["scenario"]
        cells = [
            title,
            line["step"],
            "" if line["minimum"] is None else f"{line['minimum']:,}",
            time_cell(line[FLOOR]),
            time_cell(z),
            _req(z),
            "" if z is None or z.peak_mb is None else f"{z.peak_mb:.0f}",
            time_cell(line[OCTO_TUNED]),
            _req(line[OCTO_TUNED]),
            time_cell(line[OCTO_DEFAULT]),
            _req(line[OCTO_DEFAULT]),
            _x(speedup(line[OCTO_TUNED], z)),
            _x(speedup(z, line[FLOOR])),
        ]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def zonesync_table(rows: Sequence[Row]) -> str:
    """zonesync alone: start-up, CLI, account shapes, thousands of zones, growth."""
    head = ["Scenario", "Step", "zonesync s", "requests", "min. requests", "floor s", "peak MB", "note"]
    out = ["| " + " | ".join(head) + " |", "|---|---|---:|---:|---:|---:|---:|---|"]
    floors = {(r.scenario, r.step): r for r in rows if r.tool == FLOOR}
    for r in rows:
        if r.tool != ZONESYNC or (r.scenario in COMPARED and not r.step.startswith("start-up")):
            continue
        note = r.note
        if "requests_per_s" in r.extra:
            note = (
                f"{r.extra['requests_per_s']} requests/s sustained, limit {r.extra['limit']} = {r.extra['limit_per_s']}/s; {r.extra.get('refused', 0)} answers 429"
                + (f"; {note}" if note else "")
            )
        if r.step.startswith("start-up"):
            e = r.extra
            note = (
                f"median run: wall {e['wall_s']} s - SDK import {e['sdk_import_s']} s - requests {e['requests_s']} s; "
                f"zonesync's imports {e['own_imports_s']} s ({e.get('shared_with_sdk_s', 0)} s of them the SDK imports too)"
            )
        cells = [
            r.scenario,
            r.step,
            time_cell(r),
            _req(r) if r.requests is not None else "",
            "" if r.minimum is None else f"{r.minimum:,}",
            time_cell(floors.get((r.scenario, r.step))) if (r.scenario, r.step) in floors else "",
            "" if r.peak_mb is None else f"{r.peak_mb:.0f}",
            note.replace("|", "/"),
        ]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def targets(rows: Sequence[Row], lines: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(name: str, met: bool | None, detail: str) -> None:
        out.append({"target": name, "met": met, "detail": detail})

    zs = [r for r in rows if r.tool == ZONESYNC and r.minimum is not None]
    if zs:
        over = [
            f"{r.scenario}/{r.step}: {r.requests} > {r.minimum}" for r in zs if (r.requests or 0) > r.minimum
        ]
        under = [f"{r.scenario}/{r.step}: {r.requests}" for r in zs if (r.requests or 0) < r.minimum]
        detail = "; ".join(over) or f"{len(zs)} zonesync steps, none above the minimum"
        if under:
            detail += " (below it, several wanted zones on one zone-list page: " + ", ".join(under) + ")"
        add("zonesync requests = minimum", not over, detail)
    failed = [
        f"{r.scenario}/{r.step}/{r.tool}: {r.note}"
        for r in rows
        if not r.ok and not r.step.startswith("start-up")
    ]
    add("every run succeeded and converged", not failed, "; ".join(failed)[:400] or "all runs ok")
    found = {(line["scenario"], line["step"]): line for line in lines}
    for scen, step, factor in (
        ("1", "plan", 6),
        ("2", "apply", 50),
        ("2", "plan, then apply", 50),
        ("3", "plan, then apply", 10),
    ):
        line = found.get((scen, step))
        if line is None or line[OCTO_TUNED] is None:
            continue
        x = speedup(line[OCTO_TUNED], line[ZONESYNC])
        add(
            f"scenario {scen} {step}: >= {factor}x faster than tuned octoDNS",
            x is not None and x >= factor,
            f"{_x(x)} ({_num(line[ZONESYNC].wall_s)} s vs {_num(line[OCTO_TUNED].wall_s)} s)",
        )
    line = found.get(("1", "plan"))
    if line and line[FLOOR] is not None:
        x = speedup(line[ZONESYNC], line[FLOOR])
        add(
            "scenario 1 within 1.5x of the floor",
            x is not None and x <= 1.5,
            f"{_x(x)} ({_num(line[ZONESYNC].wall_s)} s vs floor {_num(line[FLOOR].wall_s)} s)",
        )
    for r in rows:
        if r.scenario == "0" and r.step.startswith("start-up"):
            add(
                "zonesync's own start-up < 0.1 s (besides SDK import and requests)",
                r.extra["own_net_s"] < 0.1,
                r.note,
            )
        if r.scenario == "verify" and r.extra.get("target"):
            add(*verify_target(r))
        if r.scenario == "6" and r.tool == ZONESYNC:
            e = r.extra
            # Over the limit shows as answers 429 (none allowed); the rate is the whole run's, and the limiter
            # may spend a window's budget at once at the start, so it can sit a hair above the limit.
            near = e["requests_per_s"] >= 0.9 * e["limit_per_s"]
            add(
                "scenario 6: requests = minimum, no 429, rate at least 90% of the limit",
                r.requests == r.minimum and not e.get("refused") and near,
                f"{r.requests} requests (minimum {r.minimum}), {e.get('refused', 0)} answers 429, {e['requests_per_s']}/s vs {e['limit_per_s']}/s",
            )
    return out


def target_lines(items: Sequence[dict[str, Any]]) -> str:
    mark = {True: "met", False: "**MISSED**", None: "?"}
    return "\n".join(f"- {mark[it['met']]}: {it['target']} — {it['detail']}" for it in items)


def spread_pct(row: Row) -> float | None:
    if len(row.walls) < 2 or not row.wall_s:
        return None
    return (max(row.walls) - min(row.walls)) / statistics.median(row.walls) * 100
