"""What every check of one zone reads: the zone file's view (declared records, mail block, MTA-STS policy)
and the way to ask DNS (the zone's own names from its authoritative servers, the rest recursively)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zonesync.mail.expand import in_zone, mx_hosts
from zonesync.mail.spec import MailSpec
from zonesync.model import Record
from zonesync.verify.resolver import Answer, Resolver
from zonesync.verify.result import Finding, NetOptions, Status
from zonesync.zonefile.config import ZoneConfig


@dataclass
class ZoneContext:
    config: ZoneConfig
    records: tuple[Record, ...]
    """Every record the zone file declares, the `mail:` expansion included (canonical)."""
    spec: MailSpec | None
    policy: str | None
    """The MTA-STS policy zonesync would publish, or None."""
    resolver: Resolver
    opts: NetOptions = field(default_factory=NetOptions)
    memo: dict[str, Any] = field(default_factory=dict)
    """What a check computes once per zone and run and other checks reuse (the DNSSEC trust)."""

    @property
    def zone(self) -> str:
        return self.config.zone

    def finding(
        self,
        topic: str,
        subject: str,
        status: Status,
        message: str,
        fix: str = "",
        details: tuple[str, ...] = (),
    ) -> Finding:
        return Finding(self.zone, topic, subject, status, message, fix, details)

    async def lookup(self, name: str, rdtype: str) -> Answer:
        """The zone's own names from its authoritative servers; other names recursively."""
        name = name.rstrip(".").lower()
        if in_zone(name, self.zone):
            return await self.resolver.query_zone(self.zone, name, rdtype)
        return await self.resolver.query(name, rdtype)

    def declared(self, name: str, rdtype: str) -> list[Record]:
        return [r for r in self.records if r.name == name and r.type == rdtype]

    def mx_hosts(self) -> list[str]:
        """The MX hosts the zone file declares (absolute, no dot)."""
        return mx_hosts(self.spec, self.records, self.zone)

    @property
    def has_mail(self) -> bool:
        return self.spec is not None or any(r.name == self.zone and r.type == "MX" for r in self.records)
