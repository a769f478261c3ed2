"""DNSSEC as Cloudflare runs it: the `/zones/{id}/dnssec` resource and the signing of a zone's answers.

The API (docs/cloudflare-api-facts.md rows S1-S8): `GET` shows the state, `PATCH {"status": "active"}` turns
signing on and answers `pending` (python-cloudflare's README transcript), `PATCH {"status": "disabled"}` turns
it off, `DELETE` removes the keys once disabled. States (Cloudflare docs ``dns/dnssec/dnssec-states.mdx``):
``pending`` until the DS is at the registrar, then ``active``; disabling goes through ``pending-disabled``
(DS still at the registrar) to ``disabled``; never enabled, or deleted: ``disabled`` with ``modified_on``
null. Here the registrar step is a knob: ``delay`` seconds after a PATCH, the state moves on by itself.
"In both pending and active states, Cloudflare signs the zone"; in pending-disabled and disabled it still
signs; only a deleted (or never enabled) zone is unsigned.

Signing (what a resolver sees): ECDSA P-256 with SHA-256 (algorithm 13, Cloudflare's only algorithm, docs
``dns/dnssec/index.mdx``), a key-signing key (flags 257, the one the DS names) and a zone-signing key (256),
both in the apex DNSKEY set (TTL 3600), every answer signed on the fly with dnspython's ``dns.dnssec.sign``
when the question has the DO bit. Denial of existence is compact (RFC 9824, written by Cloudflare's
engineers): a name that does not exist is answered NOERROR/NODATA with an NSEC at the question name whose
next name is its immediate successor (``\\000.<name>``) and whose bitmap is RRSIG, NSEC and NXNAME (§3.1); a
name without the type gets the same NSEC listing the name's types plus RRSIG and NSEC (§3.2); an empty
non-terminal lists only RRSIG and NSEC (§3.3). A referral carries an NSEC at the cut (NS, RRSIG, NSEC: no
DS). Answers a wildcard synthesised are signed as the name itself (online signing needs no wildcard proof).

For registries that scan for them (RFC 7344, RFC 8078), the apex carries CDS and CDNSKEY, as Cloudflare
publishes them (its docs list it among the providers that do, with the delete signal): the key-signing key's
DS (SHA-256) and DNSKEY while signing is on (`pending`, `active`); the delete signal (`CDS 0 0 0 00`,
`CDNSKEY 0 3 0 AA==`, RFC 8078 §4) while it is being turned off (`pending-disabled`); none once `disabled`.

`tamper` corrupts every signature served (a fault knob, for tests of validators). With a state file, each
zone's keys and state are saved in it (the file is written 0600), so a restarted emulator signs with the
same keys and the DS a registrar holds stays valid, as at Cloudflare. Like the rest of the emulator this
models Cloudflare and imports nothing of zonesync's client.
"""

from __future__ import annotations

import base64
import threading
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.DNSKEY
import dns.rrset
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from . import errors

with warnings.catch_warnings():  # dnspython's DSA support warns on import with recent cryptography
    warnings.simplefilter("ignore")
    import dns.dnssec

ALGORITHM = 13
"""ECDSAP256SHA256: the algorithm Cloudflare signs with."""
DNSKEY_TTL = 3600
DS_TTL = 3600
"""The TTL in the `ds` text Cloudflare gives (``example.com. 3600 IN DS ...``)."""
NEGATIVE_TTL = 1800
"""NSEC TTL: the lower of the SOA's TTL and its minimum (RFC 9077), both 1800 here."""
SIGNATURE_BEFORE = 3600
SIGNATURE_AFTER = 2 * 86400
"""RRSIG inception an hour back (clock skew), expiration two days on: fresh signatures on every answer."""
STATUSES = ("active", "disabled")
"""The values PATCH accepts for `status` (SDK `dnssec_edit_params.py`)."""
STATES = ("pending", "active", "pending-disabled", "disabled")
"""Every state a zone's DNSSEC is in (docs `dns/dnssec/dnssec-states.mdx`)."""
SIGNALLING = {"pending": "keys", "active": "keys", "pending-disabled": "delete"}
"""The apex CDS/CDNSKEY each state publishes: the key-signing key's, or the delete signal (RFC 8078 §4)."""

