"""Saved plans, the file format: `zonesync plan --out plan.json` writes one, `zonesync apply plan.json`
applies exactly it (the flow is `zonesync.run.orchestrate`; this module seals, verifies, loads, saves and
judges staleness).

The file is the JSON document of `zonesync.plan.document` (schema: zonesync/schemas/plan.schema.json) plus
a `digest` of its body. Applying it

1. verifies the digest: a plan file edited after it was written is refused (exit 3); then its expiry
   (`zonesync.plan.expiry`): a plan past it, or made in the future, is refused (exit 3);
2. looks the zones up once and re-reads every zone the plan changes (one listing each), recomputes the
   fingerprint of its managed live records (ignored and skipped records aside, with the ignore rules
   the plan was made with) and refuses, naming the zone, if anything changed: a record added, removed
   or edited in any field, by anyone (exit 3);
3. checks the safety thresholds the plan was made with (exit 4 unless `--force`);
4. only then applies the saved changes, ids included, through the batch endpoint.

Nothing is written when 3 or 4 is returned: every zone is checked before the first change is sent.

The digest is SHA-256 over the canonical JSON of the body (sorted keys, no spaces). It catches edits
made after review, by hand or by a merge; it does not stop someone who can rewrite the file and
recompute it. For that, set ZONESYNC_PLAN_KEY (a CI secret) in both the plan and the apply job: the
digest becomes an HMAC-SHA256 keyed by it, and apply then refuses unsigned plans and plans signed
with another key.

No secret is ever in a plan: not the API token (requests are made with it, nothing records it), not a
DKIM private key. A plan that still waits for a DKIM key to be generated cannot be saved: generate the
key first (`zonesync dkim generate`), commit the .pub file, then plan again; applying such a plan would
publish a value nobody reviewed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zonesync.base import secure_files
from zonesync.errors import StalePlanError, ZonesyncError
from zonesync.model import Diagnostic, IgnoreRule, Source
from zonesync.plan import document as json_render
from zonesync.plan import expiry, safety
from zonesync.plan.dnssec import DnssecPlan
from zonesync.plan.model import Plan, SkippedRecord, ZonePlan, fingerprint
from zonesync.plan.saved_plan_check import BadPlan, check_body

if TYPE_CHECKING:
    from zonesync.model import ZoneInfo
    from zonesync.plan.model import LiveZone
    from zonesync.zonefile.config import ZoneConfig

KEY_ENV = "ZONESYNC_PLAN_KEY"
REQUIRE_SIGNED_ENV = "ZONESYNC_REQUIRE_SIGNED_PLAN"
MIN_KEY_BYTES = 32
"""An HMAC-SHA256 key of fewer random bytes than the hash is weaker than it need be (RFC 2104 §3)."""


class PlanFileError(ZonesyncError):
    """Not a zonesync plan, or one this version cannot read (exit 1)."""


# -- digest ------------------------------------------------------------------------------------------------


def canonical(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8", "surrogateescape"
    )


def _plan_key(key: str | bytes | None = None) -> bytes | None:
    """The signing key: `key`, else ZONESYNC_PLAN_KEY. Set but empty is an error, not "no signing": it is
    what GitHub Actions passes for a secret the workflow cannot see, and it would silently turn signing off
    (a tampered plan with a recomputed plain digest would then apply)."""
    if key is None:
        key = os.environ.get(KEY_ENV)
        if key is not None and not key.strip():
            raise PlanFileError(
                f"{KEY_ENV} is set but empty (a CI secret this job cannot see?): set it to the signing key "
                "in both the plan and the apply job, or unset it to use unsigned plans"
            )
    if key is None:
        return None
    data = key.encode() if isinstance(key, str) else key
    if len(data) < MIN_KEY_BYTES:
        raise PlanFileError(
            f"{KEY_ENV} is {len(data)} bytes long, less than the {MIN_KEY_BYTES} a signing key needs (a short key "
            "can be guessed, and cannot be told apart from ordinary words to keep it out of messages): make one "
            "with `python3 -c 'import secrets; print(secrets.token_hex(32))'` or `openssl rand -hex 32`, and set "
            "it in both the plan and the apply job"
        )
    return data


def digest(body: Mapping[str, Any], key: bytes | None = None) -> str:
    data = canonical({k: v for k, v in body.items() if k != "digest"})
    if key:
        return "hmac-sha256:" + hmac.new(key, data, hashlib.sha256).hexdigest()
    return "sha256:" + hashlib.sha256(data).hexdigest()


def seal(
    doc: Mapping[str, Any],
    key: str | bytes | None = None,
    *,
    now: float | None = None,
    ttl: int | None = None,
) -> dict[str, Any]:
    """The document with its creation and expiry times (`planexpiry.stamp`: `now`, lifetime `ttl`
    seconds; kept if it has them) and its digest (an HMAC when ZONESYNC_PLAN_KEY or `key` is set)."""
    body = expiry.stamp({k: v for k, v in doc.items() if k != "digest"}, now=now, ttl=ttl)
    return {**body, "digest": digest(body, _plan_key(key))}


def verify(
    doc: Mapping[str, Any], path: str, key: str | bytes | None = None, *, require_signed: bool = False
) -> None:
    """Raise StalePlanError (exit 3) unless the digest matches the body; with `require_signed`, also
    unless the digest is an HMAC (`apply --require-signed`, ZONESYNC_REQUIRE_SIGNED_PLAN=1)."""
    stored = doc.get("digest")
    k = _plan_key(key)
    if not isinstance(stored, str) or ":" not in stored:
        raise StalePlanError(
            f"{path}: the plan has no digest: it was not written by zonesync, or was altered"
        )
    scheme = stored.split(":", 1)[0]
    if require_signed and scheme != "hmac-sha256":
        raise StalePlanError(
            f"{path}: the plan is not signed, and unsigned plans are refused here (--require-signed or "
            f"{REQUIRE_SIGNED_ENV}=1): set {KEY_ENV} in the plan job too, then plan again"
        )
    if scheme == "hmac-sha256" and not k:
        raise StalePlanError(
            f"{path}: the plan is signed (HMAC): set {KEY_ENV} to the key the plan job used to verify it"
        )
    if scheme == "sha256" and k:
        raise StalePlanError(
            f"{path}: {KEY_ENV} is set but the plan is not signed with it: refusing an unsigned plan"
        )
    if scheme not in ("sha256", "hmac-sha256"):
        raise StalePlanError(f"{path}: unknown digest scheme {scheme!r}")
    if not hmac.compare_digest(stored, digest(doc, k)):
        raise StalePlanError(
            f"{path}: the plan file was altered after it was written (digest mismatch); "
            "run `zonesync plan --out` again and review the new plan"
        )


# -- writing -------------------------------------------------------------------------------------------------


def refuse_pending(plan: Plan) -> None:
    pending = sorted(
        {
            f"{c.record.name} {c.record.type}"
            for zp in plan.zones
            for c in zp.changes
            if c.after and c.after.pending
        }
    )
    if pending:
        raise ZonesyncError(
            "cannot save a plan that waits for new DKIM keys ("
            + ", ".join(pending)
            + "): its value would be known only at apply, so nobody could review it. Generate the keys "
            "first with `zonesync dkim generate`, commit the .pub files, then run `zonesync plan --out` again"
        )


def write_text(path: str | Path, text: str) -> None:
    """Write atomically: a reader (or a failed run) never sees half a plan."""
    path = Path(path)
    secure_files.make_dirs(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sealed(
    plan: Plan,
    configs: Mapping[str, ZoneConfig] | Sequence[ZoneConfig] = (),
    *,
    key: str | bytes | None = None,
    ttl: int | None = None,
) -> dict[str, Any]:
    """The plan's JSON document (`zonesync.plan.document`) with its digest: what `plan --format json` prints.
    `ttl`: seconds it may be applied for (`planexpiry`)."""
    return seal(json_render.document(plan, configs), key, ttl=ttl)


def save(
    path: str | Path,
    plan: Plan,
    configs: Mapping[str, ZoneConfig] | Sequence[ZoneConfig] = (),
    *,
    key: str | bytes | None = None,
    ttl: int | None = None,
) -> dict[str, Any]:
    refuse_pending(plan)
    doc = sealed(plan, configs, key=key, ttl=ttl)
    write_text(path, json_render.dumps(doc))
    return doc


# -- reading -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedZone:
    plan: ZonePlan
    ignore: tuple[IgnoreRule, ...]
    limits: safety.Limits


@dataclass(frozen=True)
class SavedPlan:
    path: str
    zones: tuple[SavedZone, ...]
    doc: dict[str, Any]

    def as_plan(self) -> Plan:
        return Plan(tuple(z.plan for z in self.zones))


def _zone_from_json(data: Mapping[str, Any]) -> SavedZone:
    zp = ZonePlan(
        zone=data["zone"],
        path=data["path"],
        zone_id=data["zone_id"],
        changes=tuple(json_render.change_from_json(c) for c in data["changes"]),
        live_count=int(data["live_records"]),
        saved_fingerprint=data["fingerprint"],
        skipped=tuple(
            SkippedRecord(s["name"], s["type"], s["content"], s["reason"]) for s in data.get("skipped", ())
        ),
        ignored=int(data.get("ignored", 0)),
        warnings=tuple(
            Diagnostic("warning", Source(w["source"]), w["message"]) for w in data.get("warnings", ())
        ),
        workers=json_render.workers_from_json(data.get("workers")),
        dnssec=DnssecPlan.from_json(data["dnssec"]) if data.get("dnssec") else None,
    )
    ignore = tuple(IgnoreRule(r["name"], tuple(r.get("types") or ())) for r in data.get("ignore", ()))
    limits = safety.Limits.from_json(data.get("safety", {}).get("limits", {}))
    return SavedZone(zp, ignore, limits)


def parse(
    doc: Mapping[str, Any],
    path: str,
    key: str | bytes | None = None,
    *,
    require_signed: bool = False,
    now: float | None = None,
) -> SavedPlan:
    """The saved plan in `doc`, once its digest (`verify`) and its expiry at `now` (`planexpiry.check`,
    default: the clock) pass. Raises PlanFileError or StalePlanError."""
    if not isinstance(doc, dict) or doc.get("format") != json_render.FORMAT:
        raise PlanFileError(f'{path}: not a zonesync plan (expected "format": "{json_render.FORMAT}")')
    version = doc.get("version")
    if version != json_render.VERSION:
        raise PlanFileError(
            f"{path}: plan format version {version!r}; this zonesync reads version {json_render.VERSION}"
        )
    verify(doc, path, key, require_signed=require_signed)
    expiry.check(doc, path, now=now)
    check_content(doc, path)
    try:
        zones = tuple(_zone_from_json(z) for z in doc["zones"])
    except (KeyError, TypeError, ValueError) as exc:  # pragma: no cover - check_content refuses these first
        raise PlanFileError(f"{path}: malformed plan: {type(exc).__name__}: {exc}") from None
    for z in zones:
        for change in z.plan.changes:
            if change.after is not None and change.after.pending:
                raise PlanFileError(
                    f"{path}: {z.plan.zone}: the plan waits for a new DKIM key ({change.name}); generate keys "
                    "with `zonesync dkim generate` and plan again"
                )
    return SavedPlan(path, zones, dict(doc))


def check_content(doc: Mapping[str, Any], path: str) -> None:
    """Every field of the plan's body, checked as strictly as a zone file (`zonesync.plan.saved_plan_check`): a
    valid digest or signature says who wrote the plan, not that it is one zonesync can apply. Raises
    PlanFileError naming the file and the field's JSON path."""
    try:
        check_body(doc)
    except BadPlan as exc:
        raise PlanFileError(
            f"{path}: {exc.message}; this is not a plan zonesync wrote (edited, then sealed again?): "
            "run `zonesync plan --out` again"
        ) from None


