"""The values `mail_records` returns (light: no cryptography or dnspython, so the CLI starts fast)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from zonesync.model import Diagnostic, Record

if TYPE_CHECKING:  # annotations only: importing the result loads no key or spec code
    from zonesync.mail import dkim
    from zonesync.mail.mta_sts_worker import DesiredWorker
    from zonesync.mail.spec import DkimSpec


@dataclass(frozen=True)
class GeneratedKey:
    """A key pair `mail_records(..., generate_keys=True)` wrote: the private key must reach the mail server."""

    selector: str
    algorithm: str
    private_key: Path
    public_key: Path


@dataclass(frozen=True)
class MailResult:
    records: tuple[Record, ...]
    """The expansion; each Record.source has origin "mail:<section>" (mail:mx, mail:hosts, mail:spf,
    mail:dkim, mail:dmarc, mail:mta_sts, mail:tls_rpt). A DKIM record whose key apply would generate
    has pending=True and a placeholder value."""
    diagnostics: tuple[Diagnostic, ...]
    """Errors and warnings of every mail check (including collisions with config.records)."""
    generated: tuple[GeneratedKey, ...]
    """Key pairs written by this call (only with generate_keys=True)."""
    key_states: tuple[KeyState, ...] = ()
    """Per selector: where its public key came from (for `dkim show` and `explain`)."""
    worker: DesiredWorker | None = None
    """The Worker that serves the MTA-STS policy (`mail.mta_sts.host: worker`), else None."""

    @property
    def pending(self) -> tuple[Record, ...]:
        return tuple(r for r in self.records if r.pending)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.level == "error")


@dataclass(frozen=True)
class KeyState:
    """What is known about one selector's key after looking at files and the live zone."""

    spec: DkimSpec
    value: str  # the TXT value to publish (placeholder when pending)
    pending: bool
    origin: str  # where the public key came from, in words
    key: dkim.PublicKey | None
    diagnostics: tuple[Diagnostic, ...] = ()
    generated: GeneratedKey | None = None

    @property
    def private_key(self) -> Path:
        return self.spec.private_key
