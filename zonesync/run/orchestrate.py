"""Thin orchestration: zone files -> desired records -> (live zone) -> plans -> applied changes.

Each step is a function of its own module (loader, mail, validate, differ, provider, planfile); this module
only strings them together and runs zones concurrently. One apply flow (`apply`) serves both `apply` from
zone files and `apply PLAN.json`. It returns values and prints nothing: the command layer shows them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from zonesync.errors import InvalidZoneError, StalePlanError, ZoneFileError, ZonesyncError
from zonesync.mail.check_scope import outside_mail
from zonesync.model import IgnoreRule
from zonesync.plan.desired import Desired, build_desired
from zonesync.plan.differ import diff
from zonesync.plan.model import ApplyReport, Plan, ZonePlan
from zonesync.plan.zone_lock import DEFAULT_LEASE, DEFAULT_TIMEOUT, POLL_SECONDS, LockRecord, LockSession
from zonesync.run import worker_steps
from zonesync.zonefile.all_errors import collect, raise_all
from zonesync.zonefile.config import ZoneConfig
from zonesync.zonefile.load import load_each

if TYPE_CHECKING:
    from zonesync.mail import GeneratedKey
    from zonesync.model import ZoneInfo
    from zonesync.plan import safety
    from zonesync.plan.dnssec import DnssecPlan
    from zonesync.plan.model import LiveZone, WorkerPlan
    from zonesync.plan.saved_plan import SavedPlan, SavedZone
    from zonesync.run.provider import Provider

T = TypeVar("T")

MAX_WORKERS = 8
"""Zones read, planned and applied at a time."""
R = TypeVar("R")


def validate_paths(paths: Sequence[str | Path]) -> tuple[list[ZoneConfig], list[Desired]]:
    """`validate`: every file loaded and every zone that loads checked, then all their errors raised
    together (InvalidZoneError), sorted by file and line."""
    from zonesync.plan.safety import limits_for

    configs, errors = load_each(paths)

    def check(cfg: ZoneConfig) -> Desired:
        desired = build_desired(cfg, None)
        limits_for(cfg)  # a malformed max_changes is bad input too
        return desired

    try:
        desired = collect(check, configs)
    except (InvalidZoneError, ZoneFileError) as exc:
        raise_all([*errors, exc])
    raise_all(errors)
    return configs, desired


def parallel(func: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """Map over zones concurrently, results in input order (so output order is stable)."""
    if len(items) <= 1:
        return [func(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor  # (and logging): not for one zone, nor `validate`

    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(items))) as pool:
        return list(pool.map(func, items))


def resolve_zones(provider: Provider, configs: Sequence[ZoneConfig]) -> dict[str, ZoneInfo]:
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


def make_zone_plan(
    config: ZoneConfig,
    live: LiveZone,
    desired: Desired,
    workers: WorkerPlan | None = None,
    dnssec: DnssecPlan | None = None,
) -> ZonePlan:
    result = diff(desired.records, live.records, config.zone, config.ignore)
    if desired.worker is not None and workers is not None:
        worker_steps.check_host(config, desired.worker.hostname, live, result.ignored, workers)
    return ZonePlan(
        zone=config.zone,
        path=config.path,
        zone_id=live.zone.id,
        changes=result.changes,
        live_count=len(live.records) + len(live.skipped),
        saved_fingerprint=None,
        skipped=live.skipped,
        ignored=len(result.ignored),
        warnings=desired.warnings,
        desired_count=len(desired.records),
        workers=workers,
        dnssec=dnssec,
        managed=result.managed,
    )


def plan_zone(provider: Provider, config: ZoneConfig, zone: ZoneInfo) -> ZoneWork:
    # A zone no mail check concerns builds the same desired records whatever is live: built before the wait
    # for its listing, which then hides that work.
    desired = build_desired(config, None) if outside_mail(config) else None
    live = provider.list_records(zone)
    if desired is None:
        desired = build_desired(config, live.records)
    workers = worker_steps.plan_workers(provider, zone, live, desired)
    dnssec = plan_dnssec(provider, config, zone)
    return ZoneWork(config, live, desired, make_zone_plan(config, live, desired, workers, dnssec))


def plan_dnssec(provider: Provider, config: ZoneConfig, zone: ZoneInfo) -> DnssecPlan | None:
    """`dnssec:` against Cloudflare's state; None (nothing read) when the zone file has no such key. Before
    disabling an active zone, the parent is asked whether it still publishes the DS (`zonesync.verify.parent_ds`)."""
    if config.dnssec is None:
        return None
    from zonesync.plan.dnssec import DnssecPlan

    plan = DnssecPlan(config.dnssec, provider.dnssec(zone.name).read(zone.id, zone.name))
    if plan.action == "disable" and plan.live.status == "active":
        from zonesync.verify.parent_ds import lookup

        found, detail = lookup(zone.name)
        plan = DnssecPlan(plan.wanted, plan.live, found, detail)
    return plan


def plan_all(
    provider: Provider,
    configs: Sequence[ZoneConfig],
    on_zone_done: Callable[[], None] | None = None,
) -> list[ZoneWork]:
    """Every zone planned, 8 at a time; `on_zone_done` is called as each one is (progress)."""
    zones = resolve_zones(provider, configs)

    def one(cfg: ZoneConfig) -> ZoneWork:
        work = plan_zone(provider, cfg, zones[cfg.zone])
        if on_zone_done is not None:
            on_zone_done()
        return work

    return collect(one, configs, parallel)


def with_new_keys(work: ZoneWork) -> ZoneWork:
    """Generate the DKIM keys a plan is waiting for, then re-plan the zone against the same live records."""
    desired = build_desired(work.config, work.live.records, generate_keys=True)
    plan = make_zone_plan(work.config, work.live, desired, work.plan.workers, work.plan.dnssec)
    return ZoneWork(work.config, work.live, desired, plan)


# -- apply: one flow for zone files and saved plans ---------------------------------------------------------


@dataclass(frozen=True)
class ZoneApply:
    """One zone ready to apply: its plan, the live zone it goes to, the safety limits it is held to, and,
    when it was planned from a zone file now, the work apply re-plans with newly generated DKIM keys."""

    plan: ZonePlan
    zone: ZoneInfo
    limits: safety.Limits
    work: ZoneWork | None = None
    lock: LockRecord | None = None
    """The zone lock record the plan's listing (or the staleness check's) showed."""
    ignore: tuple[IgnoreRule, ...] = ()
    """The ignore rules the plan was made with (to tell whether the zone changed while waiting)."""


@dataclass(frozen=True)
class Locking:
    """How apply treats the zone lock (`zonesync.plan.zone_lock`): how long it waits for another run's lock,
    how long its own hold lasts without a refresh; the clock and sleep (replaceable in tests)."""

    timeout: float = DEFAULT_TIMEOUT
    lease: int = DEFAULT_LEASE
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    interrupted: Callable[[], bool] = lambda: False
    """True once the user asked to stop (SIGINT): no batch is started after that, the lock is given back."""


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


def plan_for_apply(
    provider: Provider,
    configs: Sequence[ZoneConfig],
    on_zone_done: Callable[[], None] | None = None,
) -> list[ZoneApply]:
    """Plan every zone file against its live zone, now."""
    works = plan_all(provider, configs, on_zone_done)
    from zonesync.plan import safety  # apply only

    return [
        ZoneApply(w.plan, w.live.zone, safety.limits_for(w.config), w, w.live.lock, w.config.ignore)
        for w in works
    ]


def check_stale(
    provider: Provider, saved: SavedPlan, locks: dict[str, LockRecord | None] | None = None
) -> dict[str, ZoneInfo]:
    """Re-read every zone the plan changes; raise StalePlanError naming each stale zone. `locks` receives
    each zone's lock record as read."""
    from zonesync.plan.saved_plan import stale_reason  # only `apply PLAN.json` needs the saved-plan format

    todo = [z for z in saved.zones if z.plan.has_changes]
    if not todo:
        return {}
    found = provider.find_zones([z.plan.zone for z in todo])

    def one(z: SavedZone) -> str | None:
        info = found.get(z.plan.zone)
        if info is None or info.id != z.plan.zone_id:
            return stale_reason(z, info, None)
        live = provider.list_records(info)
        if locks is not None:
            locks[z.plan.zone] = live.lock
        return (
            stale_reason(z, info, live)
            or worker_steps.stale_reason(provider, info, z.plan)
            or dnssec_stale(provider, info, z.plan)
        )

    problems = [p for p in parallel(one, todo) if p]
    if problems:
        raise StalePlanError("\n".join(problems) + f"\n{saved.path}: refused; nothing was applied.")
    return found


