"""The other way round from `expand`: a zone's records -> the `mail:` block that publishes its mail records.

Used by `zonesync import --mail`. Pure: records in, a block (plain data, in the order a zone file shows
it), the records it replaces, the DKIM keys found and notes out. A record is taken into the block only
when the block gives it back exactly (same TTL, unproxied, no comment or tags, a value the block can
spell); anything else stays a plain record, so the importer's round trip (load the written file, plan it
against the same records) decides, not this module's guesses. Which preset, if any, matches is decided
the same way, by the importer: it tries each and keeps the one that plans the same records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from zonesync.base.features import lazy
from zonesync.mail import dkim, dmarc, mta_sts, spf, tlsrpt
from zonesync.mail.expand import NO_MAIL_DKIM, in_zone
from zonesync.mail.presets import NO_MAIL, PRESET_INFO, preset_defaults
from zonesync.model import Record

yaml: Any = lazy("yaml")

_ALL = {"-all": "fail", "~all": "softfail", "?all": "neutral"}
_ALIGN = {"r": "relaxed", "s": "strict"}
_DMARC_KEYS = {
    "p": "policy",
    "sp": "subdomain_policy",
    "np": "nonexistent_policy",
    "adkim": "adkim",
    "aspf": "aspf",
}


@dataclass
class Recognised:
    block: dict[str, Any] = field(default_factory=dict)
    """The `mail:` mapping, sections in zone-file order; empty when the zone has no mail records."""
    used: list[Record] = field(default_factory=list)
    """The records the block publishes (left out of `records:`)."""
    keys: dict[str, str] = field(default_factory=dict)
    """selector -> the live DKIM record, whose key becomes a `.pub` file."""
    notes: list[str] = field(default_factory=list)
    """Changes the block makes on purpose (improvements), each a sentence naming the record."""


def _plain(rec: Record, ttl: int) -> bool:
    """A record the block can give back exactly: the zone's TTL, no proxy, comment or tags."""
    return rec.ttl == ttl and not rec.proxied and rec.comment is None and not rec.tags


def _rel(host: str, zone: str) -> str:
    """How the block names a host: `@`, relative inside the zone, absolute (trailing dot) outside it."""
    if host == zone:
        return "@"
    if in_zone(host, zone):
        return host.removesuffix("." + zone)
    return host + "."


def recognise(records: Sequence[Record], zone: str, ttl: int) -> Recognised:
    """The mail block for `records` (canonical, of `zone`), taking only records with TTL `ttl`."""
    at: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for rec in records:
        at[(rec.name, rec.type)].append(rec)
    out = Recognised()
    if _no_mail(at, zone, ttl, out):
        return out
    mx = at.get((zone, "MX"), [])
    if not mx or not all(_plain(r, ttl) for r in mx) or any(r.value == "0 ." for r in mx):
        return out
    out.used += mx
    hosts = []
    for rec in sorted(mx, key=lambda r: (int(r.value.split()[0]), r.value)):
        prio, host = rec.value.split()
        hosts.append(host.rstrip("."))
        out.block.setdefault("mx", []).append({"host": _rel(host.rstrip("."), zone), "priority": int(prio)})
    _hosts(at, zone, ttl, hosts, out)
    _spf(at, zone, ttl, hosts, out)
    _dkim(at, zone, ttl, out)
    _dmarc(at, zone, ttl, out)
    _mta_sts(at, zone, ttl, out)
    _tls_rpt(at, zone, ttl, out)
    return out


def _one_txt(at: dict[tuple[str, str], list[Record]], name: str, ttl: int, test: Any) -> Record | None:
    """The one TXT at `name` that `test` accepts, when exactly one does and the block can give it back."""
    found = [r for r in at.get((name, "TXT"), []) if test(r.value)]
    return found[0] if len(found) == 1 and _plain(found[0], ttl) else None


