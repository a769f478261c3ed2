"""What a zone file says about the zone's own mail: its DKIM selectors, the addresses of its mail hosts and
the networks its SPF lists. The causes of a failure are named against these. Pure.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from zonesync.mail.records import mail_spec
from zonesync.zonefile.config import ZoneConfig

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ZoneFacts:
    """One managed zone as the reports analysis needs it."""

    zone: str
    selectors: tuple[str, ...] = ()
    own_networks: tuple[Network, ...] = ()
    """The mail hosts' addresses (mail.hosts) and the ip4:/ip6: terms of mail.spf.allow."""
    spf_terms: tuple[str, ...] = ()
    dmarc_policy: str = ""
    has_mail: bool = False

    def is_own(self, address: str) -> bool:
        """Whether `address` is one of the zone's own senders as the zone file declares them."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip.version == net.version and ip in net for net in self.own_networks)


def _network(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def zone_facts(config: ZoneConfig) -> ZoneFacts:
    """The facts of a checked zone file (ZoneFileError from the mail block's parser on a malformed one)."""
    spec = mail_spec(config)
    if spec is None:
        return ZoneFacts(config.zone)
    networks: list[Network] = []
    for host in spec.hosts:
        for address, _src in (*host.ipv4, *host.ipv6):
            net = _network(address)
            if net is not None:
                networks.append(net)
    terms = tuple(term for term, _src in spec.spf.allow) if spec.spf else ()
    for term in terms:
        low = term.lower().lstrip("+")
        if low.startswith(("ip4:", "ip6:")):
            net = _network(low[4:])
            if net is not None:
                networks.append(net)
    return ZoneFacts(
        zone=config.zone,
        selectors=tuple(d.selector for d in spec.dkim),
        own_networks=tuple(dict.fromkeys(networks)),
        spf_terms=terms,
        dmarc_policy=spec.dmarc.policy if spec.dmarc else "",
        has_mail=True,
    )
