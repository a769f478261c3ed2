"""The plan as a pull-request comment (GitHub / GitLab flavoured Markdown).

A summary table first (one row per zone: creates, updates, deletes, status), then each zone's changes
as a `diff` block (+ create, ~ update, - delete), folded in <details> when long. The first line is an
HTML marker, so a CI job can find and update its previous comment instead of adding a new one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from zonesync.base.escape import markdown_code, markdown_text
from zonesync.base.plural import counted
from zonesync.plan import safety
from zonesync.plan.model import Plan, ZonePlan
from zonesync.render.style import unstyle
from zonesync.render.text import render_change, summary, worker_lines
from zonesync.zonefile.rdata import relative_name

if TYPE_CHECKING:
    from zonesync.zonefile.config import ZoneConfig

MARKER = "<!-- zonesync-plan -->"
FOLD_OVER = 15
"""Zones with more change lines than this are folded (collapsed) in the comment."""
MAX_LINES = 2000
"""GitHub limits a comment to 65,536 characters: very long zones are cut, with a note."""


_cell = markdown_text
"""Text in a table cell, a quote or a list item: what came from outside cannot add Markdown or HTML."""
_code = markdown_code


def _status(zp: ZonePlan, problem: str | None) -> str:
    if problem:
        return "⚠️ unsafe: needs `--force`"
    if zp.has_changes:
        return "changes"
    return "no changes"


def _fence(lines: Sequence[str]) -> str:
    body = "\n".join(lines)
    fence = "```"
    while fence in body:
        fence += "`"
    return f"{fence}diff\n{body}\n{fence}"


def _zone_lines(zp: ZonePlan) -> list[str]:
    out: list[str] = []
    for change in zp.changes:
        for i, line in enumerate(render_change(change, zp.zone)):
            plain = unstyle(line)
            # diff highlighting keys on the first column: +, - or space (~ shows as context).
            out.append(plain[2:] if i == 0 else "  " + plain.strip())
    for line in worker_lines(zp):
        plain = unstyle(line)
        out.append(plain[2:] if plain[2:3] in ("+", "~", "-") else "  " + plain.strip())
    return out


def render_zone(zp: ZonePlan, problem: str | None) -> list[str]:
    out = [f"### {_code(zp.zone)}", ""]
    meta = f"{_code(zp.path)} · {zp.live_count} live records"
    if zp.ignored:
        meta += f", {zp.ignored} ignored by rules"
    if zp.skipped:
        meta += f", {len(zp.skipped)} skipped"
    out += [meta, ""]
    if problem:
        out += [f"> [!WARNING]\n> {_cell(problem)}", ""]
    for w in zp.warnings:
        out += [f"- ⚠️ {_cell(str(w.source))}: {_cell(w.message)}"]
    if zp.warnings:
        out.append("")
    if zp.dnssec is not None:
        out += [f"- 🔐 {_cell(zp.dnssec.describe())}", ""]
    lines = _zone_lines(zp)
    if not lines:
        out += ["No changes.", ""]
    else:
        cut = len(lines) - MAX_LINES
        if cut > 0:
            lines = [*lines[:MAX_LINES], f"  ... {cut} more lines (see the JSON plan)"]
        block = _fence(lines)
        if len(lines) > FOLD_OVER:
            block = f"<details>\n<summary>{summary(zp.counts())}</summary>\n\n{block}\n\n</details>"
        out += [block, ""]
    if zp.skipped:
        out += ["<details>", f"<summary>{counted(len(zp.skipped), 'record')} left alone</summary>", ""]
        out += [
            f"- {_code(relative_name(s.name, zp.zone) + ' ' + s.type)}: {_cell(s.reason)}" for s in zp.skipped
        ]
        out += ["", "</details>", ""]
    return out


def render(plan: Plan, configs: Mapping[str, ZoneConfig] | Sequence[ZoneConfig] = ()) -> str:
    by_zone = configs if isinstance(configs, Mapping) else {c.zone: c for c in configs}
    problems = {
        zp.zone: safety.check(zp, safety.limits_for(by_zone.get(zp.zone))) if zp.has_changes else None
        for zp in plan.zones
    }
    total = plan.counts()
    head = "no changes" if not plan.has_changes else summary(total)
    out = [MARKER, f"## zonesync plan: {head}", ""]
    out += ["| Zone | Create | Update | Delete | Status |", "| --- | ---: | ---: | ---: | --- |"]
    for zp in plan.zones:
        c = zp.counts()
        out.append(
            f"| {_code(zp.zone)} | {c['create']} | {c['update']} | {c['delete']} | {_status(zp, problems[zp.zone])} |"
        )
    if len(plan.zones) > 1:
        out.append(f"| **Total** | {total['create']} | {total['update']} | {total['delete']} | |")
    out.append("")
    for zp in plan.zones:
        if zp.has_changes or zp.warnings or problems[zp.zone]:
            out += render_zone(zp, problems[zp.zone])
    unchanged = [zp.zone for zp in plan.zones if not (zp.has_changes or zp.warnings)]
    if unchanged and plan.has_changes:
        out += [f"No changes in {', '.join(_code(z) for z in unchanged)}.", ""]
    return "\n".join(out).rstrip()