def dnssec_stale(provider: Provider, zone: ZoneInfo, plan: ZonePlan) -> str | None:
    """The DNSSEC part of a saved plan: Cloudflare's state changed since the plan was made."""
    if plan.dnssec_action is None or plan.dnssec is None:
        return None
    live = provider.dnssec(zone.name).read(zone.id, zone.name)
    if live.status != plan.dnssec.live.status:
        return (
            f"{plan.zone}: DNSSEC is {live.status} now, {plan.dnssec.live.status} when the plan was made; run "
            "`zonesync plan --out` again and review the new plan"
        )
    return None


def saved_for_apply(provider: Provider, saved: SavedPlan) -> list[ZoneApply]:
    """The zones of a saved plan that change something, once every one is checked to be still current."""
    locks: dict[str, LockRecord | None] = {}
    found = check_stale(provider, saved, locks)
    return [
        ZoneApply(z.plan, found[z.plan.zone], z.limits, None, locks.get(z.plan.zone), z.ignore)
        for z in saved.zones
        if z.plan.has_changes
    ]


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
    provider: Provider,
    zones: Sequence[ZoneApply],
    *,
    confirm: Callable[[], None],
    force: bool = False,
    no_new_keys: bool = False,
    batch_size: int | None = None,
    on_zone_done: Callable[[], None] | None = None,
    locking: Locking | None = None,
) -> list[ZoneOutcome]:
    """Check every zone against its safety limits (and `--no-new-keys`), ask `confirm` (which raises to
    stop), then apply the zones that change something, concurrently, each under its zone lock
    (`locking`; default `Locking()`). Nothing is written unless every zone passes the checks."""
    from zonesync.plan import safety  # apply only: a plan loads it when a zone changes

    safety.enforce(((z.plan, z.limits) for z in zones), force)
    if no_new_keys:
        refuse_new_keys(zones)
    confirm()
    todo = [z for z in zones if z.plan.has_changes]

    locking = locking or Locking()

    def one(z: ZoneApply) -> ZoneOutcome:
        outcome = apply_zone(provider, z, batch_size, locking)
        if on_zone_done is not None:
            on_zone_done()
        return outcome

    return parallel(one, todo)


