"""Live zone (or BIND zone file) -> a v1 zone file whose plan is empty.

Records are grouped into record sets: one set per (name, type, TTL, proxied, comment, tags), several
values in `values:`. The most common TTL becomes the file's `ttl:`; Cloudflare comments and tags are kept
as `comment:` and `tags:`. Values are written in canonical presentation form (names absolute, with the
trailing dot), which the loader reads back to the very same canonical value.

What a zone file cannot declare is handled so the plan is still empty: apex NS records (Cloudflare
serves them itself) become an `ignore:` rule; records Cloudflare manages or that zonesync cannot
recreate are listed as comments, since plan and apply leave them alone anyway.

The generated text is checked before it is written: it is loaded like any zone file and diffed against
the records it came from; `import_zone` reports any difference (there should be none).

Mail records (MX, SPF, DMARC, DKIM, MTA-STS, TLS-RPT) are imported as plain records; the importer notes
that a `mail:` block could express them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from zonesync.model import AUTO_TTL, PROXIABLE_TYPES, Record
from zonesync.plan.model import Change, SkippedRecord
from zonesync.zonefile import rdata
from zonesync.zonefile.load import MAX_TTL, MIN_TTL, MIN_TTL_ENTERPRISE, IgnoreRule
from zonesync.zonefile.rdata import relative_name

TYPE_ORDER = {t: i for i, t in enumerate(rdata.SUPPORTED_TYPES)}
_PLAIN = re.compile(r"^[A-Za-z0-9_./@*+=:;,~-][A-Za-z0-9_./@*+=:;,~ -]*$")


@dataclass
class ImportResult:
    text: str
    records: list[Record]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    differences: list[Change] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)
    """`--mail`: the changes the `mail:` block makes on purpose, each naming its record; `differences`
    then holds exactly those."""
    public_keys: dict[Path, str] = field(default_factory=dict)
    """`--mail`: `.pub` files to write (path -> the live DKIM record whose key they hold)."""


def scalar(value: str) -> str:
    """A string as a YAML scalar: plain when YAML reads it back as the same string, else double-quoted."""
    if (
        value
        and value == value.strip()
        and _PLAIN.match(value)
        and ": " not in value
        and " #" not in value
        and not value.startswith(("@", "*", "-", ":", ",", "~"))
    ):
        try:
            if yaml.safe_load(value) == value:
                return value
        except yaml.YAMLError:
            pass
    if "'" not in value and value.isprintable():
        return "'" + value + "'"
    return _double_quoted(value)


def _double_quoted(value: str) -> str:
    """YAML double-quoted: printable characters as they are, everything else escaped."""
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def _ttl_text(ttl: int) -> str:
    return "auto" if ttl == AUTO_TTL else str(ttl)


def _name_key(name: str, zone: str) -> tuple[int, tuple[str, ...]]:
    rel = relative_name(name, zone)
    if rel == "@":
        return (0, ())
    return (1, tuple(reversed(rel.split("."))))


@dataclass(frozen=True)
class _Set:
    name: str
    type: str
    ttl: int
    proxied: bool | None
    comment: str | None
    tags: tuple[str, ...]
    values: tuple[str, ...]


def group_sets(records: Iterable[Record]) -> list[_Set]:
    groups: dict[tuple, list[str]] = defaultdict(list)
    for r in records:
        groups[(r.name, r.type, r.ttl, r.proxied, r.comment, r.tags)].append(r.value)
    sets = [_Set(n, t, ttl, p, c, tags, tuple(sorted(v))) for (n, t, ttl, p, c, tags), v in groups.items()]
    return sets


def mail_notes(records: Sequence[Record], zone: str) -> list[str]:
    found: list[str] = []
    by = {(r.name, r.type, r.value.split(";")[0].split(" ")[0].lower()) for r in records}
    if any(r.name == zone and r.type == "MX" for r in records):
        found.append("MX")
    if (zone, "TXT", "v=spf1") in by:
        found.append("SPF")
    if (f"_dmarc.{zone}", "TXT", "v=dmarc1") in by:
        found.append("DMARC")
    selectors = sorted(
        r.name[: -len(f"._domainkey.{zone}")]
        for r in records
        if r.type == "TXT" and r.name.endswith(f"._domainkey.{zone}") and "p=" in r.value
    )
    if selectors:
        found.append("DKIM (selector " + ", ".join(selectors) + ")")
    if any(r.name == f"_mta-sts.{zone}" and r.type == "TXT" for r in records):
        found.append("MTA-STS")
    if any(r.name == f"_smtp._tls.{zone}" and r.type == "TXT" for r in records):
        found.append("TLS-RPT")
    if not found:
        return []
    return [
        f"{zone} has mail records ({', '.join(found)}): they are imported as plain records; "
        f"`zonesync import {zone} --mail` writes them as a `mail:` block (checked, with presets); "
        f"see `zonesync explain {zone}`"
    ]


def default_ttl(records: Sequence[Record]) -> int:
    """The file's `ttl:`: the most common TTL of unproxied records (ties: the lowest), else auto."""
    counts = Counter(r.ttl for r in records if not r.proxied)
    if not counts:
        return AUTO_TTL
    best = max(counts.values())
    return min(t for t, n in counts.items() if n == best)


