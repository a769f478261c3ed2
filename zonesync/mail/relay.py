"""`mail.relay:` expanded and checked: the provider's DKIM, return-path (envelope sender) and SPF records, the
SPF lookup budget with each include's cost, and DMARC alignment of what the relay sends. Pure.

The provider's SPF goes where the envelope sender is (RFC 7208 §2.4: SPF checks the MAIL FROM domain): the
return-path subdomain for SES custom MAIL FROM, Mailgun, Postmark and SMTP2GO, never the apex, where it
would spend lookups and align nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zonesync.mail import spf
from zonesync.mail.relay_providers import PROVIDERS
from zonesync.mail.relay_spec import RelaySpec
from zonesync.model import Diagnostic, Record, Source
from zonesync.zonefile import rdata

ORIGIN = "mail:relay"


@dataclass(frozen=True)
class RelayRecord:
    role: str
    """dkim | return-path | spf | bounce-mx | verification"""
    record: Record


def dkim_domain(spec: RelaySpec, zone: str) -> str:
    """The d= the relay signs with: Mailgun signs as its sending (sub)domain, the others as the zone."""
    if spec.provider == "mailgun":
        return spec.return_path_name(zone) or zone
    return zone


def spf_terms(spec: RelaySpec) -> tuple[str, ...]:
    """The SPF terms that authorise the relay (the provider's include, or `custom`'s terms)."""
    provider = PROVIDERS[spec.provider]
    if provider.spf is not None:
        return (f"include:{provider.spf.domain}",)
    return spec.spf


def spf_name(spec: RelaySpec, zone: str) -> str | None:
    """Where the relay's SPF TXT record goes; None when it needs none of ours (a CNAME'd return path, the
    provider's own envelope domain) or when `custom` terms join the apex record."""
    if spec.return_path_cname is not None:
        return None
    if not spf_terms(spec):
        return None
    return spec.return_path_name(zone)


def apex_spf_terms(spec: RelaySpec, zone: str) -> tuple[str, ...]:
    """`custom` terms with no return path of their own: they join the apex SPF record."""
    if spec.provider == "custom" and spec.return_path is None:
        return spec.spf
    return ()


def relay_records(spec: RelaySpec, zone: str, ttl: int, all_: str = "softfail") -> tuple[RelayRecord, ...]:
    """Every record the relay needs, in a fixed order: verification, DKIM, return path, SPF, bounce MX."""
    out: list[RelayRecord] = []

    def add(role: str, name: str, rtype: str, text: str, src: Source) -> None:
        value = rdata.canonical_value(rtype, text, zone)
        proxied = False if rtype == "CNAME" else None
        source = Source(src.path, src.line, src.field, ORIGIN)
        out.append(RelayRecord(role, Record(name, rtype, value, ttl, proxied, source=source)))

    if spec.code is not None:
        code = spec.code if spec.code.startswith("brevo-code:") else f"brevo-code:{spec.code}"
        add("verification", zone, "TXT", code, spec.source.at("mail.relay.code"))
    signer = dkim_domain(spec, zone)
    for d in spec.dkim:
        name = f"{d.selector}._domainkey.{signer}"
        if d.cname is not None:
            add("dkim", name, "CNAME", d.cname + ".", d.source)
        else:
            assert d.key is not None
            add("dkim", name, "TXT", d.key, d.source)
    rp = spec.return_path_name(zone)
    if rp is not None and spec.return_path_cname is not None:
        add(
            "return-path", rp, "CNAME", spec.return_path_cname + ".", spec.source.at("mail.relay.return_path")
        )
    spf_at = spf_name(spec, zone)
    if spf_at is not None:
        add("spf", spf_at, "TXT", spf.record_text(list(spf_terms(spec)), all_), spec.source.at("mail.relay"))
    if spec.provider == "ses" and rp is not None:
        # SES: "an MX record so that your custom MAIL FROM domain can receive the bounce and complaint
        # notifications" (its mail-from page): 10 feedback-smtp.<region>.amazonses.com
        add(
            "bounce-mx",
            rp,
            "MX",
            f"10 feedback-smtp.{spec.region}.amazonses.com.",
            spec.source.at("mail.relay.region"),
        )
    return tuple(out)


def include_costs(terms: Sequence[str]) -> list[tuple[str, int | None, str]]:
    """(term, lookups it costs or None when unknown offline, where the cost comes from) for each term that
    makes DNS queries."""
    known = {p.spf.domain: p.spf for p in PROVIDERS.values() if p.spf is not None}
    out: list[tuple[str, int | None, str]] = []
    for term in terms:
        if not spf.term_lookups(term):
            continue
        body = term.lstrip("+-~?").lower()
        if body.startswith("include:"):
            inc = known.get(body[8:].rstrip("."))
            if inc is not None:
                out.append((term, inc.cost, inc.source))
            else:
                out.append((term, None, "not in zonesync's provider table: `zonesync verify` counts it"))
        else:
            out.append((term, 1, "RFC 7208 §4.6.4"))
    return out


def lookup_budget(terms: Sequence[str]) -> tuple[int, bool, str]:
    """(lookups known offline, whether every cost was known, "term costs N" words)."""
    costs = include_costs(terms)
    total = sum(c for _, c, _ in costs if c is not None)
    words = ", ".join(f"{t} costs {c if c is not None else '?'}" for t, c, _ in costs) or "no lookups"
    return total, all(c is not None for _, c, _ in costs), words


