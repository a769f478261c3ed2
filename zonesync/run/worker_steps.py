"""The Worker steps of a run (`mail.mta_sts.host: worker`), in the order a run takes them: read and diff the
Worker while planning (`plan_workers`), check that nothing unmanaged holds its hostname (`check_host`),
tell whether a saved plan's Worker changed since (`stale_reason`), and apply its changes between the two
parts of the zone's DNS changes (`apply_with_workers`). The diff and the order are pure
(`zonesync.plan.worker`); the Workers calls are the provider's (`zonesync.cloudflare.workers_api`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from zonesync.errors import ZonesyncError
from zonesync.mail import mta_sts
from zonesync.plan.model import ApplyReport

if TYPE_CHECKING:
    from zonesync.model import Record, ZoneInfo
    from zonesync.plan.desired import Desired
    from zonesync.plan.model import LiveZone, WorkerPlan, ZonePlan
    from zonesync.plan.zone_lock import LockSession
    from zonesync.run.provider import Provider
    from zonesync.zonefile.config import ZoneConfig


def plan_workers(provider: Provider, zone: ZoneInfo, live: LiveZone, desired: Desired) -> WorkerPlan | None:
    """The Worker's plan: read and diffed only where one is wanted, or where Cloudflare's record for a Worker
    custom domain sits at the policy host (so zones without one cost no Workers request and need no
    permission); None elsewhere. Raises ZonesyncError (an unknown account) or ApiError (the reads)."""
    from zonesync.cloudflare.records import WORKER_RECORD_REASON  # (loaded by the listing: not for validate)

    hostname = mta_sts.policy_host(zone.name)
    has_domain = any(s.name == hostname and s.reason == WORKER_RECORD_REASON for s in live.skipped)
    if desired.worker is None and not has_domain:
        return None
    if not zone.account_id:
        raise ZonesyncError(
            f"{zone.name}: the zone's account is unknown (no account.id), so its Workers cannot be read"
        )
    from zonesync.plan import worker  # here: a zone without a Worker, the common case, never loads it

    names = (desired.worker.script.name,) if desired.worker else ()
    live_workers = provider.workers(zone.name).read(zone.account_id, hostname, names, zone.name)
    return worker.plan(desired.worker, live_workers)


def check_host(
    config: ZoneConfig, hostname: str, live: LiveZone, ignored: Sequence[Record], workers: WorkerPlan
) -> None:
    """Before attaching the custom domain: raises ZonesyncError when a live A, AAAA or CNAME at its hostname
    that zonesync does not manage (ignored by a rule, or managed by Cloudflare) would make Cloudflare refuse
    it (409 100117)."""
    if not any(w.kind == "domain" and w.action == "create" for w in workers.changes):
        return
    from zonesync.cloudflare.records import WORKER_RECORD_REASON
    from zonesync.plan import worker

    unmanaged = [(r.name, r.type, r.value) for r in ignored]
    unmanaged += [(s.name, s.type, s.content) for s in live.skipped if s.reason != WORKER_RECORD_REASON]
    blocking = worker.holding_the_name(hostname, unmanaged)
    if blocking:
        listed = ", ".join(f"{name} {rtype} {value}" for name, rtype, value in blocking)
        raise ZonesyncError(
            f"{config.path}: mail.mta_sts.host: worker needs {hostname} for the Worker custom domain, but the "
            f"live record {listed} is not managed by zonesync (an `ignore` rule or Cloudflare keeps it), and "
            "Cloudflare refuses a custom domain over it (409 100117): delete it, or narrow the ignore rule so "
            "zonesync deletes it first"
        )


def stale_reason(provider: Provider, zone: ZoneInfo, plan: ZonePlan) -> str | None:
    """Why the Worker part of a saved plan no longer holds (its script or custom domain changed since: a
    dashboard edit, a redeploy), or None. Raises ApiError (the read)."""
    if plan.workers is None:
        return None
    from zonesync.plan import worker

    live = provider.workers(zone.name).read(
        zone.account_id, plan.workers.hostname, plan.workers.scripts, zone.name
    )
    if worker.fingerprint(live) != plan.workers.fingerprint:
        names = ", ".join(plan.workers.scripts) or plan.workers.hostname
        return (
            f"{plan.zone}: the Worker serving the MTA-STS policy ({names}) changed since the plan was made "
            "(edited or redeployed outside zonesync); run `zonesync plan --out` again and review the new plan"
        )
    return None


def apply_with_workers(
    provider: Provider,
    zone: ZoneInfo,
    plan: ZonePlan,
    batch_size: int | None,
    session: LockSession | None = None,
    interrupted: Callable[[], bool] | None = None,
) -> ApplyReport:
    """DNS changes that must come first, then the script and custom domain (in `worker.order`), then the
    other DNS changes (`worker.split_dns`): the `_mta-sts` record never announces a policy that is not
    served. With a lock, the first DNS part takes it (a batch of its own if there is no such change) and
    the second gives it back. Returns the report of all three parts; a failure stops the parts after it."""
    from zonesync.plan import worker

    assert plan.workers is not None
    before, after = worker.split_dns(
        plan.changes, plan.workers.changes, plan.workers.hostname, mta_sts.record_name(zone.name)
    )
    if before or session is not None:
        report = provider.apply(zone, before, batch_size, session, release=False, interrupted=interrupted)
    else:
        report = ApplyReport(zone.name)
    if report.error is None:
        try:
            changes = worker.order(plan.workers.changes)
            provider.workers(zone.name).apply(zone.account_id, zone.name, zone.id, changes)
        except ZonesyncError as exc:
            report.error = exc.message
    if report.error is not None:
        report.not_applied.extend(after)
        return report
    if after or session is not None:
        rest = provider.apply(zone, after, batch_size, session, interrupted=interrupted)
    else:
        rest = ApplyReport(zone.name)
    report.batches += rest.batches
    report.applied.extend(rest.applied)
    report.not_applied.extend(rest.not_applied)
    report.error = rest.error
    return report
