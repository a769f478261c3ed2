"""DMARC (RFC 7489): the `_dmarc` record text, and a check of its tags, values and report URIs."""

from __future__ import annotations

from zonesync.mail import uri as uri_mod
from zonesync.mail.spec import DmarcSpec

Finding = tuple[str, str]

TAGS = ("v", "p", "sp", "pct", "adkim", "aspf", "rua", "ruf", "fo", "rf", "ri")
"""RFC 7489 §6.3."""
NO_RUA = (
    "no `rua=` report address: receivers send their daily aggregate reports only there, so no report will "
    "ever reach you and you cannot see who sends mail as your domain; add rua=mailto:dmarc@{zone}"
)
_ALIGN = {"relaxed": "r", "strict": "s"}
_POLICIES = ("none", "quarantine", "reject")


def record_name(zone: str) -> str:
    return f"_dmarc.{zone}"


def is_dmarc(text: str) -> bool:
    return text.lstrip().startswith("v=DMARC1")


def record_text(spec: DmarcSpec) -> str:
    """Tags in RFC 7489's order (v first, then p, §6.4)."""
    parts = ["v=DMARC1", f"p={spec.policy}"]
    if spec.subdomain_policy:
        parts.append(f"sp={spec.subdomain_policy}")
    if spec.percent is not None:
        parts.append(f"pct={spec.percent}")
    if spec.adkim:
        parts.append(f"adkim={_ALIGN[spec.adkim]}")
    if spec.aspf:
        parts.append(f"aspf={_ALIGN[spec.aspf]}")
    if spec.rua:
        parts.append("rua=" + ",".join(u for u, _ in spec.rua))
    if spec.ruf:
        parts.append("ruf=" + ",".join(u for u, _ in spec.ruf))
    if spec.failure_options:
        parts.append(f"fo={spec.failure_options}")
    return "; ".join(parts)


def uri_problem(uri: str) -> str | None:
    """RFC 7489 §6.2 / §6.4 dmarc-uri: a mailto: (or https:) URI, optionally with a `!size` limit."""
    try:
        parsed = uri_mod.parse(uri, size_limit=True)
    except uri_mod.UriError as exc:
        return str(exc)
    if parsed.scheme in ("mailto", "https", "http"):
        return None
    return f"{uri!r} is not a mailto: URI (write mailto:dmarc@example.com; a bare address is not a URI)"


def report_domain(uri: str) -> str | None:
    """The domain a mailto: report URI delivers to."""
    try:
        return uri_mod.parse(uri, size_limit=True).domain
    except uri_mod.UriError:
        return None


def external_report_warning(uri: str, zone: str) -> str | None:
    """RFC 7489 §7.1: reports to another domain need that domain's consent record."""
    dom = report_domain(uri)
    if dom is None or dom == zone or dom.endswith("." + zone):
        return None
    return (
        f"reports to {uri} go to another domain: receivers send them only if {dom} publishes "
        f'`{zone}._report._dmarc.{dom}` TXT "v=DMARC1" (RFC 7489 §7.1); ask its owner to add it, or use '
        f"an address at {zone}"
    )


def check_record(text: str, zone: str) -> list[Finding]:
    """Tags and values of a DMARC record (RFC 7489 §6.3, ABNF §6.4)."""
    out: list[Finding] = []
    tags: dict[str, str] = {}
    parts = [p.strip() for p in text.split(";")]
    for i, part in enumerate(parts):
        if not part:
            continue
        if "=" not in part:
            out.append(("error", f"`{part}` is not tag=value; receivers ignore the record (RFC 7489 §6.4)"))
            continue
        name, value = (s.strip() for s in part.split("=", 1))
        if i == 0 and (name != "v" or value != "DMARC1"):
            return [
                ("error", "a DMARC record must start with `v=DMARC1` (RFC 7489 §6.4), or receivers ignore it")
            ]
        if name not in TAGS:
            out.append(("error", f"`{name}` is not a DMARC tag (RFC 7489 §6.3 defines {', '.join(TAGS)})"))
            continue
        if name in tags:
            out.append(("error", f"tag `{name}` appears twice"))
        tags[name] = value
    if "p" not in tags:
        out.append(("error", "no `p=` policy: receivers ignore a DMARC record without it (RFC 7489 §6.3)"))
    for tag in ("p", "sp"):
        if tag in tags and tags[tag] not in _POLICIES:
            out.append(("error", f"`{tag}={tags[tag]}` must be none, quarantine or reject"))
    for tag in ("adkim", "aspf"):
        if tag in tags and tags[tag] not in ("r", "s"):
            out.append(("error", f"`{tag}={tags[tag]}` must be r (relaxed) or s (strict)"))
    if "pct" in tags and not (tags["pct"].isdigit() and 0 <= int(tags["pct"]) <= 100):
        out.append(("error", f"`pct={tags['pct']}` must be a whole number 0..100"))
    if "fo" in tags and not all(o in ("0", "1", "d", "s") for o in tags["fo"].split(":")):
        out.append(("error", f"`fo={tags['fo']}` must be 0, 1, d or s, joined by colons (like 1 or 0:d)"))
    if "ri" in tags and not tags["ri"].isdigit():
        out.append(("error", f"`ri={tags['ri']}` must be a number of seconds"))
    if "rf" in tags and tags["rf"].lower() != "afrf":
        out.append(("error", f"`rf={tags['rf']}`: the only report format is afrf"))
    if "p" in tags and "rua" not in tags:
        out.append(("warning", NO_RUA.format(zone=zone)))
    for tag in ("rua", "ruf"):
        if tag not in tags:
            continue
        for uri in uri_mod.split_uris(tags[tag]):
            problem = uri_problem(uri)
            if problem:
                out.append(("error", f"{tag}: {problem}; reports would never arrive"))
            elif warning := external_report_warning(uri, zone):
                out.append(("warning", f"{tag}: {warning}"))
    return out
