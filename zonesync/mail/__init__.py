"""The `mail:` block: expands a few lines into a checked MX/SPF/DKIM/DMARC/MTA-STS/TLS-RPT record set.

Entry point for the orchestration: `mail_records(config, live, generate_keys=...)` -> MailResult. Parsing
(`spec`), expansion (`expand`) and checks (`checks`) are pure; only `keys` touches the disk.

The heavy parts (cryptography, dnspython) load on first use of `mail_records` & co. (PEP 562), so
importing `zonesync.cli.mail` for `zonesync --help` stays cheap; a zone that has nothing for the mail checks
to read (`check_scope.outside_mail`) never loads them.

Imports: the model and `zonesync.zonefile` (and libraries); never plan, cloudflare, run, verify, reports,
render or cli.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from zonesync.mail.check_scope import outside_mail
from zonesync.mail.result import GeneratedKey, MailResult

if TYPE_CHECKING:
    from zonesync.mail.records import mail_spec, policy_for
    from zonesync.mail.result import KeyState
    from zonesync.mail.spec import MailSpec
    from zonesync.model import Record
    from zonesync.zonefile.config import ZoneConfig

__all__ = ["GeneratedKey", "KeyState", "MailResult", "MailSpec", "mail_records", "mail_spec", "policy_for"]

_LAZY = {
    "mail_spec": "zonesync.mail.records",
    "policy_for": "zonesync.mail.records",
    "KeyState": "zonesync.mail.keys",
    "MailSpec": "zonesync.mail.spec",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def mail_records(config: ZoneConfig, live: Sequence[Record] | None, *, generate_keys: bool) -> MailResult:
    """`zonesync.mail.records.mail_records` (see there); the empty result, without loading the checks, for a
    zone where none of them can find anything."""
    if outside_mail(config):
        return MailResult((), (), ())
    from zonesync.mail.records import mail_records as expand_and_check

    return expand_and_check(config, live, generate_keys=generate_keys)
