"""DNSSEC validation of one zone's answers (pure: messages in, a verdict or a ChainError out).

The chain of trust for a zone, as a validator walks it (RFC 4035 §5): a trust anchor (the DS at the parent,
or `--trust-anchor` DS or DNSKEY) matches a key of the zone's DNSKEY set, that key signs the set, and the
set's keys sign every answer. Negative answers are proven by NSEC (RFC 4035 §5.4): a NODATA by an NSEC at the
name without the type (nor CNAME) in its bitmap; a missing name by compact denial (RFC 9824, Cloudflare's:
NOERROR, NSEC at the name whose bitmap holds NXNAME) or, from other signers, an NXDOMAIN with NSECs covering
the name and the wildcard of its closest encloser. Signatures are checked by dnspython's `dns.dnssec.validate`.
NSEC3 denial is not checked (Cloudflare uses it only when asked to, `dnssec_use_nsec3`): a ChainError says so.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.DNSKEY
import dns.rdtypes.ANY.DS
import dns.rrset

with warnings.catch_warnings():  # dnspython's DSA support warns on import with recent cryptography
    warnings.simplefilter("ignore")
    import dns.dnssec

NXNAME = 128
"""RFC 9824's pseudo-type: in an NSEC bitmap, "this name does not exist"."""


class ChainError(Exception):
    """The chain does not validate; the message is one line saying where it broke."""


@dataclass(frozen=True)
class Anchor:
    """A trust anchor for a zone: a DS or a DNSKEY rdata, with the owner it named (None: any zone)."""

    owner: str | None
    rdata: dns.rdata.Rdata

    @property
    def kind(self) -> str:
        return dns.rdatatype.to_text(self.rdata.rdtype)

    def text(self) -> str:
        return f"{self.kind} {self.rdata.to_text()}"


def parse_anchor(text: str) -> Anchor:
    """`--trust-anchor`: a DS or DNSKEY, as a whole record (``zone. 3600 IN DS 2371 13 2 ab...``, what
    `zonesync plan` shows and Cloudflare's `ds` field holds) or its data alone (``2371 13 2 ab...``,
    ``257 3 13 base64...``). Raises ValueError with a one-line reason."""
    tokens = text.split()
    upper = [t.upper() for t in tokens]
    owner = None
    for kind in ("DS", "DNSKEY"):
        if kind in upper:
            at = upper.index(kind)
            if at > 0 and not tokens[0].isdigit():
                owner = tokens[0].rstrip(".").lower()
            return Anchor(owner, _rdata(kind, " ".join(tokens[at + 1 :])))
    for kind in ("DS", "DNSKEY"):
        try:
            return Anchor(None, _rdata(kind, text))
        except ValueError:
            continue
    raise ValueError(
        f"{text[:80]!r} is neither a DS (KEYTAG ALGORITHM DIGEST-TYPE DIGEST) nor a DNSKEY "
        "(FLAGS 3 ALGORITHM KEY)"
    )


def _rdata(kind: str, text: str) -> dns.rdata.Rdata:
    try:
        rd = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(kind), text)
    except (dns.exception.DNSException, ValueError) as exc:
        raise ValueError(f"not a {kind}: {exc}") from None
    if isinstance(rd, dns.rdtypes.ANY.DNSKEY.DNSKEY) and rd.protocol != 3:
        raise ValueError("not a DNSKEY: the protocol field must be 3")
    return rd


def rrsets(section: Sequence[dns.rrset.RRset], rdtype: int) -> list[dns.rrset.RRset]:
    return [r for r in section if r.rdtype == rdtype]


def signatures(section: Sequence[dns.rrset.RRset], rrset: dns.rrset.RRset) -> dns.rrset.RRset | None:
    for r in section:
        if r.rdtype == dns.rdatatype.RRSIG and r.covers == rrset.rdtype and r.name == rrset.name:
            return r
    return None


def _check_signed(
    rrset: dns.rrset.RRset,
    section: Sequence[dns.rrset.RRset],
    origin: dns.name.Name,
    keys: dns.rrset.RRset,
    now: float | None,
) -> None:
    sigs = signatures(section, rrset)
    what = f"{rrset.name.to_text(omit_final_dot=True)} {dns.rdatatype.to_text(rrset.rdtype)}"
    if sigs is None:
        raise ChainError(f"{what} is not signed (no RRSIG)")
    try:
        dns.dnssec.validate(rrset, sigs, {origin: keys}, now=now)
    except dns.dnssec.ValidationFailure as exc:
        raise ChainError(f"the signature of {what} does not validate: {exc}") from None