def load(
    path: str | Path,
    key: str | bytes | None = None,
    *,
    require_signed: bool = False,
    now: float | None = None,
) -> SavedPlan:
    p = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise PlanFileError(f"{p}: cannot read the plan: {exc.strerror or exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StalePlanError(f"{p}: the plan file is not valid JSON (altered or truncated?): {exc}") from None
    return parse(doc, p, key, require_signed=require_signed, now=now)


def is_plan_file(path: str | Path) -> bool:
    """`apply` takes zone files or one saved plan: a .json file is a plan."""
    return Path(path).suffix.lower() == ".json"


# -- staleness -------------------------------------------------------------------------------------------------


def stale_reason(saved: SavedZone, zone: ZoneInfo | None, live: LiveZone | None) -> str | None:
    """Why the saved zone plan no longer matches the live zone, or None."""
    from zonesync.plan.differ import split_ignored

    zp = saved.plan
    if zone is None:
        return f"{zp.zone}: the zone no longer exists in the account (or the token cannot see it)"
    if zone.id != zp.zone_id:
        return (
            f"{zp.zone}: the zone was re-created since the plan was made (id {zp.zone_id} is now {zone.id})"
        )
    assert live is not None
    managed, _ = split_ignored(live.records, saved.ignore, zp.zone)
    if fingerprint(managed) != zp.fingerprint:
        return (
            f"{zp.zone}: the live zone changed since the plan was made (someone applied or edited records); "
            "run `zonesync plan --out` again and review the new plan"
        )
    return None
