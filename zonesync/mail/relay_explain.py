"""`zonesync explain` for `mail.relay`: what each relay record does, and a summary of the relay (where mail
goes, the SPF lookups each include costs, how relayed mail aligns with DMARC). Pure: records in, text out."""

from __future__ import annotations

from zonesync.mail.relay import ORIGIN, dkim_domain, include_costs, spf_name, spf_terms
from zonesync.mail.relay_providers import PROVIDERS
from zonesync.mail.relay_spec import RelaySpec
from zonesync.model import Record
from zonesync.zonefile import rdata


def is_relay_record(rec: Record) -> bool:
    return rec.source is not None and rec.source.origin == ORIGIN


def explain_relay_record(rec: Record, spec: RelaySpec, zone: str) -> tuple[str, str, str]:
    """(what it does, who reads it, what breaks without it) for one record `relay_records` made."""
    title = PROVIDERS[spec.provider].title
    if "._domainkey." in rec.name:
        sel = rec.name.split("._domainkey.")[0]
        how = (
            f"an alias to {rdata.display_value('CNAME', rec.value)}, where {title} publishes the key (so {title} "
            "can rotate it without touching your zone)"
            if rec.type == "CNAME"
            else f"the public key {title} gave you"
        )
        return (
            f'DKIM for mail the relay sends: selector "{sel}" is {how}. {title} signs every relayed message '
            f"with d={dkim_domain(spec, zone)}, which aligns with your From domain for DMARC.",
            f"Receiving mail servers checking the DKIM signature {title} adds (s={sel}).",
            "Relayed mail carries a signature nobody can check: DMARC then rests on SPF alone, which forwarding breaks.",
        )
    if rec.type == "CNAME":
        return (
            f"The return path (envelope sender, MAIL FROM) of relayed mail: {rec.name} is an alias to "
            f"{rdata.display_value('CNAME', rec.value)}, so receivers checking SPF for {rec.name} get {title}'s "
            f"servers, and bounces reach {title}. It is a subdomain of {zone}, so SPF aligns with DMARC (relaxed).",
            "Receiving mail servers (SPF, RFC 7208 §2.4) and servers returning bounces.",
            f"Relayed mail uses {title}'s own bounce domain: SPF passes for {title}, not for you, and aligns nothing.",
        )
    if rec.type == "MX":
        return (
            f"Bounces and complaints for the relay's envelope sender {rec.name} go to {title} "
            f"({rdata.display_value('MX', rec.value)}); this name receives no other mail.",
            "Mail servers returning a bounce or a complaint for relayed mail.",
            f"{title} cannot verify the custom MAIL FROM domain and falls back to its own (SPF then aligns nothing).",
        )
    if rec.type == "TXT" and rec.value.startswith("brevo-code:"):
        return (
            f"Proves to {title} that you control {zone} (its domain verification code).",
            f"{title}, when you verify the domain in its dashboard.",
            f"{title} does not accept {zone} as a sender domain.",
        )
    costs = ", ".join(
        f"{t} costs {c if c is not None else '?'}" for t, c, _ in include_costs(spf_terms(spec))
    )
    return (
        f"SPF for the relay's envelope sender {rec.name}: allows {title}'s servers to send as it "
        f"({costs or 'no lookups'} of the 10 DNS lookups receivers allow). It is here, not at {zone}, because "
        "receivers check SPF for the envelope sender, not the From address.",
        f"Every mail server that receives a message relayed through {title}.",
        f"Relayed mail fails SPF for {rec.name}; with DKIM it may still pass DMARC, without it it fails.",
    )


def summary(spec: RelaySpec, zone: str) -> list[str]:
    """Lines for the end of `explain`: where outbound mail goes and how it authenticates."""
    provider = PROVIDERS[spec.provider]
    tls = "STARTTLS" if spec.port != 465 and spec.port != 8465 else "implicit TLS"
    rp = spec.return_path_name(zone)
    lines = [
        f"Outbound relay ({provider.title}): your mail server hands every outgoing message to {spec.host}:{spec.port} "
        f"({tls}, with a login) instead of port 25, and {provider.title} delivers it.",
        "  Envelope sender (return path): "
        + (rp if rp else f"{provider.title}'s own domain (SPF does not align)"),
        f"  DKIM: d={dkim_domain(spec, zone)}"
        + ("" if spec.dkim else " (no relay DKIM record: DMARC needs SPF alignment)"),
    ]
    name = spf_name(spec, zone)
    for term, cost, source in include_costs(spf_terms(spec)):
        where = name or (rp and f"{rp} (through its CNAME)") or zone
        lines.append(
            f"  SPF at {where}: {term} costs {cost if cost is not None else '?'} lookup(s) ({source})"
        )
    lines.append(
        f"  `zonesync relay config {zone}` prints the mail server's side (smarthost and where the password goes)."
    )
    return lines
