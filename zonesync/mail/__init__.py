"""The `mail:` block: expands a few lines into a checked MX/SPF/DKIM/DMARC/MTA-STS/TLS-RPT record set.

Entry point for the orchestration: `mail_records(config, live, generate_keys=...)` -> MailResult. Parsing
(`spec`), expansion (`expand`) and checks (`checks`) are pure; only `keys` touches the disk.

A zone that has nothing for the mail checks to read (`check_scope.outside_mail`) gets the empty result
without running them.

Imports: the model and `zonesync.zonefile` (and libraries); never plan, cloudflare, run, verify, reports,
render or cli.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from zonesync.mail.check_scope import outside_mail
from zonesync.mail.keys import KeyState
from zonesync.mail.records import mail_records as expand_and_check
from zonesync.mail.records import mail_spec, policy_for
from zonesync.mail.result import GeneratedKey, MailResult
from zonesync.mail.spec import MailSpec

if TYPE_CHECKING:
    from zonesync.model import Record
    from zonesync.zonefile.config import ZoneConfig

__all__ = ["GeneratedKey", "KeyState", "MailResult", "MailSpec", "mail_records", "mail_spec", "policy_for"]


def mail_records(config: ZoneConfig, live: Sequence[Record] | None, *, generate_keys: bool) -> MailResult:
    """`zonesync.mail.records.mail_records` (see there); the empty result, without running the checks, for a
    zone where none of them can find anything."""
    if outside_mail(config):
        return MailResult((), (), ())
    return expand_and_check(config, live, generate_keys=generate_keys)
