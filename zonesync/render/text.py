"""The plan as people read it in a terminal: one line per change, coloured on a TTY."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zonesync.base.escape import escape
from zonesync.model import Record
from zonesync.plan.model import Change, Plan, ZonePlan
from zonesync.render.style import style

if TYPE_CHECKING:
    from zonesync.plan.model import ApplyReport, WorkerChange
    from zonesync.run.orchestrate import ZoneOutcome
from zonesync.base.plural import counted
from zonesync.zonefile.rdata import display_value, relative_name


def _line(text: str) -> str:
    """One line of the plan, outside values in it escaped before it is coloured (a TXT value cannot add a
    line, colour or control sequence of its own)."""
    return escape(text, keep_lines=False)


_SIGN = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red")}
PENDING_VALUE = "(new key, value known after apply)"


def _ttl(ttl: int) -> str:
    return "auto" if ttl == 1 else str(ttl)


def _value(rec: Record) -> str:
    if rec.pending:
        return PENDING_VALUE
    return display_value(rec.type, rec.value)


def _settings(rec: Record) -> str:
    bits = [f"ttl {_ttl(rec.ttl)}"]
    if rec.proxied:
        bits.append("proxied")
    if rec.comment:
        bits.append(f"comment {rec.comment!r}")
    if rec.tags:
        bits.append("tags " + ",".join(rec.tags))
    return ", ".join(bits)


def _origin(rec: Record | None) -> str:
    if rec is None or rec.source is None or not rec.source.origin:
        return ""
    return f"  [from {rec.source.origin}]"


def _fmt_field(fname: str, value: object, rtype: str) -> str:
    if fname == "value":
        return display_value(rtype, str(value))
    if fname == "ttl":
        return _ttl(int(str(value)))
    if fname == "tags":
        return ",".join(value) if isinstance(value, tuple) and value else "(none)"
    if value is None:
        return "(none)"
    return repr(value) if isinstance(value, str) else str(value)


def render_change(change: Change, zone: str) -> list[str]:
    sign, colour = _SIGN[change.action]
    rec = change.record
    head = _line(f"  {sign} {change.action:<6} {relative_name(rec.name, zone)} {rec.type}")
    if change.action == "update":
        lines = [style(head, fg=colour) + _line(_origin(change.after))]
        for fname, old, new in change.changed_fields():
            if fname == "value" and change.after is not None and change.after.pending:
                new_s = PENDING_VALUE
            else:
                new_s = _fmt_field(fname, new, rec.type)
            lines.append(_line(f"      {fname}: {_fmt_field(fname, old, rec.type)} -> {new_s}"))
        return lines
    line = _line(f"{head} {_value(rec)}  ({_settings(rec)})")
    return [style(line, fg=colour) + _line(_origin(change.after))]


def render_worker_change(change: WorkerChange) -> list[str]:
    """A Worker change shown like a record change: the script (with the policy it serves) or the domain."""
    from zonesync.mail.mta_sts_worker import Domain, Script, served_policy_id

    sign, colour = _SIGN[change.action]
    what = "Worker script" if change.kind == "script" else "Worker custom domain"
    head = _line(f"  {sign} {change.action:<6} {what} {change.name}")
    after, before = change.after, change.before
    origin = "  [from mail:mta_sts]" if after is not None else ""
    if change.action == "update" and isinstance(after, Script) and isinstance(before, Script):
        if before.content == after.content:
            return [style(head, fg=colour) + origin, "      tags: -> zonesync"]
        old_id = served_policy_id(before.content) or "(a script zonesync did not write)"
        detail = f"      policy id: {old_id} -> {served_policy_id(after.content)}"
        return [style(head, fg=colour) + origin, detail]
    if change.action == "update" and isinstance(after, Domain) and isinstance(before, Domain):
        return [
            style(head, fg=colour) + origin,
            _line(f"      service: {before.service} -> {after.service}"),
        ]
    if isinstance(after, Script):
        tail = (
            f" (serves the MTA-STS policy, id {served_policy_id(after.content)}; {len(after.content)} bytes)"
        )
    elif isinstance(after, Domain):
        tail = f" -> {after.service} (Cloudflare adds its own read-only AAAA 100:: record)"
    elif isinstance(before, Domain):
        tail = " (Cloudflare removes its AAAA 100:: record with it)"
    else:
        tail = ""
    return [style(_line(head + tail), fg=colour) + origin]


def worker_lines(zp: ZonePlan) -> list[str]:
    """The Worker changes of a zone, with a note when records at the custom domain's name go first."""
    if zp.workers is None:
        return []
    lines = [line for change in zp.workers.changes for line in render_worker_change(change)]
    host = zp.workers.hostname
    attaching = any(w.kind == "domain" and w.action != "delete" for w in zp.workers.changes)
    if attaching and any(c.action == "delete" and c.name == host for c in zp.changes):
        lines.append(
            f"    (the records at {relative_name(host, zp.zone)} deleted above go first: "
            "Cloudflare refuses a custom domain over them)"
        )
    return lines