def render_zone_file(
    zone: str,
    records: Sequence[Record],
    *,
    ignore: Sequence[IgnoreRule] = (),
    skipped: Sequence[SkippedRecord] = (),
    header: Sequence[str] = (),
    ttl: int | None = None,
    mail: str = "",
) -> str:
    """The v1 zone file text for these records (and a `mail:` block's YAML, written before `records:`)."""
    if ttl is None:
        ttl = default_ttl(records)
    enterprise = any(MIN_TTL_ENTERPRISE <= r.ttl < MIN_TTL for r in records)
    out = [f"# {line}" if line else "#" for line in header]
    out.append(f"zone: {zone}")
    if enterprise:
        out.append("enterprise: true  # TTLs under 60 s")
    out.append(f"ttl: {_ttl_text(ttl)}")
    if ignore:
        out.append("ignore:")
        for rule in ignore:
            types = f", type: [{', '.join(rule.types)}]" if rule.types else ""
            out.append(f"  - {{name: {scalar(rule.name)}{types}}}")
    if skipped:
        out.append("# Left alone by zonesync (managed by Cloudflare, read-only or not supported):")
        for left in skipped:
            out.append(
                f"#   {relative_name(left.name, zone)} {left.type} {left.content[:80]}  ({left.reason})"
            )
    if mail:
        out.extend(mail.rstrip("\n").split("\n"))
    if not records:
        out.append("records: {}")
        return "\n".join(out) + "\n"
    out.append("records:")
    by_name: dict[str, list[_Set]] = defaultdict(list)
    for group in group_sets(records):
        by_name[group.name].append(group)
    for name in sorted(by_name, key=lambda n: _name_key(n, zone)):
        sets = sorted(
            by_name[name],
            key=lambda s: (TYPE_ORDER.get(s.type, 99), s.type, s.ttl, s.comment or "", s.values),
        )
        out.append(f"  {scalar(relative_name(name, zone))}:")
        multi = len(sets) > 1
        for one in sets:
            lines = _set_lines(one, ttl)
            if multi:
                out.append(f"    - {lines[0]}")
                out.extend(f"      {line}" for line in lines[1:])
            else:
                out.extend(f"    {line}" for line in lines)
    return "\n".join(out) + "\n"


def _set_lines(s: _Set, default_ttl: int) -> list[str]:
    lines = [f"type: {s.type}"]
    if len(s.values) == 1:
        lines.append(f"value: {scalar(s.values[0])}")
    else:
        lines.append("values:")
        lines.extend(f"  - {scalar(v)}" for v in s.values)
    if s.proxied:
        lines.append("proxied: true")
    elif s.ttl != default_ttl:
        lines.append(f"ttl: {_ttl_text(s.ttl)}")
    if s.comment:
        lines.append(f"comment: {scalar(s.comment)}")
    if s.tags:
        lines.append("tags: [" + ", ".join(scalar(t) for t in s.tags) + "]")
    return lines


def check_round_trip(text: str, records: Sequence[Record], zone: str, path: str = "<import>") -> list[Change]:
    """Load the generated file and diff it against the records it came from: should be no changes."""
    from zonesync.plan.desired import build_desired
    from zonesync.plan.differ import diff
    from zonesync.zonefile.load import load_zone_file

    config = load_zone_file(path, text)
    desired = build_desired(config, records)
    return list(diff(desired.records, records, zone, config.ignore).changes)


def import_records(
    zone: str,
    records: Sequence[Record],
    skipped: Sequence[SkippedRecord] = (),
    header: Sequence[str] = (),
    path: str = "<import>",
    *,
    mail: bool = False,
) -> ImportResult:
    """Split off what a zone file cannot declare, render, and verify the round trip; with `mail`, the mail
    records become a `mail:` block."""
    keep: list[Record] = []
    ignore: list[IgnoreRule] = []
    notes: list[str] = []
    apex_ns = [r for r in records if r.name == zone and r.type == "NS"]
    if apex_ns:
        ignore.append(IgnoreRule("@", ("NS",)))
        notes.append(
            f"{zone}: {len(apex_ns)} apex NS records are served by Cloudflare itself: written as an `ignore` rule"
        )
    keep = [r for r in records if not (r.name == zone and r.type == "NS")]
    if mail and mail_notes(keep, zone):
        result = import_mail(zone, records, keep, ignore, skipped, header, path)
        if result is not None:
            result.notes[:0] = notes
            return result
        notes.append(
            f"{zone}: its mail records could not be written as a `mail:` block that plans the same records "
            "(see the warnings of `zonesync plan`): they are imported as plain records"
        )
    else:
        notes.extend(mail_notes(keep, zone))
    text = render_zone_file(zone, keep, ignore=ignore, skipped=skipped, header=header)
    differences = check_round_trip(text, records, zone, path)
    return ImportResult(text, list(keep), notes, [], differences)


