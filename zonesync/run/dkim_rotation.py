"""`zonesync dkim rotate`: start a DKIM key rotation, or take its next step, editing the zone file.

Orchestration: reads the zone file, asks `zonesync.mail.rotation` what comes next, generates the new key
pair (`zonesync.mail.keys`: 0600, atomic, never over an existing file), checks with verify's DKIM check that
a key (or its revocation) is served by every authoritative nameserver before a step that depends on it, and
writes the state change into the zone file with `zonesync.zonefile.edit` (every other line kept). Nothing is
published here: `apply` does that from the edited file. Returns what happened in words; prints nothing.
"""

from __future__ import annotations

import asyncio
import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zonesync.base.clock import today
from zonesync.errors import ZonesyncError
from zonesync.mail import dkim as dkim_mod
from zonesync.mail import key_git
from zonesync.mail.keys import resolve
from zonesync.mail.presets import PRESET_INFO
from zonesync.mail.records import mail_spec
from zonesync.mail.rotation import Step, next_step, overlap_end, selector_name
from zonesync.mail.signer_switch import switch_instructions
from zonesync.mail.spec import DkimSpec, MailSpec
from zonesync.verify.result import NetOptions, Status
from zonesync.zonefile.config import ZoneConfig
from zonesync.zonefile.edit import YamlEdit, ZoneEditError, write_atomic
from zonesync.zonefile.load import load_zone_file


class RotationRefused(ZonesyncError):
    """The step cannot be taken (yet): the message says why and what to do."""


@dataclass(frozen=True)
class RotateResult:
    """What a rotate run did: `lines` in words; `switch` the mail server's configuration change, if due."""

    lines: tuple[str, ...]
    switch: str = ""
    written: bool = False


def _load(path: Path) -> tuple[str, ZoneConfig, MailSpec]:
    text = path.read_text(encoding="utf-8")
    config = load_zone_file(path, text)
    spec = mail_spec(config)
    if spec is None or not spec.dkim:
        raise ZonesyncError(
            f"{path}: no DKIM selector to rotate: the `mail:` block has no `dkim:` (or preset)"
        )
    return text, config, spec


def _written_items(config: ZoneConfig) -> list[Any] | None:
    """`mail.dkim` as written in the file (a list), None when the preset supplies it or it is one mapping."""
    mail: dict[str, Any] = config.mail or {}
    value = mail.get("dkim")
    return value if isinstance(value, list) else None


def _index(config: ZoneConfig, selector: str) -> int:
    items = _written_items(config) or []
    for i, item in enumerate(items):
        if isinstance(item, dict) and str(item.get("selector", "default")).lower() == selector:
            return i
    raise ZonesyncError(f"{config.path}: selector {selector} is not written under mail.dkim")


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in item.items()}


