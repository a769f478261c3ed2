"""`zonesync explain`: each mail record in plain words — what it does, who reads it, what breaks
without it. Written for someone who has never heard of DMARC. Pure: records in, text out."""

from __future__ import annotations

from collections.abc import Sequence

from zonesync.mail import dkim, mta_sts
from zonesync.mail.checks import kind, place
from zonesync.mail.relay_spec import RelaySpec
from zonesync.model import Diagnostic, Record
from zonesync.zonefile import rdata

_POLICY_WORDS = {
    "none": "only watch: deliver failing mail normally and send reports (a safe first step)",
    "quarantine": "put mail that fails the checks into the spam folder",
    "reject": "refuse mail that fails the checks outright",
}
_ALL_WORDS = {
    "-all": "should refuse mail from any other server",
    "~all": "should treat mail from any other server as suspicious (usually: spam folder)",
    "?all": "should make no judgement about other servers",
    "+all": "should accept mail from every server on the internet (this disables SPF)",
    "all": "should accept mail from every server on the internet (this disables SPF)",
}


def explain_record(rec: Record, zone: str, mx_hosts: Sequence[str]) -> tuple[str, str, str]:
    """(what it does, who reads it, what breaks without it)."""
    k = kind(rec)
    if rec.type == "MX" and rec.value == "0 .":
        return (
            f'A "null MX" (RFC 7505): {zone} receives no email at all.',
            "Every mail server that has a message for an @" + zone + " address: it bounces it at once.",
            f"Senders try the address records of {zone} and queue mail for days before giving up.",
        )
    if k == "dkim" and rec.value.replace(" ", "").endswith("p=") and rec.name.startswith("*."):
        return (
            "DKIM: an empty key for every selector (RFC 6376 §3.6.1: revoked), so no signature can claim this "
            "domain.",
            "Receiving mail servers checking a DKIM signature that names this domain.",
            "A forged message with a made-up signature is merely unverifiable instead of plainly failing.",
        )
    if rec.type == "MX":
        host = rec.value.split()[-1].rstrip(".")
        return (
            f"Says which machine receives email for {zone}: {host} (priority {rec.value.split()[0]}; "
            "lower numbers are tried first).",
            "Every mail server that has a message for an @" + zone + " address.",
            f'Nobody can deliver email to {zone}: senders get "no mail server" and bounce the message.',
        )
    if rec.type in ("A", "AAAA") and rec.name in mx_hosts:
        ver = "IPv4" if rec.type == "A" else "IPv6"
        return (
            f"Gives the {ver} address ({rec.value}) of the mail server {rec.name}.",
            "Mail servers delivering to you, after the MX record told them the server's name.",
            f"Senders know the server's name but cannot reach it over {ver}; with neither A nor AAAA, mail bounces.",
        )
    if k == "spf":
        terms = rec.value.split()[1:]
        last = terms[-1] if terms else ""
        allowed = [t for t in terms if t.lstrip("+-~?").lower() != "all"]
        who = ", ".join(_spf_term_words(t) for t in allowed) or "no server"
        return (
            f"SPF: lists the servers allowed to send email as @{rec.name} ({who}); receivers "
            f"{_ALL_WORDS.get(last.lower(), 'decide themselves about other servers')}.",
            "Every mail server that receives a message claiming to come from " + rec.name + ".",
            (
                "Anyone can send mail pretending to be you, and big providers (Gmail, Outlook) put your real mail "
                "in spam or refuse it."
                if rec.name == zone
                else f"Your mail server introduces itself as {rec.name} (SMTP HELO) and sends bounce notices as "
                "it; receivers check SPF for that name too (RFC 7208 §2.3) and distrust it without a record."
            ),
        )
    if k == "dkim":
        sel = rec.name.split("._domainkey.")[0]
        pending = (
            " The key does not exist yet: `zonesync apply` (or `zonesync dkim generate`) creates it."
            if rec.pending
            else ""
        )
        try:
            what = dkim.describe(dkim.public_key_from_record(rec.value)) + " "
        except dkim.DkimParseError:
            what = ""
        return (
            f'DKIM: publishes the {what}public key for selector "{sel}". Your mail server signs every '
            f"message with the matching private key; this record lets anyone check the signature.{pending}",
            "Receiving mail servers, for every message that carries a DKIM signature with s=" + sel + ".",
            "Signatures cannot be checked, so your mail looks forged or unsigned: DMARC fails and mail goes to "
            "spam.",
        )
    if k == "dmarc":
        tags = dict(
            (p.split("=", 1)[0].strip(), p.split("=", 1)[1].strip()) for p in rec.value.split(";") if "=" in p
        )
        policy = tags.get("p", "none")
        reports = ""
        if tags.get("rua"):
            reports += f" Daily summary reports go to {tags['rua']}."
        if tags.get("ruf"):
            reports += f" Reports on individual failing messages go to {tags['ruf']}."
        return (
            "DMARC: tells receivers what to do with mail that claims to be from "
            f"{zone} but passes neither SPF nor DKIM for it: {_POLICY_WORDS.get(policy, policy)}.{reports}",
            "Receiving mail servers (Gmail, Outlook, ...) after they checked SPF and DKIM.",
            "Receivers guess on their own; big providers increasingly refuse mail from domains without DMARC, "
            "and you never hear about people forging your address.",
        )
    if k == "sts":
        return (
            "MTA-STS: announces that your mail server always accepts encrypted (TLS) connections with a valid "
            f"certificate, and where the rules are: {mta_sts.policy_url(zone)}. The id changes whenever the "
            "policy changes, so senders refetch it.",
            "Sending mail servers that support MTA-STS (Gmail, Outlook and others), before delivering to you.",
            "Senders fall back to unencrypted or unverified delivery when an attacker interferes, so your mail "
            "can be read or redirected in transit.",
        )
    if k == "tlsrpt":
        rua = rec.value.split("rua=", 1)[-1]
        return (
            f"TLS-RPT: asks senders to report problems with encrypted delivery to you, to {rua}.",
            "Sending mail servers that support TLS reporting.",
            "When encrypted delivery to you fails (an expired certificate, a wrong MTA-STS policy), mail "
            "silently stops and nobody tells you.",
        )
    return ("", "", "")