def trusted_keys(
    zone: str,
    answer: dns.message.Message,
    anchors: Sequence[Anchor],
    now: float | None = None,
) -> tuple[dns.rrset.RRset, str]:
    """The zone's DNSKEY set, once an anchor matches one of its keys and that key signs it: (the set, which
    anchor matched, as text). Raises ChainError."""
    origin = dns.name.from_text(zone)
    found = [r for r in rrsets(answer.answer, dns.rdatatype.DNSKEY) if r.name == origin]
    if not found:
        raise ChainError(f"{zone} serves no DNSKEY: the zone is not signed")
    keys = found[0]
    sigs = signatures(answer.answer, keys)
    if sigs is None:
        raise ChainError(f"the DNSKEY set of {zone} is not signed (no RRSIG)")
    wanted = [a for a in anchors if a.owner in (None, zone)]
    matched = []
    for anchor in wanted:
        for key in keys:
            if _matches(zone, anchor.rdata, key):
                matched.append((anchor, key))
    if not matched:
        listed = "; ".join(a.text() for a in wanted) or "none"
        tags = ", ".join(str(dns.dnssec.key_id(k)) for k in keys)
        raise ChainError(
            f"no key of {zone}'s DNSKEY set (key tags {tags}) matches the trust anchor ({listed})"
        )
    anchor_keys = dns.rrset.RRset(origin, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
    for _, key in matched:
        anchor_keys.add(key, keys.ttl)
    try:
        dns.dnssec.validate(keys, sigs, {origin: anchor_keys}, now=now)
    except dns.dnssec.ValidationFailure as exc:
        raise ChainError(
            f"the DNSKEY set of {zone} is not signed by the key the trust anchor names: {exc}"
        ) from None
    return keys, matched[0][0].text()


def _matches(zone: str, anchor: dns.rdata.Rdata, key: dns.rdata.Rdata) -> bool:
    if anchor.rdtype == dns.rdatatype.DNSKEY:
        return anchor == key
    ds = anchor
    if not isinstance(ds, dns.rdtypes.ANY.DS.DS):
        return False
    try:
        made = dns.dnssec.make_ds(zone + ".", key, ds.digest_type)
    except (dns.dnssec.UnsupportedAlgorithm, ValueError):
        return False
    return made == ds


def proven(
    zone: str,
    qname: str,
    qtype: str,
    response: dns.message.Message,
    keys: dns.rrset.RRset,
    now: float | None = None,
) -> str:
    """What a signed answer proves, once every RRset in it validates against `keys`: "an answer", "no
    <type> (NODATA)", "the name does not exist (compact denial, RFC 9824)" or "... (NXDOMAIN)". Raises
    ChainError."""
    origin = dns.name.from_text(zone)
    name = dns.name.from_text(qname)
    rdtype = dns.rdatatype.from_text(qtype)
    rcode = response.rcode()
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        raise ChainError(f"{qname} {qtype}: the server answered {dns.rcode.to_text(rcode)}")
    for section in (response.answer, response.authority):
        for rrset in section:
            if rrset.rdtype == dns.rdatatype.RRSIG or not rrset.name.is_subdomain(origin):
                continue
            if rrset.rdtype == dns.rdatatype.NS and section is response.authority and rrset.name != origin:
                continue  # a referral's NS set is the child's, unsigned here
            _check_signed(rrset, section, origin, keys, now)
    answered = [r for r in response.answer if r.name == name and r.rdtype in (rdtype, dns.rdatatype.CNAME)]
    if answered and rcode == dns.rcode.NOERROR:
        return "an answer"
    nsecs = rrsets(response.authority, dns.rdatatype.NSEC)
    if rrsets(response.authority, dns.rdatatype.NSEC3):
        raise ChainError(f"{qname} {qtype}: the denial uses NSEC3, which zonesync does not check")
    at_name = [r for r in nsecs if r.name == name]
    if rcode == dns.rcode.NOERROR:
        if not at_name:
            raise ChainError(f"{qname} {qtype}: a negative answer without an NSEC at the name proves nothing")
        present = _types(at_name[0])
        if rdtype in present or dns.rdatatype.CNAME in present:
            raise ChainError(f"{qname} {qtype}: the NSEC says the type exists, yet no answer came")
        if NXNAME in present:
            return "the name does not exist (compact denial, RFC 9824)"
        return f"no {qtype} at the name (NODATA)"
    if not any(_covers(r, name) for r in nsecs):
        raise ChainError(f"{qname}: NXDOMAIN without an NSEC covering the name")
    encloser = _closest_encloser(name, nsecs, origin)
    wildcard = dns.name.Name((b"*", *encloser.labels))
    if not any(_covers(r, wildcard) for r in nsecs):
        raise ChainError(f"{qname}: NXDOMAIN without proof that {wildcard} does not exist")
    return "the name does not exist (NXDOMAIN)"


def _types(nsec: dns.rrset.RRset) -> set[int]:
    out: set[int] = set()
    for window, bitmap in nsec[0].windows:
        for i, byte in enumerate(bitmap):
            for bit in range(8):
                if byte & (0x80 >> bit):
                    out.add(window * 256 + i * 8 + bit)
    return out


def _covers(nsec: dns.rrset.RRset, name: dns.name.Name) -> bool:
    owner, nxt = nsec.name, nsec[0].next
    if owner < nxt:
        return owner < name < nxt
    return name > owner or name < nxt  # the last NSEC of the zone wraps to the apex


def _closest_encloser(
    name: dns.name.Name, nsecs: Sequence[dns.rrset.RRset], origin: dns.name.Name
) -> dns.name.Name:
    best = origin
    for nsec in nsecs:
        for other in (nsec.name, nsec[0].next):
            _, _, common = name.fullcompare(other)
            if common > len(best.labels) and name.is_subdomain(origin):
                best = name.split(common)[1]
    return best