def start(
    path: Path, *, selector: str | None = None, algorithm: str | None = None, replace: str | None = None
) -> RotateResult:
    """Start a rotation: a new selector (date-named unless `selector`), its key pair generated when zonesync
    makes the server's keys, and the zone file edited so the next apply publishes it as `next` beside the
    active one (which gets `state: active`). Raises RotationRefused when a rotation is already under way,
    the active selector is ambiguous, or the name is taken or invalid."""
    text, config, spec = _load(path)
    day = today()
    busy = [d for d in spec.dkim if d.state in ("next", "retiring", "revoked")]
    if busy:
        raise RotationRefused(
            f"a rotation is under way (selector {busy[0].selector} is {busy[0].state}): finish it with "
            f"`zonesync dkim rotate {path} --next`"
        )
    active = [d for d in spec.dkim if d.effective_state == "active"]
    if replace is not None:
        active = [d for d in active if d.selector == replace.lower()]
        if not active:
            raise RotationRefused(f"--replace {replace}: no active selector of that name in {path}")
    if len(active) != 1:
        names = ", ".join(d.selector for d in active)
        raise RotationRefused(
            f"several selectors are active ({names}): say which one to replace with --replace"
        )
    old = active[0]
    preset = spec.preset
    if selector is None and preset in PRESET_INFO and PRESET_INFO[preset].server_names_selectors:
        raise RotationRefused(
            f"{preset} makes its own keys and names their selectors: create the new key in {preset} first, then "
            f"run `zonesync dkim rotate {path} --selector <its selector>`"
        )
    taken = [d.selector for d in spec.dkim]
    new_name = (selector or selector_name(day, taken)).lower()
    problem = dkim_mod.selector_problem(new_name)
    if problem is not None:
        raise RotationRefused(problem)
    if new_name in taken:
        raise RotationRefused(f"selector {new_name} is already in mail.dkim: choose another with --selector")
    algo = algorithm or old.algorithm
    entry: dict[str, Any] = {"selector": new_name}
    if algo != "rsa2048":
        entry["algorithm"] = algo
    entry["state"] = "next"

    doc = YamlEdit(text, str(path))
    items = _written_items(config)
    try:
        if items is None:
            raise ZoneEditError("no block list")  # the preset's selectors, or one mapping: write the list
        i = _index(config, old.selector)
        if old.state is None:
            doc.set_scalar(("mail", "dkim", i), "state", "active")
        old_pk = items[i].get("private_key") if isinstance(items[i], dict) else None
        if isinstance(old_pk, str) and old.selector in old_pk:
            entry = {"selector": new_name, "private_key": old_pk.replace(old.selector, new_name), **entry}
        doc.append(("mail", "dkim"), entry)
    except ZoneEditError:
        doc = YamlEdit(text, str(path))
        mail: dict[str, Any] = config.mail or {}
        written = items if items is not None else ([mail["dkim"]] if "dkim" in mail else [])
        current = [_plain(x) for x in written if isinstance(x, dict)] or [{"selector": old.selector}]
        for item in current:
            if str(item.get("selector", "default")).lower() == old.selector:
                item.setdefault("state", "active")
        doc.put(("mail",), "dkim", [*current, entry])

    new_config = load_zone_file(path, doc.text)  # the edit must load, with its file:line errors if not
    new_spec = mail_spec(new_config)
    assert new_spec is not None
    new = next(d for d in new_spec.dkim if d.selector == new_name)
    lines = [f"selector {new.selector} ({new.algorithm}) will be published beside {old.selector} as `next`"]
    if new.generate:
        state = resolve(new, config.zone, None, generate=True)
        errors = [d for d in state.diagnostics if d.level == "error"]
        if errors:
            raise RotationRefused(f"{errors[0].message} (the zone file is unchanged)")
        key_git.ensure_gitignore(new.private_key.parent)
        if state.generated is not None:
            lines.append(
                f"generated a new {new.algorithm} key pair: {state.generated.private_key} (mode 0600; keep it"
            )
            lines.append(f"  secret, it is git-ignored) and {state.generated.public_key} (safe to commit)")
        else:
            lines.append(f"using the existing key {state.origin}")
    else:
        lines.append(
            f"{preset} keeps the key: its public half must be in {new.private_key}.pub (or published)"
        )
    write_atomic(path, doc.text, expected=text)
    lines.append(f"edited {path}: commit it, then `zonesync plan` / `zonesync apply` publishes the new key")
    lines.append(f"once it is served, run `zonesync dkim rotate {path} --next`")
    return RotateResult(tuple(lines), written=True)


def _served(config: ZoneConfig, spec: DkimSpec, net: NetOptions) -> list[str]:
    """What is wrong with `spec`'s record on each authoritative nameserver (empty: served everywhere)."""
    from zonesync.verify.dkim_check import check_served_everywhere
    from zonesync.verify.resolver import Resolver
    from zonesync.verify.runner import build_context

    resolver = Resolver(net)
    try:
        ctx = build_context(config, resolver, net)
        findings = asyncio.run(check_served_everywhere(ctx, spec))
    finally:
        resolver.close()
    if not findings:
        return ["no nameserver answered"]
    return [f"{f.subject}: {f.message}" for f in findings if f.status is not Status.PASS]