def apply_zone(
    provider: Provider,
    target: ZoneApply,
    batch_size: int | None,
    locking: Locking | None = None,
) -> ZoneOutcome:
    """Generate the DKIM keys the plan waits for (kept even if publishing then fails, so the next apply
    publishes them), then apply the zone's changes batch by batch under the zone lock: when another run
    holds it, wait for it (up to `locking.timeout`), then apply only if the zone is still as planned."""
    work, plan = target.work, target.plan
    generated: tuple[GeneratedKey, ...] = ()
    if work is not None and work.desired.pending:
        work = with_new_keys(work)
        plan, generated = work.plan, work.desired.generated
    locking = locking or Locking()
    session = LockSession(target.lock, lease=locking.lease)
    deadline = locking.clock() + locking.timeout
    seen = target.lock
    if seen is not None and seen.held_by_other(session.holder, locking.clock()):
        report = settle_wait(provider, target, plan, session, locking, deadline)
    else:
        report = None
    while report is None:
        report = apply_plan(provider, target.zone, plan, batch_size, session, locking.interrupted)
        if session.contended:  # another run took the lock first: nothing of this run was written
            session.contended = False
            report = settle_wait(provider, target, plan, session, locking, deadline)
    return ZoneOutcome(plan.zone, generated, report, plan.counts())


