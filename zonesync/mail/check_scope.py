"""Which records the mail checks read, decided without loading them (they pull in the SPF, DMARC, DKIM and
MTA-STS parsers): a zone with no `mail:` block and none of these records gets the empty result at once.
Pure; imports nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zonesync.model import Record
    from zonesync.zonefile.config import ZoneConfig

_LOOKS = (
    ("v=spf", "spf"),
    ("v=dmarc", "dmarc"),
    ("v=stsv", "sts"),
    ("v=tlsrpt", "tlsrpt"),
    ("v=dkim", "dkim"),
)


def looks_like(rec: Record) -> str | None:
    """What a TXT record was meant to be, judged loosely (`v=spf mx -all`, `"v=DMARC1;...`, `V=DMARC1`), so
    a record that tries to be SPF, DMARC, MTA-STS, TLS-RPT or DKIM and fails is still checked as one."""
    if rec.type != "TXT":
        return None
    low = rec.value.lstrip().lstrip('"').lstrip().lower()
    for prefix, k in _LOOKS:
        if low.startswith(prefix):
            return k
    return "dkim" if "._domainkey." in rec.name and "p=" in low else None


def outside_mail(config: ZoneConfig) -> bool:
    """True when no mail check can find anything: no `mail:` block (no expansion, no block checks), no MX at
    the zone (`check_mx`), and no TXT record that even loosely looks like SPF, DMARC, MTA-STS, TLS-RPT or
    DKIM (every other check starts from one of those; a live record is only ever checked against such a
    declared one). One pass, no parsing: `looks_like` is a few string tests."""
    if config.mail is not None:
        return False
    zone = config.zone
    for rec in config.records:
        if rec.type == "TXT":
            if looks_like(rec) is not None:
                return False
        elif rec.type == "MX" and rec.name == zone:
            return False
    return True
