"""DMARC as RFC 9989 (DMARCbis, which obsoletes RFC 7489) defines it: the `_dmarc` record text, and a check of
its tags, values and report URIs.

RFC 9989 §4.7 (General Record Format) lists the tags: v, p, sp, np (non-existent subdomains), psd (a public
suffix domain's record), t (testing), adkim, aspf, rua, ruf, fo. It removed pct, rf and ri: receivers
following it ignore them, older ones may still read them, so a record that has them is warned, and
zonesync never writes them. "Unknown tags MUST be ignored" (§4.7): a warning, not an error. A record
without p= is read as p=none when its rua has a valid URI (§4.10.1), otherwise ignored.
"""

from __future__ import annotations

from zonesync.mail import uri as uri_mod
from zonesync.mail.orgdomain import registrable_domain
from zonesync.mail.spec import DmarcSpec

Finding = tuple[str, str]

TAGS = ("v", "p", "sp", "np", "psd", "t", "adkim", "aspf", "rua", "ruf", "fo")
"""RFC 9989 §4.7."""
REMOVED = ("pct", "rf", "ri")
"""In RFC 7489, removed by RFC 9989."""
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
    """v first (RFC 9989 §4.7), then p, as every example does; never pct, rf or ri (removed)."""
    parts = ["v=DMARC1", f"p={spec.policy}"]
    if spec.subdomain_policy:
        parts.append(f"sp={spec.subdomain_policy}")
    if spec.nonexistent_policy:
        parts.append(f"np={spec.nonexistent_policy}")
    if spec.testing:
        parts.append("t=y")
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
    """RFC 9989 dmarc-uri: a mailto: (or https:) URI (RFC 7489's `!size` limit is still accepted)."""
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
    """Reports to another organisational domain need that domain's consent record (RFC 7489 §7.1; RFC 9990
    for aggregate reports keeps it). Offline, the organisational domain is the public suffix list's
    registrable domain (the message says so); `verify` finds it with RFC 9989's DNS tree walk."""
    dom = report_domain(uri)
    org = registrable_domain(zone)
    if dom is None or dom == org or dom.endswith("." + org):
        return None
    return (
        f"reports to {uri} go to another domain ({dom} is outside {org}, the organisational domain by the "
        f"public suffix list; `zonesync verify` finds it with RFC 9989's DNS tree walk): receivers send them "
        f'only if {dom} publishes `{zone}._report._dmarc.{dom}` TXT "v=DMARC1" (RFC 7489 §7.1); ask its '
        f"owner to add it, or use an address at {zone}"
    )


def check_record(text: str, zone: str) -> list[Finding]:
    """Tags and values of a DMARC record (RFC 9989 §4.7, its formal definition §4.8)."""
    out: list[Finding] = []
    tags: dict[str, str] = {}
    parts = [p.strip() for p in text.split(";")]
    for i, part in enumerate(parts):
        if not part:
            continue
        if "=" not in part:
            out.append(("error", f"`{part}` is not tag=value; receivers ignore the record (RFC 9989 §4.8)"))
            continue
        name, value = (s.strip() for s in part.split("=", 1))
        if i == 0 and (name != "v" or value != "DMARC1"):
            return [
                ("error", "a DMARC record must start with `v=DMARC1` (RFC 9989 §4.7), or receivers ignore it")
            ]
        if name in REMOVED:
            out.append(
                (
                    "warning",
                    f"`{name}=` was removed by RFC 9989 (receivers following it ignore it, older ones may not): "
                    + (
                        "remove it; to test a policy without it being applied, use t=y"
                        if name == "pct"
                        else "remove it"
                    ),
                )
            )
            continue
        if name not in TAGS:
            out.append(("warning", f"`{name}` is not a DMARC tag: receivers ignore it (RFC 9989 §4.7)"))
            continue
        if name in tags:
            out.append(("error", f"tag `{name}` appears twice"))
        tags[name] = value
    rua_ok = any(uri_problem(u) is None for u in uri_mod.split_uris(tags.get("rua", "")))
    if "p" not in tags:
        if rua_ok:
            out.append(
                (
                    "warning",
                    "no `p=` policy: receivers read the record as p=none (RFC 9989 §4.10.1); write it",
                )
            )
        else:
            out.append(
                ("error", "no `p=` policy and no valid rua: receivers ignore the record (RFC 9989 §4.10.1)")
            )
    for tag in ("p", "sp", "np"):
        if tag in tags and tags[tag] not in _POLICIES:
            out.append(("error", f"`{tag}={tags[tag]}` must be none, quarantine or reject"))
    for tag in ("adkim", "aspf"):
        if tag in tags and tags[tag] not in ("r", "s"):
            out.append(("error", f"`{tag}={tags[tag]}` must be r (relaxed) or s (strict)"))
    if "t" in tags and tags["t"] not in ("y", "n"):
        out.append(("error", f"`t={tags['t']}` must be y (testing: do not apply the policy) or n"))
    if "psd" in tags:
        if tags["psd"] not in ("y", "n", "u"):
            out.append(("error", f"`psd={tags['psd']}` must be y, n or u"))
        elif tags["psd"] == "y":
            out.append(
                (
                    "warning",
                    "`psd=y` says this domain is a public suffix (like a TLD): receivers then treat each "
                    "subdomain as a separate organisation (RFC 9989 §4.7); remove it unless you run a registry",
                )
            )
    if "fo" in tags and not all(o in ("0", "1", "d", "s") for o in tags["fo"].split(":")):
        out.append(("error", f"`fo={tags['fo']}` must be 0, 1, d or s, joined by colons (like 1 or 0:d)"))
    if "rua" not in tags:
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


def tags_of(text: str) -> dict[str, str]:
    """The tags of a DMARC record as receivers read them (the last of a repeated tag; malformed parts left
    out)."""
    out: dict[str, str] = {}
    for part in text.split(";"):
        name, eq, value = part.partition("=")
        if eq:
            out[name.strip()] = value.strip()
    return out