def summary(counts: dict[str, int]) -> str:
    return f"{counts['create']} to create, {counts['update']} to update, {counts['delete']} to delete"


def render_zone(zp: ZonePlan) -> list[str]:
    lines = [style(_line(zp.zone), bold=True) + _line(f"  ({zp.path})")]
    for warning in zp.warnings:
        lines.append(style(_line(f"  warning: {warning.source}: {warning.message}"), fg="yellow"))
    for change in zp.changes:
        lines.extend(render_change(change, zp.zone))
    lines.extend(worker_lines(zp))
    if zp.dnssec is not None:
        colour = "red" if zp.dnssec.dangerous else ("yellow" if zp.dnssec.action else None)
        lines.append(style(_line("  " + zp.dnssec.describe()), fg=colour))
    for skipped in zp.skipped:
        lines.append(
            style(
                _line(f"  ! skip   {relative_name(skipped.name, zp.zone)} {skipped.type}: {skipped.reason}"),
                fg="cyan",
            )
        )
    tail = f"{zp.live_count} live records"
    if zp.ignored:
        tail += f", {zp.ignored} ignored by rules"
    if zp.skipped:
        tail += f", {len(zp.skipped)} skipped"
    if zp.has_changes:
        lines.append(f"  {summary(zp.counts())} ({tail})")
    else:
        lines.append(f"  no changes ({tail})")
    return lines


def render(plan: Plan) -> str:
    out: list[str] = []
    for zp in plan.zones:
        out.extend(render_zone(zp))
        out.append("")
    if len(plan.zones) > 1:
        out.append(f"Total: {summary(plan.counts())} in {counted(len(plan.zones), 'zone')}")
    elif out:
        out.pop()
    return "\n".join(out)


def render_apply(report: ApplyReport, counts: dict[str, int], retry: str) -> list[str]:
    """What applying one zone did: the summary, or exactly which changes landed and which did not (and,
    after a lost answer the zone could not be read back to settle, which are unknown)."""
    zone = report.zone
    notes = [_line(f"{zone}: {note}") for note in report.notes]
    if not report.error:
        return [*notes, f"{zone}: applied ({summary(counts)}) in {counted(report.batches, 'batch request')}"]
    unknown = f"; UNKNOWN whether {counted(len(report.unknown), 'change')} landed" if report.unknown else ""
    lines = [
        *notes,
        f"{zone}: {report.error}",
        f"{zone}: applied {counted(len(report.applied), 'change')} in {counted(report.batches, 'batch', 'batches')}; "
        f"NOT applied {counted(len(report.not_applied), 'change')} (below){unknown}. {retry}",
    ]
    for change in report.not_applied:
        lines.extend(f"{zone}: not applied:{line}" for line in render_change(change, zone))
    for change in report.unknown:
        lines.extend(f"{zone}: unknown:{line}" for line in render_change(change, zone))
    return lines


def render_outcome(outcome: ZoneOutcome, retry: str) -> list[str]:
    """What applying one zone did, the DKIM keys generated for it first."""
    zone = outcome.zone
    lines = [
        f"{zone}: generated DKIM key '{key.selector}' ({key.algorithm}): private key {key.private_key} "
        f"(mode 0600) — copy it to the mail server; public key {key.public_key}"
        for key in outcome.generated
    ]
    return lines + render_apply(outcome.report, outcome.counts, retry)