def _no_mail(at: dict[tuple[str, str], list[Record]], zone: str, ttl: int, out: Recognised) -> bool:
    """The no-mail set, whole (null MX, `v=spf1 -all`, DMARC reject, empty DKIM wildcard), or nothing."""
    mx = at.get((zone, "MX"), [])
    spf_rec = _one_txt(at, zone, ttl, spf.is_spf)
    dmarc_rec = _one_txt(at, dmarc.record_name(zone), ttl, dmarc.is_dmarc)
    wildcard = _one_txt(at, dkim.record_name("*", zone), ttl, lambda v: v.replace(" ", "") == "v=DKIM1;p=")
    if not (len(mx) == 1 and mx[0].value == "0 ." and _plain(mx[0], ttl)):
        return False
    if (
        spf_rec is None
        or spf_rec.value.split() != ["v=spf1", "-all"]
        or wildcard is None
        or dmarc_rec is None
    ):
        return False
    if any(level == "error" for level, _ in dmarc.check_record(dmarc_rec.value, zone)):
        return False
    section = _dmarc_section(dmarc_rec.value)
    if section is None or section.get("policy") != "reject":
        return False
    out.block["preset"] = NO_MAIL
    extra = {k: v for k, v in section.items() if k != "policy"}
    if extra:
        out.block["dmarc"] = extra
    out.used += [mx[0], spf_rec, dmarc_rec, wildcard]
    if wildcard.value != NO_MAIL_DKIM:
        out.notes.append(f"*._domainkey.{zone}: rewritten as `{NO_MAIL_DKIM}` (the same empty key)")
    return True


def _hosts(at: dict, zone: str, ttl: int, hosts: list[str], out: Recognised) -> None:
    """A/AAAA of in-zone MX hosts: all of a host's addresses, or none (a partial set would collide)."""
    section: dict[str, Any] = {}
    for host in dict.fromkeys(hosts):
        if host == zone or not in_zone(host, zone):
            continue
        addrs = {t: at.get((host, t), []) for t in ("A", "AAAA")}
        found = addrs["A"] + addrs["AAAA"]
        if not found or not all(_plain(r, ttl) for r in found):
            continue
        entry = {}
        if addrs["A"]:
            entry["ipv4"] = sorted(r.value for r in addrs["A"])
        if addrs["AAAA"]:
            entry["ipv6"] = sorted(r.value for r in addrs["AAAA"])
        section[_rel(host, zone)] = entry
        out.used += found
    if section:
        out.block["hosts"] = section


def _spf_parts(value: str) -> tuple[list[str], str] | None:
    """`v=spf1 <terms> <q>all` -> (terms, fail|softfail|neutral); None for anything else."""
    terms = value.split()[1:]
    if (
        not terms
        or terms[-1].lower() not in _ALL
        or any(t.lower().lstrip("+-~?") == "all" for t in terms[:-1])
    ):
        return None
    if any(level == "error" for level, _ in spf.check_record(value)):
        return None
    return terms[:-1], _ALL[terms[-1].lower()]


def _spf(at: dict, zone: str, ttl: int, hosts: list[str], out: Recognised) -> None:
    rec = _one_txt(at, zone, ttl, spf.is_spf)
    parts = _spf_parts(rec.value) if rec is not None else None
    if rec is None or parts is None:
        return
    allow, all_ = parts
    section: dict[str, Any] = {"allow": allow, "all": all_}
    used = [rec]
    in_zone_hosts = [h for h in dict.fromkeys(hosts) if h != zone and in_zone(h, zone)]
    host_recs = [_one_txt(at, h, ttl, spf.is_spf) for h in in_zone_hosts]
    host_parts = [_spf_parts(r.value) if r is not None else None for r in host_recs]
    if in_zone_hosts and all(p is not None and p[0] == ["a"] for p in host_parts):
        qualifiers = {p[1] for p in host_parts if p is not None}
        if len(qualifiers) == 1:
            (q,) = qualifiers
            section["on_mx_hosts"] = True if q == all_ else q
            used += [r for r in host_recs if r is not None]
    out.block["spf"] = section
    out.used += used


def _dkim(at: dict[tuple[str, str], list[Record]], zone: str, ttl: int, out: Recognised) -> None:
    """Every selector whose one record holds a usable key; the key is written as a `.pub` file."""
    suffix = "._domainkey." + zone
    selectors = []
    for (name, rtype), found in at.items():
        if rtype != "TXT" or not name.endswith(suffix) or len(found) != 1 or not _plain(found[0], ttl):
            continue
        rec, selector = found[0], name[: -len(suffix)]
        if selector == "*" or dkim.selector_problem(selector):
            continue
        try:
            dkim.public_key_from_record(rec.value)
        except dkim.DkimParseError:
            continue  # stays a plain record, warned about: a key file would fix it
        selectors.append(selector)
        out.keys[selector] = rec.value
        out.used.append(rec)
    if selectors:
        out.block["dkim"] = [{"selector": s} for s in sorted(selectors)]


