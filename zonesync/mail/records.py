"""`mail_records`: the orchestration's entry point (re-exported by `zonesync.mail`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from zonesync.base.clock import today
from zonesync.mail.checks import check_all, check_live_replacements, check_user_records
from zonesync.mail.dane import check_dane
from zonesync.mail.dane_keys import DanePins, resolve_pins
from zonesync.mail.expand import DkimValue, expand, keep_live_spelling, mx_hosts, sts_policy
from zonesync.mail.keys import resolve
from zonesync.mail.result import KeyState, MailResult
from zonesync.mail.rotation import REVOKED_VALUE, check_rotation
from zonesync.mail.spec import MailSpec, parse_mail
from zonesync.model import Diagnostic, Record

if TYPE_CHECKING:
    from zonesync.mail.mta_sts_worker import DesiredWorker
    from zonesync.zonefile.config import ZoneConfig


def mail_spec(config: ZoneConfig) -> MailSpec | None:
    """The parsed block (ZoneFileError on malformed structure), None without one."""
    return parse_mail(config.mail, config.zone, config.path, config.mail_line, config.base_dir, config.ttl)


def mail_records(config: ZoneConfig, live: Sequence[Record] | None, *, generate_keys: bool) -> MailResult:
    """The records the `mail:` block expands to, every mail check, and (at apply) new DKIM keys.

    `live` is the zone as published (canonical records) or None offline. DKIM public keys come from the
    key file, `<key>.pub`, maddy's `.dns` file, then the live record; a live record holding the same key
    (SPKI or PKCS#1) is returned verbatim so it shows no change. With no key anywhere, the record is
    `pending` unless `generate_keys`, which writes a new pair (never over an existing file).
    """
    spec = mail_spec(config)
    states: tuple[KeyState, ...] = ()
    records: tuple[Record, ...] = ()
    dane: tuple[DanePins, ...] = ()
    if spec is not None:
        states = tuple(
            resolve(d, config.zone, live, generate=generate_keys and d.generate)
            for d in spec.dkim
            if d.state != "revoked"  # published with an empty key: no key file needed
        )
        values = {s.spec.selector: DkimValue(s.value, s.pending) for s in states}
        values.update({d.selector: DkimValue(REVOKED_VALUE) for d in spec.dkim if d.state == "revoked"})
        dane = tuple(resolve_pins(h, spec.ttl) for h in spec.dane)
        pins = {d.host.host: d.pins for d in dane}
        records = keep_live_spelling(expand(spec, values, config.records, pins), live)
    diagnostics = check_all(spec, records, config.records, config.zone, states, live)
    if spec is not None and spec.dane:
        diagnostics += check_dane(spec.dane, mx_hosts(spec, config.records, config.zone), config.zone)
        diagnostics += [diag for d in dane for diag in d.diagnostics]
    if spec is not None:
        diagnostics += _keys_the_server_makes(spec, states)
        if spec.dkim:
            diagnostics += check_rotation(spec, today(), live, str(config.path))
    if config.mail is None:  # without the block the records are the user's own: their checks only warn
        diagnostics = [Diagnostic("warning", d.source, d.message) for d in diagnostics]
    # Syntax of hand-written mail records: an error when this plan publishes it, a warning when it is
    # live and unchanged (with or without a block).
    diagnostics += check_user_records(config.records, config.zone, live)
    diagnostics += check_live_replacements([*config.records, *records], live, config.zone)
    generated = tuple(s.generated for s in states if s.generated is not None)
    return MailResult(records, tuple(diagnostics), generated, states, desired_worker(spec, config))


def desired_worker(spec: MailSpec | None, config: ZoneConfig) -> DesiredWorker | None:
    """The Worker serving the MTA-STS policy when the block says `mta_sts.host: worker`."""
    if spec is None or spec.mta_sts is None or spec.mta_sts.host != "worker" or spec.mta_sts.script is None:
        return None
    from zonesync.mail import mta_sts
    from zonesync.mail.mta_sts_worker import DesiredWorker, Script, worker_script

    policy = sts_policy(spec, config.records)
    assert policy is not None
    script = Script(spec.mta_sts.script, worker_script(config.zone, policy))
    return DesiredWorker(script, mta_sts.policy_host(config.zone), spec.mta_sts.source)


def policy_for(config: ZoneConfig) -> str | None:
    """The MTA-STS policy file for a zone, or None when its block has no `mta_sts`."""
    spec = mail_spec(config)
    return None if spec is None else sts_policy(spec, config.records)


def _keys_the_server_makes(spec: MailSpec, states: Sequence[KeyState]) -> list[Diagnostic]:
    """A selector of a server that makes its own keys (Stalwart, mox) has no key anywhere: zonesync must
    not invent one the server would never sign with."""
    return [
        Diagnostic(
            "error",
            s.spec.source,
            f"no key for DKIM selector {s.spec.selector!r}: {spec.preset} makes its own keys, so zonesync publishes "
            f"the one it made and never generates one; put its public key in {s.spec.private_key}.pub (the server's "
            "DNS records page shows it), or publish it and run `zonesync import --mail`",
        )
        for s in states
        if s.pending and not s.spec.generate
    ]