def check_relay(
    spec: RelaySpec,
    zone: str,
    records: Sequence[Record],
    apex_spf: Record | None,
    mx_hosts: Sequence[str],
    aspf: str | None,
    adkim: str | None,
) -> list[Diagnostic]:
    """Offline checks of the relay: return path usable, SPF where the envelope sender is and within 10
    lookups, DKIM present, DMARC alignment of relayed mail with the From domain (the zone)."""
    out: list[Diagnostic] = []
    src = spec.source
    provider = PROVIDERS[spec.provider]
    rp = spec.return_path_name(zone)
    if rp is not None and (rp == zone or rp in mx_hosts) and spec.return_path_cname is not None:
        out.append(Diagnostic("error", src.at("mail.relay.return_path"), f"the return path {rp} is a CNAME to "
                              f"{spec.return_path_cname}, so it cannot also be {'the zone apex' if rp == zone else 'an MX host'}: "
                              "pick an unused name such as `bounce`"))  # fmt: skip
    if spec.provider == "ses" and rp is not None and (rp == zone or rp in mx_hosts):
        out.append(Diagnostic("error", src.at("mail.relay.return_path"), f"the SES MAIL FROM domain {rp} must be a "
                              "subdomain that receives no mail (its MX goes to SES): pick an unused name such as `bounce`"))  # fmt: skip
    if rp is not None:
        mine = {id(r) for r in records if r.source is not None and r.source.origin == ORIGIN}
        for rec in records:
            if (
                rec.name == rp
                and id(rec) not in mine
                and (spec.return_path_cname is not None or rec.type == "CNAME")
            ):
                out.append(Diagnostic("error", rec.source or src, f"{rp} {rec.type} is declared, but mail.relay "
                                      f"uses {rp} as the return path (envelope sender): remove this record or pick "
                                      "another `return_path:`"))  # fmt: skip
    out += _spf_budget(spec, zone, records, apex_spf)
    if provider.spf is not None and apex_spf is not None and rp is not None and rp != zone:
        inc = f"include:{provider.spf.domain}"
        if any(t.lstrip("+").lower() == inc for t in apex_spf.value.split()[1:]):
            out.append(Diagnostic("warning", apex_spf.source or src, f"SPF at {zone} has `{inc}`, but "
                                  f"{provider.title} sends with the envelope sender at {rp}, where receivers check "
                                  f"SPF: at the apex it costs lookups and aligns nothing; remove it"))  # fmt: skip
    out += _alignment(spec, zone, aspf, adkim)
    return out


def _spf_budget(
    spec: RelaySpec, zone: str, records: Sequence[Record], apex_spf: Record | None
) -> list[Diagnostic]:
    name = spf_name(spec, zone)
    rec = apex_spf if name is None and apex_spf_terms(spec, zone) else None
    if name is not None:
        rec = next((r for r in records if r.name == name and r.type == "TXT" and spf.is_spf(r.value)), None)
    if rec is None:
        return []
    total, complete, words = lookup_budget(rec.value.split()[1:])
    if total > spf.MAX_LOOKUPS:
        return [Diagnostic("error", rec.source or spec.source, f"SPF at {rec.name} needs {total} DNS lookups "
                           f"({words}); RFC 7208 §4.6.4 allows {spf.MAX_LOOKUPS}, and receivers then fail SPF for "
                           "all mail: replace includes you control with ip4:/ip6: ranges")]  # fmt: skip
    if not complete:
        return [Diagnostic("warning", rec.source or spec.source, f"SPF at {rec.name}: at least {total} DNS lookups "
                           f"({words}); some include's cost is unknown offline: `zonesync verify` walks the tree")]  # fmt: skip
    return []


def _alignment(spec: RelaySpec, zone: str, aspf: str | None, adkim: str | None) -> list[Diagnostic]:
    """RFC 7489 §3.1: relaxed alignment needs the same organisational domain, strict the same name. Both
    the return path and the DKIM domain are in the zone, so relaxed alignment holds whenever they exist."""
    rp = spec.return_path_name(zone)
    spf_ok = rp is not None and (aspf != "strict" or rp == zone)
    signer = dkim_domain(spec, zone)
    dkim_ok = bool(spec.dkim) and (adkim != "strict" or signer == zone)
    src = spec.source
    if not spf_ok and not dkim_ok:
        why = []
        why.append(
            "its envelope sender is "
            + (f"{rp} (aspf=s needs {zone} itself)" if rp else "the provider's own domain")
        )
        why.append(
            "it signs "
            + (f"as {signer} (adkim=s needs {zone} itself)" if spec.dkim else "with no DKIM key of this zone")
        )
        return [Diagnostic("error", src, f"mail sent through the relay fails DMARC for {zone}: {'; '.join(why)}; add the "
                           "provider's DKIM records (dkim_selector/dkim_tokens) or use relaxed alignment")]  # fmt: skip
    if not dkim_ok:
        return [Diagnostic("warning", src, f"mail sent through the relay aligns with DMARC through SPF alone "
                           f"(return path {rp}); a forwarded message loses SPF and then fails DMARC: add the "
                           "provider's DKIM records")]  # fmt: skip
    return []
