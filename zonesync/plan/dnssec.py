"""DNSSEC of a zone, the model: Cloudflare's state, the DS record for the registrar, and what a plan does.

`dnssec: true|false` in a zone file says whether Cloudflare should sign the zone; no key leaves DNSSEC as it
is (zonesync then never reads it). Cloudflare's states (docs `dns/dnssec/dnssec-states.mdx`): `pending`
(signing, the DS not yet seen at the registrar), `active` (the DS is there), `pending-disabled` (turned off,
the DS still at the registrar), `disabled`, and `error`. Pure values and functions: the API calls are in
`zonesync.cloudflare.dnssec`, the parent's DS lookup in `zonesync.verify.parent_ds`.

Turning DNSSEC off while the parent still publishes the DS makes every validating resolver answer SERVFAIL
for the whole zone (the DS says "this zone is signed" and the signatures stop): a plan that disables an
`active` zone is unsafe unless the DS is known to be gone from the parent (zonesync asks, see
`zonesync.verify.parent_ds`) or `--force` is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

STATUSES = ("active", "pending", "disabled", "pending-disabled", "error")
SIGNING = ("active", "pending")
"""States in which the zone is signed with DNSSEC on (what `dnssec: true` wants)."""
ParentDs = Literal["present", "absent", "unknown"]
PERMISSION = "DNS Write"
"""The API token permission `PATCH /zones/{id}/dnssec` lists (Cloudflare API reference, "Edit DNSSEC Status":
Accepted Permissions: DNS Write; reading needs DNS Read or DNS Write)."""


@dataclass(frozen=True)
class DsRecord:
    """The DS record to give the registrar, as Cloudflare returns it (`ds`, `key_tag`, `algorithm`,
    `digest_type`, `digest`)."""

    key_tag: int
    algorithm: int
    digest_type: int
    digest: str
    text: str
    """The whole record, Cloudflare's `ds` field: `example.com. 3600 IN DS 2371 13 2 <digest>`."""

    def to_json(self) -> dict[str, object]:
        return {
            "key_tag": self.key_tag,
            "algorithm": self.algorithm,
            "digest_type": self.digest_type,
            "digest": self.digest,
            "ds": self.text,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> DsRecord:
        return cls(
            int(str(data["key_tag"])),
            int(str(data["algorithm"])),
            int(str(data["digest_type"])),
            str(data["digest"]),
            str(data["ds"]),
        )


@dataclass(frozen=True)
class DnssecState:
    """What Cloudflare says of a zone's DNSSEC."""

    status: str
    ds: DsRecord | None = None
    modified_on: str | None = None

    @property
    def signing(self) -> bool:
        return self.status in SIGNING


@dataclass(frozen=True)
class DnssecPlan:
    """The zone file's wish against the live state: what apply will do, and whether it is safe."""

    wanted: bool
    live: DnssecState
    parent_ds: ParentDs = "unknown"
    """Whether the parent zone still publishes a DS for the zone (looked up only for a disable)."""
    parent_detail: str = ""
    """How that was found out (which resolver said what), for messages."""

    @property
    def action(self) -> Literal["enable", "disable"] | None:
        if self.wanted and not self.live.signing:
            return "enable"
        if not self.wanted and self.live.signing:
            return "disable"
        return None

    @property
    def dangerous(self) -> bool:
        """Disabling an `active` zone (the DS was seen at the registrar) while the DS may still be there.
        A `pending` zone never had its DS seen, so turning it off breaks nothing."""
        return self.action == "disable" and self.live.status == "active" and self.parent_ds != "absent"

    def refusal(self, zone: str, force: bool = False) -> str | None:
        """Why apply refuses this change without --force, or None."""
        if not self.dangerous or force:
            return None
        seen = f" ({self.parent_detail})" if self.parent_detail else ""
        return (
            f"{zone}: disabling DNSSEC while the DS record may still be at the registrar{seen} breaks the "
            "zone for every validating resolver (SERVFAIL) until the DS is gone: remove the DS at the "
            "registrar first, wait for its TTL, then apply again; or pass --force"
        )

    def describe(self) -> str:
        """One line for the plan: the change or the state, and the DS to give the registrar while pending."""
        status = self.live.status
        if self.action == "enable":
            return f"DNSSEC: enable (now {status}); then give the registrar the DS record plan shows"
        if self.action == "disable":
            return f"DNSSEC: disable (now {status})" + (
                " — DANGEROUS: DS may still be at the registrar" if self.dangerous else ""
            )
        if status == "pending" and self.live.ds is not None:
            return f"DNSSEC: pending — give the registrar this DS record: {self.live.ds.text}"
        return f"DNSSEC: {status}"

    def to_json(self) -> dict[str, object]:
        return {
            "wanted": self.wanted,
            "status": self.live.status,
            "modified_on": self.live.modified_on,
            "ds": self.live.ds.to_json() if self.live.ds is not None else None,
            "action": self.action,
            "parent_ds": self.parent_ds,
            "parent_detail": self.parent_detail,
            "dangerous": self.dangerous,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> DnssecPlan:
        ds = data.get("ds")
        parent = str(data.get("parent_ds", "unknown"))
        if parent not in ("present", "absent", "unknown"):
            raise ValueError(f"dnssec.parent_ds: {parent!r}")
        return cls(
            wanted=bool(data["wanted"]),
            live=DnssecState(
                str(data["status"]),
                DsRecord.from_json(ds) if isinstance(ds, dict) else None,
                str(data["modified_on"]) if data.get("modified_on") is not None else None,
            ),
            parent_ds=parent,  # type: ignore[arg-type]
            parent_detail=str(data.get("parent_detail", "")),
        )
