"""SMTP TLS Reporting (RFC 8460): the `_smtp._tls` record that asks senders for TLS failure reports."""

from __future__ import annotations

from zonesync.mail import uri as uri_mod
from zonesync.mail.spec import TlsRptSpec

Finding = tuple[str, str]


def record_name(zone: str) -> str:
    return f"_smtp._tls.{zone}"


def is_tlsrpt(text: str) -> bool:
    return text.lstrip().startswith("v=TLSRPTv1")


def record_text(spec: TlsRptSpec) -> str:
    """Written as RFC 8460 §3's example and maddy's tutorial write it: `v=TLSRPTv1;rua=...`."""
    return "v=TLSRPTv1;rua=" + ",".join(u for u, _ in spec.rua)


def uri_problem(uri: str) -> str | None:
    """RFC 8460 §3: each rua URI is mailto: or https:."""
    try:
        parsed = uri_mod.parse(uri)
    except uri_mod.UriError as exc:
        return str(exc)
    if parsed.scheme in ("mailto", "https"):
        return None
    return (
        f"{uri!r} is neither mailto: nor https: (RFC 8460 §3): senders drop the report; "
        "write mailto:tlsrpt@example.com or an https:// URL"
    )


def check_record(text: str) -> list[Finding]:
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if not parts or parts[0].replace(" ", "") != "v=TLSRPTv1":
        return [("error", "a TLS-RPT record must start with `v=TLSRPTv1` (RFC 8460 §3)")]
    tags = {k: v for k, _, v in (p.partition("=") for p in parts[1:])}
    tags = {k.strip(): v.strip() for k, v in tags.items()}
    if "rua" not in tags:
        return [("error", "no `rua=`: the record must say where TLS reports go (RFC 8460 §3)")]
    out: list[Finding] = []
    for uri in uri_mod.split_uris(tags["rua"]):
        problem = uri_problem(uri)
        if problem:
            out.append(("error", f"rua: {problem}"))
    return out
