"""Thin orchestration: zone files -> desired records -> (live zone) -> plans -> applied changes.

Each step is a function of its own module (loader, mail, validate, differ, provider); this module only
strings them together and runs zones concurrently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from zonesync.differ import diff, is_ignored
from zonesync.errors import ZonesyncError
from zonesync.loader import ZoneConfig, load_zone_file
from zonesync.model import Diagnostic, Record
from zonesync.plan import ZonePlan, fingerprint
from zonesync.validate import check_record_set

if TYPE_CHECKING:
    from zonesync.mail import GeneratedKey
    from zonesync.providers.cloudflare import CloudflareProvider, LiveZone, ZoneInfo

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 8


class InvalidZoneError(ZonesyncError):
    """One line per error, each naming file, line and field."""

    def __init__(self, errors: Sequence[Diagnostic]) -> None:
        self.errors = list(errors)
        lines = [f"{d.source}: {d.message}" for d in errors]
        super().__init__(
            "\n".join(lines) if len(lines) == 1 else f"{len(lines)} errors:\n" + "\n".join(lines)
        )


@dataclass(frozen=True)
class Desired:
    records: tuple[Record, ...]
    warnings: tuple[Diagnostic, ...]
    generated: tuple[GeneratedKey, ...] = ()

    @property
    def pending(self) -> tuple[Record, ...]:
        return tuple(r for r in self.records if r.pending)


def load_configs(paths: Sequence[str | Path]) -> list[ZoneConfig]:
    configs = [load_zone_file(p) for p in paths]
    seen: dict[str, str] = {}
    for cfg in configs:
        if cfg.zone in seen:
            raise ZonesyncError(f"{cfg.path}: zone {cfg.zone} is also declared in {seen[cfg.zone]}")
        seen[cfg.zone] = cfg.path
    return configs


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

    # Without the block those records are the user's own (often imported as they are live): warn only.
    result = mail_records(config, live, generate_keys=generate_keys)
    records.extend(result.records)
    if config.mail is None:
        diagnostics.extend(Diagnostic("warning", d.source, d.message) for d in result.diagnostics)
    else:
        diagnostics.extend(result.diagnostics)
    generated = result.generated
    diagnostics.extend(check_record_set(records, config.zone))
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
    return Desired(tuple(records), warnings, generated)


def validate_offline(configs: Sequence[ZoneConfig]) -> list[Desired]:
    return [build_desired(cfg, None) for cfg in configs]


def parallel(func: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """Map over zones concurrently, results in input order (so output order is stable)."""
    if len(items) <= 1:
        return [func(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(items))) as pool:
        return list(pool.map(func, items))


def resolve_zones(provider: CloudflareProvider, configs: Sequence[ZoneConfig]) -> dict[str, ZoneInfo]:
    zones = provider.find_zones([c.zone for c in configs])
    for cfg in configs:
        if cfg.zone not in zones:
            raise ZonesyncError(
                f"{cfg.path}: zone {cfg.zone} does not exist in this Cloudflare account "
                "(or the API token cannot see it)"
            )
    return zones


@dataclass(frozen=True)
class ZoneWork:
    """Everything computed for one zone: kept together so apply can re-plan with new DKIM keys."""

    config: ZoneConfig
    live: LiveZone
    desired: Desired
    plan: ZonePlan


def make_zone_plan(config: ZoneConfig, live: LiveZone, desired: Desired) -> ZonePlan:
    result = diff(desired.records, live.records, config.zone, config.ignore)
    return ZonePlan(
        zone=config.zone,
        path=config.path,
        zone_id=live.zone.id,
        changes=result.changes,
        live_count=len(live.records) + len(live.skipped),
        fingerprint=fingerprint(result.managed),
        skipped=live.skipped,
        ignored=len(result.ignored),
        warnings=desired.warnings,
        desired_count=len(desired.records),
    )


def plan_zone(provider: CloudflareProvider, config: ZoneConfig, zone: ZoneInfo) -> ZoneWork:
    live = provider.list_records(zone)
    desired = build_desired(config, live.records)
    return ZoneWork(config, live, desired, make_zone_plan(config, live, desired))


def plan_all(provider: CloudflareProvider, configs: Sequence[ZoneConfig]) -> list[ZoneWork]:
    zones = resolve_zones(provider, configs)
    return parallel(lambda cfg: plan_zone(provider, cfg, zones[cfg.zone]), configs)


def with_new_keys(work: ZoneWork) -> ZoneWork:
    """Generate the DKIM keys a plan is waiting for, then re-plan the zone against the same live records."""
    desired = build_desired(work.config, work.live.records, generate_keys=True)
    return ZoneWork(work.config, work.live, desired, make_zone_plan(work.config, work.live, desired))


@dataclass(frozen=True)
class ZoneOutcome:
    """What applying one zone did, as lines for the user (printed in zone order once all are done)."""

    zone: str
    lines: tuple[str, ...]
    failed: bool


def apply_zone(provider: CloudflareProvider, work: ZoneWork, batch_size: int | None) -> ZoneOutcome:
    """Generate the DKIM keys the plan waits for (kept even if publishing then fails, so the next apply
    publishes them), then apply the zone's changes batch by batch."""
    zone = work.config.zone
    if not work.plan.has_changes:
        return ZoneOutcome(zone, (), False)
    lines: list[str] = []
    if work.desired.pending:
        work = with_new_keys(work)
        lines.extend(
            f"{zone}: generated DKIM key '{key.selector}' ({key.algorithm}): private key {key.private_key} "
            f"(mode 0600) — copy it to the mail server; public key {key.public_key}"
            for key in work.desired.generated
        )
    report = provider.apply(work.live.zone, work.plan.changes, batch_size)
    from zonesync.render.text import render_apply

    lines.extend(render_apply(report, work.plan.counts(), "Run apply again to converge."))
    return ZoneOutcome(zone, tuple(lines), report.error is not None)
