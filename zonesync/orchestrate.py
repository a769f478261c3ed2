"""Thin orchestration: zone files -> desired records -> (live zone) -> plans -> applied changes.

Each step is a function of its own module (loader, mail, validate, differ, provider, planfile); this module
only strings them together and runs zones concurrently. One apply flow (`apply`) serves both `apply` from
zone files and `apply PLAN.json`. It returns values and prints nothing: the command layer shows them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from zonesync import safety
from zonesync.differ import diff, is_ignored
from zonesync.errors import InvalidZoneError, StalePlanError, ZonesyncError
from zonesync.loader import ZoneConfig, load_zone_file
from zonesync.model import ApplyReport, Diagnostic, Record
from zonesync.plan import Plan, ZonePlan, fingerprint
from zonesync.planfile import SavedPlan, SavedZone, stale_reason
from zonesync.validate import check_record_set

if TYPE_CHECKING:
    from zonesync.mail import GeneratedKey
    from zonesync.providers.cloudflare import CloudflareProvider, LiveZone, ZoneInfo

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 8


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

    # mail_records sets the levels: without a block most findings only warn (the records are the user's
    # own), but a broken SPF/DMARC/... record this plan would publish is an error either way.
    result = mail_records(config, live, generate_keys=generate_keys)
    records.extend(result.records)
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


# -- apply: one flow for zone files and saved plans ---------------------------------------------------------


@dataclass(frozen=True)
class ZoneApply:
    """One zone ready to apply: its plan, the live zone it goes to, the safety limits it is held to, and,
    when it was planned from a zone file now, the work apply re-plans with newly generated DKIM keys."""

    plan: ZonePlan
    zone: ZoneInfo
    limits: safety.Limits
    work: ZoneWork | None = None


@dataclass(frozen=True)
class ZoneOutcome:
    """What applying one zone did: the DKIM keys generated for it, the provider's report, and the counts
    of the plan that was applied (the render layer turns it into lines)."""

    zone: str
    generated: tuple[GeneratedKey, ...]
    report: ApplyReport
    counts: dict[str, int]

    @property
    def failed(self) -> bool:
        return self.report.error is not None


def plan_of(zones: Sequence[ZoneApply]) -> Plan:
    return Plan(tuple(z.plan for z in zones))


def plan_for_apply(provider: CloudflareProvider, configs: Sequence[ZoneConfig]) -> list[ZoneApply]:
    """Plan every zone file against its live zone, now."""
    return [
        ZoneApply(w.plan, w.live.zone, safety.limits_for(w.config), w) for w in plan_all(provider, configs)
    ]


def check_stale(provider: CloudflareProvider, saved: SavedPlan) -> dict[str, ZoneInfo]:
    """Re-read every zone the plan changes; raise StalePlanError naming each stale zone."""
    todo = [z for z in saved.zones if z.plan.has_changes]
    if not todo:
        return {}
    found = provider.find_zones([z.plan.zone for z in todo])

    def one(z: SavedZone) -> str | None:
        info = found.get(z.plan.zone)
        if info is None or info.id != z.plan.zone_id:
            return stale_reason(z, info, None)
        return stale_reason(z, info, provider.list_records(info))

    problems = [p for p in parallel(one, todo) if p]
    if problems:
        raise StalePlanError("\n".join(problems) + f"\n{saved.path}: refused; nothing was applied.")
    return found


def saved_for_apply(provider: CloudflareProvider, saved: SavedPlan) -> list[ZoneApply]:
    """The zones of a saved plan that change something, once every one is checked to be still current."""
    found = check_stale(provider, saved)
    return [ZoneApply(z.plan, found[z.plan.zone], z.limits) for z in saved.zones if z.plan.has_changes]


def refuse_new_keys(zones: Sequence[ZoneApply]) -> None:
    """`--no-new-keys`: a plan waiting for DKIM keys is refused instead of generating them here."""
    pending = [r for z in zones if z.work is not None for r in z.work.desired.pending]
    if pending:
        names = ", ".join(sorted({r.name for r in pending}))
        raise ZonesyncError(
            f"--no-new-keys: no DKIM key exists for {names}; generate it where the mail server can read it "
            "(zonesync dkim generate) and commit the .pub file, or run apply without --no-new-keys"
        )


def apply(
    provider: CloudflareProvider,
    zones: Sequence[ZoneApply],
    *,
    confirm: Callable[[], None],
    force: bool = False,
    no_new_keys: bool = False,
    batch_size: int | None = None,
) -> list[ZoneOutcome]:
    """Check every zone against its safety limits (and `--no-new-keys`), ask `confirm` (which raises to
    stop), then apply the zones that change something, concurrently. Nothing is written unless every zone
    passes the checks."""
    safety.enforce(((z.plan, z.limits) for z in zones), force)
    if no_new_keys:
        refuse_new_keys(zones)
    confirm()
    todo = [z for z in zones if z.plan.has_changes]
    return parallel(lambda z: apply_zone(provider, z, batch_size), todo)


def apply_zone(provider: CloudflareProvider, target: ZoneApply, batch_size: int | None) -> ZoneOutcome:
    """Generate the DKIM keys the plan waits for (kept even if publishing then fails, so the next apply
    publishes them), then apply the zone's changes batch by batch."""
    work, plan = target.work, target.plan
    generated: tuple[GeneratedKey, ...] = ()
    if work is not None and work.desired.pending:
        work = with_new_keys(work)
        plan, generated = work.plan, work.desired.generated
    report = provider.apply(target.zone, plan.changes, batch_size)
    return ZoneOutcome(plan.zone, generated, report, plan.counts())