def _dmarc_section(value: str) -> dict[str, Any] | None:
    """DMARC tags -> the `dmarc:` section, or None when a tag has no key there (rf, ri not default...)."""
    section: dict[str, Any] = {}
    for part in value.split(";")[1:]:
        if not part.strip():
            continue
        name, _, val = (s.strip() for s in part.partition("="))
        if (name, val) in (("rf", "afrf"), ("ri", "86400"), ("pct", "100"), ("t", "n")):
            continue  # RFC 9989 removed pct, rf, ri: their old defaults say nothing
        if name in ("p", "sp", "np"):
            section[_DMARC_KEYS[name]] = val
        elif name in ("adkim", "aspf") and val in _ALIGN:
            section[name] = _ALIGN[val]
        elif name == "t" and val == "y":
            section["testing"] = True
        elif name in ("rua", "ruf"):
            section[name] = [u.strip() for u in val.split(",") if u.strip()]
        elif name == "fo":
            section["failure_options"] = val
        else:
            return None
    return section if "policy" in section else None


def _dmarc(at: dict, zone: str, ttl: int, out: Recognised) -> None:
    rec = _one_txt(at, dmarc.record_name(zone), ttl, dmarc.is_dmarc)
    if rec is None or any(level == "error" for level, _ in dmarc.check_record(rec.value, zone)):
        return  # a broken record stays as it is, with its warning
    section = _dmarc_section(rec.value)
    if section is not None:
        out.block["dmarc"] = section
        out.used.append(rec)


def _mta_sts(at: dict, zone: str, ttl: int, out: Recognised) -> None:
    rec = _one_txt(at, mta_sts.record_name(zone), ttl, mta_sts.is_sts)
    if rec is None or mta_sts.check_record(rec.value):
        return
    out.block["mta_sts"] = {"mode": "testing"}
    out.used.append(rec)
    out.notes.append(
        f"{mta_sts.record_name(zone)}: the id becomes content-derived (a hash of the policy zonesync writes), so it "
        "changes exactly when the policy does; DNS does not tell the live policy's mode or max_age: check "
        f"`mail.mta_sts` against what {mta_sts.policy_url(zone)} serves, then serve `zonesync mta-sts policy` there"
    )


def _tls_rpt(at: dict, zone: str, ttl: int, out: Recognised) -> None:
    rec = _one_txt(at, tlsrpt.record_name(zone), ttl, tlsrpt.is_tlsrpt)
    if rec is None or tlsrpt.check_record(rec.value):
        return
    tags = dict(p.strip().partition("=")[::2] for p in rec.value.split(";") if "=" in p)
    rua = [u.strip() for u in tags.get("rua", "").split(",") if u.strip()]
    out.block["tls_rpt"] = {"rua": rua}
    out.used.append(rec)


def with_preset(block: dict[str, Any], preset: str, zone: str) -> dict[str, Any] | None:
    """`block` written as `preset:` (with mx, hosts, and the sections the preset leaves to the user), when the
    zone's sections are the preset's own; None otherwise. The importer's round trip has the last word."""
    defaults = preset_defaults(preset, zone)
    info = PRESET_INFO[preset]
    if preset == NO_MAIL or not set(info.sections) <= set(block) or "mx" not in block:
        return None
    out: dict[str, Any] = {"preset": preset}
    for key, value in block.items():
        if key in ("mx", "hosts"):
            out[key] = value
        elif key == "mta_sts" and key in defaults:
            continue  # DNS does not tell the policy's mode: the preset's is the better guess
        elif key == "dkim" and "dkim" in defaults:
            if value != [{"selector": d["selector"]} for d in defaults["dkim"]]:
                return None  # other selectors than the server's own: not that server's set
        elif key in defaults:
            if any(defaults[key].get(k, _MISSING) != v for k, v in value.items()):
                return (
                    None  # the zone differs from what the preset publishes: explicit sections say it better
                )
        else:
            out[key] = value
    return out


_MISSING = object()


def block_yaml(block: dict[str, Any]) -> str:
    """The block as zone-file YAML (`mail:` and its sections, leaves in flow style)."""
    text = yaml.safe_dump(
        {"mail": block}, sort_keys=False, default_flow_style=None, width=110, allow_unicode=True
    )
    return text
