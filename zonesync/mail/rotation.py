"""DKIM key rotation as a state machine over the selectors of `mail.dkim` (pure: the date comes in).

The practice is the M3AAWG DKIM Key Rotation BCP (2019): rotate at least every six months, a new selector
for each key, publish the new key before the signer uses it, keep the old selector published for some days
after the switch so mail in transit still verifies, then revoke it with an empty `p=` (RFC 6376 §3.6.1)
before removing it. Each selector's state and dates live in the zone file (docs/dkim-rotation.md):

    next      published beside the active key; `published:` once it was seen served everywhere
    active    the key the mail server signs with (`active_since:`); a selector without `state:` is active
    retiring  the server stopped signing with it (`retiring_since:`); still published for the overlap
    revoked   published as `v=DKIM1; p=` (`revoked_since:`); removed from the file in a later run

`check_rotation` is what `plan` and `validate` say about it (errors refuse the plan); `next_step` is what
`zonesync dkim rotate --next` does next, or why it cannot yet.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from zonesync.mail import dkim
from zonesync.mail.spec import DkimSpec, MailSpec
from zonesync.model import Diagnostic, Record

REVOKED_VALUE = "v=DKIM1; p="
"""The record of a revoked selector: an empty key (RFC 6376 §3.6.1: "An empty value means that this public
key has been revoked")."""


def in_rotation(spec: MailSpec) -> bool:
    """The zone file tracks rotation state (some selector has `state:`)."""
    return any(d.state is not None for d in spec.dkim)


def selector_name(today: datetime.date, taken: Sequence[str]) -> str:
    """A date-named selector for a new key, `s<year>q<quarter>` (`s2026q4`), with `b`, `c`... appended when
    that name is taken (a second rotation in the same quarter)."""
    base = f"s{today.year}q{(today.month - 1) // 3 + 1}"
    if base not in taken:
        return base
    for letter in "bcdefghijklmnopqrstuvwxyz":
        if base + letter not in taken:
            return base + letter
    raise ValueError(f"every selector name {base}..{base}z is taken: choose one with --selector")


def _key_kind(d: DkimSpec) -> str:
    return "ed25519" if d.algorithm == "ed25519" else "rsa"


def replaced_by(spec: MailSpec, new: DkimSpec) -> DkimSpec | None:
    """The active selector a `next` one replaces: the active one, or among several (an RSA and an Ed25519
    key signing side by side), the one with the same kind of key. None when that is not one selector."""
    active = [d for d in spec.dkim if d.effective_state == "active" and d is not new]
    if len(active) > 1:
        active = [d for d in active if _key_kind(d) == _key_kind(new)]
    return active[0] if len(active) == 1 else None


def _days(a: datetime.date, b: datetime.date) -> int:
    return (b - a).days


def overlap_end(d: DkimSpec, overlap_days: int) -> datetime.date | None:
    """The first day a retiring selector may be revoked."""
    if d.retiring_since is None:
        return None
    return d.retiring_since.day + datetime.timedelta(days=overlap_days)


def check_rotation(
    spec: MailSpec, today: datetime.date, live: Sequence[Record] | None = None, command: str = ""
) -> list[Diagnostic]:
    """Rotation rules for `plan`: errors for an unsafe state (no active selector, a revocation before the
    overlap has passed, a published key deleted without being revoked first), warnings for a key older than
    the rotation period, and the next date-driven step as a warning a person acts on (a pipeline cannot
    commit the state change). `command` is how the user names the zone in `zonesync dkim rotate ...`."""
    if not spec.dkim:
        return []
    out: list[Diagnostic] = []
    rotate = f"zonesync dkim rotate {command or spec.zone}"
    overlap = spec.rotation.overlap_days
    tracked = in_rotation(spec)
    active = [d for d in spec.dkim if d.effective_state == "active"]
    if tracked and not active:
        first = next(d for d in spec.dkim if d.state is not None)
        out.append(
            Diagnostic(
                "error",
                first.state_source or first.source,
                "no DKIM selector is `state: active`: the mail server signs with a key this zone would no longer "
                "publish as it is (retiring, revoked or not yet switched to), so its mail would fail DKIM; keep the "
                "selector the server signs with active",
            )
        )
    nexts = [d for d in spec.dkim if d.state == "next"]
    if len(nexts) > 1:
        out.append(
            Diagnostic(
                "error",
                nexts[1].state_source or nexts[1].source,
                f"two selectors are `state: next` ({nexts[0].selector}, {nexts[1].selector}): one rotation at a "
                "time; remove one",
            )
        )
    for d in spec.dkim:
        src = d.state_source or d.source
        if d.state == "revoked":
            out += _check_revoked(d, today, overlap, bool(active))
        elif d.state == "retiring":
            end = overlap_end(d, overlap)
            if end is None:
                out.append(
                    Diagnostic(
                        "error",
                        src,
                        f"selector {d.selector} is retiring without `retiring_since:` (the day the server stopped "
                        "signing with it): zonesync counts the overlap from that date; add it",
                    )
                )
            elif today >= end:
                out.append(
                    Diagnostic(
                        "warning",
                        src,
                        f"rotation: the {overlap}-day overlap of selector {d.selector} ended on {end.isoformat()}: "
                        f"revoke it now (run `{rotate} --next`, or set `state: revoked` and `revoked_since: "
                        f"{today.isoformat()}`, then commit)",
                    )
                )
        elif d.state == "next":
            if d.published is None:
                out.append(
                    Diagnostic(
                        "warning",
                        src,
                        f"rotation: selector {d.selector} is the next key: apply publishes it; once it is served, "
                        f"run `{rotate} --next` (it checks every authoritative nameserver)",
                    )
                )
            else:
                out.append(
                    Diagnostic(
                        "warning",
                        src,
                        f"rotation: selector {d.selector} has been served since {d.published.day.isoformat()}: switch "
                        f"the mail server to it (`{rotate} --next` prints the change), then commit the state change",
                    )
                )
        elif d.effective_state == "active" and d.active_since is not None:
            age = _days(d.active_since.day, today)
            if age > spec.rotation.period_days and not nexts:
                out.append(
                    Diagnostic(
                        "warning",
                        d.active_since.source,
                        f"DKIM key {d.selector} has signed for {age} days, longer than the rotation period of "
                        f"{spec.rotation.period_days} days (M3AAWG: rotate at least every six months): start a "
                        f"rotation with `{rotate}`",
                    )
                )
        elif d.state == "active" and d.active_since is None and not nexts:
            out.append(
                Diagnostic(
                    "warning",
                    src,
                    f"selector {d.selector} has no `active_since:`: zonesync cannot tell the key's age (file dates "
                    "do not survive a checkout); add the day the server started signing with it",
                )
            )
    if tracked:
        out += _check_deletions(spec, live)
    return out


def _check_revoked(d: DkimSpec, today: datetime.date, overlap: int, others_active: bool) -> list[Diagnostic]:
    src = d.state_source or d.source
    if not others_active:
        return []  # the "no active selector" error says it
    end = overlap_end(d, overlap)
    if end is None:
        return [
            Diagnostic(
                "error",
                src,
                f"selector {d.selector} is revoked without having been retiring (`retiring_since:` is missing): "
                "revoking a key the server may still sign with fails its mail; set `state: retiring` with "
                "`retiring_since:` and revoke after the overlap",
            )
        ]
    when = d.revoked_since.day if d.revoked_since is not None else today
    if when < end or today < end:
        day = _days(d.retiring_since.day, min(when, today)) if d.retiring_since else 0
        return [
            Diagnostic(
                "error",
                src,
                f"selector {d.selector} is revoked on day {day} of its {overlap}-day overlap: mail signed before the "
                f"switch may still be in transit; keep it `state: retiring` until {end.isoformat()}",
            )
        ]
    return []


def _check_deletions(spec: MailSpec, live: Sequence[Record] | None) -> list[Diagnostic]:
    """A live DKIM key at a selector the file no longer lists would be deleted: only a revoked key may go."""
    if not live:
        return []
    listed = {dkim.record_name(d.selector, spec.zone) for d in spec.dkim}
    suffix = f"._domainkey.{spec.zone}"
    out = []
    for rec in live:
        if rec.type != "TXT" or not rec.name.endswith(suffix) or rec.name in listed:
            continue
        if rec.name.startswith("*.") or not dkim.is_dkim_text(rec.value):
            continue
        try:
            parsed = dkim.parse_record(rec.value)
        except dkim.DkimParseError:
            continue
        if parsed.p:
            selector = rec.name[: -len(suffix)]
            out.append(
                Diagnostic(
                    "error",
                    spec.dkim[0].source,
                    f"this plan would delete the published key of selector {selector} without revoking it first: "
                    f"if the mail server still signs with it, its mail fails DKIM at once. List it under mail.dkim "
                    f"with `state: retiring` (or `revoked` after the overlap) and delete it in a later run",
                )
            )
    return out


@dataclass(frozen=True)
class Step:
    """What `dkim rotate --next` does next.

    kind: "served" (check that `selector`'s key is served everywhere, then record `published`), "switch"
    (the server now signs with `selector`; `old` becomes retiring), "revoke" (`selector` gets an empty key),
    "delete" (check that the revocation is served, then remove `selector` from the file), or "none".
    `refusal` says why the step cannot be taken today (None: it can).
    """

    kind: str
    selector: DkimSpec | None = None
    old: DkimSpec | None = None
    refusal: str | None = None
    message: str = ""


def next_step(spec: MailSpec, today: datetime.date, command: str = "") -> Step:
    """The one step the rotation takes next (see Step), in the order of the rotation."""
    rotate = f"zonesync dkim rotate {command or spec.zone}"
    overlap = spec.rotation.overlap_days
    nexts = [d for d in spec.dkim if d.state == "next"]
    if len(nexts) > 1:
        return Step("none", refusal="two selectors are `state: next`: one rotation at a time; remove one")
    if nexts:
        new = nexts[0]
        if new.published is None:
            return Step("served", new, replaced_by(spec, new))
        old = replaced_by(spec, new)
        if old is None:
            return Step(
                "switch",
                new,
                refusal=f"cannot tell which active selector {new.selector} replaces: keep one active selector of "
                "the same kind of key",
            )
        return Step("switch", new, old)
    retiring = [d for d in spec.dkim if d.state == "retiring"]
    if retiring:
        d = retiring[0]
        end = overlap_end(d, overlap)
        if end is None:
            return Step("revoke", d, refusal=f"selector {d.selector} has no `retiring_since:`: add it")
        if today < end:
            day = _days(d.retiring_since.day, today) if d.retiring_since else 0
            return Step(
                "revoke",
                d,
                refusal=f"selector {d.selector} is on day {day} of its {overlap}-day overlap: mail signed with it may "
                f"still be in transit; revoke it on or after {end.isoformat()} (run `{rotate} --next` again then)",
            )
        return Step("revoke", d)
    revoked = [d for d in spec.dkim if d.state == "revoked"]
    if revoked:
        d = revoked[0]
        since = d.revoked_since.day if d.revoked_since is not None else today
        if today <= since:
            return Step(
                "delete",
                d,
                refusal=f"selector {d.selector} was revoked today: let the empty key be served, and delete it in a "
                f"later run (from {(since + datetime.timedelta(days=1)).isoformat()})",
            )
        return Step("delete", d)
    return Step("none", message=f"no rotation in progress: start one with `{rotate}`")