def settle_wait(
    provider: Provider,
    target: ZoneApply,
    plan: ZonePlan,
    session: LockSession,
    locking: Locking,
    deadline: float,
) -> ApplyReport | None:
    """Wait until no other run holds the zone lock, then read the zone: None (apply now, replacing the
    lock record read now) when it is still what the plan was made from, else a report saying why nothing
    was written (timeout, or stale: exit 3). Also where a first batch that failed on the lock (another
    apply landed since this run's read) ends: a zone-file apply is not planned again here, as the user
    confirmed (or the pipeline reviewed) this plan and no other."""
    from zonesync.plan.differ import split_ignored
    from zonesync.plan.model import fingerprint

    zone = target.zone
    report = ApplyReport(zone.name)
    while True:
        current = provider.read_lock(zone)
        now = locking.clock()
        if current is None or not current.held_by_other(session.holder, now):
            break
        if locking.interrupted():
            report.error = "interrupted while waiting for the zone lock: nothing was written"
            report.not_applied.extend(plan.changes)
            return report
        if now >= deadline:
            report.error = (
                f"the zone is locked by another zonesync apply (run {current.holder}, lock held until "
                f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(current.expires))}); waited "
                f"{locking.timeout:g} s (--lock-timeout): nothing was written"
            )
            report.not_applied.extend(plan.changes)
            return report
        locking.sleep(max(0.05, min(POLL_SECONDS, current.expires - now + 0.5, deadline - now)))
    live = provider.list_records(zone)
    managed, _ = split_ignored(live.records, target.ignore, zone.name)
    if fingerprint(managed) != plan.fingerprint:
        report.stale = True
        report.error = (
            "the zone changed since it was planned (another zonesync run applied to it meanwhile): "
            "nothing was written; plan again"
        )
        report.not_applied.extend(plan.changes)
        return report
    session.current = live.lock
    if live.lock is not None and live.lock.held_by_other(session.holder, locking.clock()):
        return settle_wait(provider, target, plan, session, locking, deadline)
    return None


def apply_plan(
    provider: Provider,
    zone: ZoneInfo,
    plan: ZonePlan,
    batch_size: int | None,
    session: LockSession,
    interrupted: Callable[[], bool] | None = None,
) -> ApplyReport:
    """The zone's DNS (and Worker) changes under `session`; the last batch leaves the lock free. A failure
    that leaves it held gives it back with one more batch (the lock's patch alone), else other runs wait
    for it to expire."""
    if plan.worker_changes:
        report = worker_steps.apply_with_workers(provider, zone, plan, batch_size, session, interrupted)
    else:
        report = provider.apply(zone, plan.changes, batch_size, session, interrupted=interrupted)
    if plan.dnssec_action is not None:
        apply_dnssec(provider, zone, plan, report)
    if session.held is not None:
        back = provider.apply(zone, (), None, session)
        if back.error is not None:
            report.notes.append(f"giving the zone lock back failed ({back.error}); it expires on its own")
    return report


def apply_dnssec(provider: Provider, zone: ZoneInfo, plan: ZonePlan, report: ApplyReport) -> None:
    """Turn DNSSEC on or off once the zone's records are in (never after a failed batch); the outcome, and
    while pending the DS to give the registrar, becomes a note of the report."""
    action = plan.dnssec_action
    if report.error is not None:
        report.notes.append(f"DNSSEC not {action}d: the record changes failed first")
        return
    try:
        state = provider.dnssec(zone.name).set(zone.id, zone.name, action == "enable")
    except ZonesyncError as exc:
        report.error = exc.message
        return
    note = f"DNSSEC {action}d: Cloudflare says {state.status}"
    if state.status == "pending" and state.ds is not None:
        note += f"; give the registrar this DS record: {state.ds.text} (docs/dnssec.md)"
    elif state.status == "pending-disabled":
        note += "; remove the DS record at the registrar now"
    report.notes.append(note)
