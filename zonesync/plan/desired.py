"""The desired zone: a zone file's records plus the mail expansion, checked together. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zonesync.errors import InvalidZoneError
from zonesync.model import Diagnostic, Record
from zonesync.plan.desired_checks import check_record_set
from zonesync.plan.differ import is_ignored
from zonesync.zonefile.all_errors import collect
from zonesync.zonefile.config import ZoneConfig
from zonesync.zonefile.record_limits import check_records

if TYPE_CHECKING:  # annotations only: a zone without mail never loads the mail checks' modules
    from zonesync.mail.mta_sts_worker import DesiredWorker
    from zonesync.mail.result import GeneratedKey


@dataclass(frozen=True)
class Desired:
    records: tuple[Record, ...]
    warnings: tuple[Diagnostic, ...]
    generated: tuple[GeneratedKey, ...] = ()
    worker: DesiredWorker | None = None

    @property
    def pending(self) -> tuple[Record, ...]:
        return tuple(r for r in self.records if r.pending)


def build_desired(
    config: ZoneConfig, live: Sequence[Record] | None, *, generate_keys: bool = False
) -> Desired:
    """User records plus the mail expansion, checked together. Raises InvalidZoneError on any error."""
    records = list(config.records)
    diagnostics: list[Diagnostic] = []
    generated: tuple[GeneratedKey, ...] = ()
    # Always: without a `mail:` block this still checks hand-written SPF, DKIM, DMARC, MTA-STS and MX
    # records, where a typo silently breaks mail.
    from zonesync.mail import mail_records

    # mail_records sets the levels: without a block most findings only warn (the records are the user's
    # own), but a broken SPF/DMARC/... record this plan would publish is an error either way.
    result = mail_records(config, live, generate_keys=generate_keys)
    records.extend(result.records)
    diagnostics.extend(result.diagnostics)
    generated = result.generated
    diagnostics.extend(check_record_set(records, config.zone))
    diagnostics.extend(check_records(records, config.enterprise))
    for rec in config.records:
        if is_ignored(rec, config.ignore, config.zone):
            src = rec.source or config.source()
            diagnostics.append(
                Diagnostic(
                    "error", src, f"{rec.name} {rec.type} is declared but also matched by an `ignore` rule"
                )
            )
    errors = [d for d in diagnostics if d.level == "error"]
    if errors:
        raise InvalidZoneError(errors)
    warnings = tuple(d for d in diagnostics if d.level == "warning")
    return Desired(tuple(records), warnings, generated, result.worker)


def validate_offline(configs: Sequence[ZoneConfig]) -> list[Desired]:
    """The desired records of every zone, checked offline; raises InvalidZoneError with every zone's errors."""
    return collect(lambda cfg: build_desired(cfg, None), configs)