def _spf_term_words(term: str) -> str:
    body = term.lstrip("+-~?")
    low = body.lower()
    if low == "mx":
        return "your MX servers"
    if low == "a":
        return "this name's own address"
    if low.startswith("ip4:") or low.startswith("ip6:"):
        return body[4:]
    if low.startswith("include:"):
        return f"the servers {body[8:]} lists"
    if low.startswith("a:") or low.startswith("mx:"):
        return body
    return body


def explain(
    zone: str,
    records: Sequence[Record],
    mx_hosts: Sequence[str],
    policy: str | None = None,
    diagnostics: Sequence[Diagnostic] = (),
    relay: RelaySpec | None = None,
) -> str:
    """The whole explanation: one paragraph per mail record, the MTA-STS policy, the outbound relay (when
    `mail.relay` is set), then any problems."""
    from zonesync.mail import relay_explain

    lines = [f"Mail records for {zone}", ""]
    shown = 0
    for rec in records:
        if relay is not None and relay_explain.is_relay_record(rec):
            what, who, without = relay_explain.explain_relay_record(rec, relay, zone)
        else:
            what, who, without = explain_record(rec, zone, mx_hosts)
        if not what:
            continue
        shown += 1
        origin = (
            f"from {rec.source.origin.replace(':', '.')}" if rec.source and rec.source.origin else "declared"
        )
        lines.append(f"{rec.name}  {rec.type}  {rdata.display_value(rec.type, rec.value)}")
        lines.append(f"    ({origin}, {place(rec)})")
        lines.append(f"  What it does:  {what}")
        lines.append(f"  Who reads it:  {who}")
        lines.append(f"  Without it:    {without}")
        lines.append("")
    if not shown:
        lines.append("This zone file declares no mail records. Add a `mail:` block (see docs/mail.md).")
        lines.append("")
    if policy is not None:
        lines.append(
            f"MTA-STS policy (must be served at {mta_sts.policy_url(zone)} with a valid certificate):"
        )
        lines.extend("    " + line for line in policy.splitlines())
        lines.append("  `zonesync mta-sts policy " + zone + " --out-dir DIR` writes it for a static host.")
        lines.append("")
    if relay is not None:
        lines.extend(relay_explain.summary(relay, zone))
        lines.append("")
    if diagnostics:
        lines.append("Problems:")
        lines.extend(f"  {d}" for d in diagnostics)
    return "\n".join(lines).rstrip() + "\n"
