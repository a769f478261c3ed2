"""The Worker zonesync deploys for `mail.mta_sts.host: worker`: its model, diff, fingerprint and apply order.
Pure: the provider (`zonesync.cloudflare.workers_api`) reads and writes it.

zonesync owns, per zone, a script (tagged `zonesync`, so a later run knows it may delete it) and the Worker
custom domain `mta-sts.<zone>` bound to it; Cloudflare's own DNS record for that domain (`AAAA 100::`,
read-only, `meta.origin_worker_id`) is Cloudflare's and never touched (facts W5, W7). Changes show in plans
like records (create / update / delete) and are applied in an order that never lets the `_mta-sts` record
announce a policy that is not served: records that hold the name first, then the script, then the domain,
then the rest of the DNS changes; when the Worker goes away, the `_mta-sts` record goes first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from zonesync.mail.mta_sts_worker import TAG, DesiredWorker, Domain, LiveWorkers
from zonesync.plan.model import Change, WorkerChange, WorkerPlan


def scripts_to_read(desired: DesiredWorker | None, domain: Domain | None) -> tuple[str, ...]:
    """The desired script and the one the custom domain serves now (which may be an older name of ours)."""
    names = {desired.script.name} if desired else set()
    if domain is not None:
        names.add(domain.service)
    return tuple(sorted(names))


def diff(desired: DesiredWorker | None, live: LiveWorkers) -> tuple[WorkerChange, ...]:
    """Create, update or delete the script and the custom domain. Only scripts tagged `zonesync` are deleted;
    a custom domain is deleted only when it serves one of them."""
    changes: list[WorkerChange] = []
    domain = live.domain
    current = live.script(domain.service) if domain else None
    ours = current is not None and TAG in current.tags
    if desired is None:
        if domain is not None and ours:
            changes.append(WorkerChange("delete", "domain", before=domain))
            changes.append(WorkerChange("delete", "script", before=current))
        return tuple(changes)
    want = desired.script
    have = live.script(want.name)
    if have is None:
        changes.append(WorkerChange("create", "script", after=want))
    elif have.content != want.content or TAG not in have.tags:
        changes.append(WorkerChange("update", "script", before=have, after=want))
    target = Domain(desired.hostname, want.name, domain.id if domain else None)
    if domain is None:
        changes.append(WorkerChange("create", "domain", after=target))
    elif domain.service != want.name:
        changes.append(WorkerChange("update", "domain", before=domain, after=target))
        if ours and current is not None:
            changes.append(WorkerChange("delete", "script", before=current))
    return tuple(changes)


def fingerprint(live: LiveWorkers) -> str:
    """Every field read (ids, etags, content): a script or domain edited since makes a saved plan stale."""
    parts = [f"domain:{live.hostname}:" + (f"{live.domain.id}:{live.domain.service}" if live.domain else "-")]
    parts += sorted(f"script:{s.name}:{s.etag}:{s.digest}:{','.join(sorted(s.tags))}" for s in live.scripts)
    return "sha256:" + hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def plan(desired: DesiredWorker | None, live: LiveWorkers) -> WorkerPlan:
    return WorkerPlan(
        live.hostname, tuple(s.name for s in live.scripts), fingerprint(live), diff(desired, live)
    )


def holding_the_name(hostname: str, unmanaged: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Of the live records zonesync does not manage (ignored or skipped: `(name, type, value)`), those that
    would make Cloudflare refuse the custom domain at `hostname` (409 100117: an A, AAAA or CNAME there).
    Managed records there are deleted by the plan itself, before the domain is attached."""
    return [r for r in unmanaged if r[0] == hostname and r[1] in ("A", "AAAA", "CNAME")]


def split_dns(
    changes: Sequence[Change], workers: Sequence[WorkerChange], hostname: str, record_name: str
) -> tuple[tuple[Change, ...], tuple[Change, ...]]:
    """DNS changes to apply before the Worker changes, and after them.

    Before: deletes at the custom domain's hostname when the domain is being attached (Cloudflare refuses it
    over a record there), and the `_mta-sts` record's delete when the domain goes away (so it never
    announces a policy that is no longer served). After: everything else, so a new or changed `_mta-sts`
    record is published only once the script serving its policy is live.
    """
    attaching = any(w.kind == "domain" and w.action in ("create", "update") for w in workers)
    detaching = any(w.kind == "domain" and w.action == "delete" for w in workers)

    def first(c: Change) -> bool:
        if c.action != "delete":
            return False
        return (attaching and c.name == hostname) or (detaching and c.name == record_name)

    return tuple(c for c in changes if first(c)), tuple(c for c in changes if not first(c))


def order(changes: Sequence[WorkerChange]) -> list[WorkerChange]:
    """Script before domain when deploying (a domain needs its script); domain before script when removing."""
    rank = {
        ("create", "script"): 0,
        ("update", "script"): 0,
        ("create", "domain"): 1,
        ("update", "domain"): 1,
    }
    rank |= {("delete", "domain"): 2, ("delete", "script"): 3}
    return sorted(changes, key=lambda c: rank[(c.action, c.kind)])