BAD_STATUS = 1007  # chosen: no quoted answer for an invalid status; 1007 is the "invalid value" family
BAD_STATUS_MSG = "Invalid value for status: use active or disabled"
DELETE_REFUSED = 1011  # chosen: the docs say deleting is refused before `disabled`; no quoted code
DELETE_REFUSED_MSG = "DNSSEC records can only be deleted once DNSSEC is disabled"


@dataclass(frozen=True)
class Keys:
    """A zone's key-signing and zone-signing keys (private halves and their DNSKEY rdata)."""

    ksk: ec.EllipticCurvePrivateKey
    zsk: ec.EllipticCurvePrivateKey
    ksk_dnskey: dns.rdtypes.ANY.DNSKEY.DNSKEY
    zsk_dnskey: dns.rdtypes.ANY.DNSKEY.DNSKEY

    @classmethod
    def generate(cls) -> Keys:
        return cls.of(ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def of(cls, ksk: ec.EllipticCurvePrivateKey, zsk: ec.EllipticCurvePrivateKey) -> Keys:
        return cls(
            ksk,
            zsk,
            dns.dnssec.make_dnskey(ksk.public_key(), ALGORITHM, flags=257),
            dns.dnssec.make_dnskey(zsk.public_key(), ALGORITHM, flags=256),
        )

    def to_state(self) -> dict[str, str]:
        """The private halves as PKCS#8 PEM, for the emulator's state file (written 0600)."""
        return {"ksk": _pem(self.ksk), "zsk": _pem(self.zsk)}

    @classmethod
    def from_state(cls, data: dict[str, str]) -> Keys:
        """Keys from `to_state`'s mapping. Raises ValueError (or TypeError) for anything else."""
        ksk, zsk = (serialization.load_pem_private_key(data[k].encode(), None) for k in ("ksk", "zsk"))
        if not isinstance(ksk, ec.EllipticCurvePrivateKey) or not isinstance(zsk, ec.EllipticCurvePrivateKey):
            raise ValueError("DNSSEC keys in the state file are not ECDSA P-256 keys")
        return cls.of(ksk, zsk)


def _pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


class ZoneDnssec:
    """One zone's DNSSEC state (held on the store's `Zone.dnssec`; None = never enabled, unsigned)."""

    def __init__(self, keys: Keys) -> None:
        self.keys = keys
        self.status = "disabled"
        self.modified_on: str | None = None
        self.moves_at: float | None = None
        """time.monotonic() at which a pending state moves on (the registrar step), None when settled."""

    def to_state(self) -> dict[str, Any]:
        """What the emulator's state file keeps: the keys, the state and when it last changed (a pending
        state is saved as it stands and moves on once the emulator that loads it is asked)."""
        return {"status": self.status, "modified_on": self.modified_on, "keys": self.keys.to_state()}

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> ZoneDnssec:
        """`to_state`'s mapping back (a pending state moves on at once: the registrar step is a knob)."""
        dnssec = cls(Keys.from_state(data["keys"]))
        dnssec.status = data["status"] if data.get("status") in STATES else "disabled"
        dnssec.modified_on = data.get("modified_on")
        if dnssec.status in ("pending", "pending-disabled"):
            dnssec.moves_at = 0.0
        return dnssec

    def settle(self, now: float) -> bool:
        """Move a pending state on once its time came; True when the state changed."""
        if self.moves_at is None or now < self.moves_at:
            return False
        self.moves_at = None
        if self.status == "pending":
            self.status = "active"
        elif self.status == "pending-disabled":
            self.status = "disabled"
        else:
            return False
        return True

    def obj(self, zone_name: str) -> dict[str, Any]:
        """The API's DNSSEC object (SDK `types/dns/dnssec/dnssec.py`; field forms from the README transcript)."""
        ds = dns.dnssec.make_ds(zone_name + ".", self.keys.ksk_dnskey, "SHA256")
        digest = ds.digest.hex()
        return {
            "algorithm": str(ALGORITHM),
            "digest": digest,
            "digest_algorithm": "SHA256",
            "digest_type": "2",
            "dnssec_multi_signer": False,
            "dnssec_presigned": False,
            "dnssec_use_nsec3": False,
            "ds": f"{zone_name}. {DS_TTL} IN DS {ds.key_tag} {ALGORITHM} 2 {digest}",
            "flags": 257,
            "key_tag": ds.key_tag,
            "key_type": "ECDSAP256SHA256",
            "modified_on": self.modified_on,
            "public_key": base64.b64encode(self.keys.ksk_dnskey.key).decode(),
            "status": self.status,
        }


def unsigned_obj() -> dict[str, Any]:
    """A zone never signed (or deleted): `disabled`, `modified_on` null (dnssec-states.mdx, "Deleted")."""
    return {
        "algorithm": None,
        "digest": None,
        "digest_algorithm": None,
        "digest_type": None,
        "dnssec_multi_signer": False,
        "dnssec_presigned": False,
        "dnssec_use_nsec3": False,
        "ds": None,
        "flags": None,
        "key_tag": None,
        "key_type": None,
        "modified_on": None,
        "public_key": None,
        "status": "disabled",
    }


def _now_text() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


class Dnssec:
    """The `/zones/{id}/dnssec` resource over the store's zones; `delay` is the registrar step's length."""

    def __init__(self, lock: threading.RLock, delay: float = 0.0) -> None:
        self.lock = lock
        self.delay = delay
        self.tamper = False

    def state(self, zone: Any) -> ZoneDnssec | None:
        """The zone's state, a pending one moved on when its time came (the zone's version bumped then, so
        cached DNS answers are not reused across the change)."""
        dnssec: ZoneDnssec | None = getattr(zone, "dnssec", None)
        if dnssec is not None and dnssec.settle(time.monotonic()):
            dnssec.modified_on = _now_text()
            zone.version += 1
        return dnssec

    def get(self, zone: Any) -> dict[str, Any]:
        with self.lock:
            dnssec = self.state(zone)
            return unsigned_obj() if dnssec is None else dnssec.obj(zone.name)

    def edit(self, zone: Any, body: Any) -> dict[str, Any]:
        """PATCH: `status` active or disabled (other fields of the body are accepted and ignored)."""
        status = body.get("status") if isinstance(body, dict) else None
        if status is None:
            with self.lock:
                return self.get(zone)
        if status not in STATUSES:
            raise errors.ApiError(400, BAD_STATUS, BAD_STATUS_MSG)
        with self.lock:
            dnssec = self.state(zone)
            if status == "active":
                if dnssec is None:
                    dnssec = zone.dnssec = ZoneDnssec(Keys.generate())
                if dnssec.status in ("disabled", "pending-disabled"):
                    dnssec.status = "pending"
                    dnssec.modified_on = _now_text()
                    dnssec.moves_at = time.monotonic() + self.delay
            elif dnssec is not None and dnssec.status in ("active", "pending"):
                # active: the DS is at the registrar, so pending-disabled until it is gone; pending: it never was
                dnssec.status = "pending-disabled" if dnssec.status == "active" else "disabled"
                dnssec.modified_on = _now_text()
                dnssec.moves_at = time.monotonic() + self.delay if dnssec.status != "disabled" else None
            zone.version += 1
            return dnssec.obj(zone.name) if dnssec is not None else unsigned_obj()

    def delete(self, zone: Any) -> str:
        """DELETE: only from `disabled` (docs: "you cannot transition directly from active to deleted")."""
        with self.lock:
            dnssec = self.state(zone)
            if dnssec is not None and dnssec.status != "disabled":
                raise errors.ApiError(400, DELETE_REFUSED, DELETE_REFUSED_MSG)
            zone.dnssec = None
            zone.version += 1
            return zone.id


# -- signing answers ---------------------------------------------------------------------------------------


def wants_dnssec(query: dns.message.Message) -> bool:
    return query.edns >= 0 and bool(query.ednsflags & dns.flags.DO)


class Signer:
    """Signs a response of a zone whose DNSSEC keys exist (any state but deleted)."""

    def __init__(self, zone_name: str, dnssec: ZoneDnssec, tamper: bool = False) -> None:
        self.origin = dns.name.from_text(zone_name)
        self.keys = dnssec.keys
        self.status = dnssec.status
        self.tamper = tamper
        now = int(time.time())
        self.inception, self.expiration = now - SIGNATURE_BEFORE, now + SIGNATURE_AFTER

    def dnskey_rrset(self) -> dns.rrset.RRset:
        rrset = dns.rrset.RRset(self.origin, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
        rrset.add(self.keys.ksk_dnskey, DNSKEY_TTL)
        rrset.add(self.keys.zsk_dnskey, DNSKEY_TTL)
        return rrset

    @property
    def signals(self) -> bool:
        """The apex carries CDS and CDNSKEY in this state (SIGNALLING)."""
        return self.status in SIGNALLING

    def parent_signal(self, rdtype: str) -> dns.rrset.RRset | None:
        """The apex `rdtype` (CDS or CDNSKEY) set for the zone's state (SIGNALLING), or None."""
        kind = SIGNALLING.get(self.status)
        if kind is None or rdtype not in ("CDS", "CDNSKEY"):
            return None
        if kind == "delete":
            text = "0 0 0 00" if rdtype == "CDS" else "0 3 0 AA=="
        elif rdtype == "CDS":
            ds = dns.dnssec.make_ds(self.origin, self.keys.ksk_dnskey, "SHA256")
            text = f"{ds.key_tag} {ds.algorithm} {ds.digest_type} {ds.digest.hex()}"
        else:
            text = self.keys.ksk_dnskey.to_text()
        rrset = dns.rrset.RRset(self.origin, dns.rdataclass.IN, dns.rdatatype.from_text(rdtype))
        rrset.add(dns.rdata.from_text(dns.rdataclass.IN, rrset.rdtype, text), DNSKEY_TTL)
        return rrset

    def rrsig(self, rrset: dns.rrset.RRset) -> dns.rrset.RRset:
        """The RRSIG set of `rrset`: the DNSKEY set signed by the KSK, everything else by the ZSK."""
        is_dnskey = rrset.rdtype == dns.rdatatype.DNSKEY
        key = self.keys.ksk if is_dnskey else self.keys.zsk
        dnskey = self.keys.ksk_dnskey if is_dnskey else self.keys.zsk_dnskey
        sig = dns.dnssec.sign(
            rrset, key, self.origin, dnskey, inception=self.inception, expiration=self.expiration
        )
        served: dns.rdata.Rdata = sig
        if self.tamper:
            broken = bytearray(sig.signature)
            broken[0] ^= 0xFF
            served = sig.replace(signature=bytes(broken))
        out = dns.rrset.RRset(rrset.name, dns.rdataclass.IN, dns.rdatatype.RRSIG, rrset.rdtype)
        out.add(served, rrset.ttl)
        return out

    def nsec(self, owner: str, types: Iterable[str]) -> dns.rrset.RRset:
        """A minimally covering NSEC (RFC 9824): owner `owner`, next name its immediate successor."""
        name = dns.name.from_text(owner)
        successor = dns.name.Name((b"\x00", *name.labels))
        bitmap = " ".join(sorted(set(types), key=dns.rdatatype.from_text))
        rd = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.NSEC, f"{successor.to_text()} {bitmap}")
        rrset = dns.rrset.RRset(name, dns.rdataclass.IN, dns.rdatatype.NSEC)
        rrset.add(rd, NEGATIVE_TTL)
        return rrset

    def sign_sections(self, resp: dns.message.Message) -> None:
        """Add an RRSIG after every RRset of the answer and authority sections the zone is authoritative
        for (not a referral's NS set, which belongs to the child)."""
        for section in (resp.answer, resp.authority):
            signed = []
            for rrset in section:
                if rrset.rdtype == dns.rdatatype.RRSIG:
                    continue
                signed.append(rrset)
                referral_ns = (
                    rrset.rdtype == dns.rdatatype.NS
                    and rrset.name != self.origin
                    and section is resp.authority
                )
                if not referral_ns:
                    signed.append(self.rrsig(rrset))
            section[:] = signed


def served_types(recs: Iterable[dict[str, Any]], apex: bool, signals: bool = False) -> set[str]:
    """The types a name is answered with (proxied records as A and AAAA; CNAMEs left out: a NODATA at a
    name with a CNAME only happens under CNAME flattening, where the CNAME is never shown); `signals`: the
    apex carries CDS and CDNSKEY."""
    types = {"RRSIG", "NSEC"}
    for rec in recs:
        if rec.get("proxied"):
            types.update(("A", "AAAA"))
        elif rec["type"] != "CNAME":
            types.add(rec["type"])
    if apex:
        types.update(("SOA", "NS", "DNSKEY"))
        if signals:
            types.update(("CDS", "CDNSKEY"))
    return types