def advance(path: Path, net: NetOptions | None = None) -> RotateResult:
    """Take the rotation's next step (see `zonesync.mail.rotation.next_step`), each checked: `next` is
    recorded `published` only once every authoritative nameserver serves its key (then the switch is
    printed); the switch is recorded; the old selector is revoked only after the overlap; a revoked selector
    is removed only once its empty key is served. Raises RotationRefused with the reason otherwise."""
    net = net or NetOptions()
    text, config, spec = _load(path)
    day = today()
    step = next_step(spec, day, str(path))
    if step.refusal is not None:
        raise RotationRefused(step.refusal)
    if step.kind == "none":
        return RotateResult((step.message,))
    assert step.selector is not None
    doc = YamlEdit(text, str(path))
    sel = step.selector
    item = ("mail", "dkim", _index(config, sel.selector))
    rotate = f"zonesync dkim rotate {path} --next"
    switch = ""
    if step.kind == "served":
        problems = _served(config, sel, net)
        if problems:
            raise RotationRefused(
                f"selector {sel.selector} is not served by every authoritative nameserver yet: "
                + "; ".join(problems)
                + f". Run `zonesync apply`, wait for the change to reach them, and run `{rotate}` again"
            )
        doc.set_scalar(item, "published", day)
        old = step.old.selector if step.old else None
        switch = switch_instructions(
            spec.preset, config.zone, sel.selector, old, sel.private_key if sel.generate else None
        )
        lines = [
            f"selector {sel.selector} is served by every authoritative nameserver: recorded `published: {day}`",
            "now switch the mail server to it (below), then run "
            f"`{rotate}` to record the switch (the old key stays published for "
            f"{spec.rotation.overlap_days} days)",
        ]
    elif step.kind == "switch":
        assert step.old is not None
        doc.set_scalar(item, "state", "active")
        doc.set_scalar(item, "active_since", day)
        old_item = ("mail", "dkim", _index(config, step.old.selector))
        doc.set_scalar(old_item, "state", "retiring")
        doc.set_scalar(old_item, "retiring_since", day)
        revoke_on = day + datetime.timedelta(days=spec.rotation.overlap_days)
        lines = [
            f"recorded: the mail server signs with {sel.selector} since {day}; {step.old.selector} is retiring",
            f"{step.old.selector} stays published until the overlap ends: revoke it on or after {revoke_on} with `{rotate}`",
        ]
    elif step.kind == "revoke":
        doc.set_scalar(item, "state", "revoked")
        doc.set_scalar(item, "revoked_since", day)
        ended = overlap_end(sel, spec.rotation.overlap_days)
        lines = [
            f"selector {sel.selector} revoked (the overlap ended on {ended}): the next apply publishes `v=DKIM1; p=`",
            f"after that is served, remove it in a later run with `{rotate}`",
        ]
    else:
        return _delete(path, text, config, spec, step, net, doc, item)
    write_atomic(path, doc.text, expected=text)
    return RotateResult((*lines, f"edited {path}: commit it and apply"), switch, written=True)


def _delete(
    path: Path,
    text: str,
    config: ZoneConfig,
    spec: MailSpec,
    step: Step,
    net: NetOptions,
    doc: YamlEdit,
    item: tuple[str, str, int],
) -> RotateResult:
    sel = step.selector
    assert sel is not None
    problems = _served(config, sel, net)
    if problems:
        raise RotationRefused(
            f"the revocation of {sel.selector} is not served everywhere yet: "
            + "; ".join(problems)
            + ". Run `zonesync apply` and try again"
        )
    active = [d.selector for d in spec.dkim if d.effective_state == "active"]
    if sel.selector in active or not active:  # rotation.next_step never offers it; a last guard
        raise RotationRefused(
            f"refusing to remove {sel.selector}: it is not a revoked selector beside an active one"
        )
    doc.delete_item(item[:2], item[2])
    write_atomic(path, doc.text, expected=text)
    lines = [
        f"removed selector {sel.selector} from {path}: the next apply deletes its record",
        f"its key files ({sel.private_key} and .pub) are no longer needed; zonesync never deletes keys",
        f"the rotation is complete; the next one is due in {spec.rotation.period_days} days",
    ]
    return RotateResult(tuple(lines), written=True)