def import_mail(
    zone: str,
    records: Sequence[Record],
    keep: Sequence[Record],
    ignore: Sequence[IgnoreRule],
    skipped: Sequence[SkippedRecord],
    header: Sequence[str],
    path: str,
) -> ImportResult | None:
    """The zone file with a `mail:` block for the mail records (a preset when one plans the same records,
    the explicit sections otherwise), or None when no block does. Each candidate is checked the way the
    plain import is: written, loaded, planned against the records it came from; the only changes allowed
    are the improvements the recogniser names."""
    from zonesync.errors import ZonesyncError
    from zonesync.mail.presets import KEY_FILE_TEMPLATE, PRESETS, key_file
    from zonesync.mail.recognise import block_yaml, recognise, with_preset

    ttl = default_ttl(keep)
    found = recognise(keep, zone, ttl)
    if not found.block:
        return None
    used = {id(r) for r in found.used}
    rest = [r for r in keep if id(r) not in used]
    # the changes the block makes on purpose: each note starts with the name of its record
    allowed = {n.split(":", 1)[0] for n in found.notes}
    candidates = [b for p in PRESETS if (b := with_preset(found.block, p, zone)) is not None]
    candidates.sort(key=lambda b: len(block_yaml(b)))
    for block in [*candidates, found.block] if "preset" not in found.block else [found.block]:
        text = render_zone_file(
            zone, rest, ignore=ignore, skipped=skipped, header=header, ttl=ttl, mail=block_yaml(block)
        )
        try:
            differences = check_round_trip(text, records, zone, path)
        except ZonesyncError:
            continue
        if any(c.name not in allowed or c.action != "update" for c in differences):
            continue
        base = Path(path).parent
        base = base.parent if base.name == "zones" else base
        template = key_file(block.get("preset")) or KEY_FILE_TEMPLATE
        pubs = {
            base / "keys" / (template.format(domain=zone, selector=sel) + ".pub"): value
            for sel, value in found.keys.items()
        }
        preset = f" (preset: {block['preset']})" if "preset" in block else ""
        notes = [f"{zone}: {len(found.used)} mail records written as a `mail:` block{preset}"]
        changed = {c.name for c in differences}
        improvements = [n for n in found.notes if n.split(":", 1)[0] in changed]
        return ImportResult(text, rest, notes, [], list(differences), improvements, pubs)
    return None


# -- BIND ---------------------------------------------------------------------------------------------------


def records_from_bind(path: str | Path, zone: str) -> tuple[list[Record], list[str]]:
    """A BIND zone file -> canonical records (and warnings for what Cloudflare cannot hold).

    SOA is dropped (Cloudflare makes its own); types zonesync cannot manage are skipped with a warning;
    TTLs outside Cloudflare's range are clamped with a warning. Parsed by dnspython (dns.zone)."""
    import dns.exception
    import dns.rdatatype
    import dns.zone

    from zonesync.errors import ZonesyncError

    try:
        z = dns.zone.from_file(str(path), origin=zone, relativize=False, check_origin=False)
    except (OSError, dns.exception.DNSException) as exc:
        raise ZonesyncError(f"{path}: cannot read the BIND zone file: {exc}") from None
    records: list[Record] = []
    warnings: list[str] = []
    for name, rdataset in z.iterate_rdatasets():
        fqdn = name.to_text(omit_final_dot=True).lower()
        rtype = dns.rdatatype.to_text(rdataset.rdtype)
        if rtype == "SOA":
            continue
        if rtype not in rdata.SUPPORTED_TYPES:
            warnings.append(f"{path}: {fqdn} {rtype}: type not supported by Cloudflare/zonesync, skipped")
            continue
        ttl = rdataset.ttl
        if ttl < MIN_TTL or ttl > MAX_TTL:
            clamped = min(max(ttl, MIN_TTL), MAX_TTL)
            warnings.append(
                f"{path}: {fqdn} {rtype}: TTL {ttl} is outside Cloudflare's range; using {clamped}"
            )
            ttl = clamped
        for rd in rdataset:
            if rtype == "TXT":
                value = b"".join(rd.strings).decode("utf-8", errors="surrogateescape")
            else:
                value = rdata.canonical_value(rtype, rd.to_text(), zone)
            proxied = False if rtype in PROXIABLE_TYPES else None
            records.append(Record(fqdn, rtype, value, ttl, proxied))
    return records, warnings
