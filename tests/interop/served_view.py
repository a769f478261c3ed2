"""The zone as Cloudflare's nameservers serve it, built from Cloudflare's export (`zonesync export`), for an
authoritative server nobody here wrote (Knot DNS) to serve.

The export is the API's view; what resolvers get differs, and this is where (Cloudflare docs "Proxy status",
"CNAME flattening", "TTL"):
* a proxied A/AAAA is answered with proxy addresses, a proxied CNAME with proxy A and AAAA records (the
  addresses the emulator's DNS uses, so the two servers can be compared answer for answer);
* a CNAME at the apex, or one whose target is in the zone, is flattened: answered with the target's
  addresses (none, NODATA, when the target has none);
* TTL 1 ("automatic") is served as 300 s;
* the SOA line, which the export writes without the final dot (its header says to edit it), is made
  absolute.
"""

from __future__ import annotations

import re

from zonesync.emulator.dns_server import AUTO_TTL_SECONDS, proxy_addresses

_PROXIED = re.compile(r";.*\bcf_tags=\S*\bcf-proxied:true\b")


def _records(text: str) -> list[list[str]]:
    out = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        owner, ttl, klass, rtype, rest = line.split("\t", 4)
        out.append([owner, ttl, klass, rtype, rest])
    return out


def served_view(export: str, zone: str) -> str:
    """The zone file (absolute names, one record a line) a server loads to answer as Cloudflare would."""
    apex = zone.rstrip(".") + "."
    records = _records(export)
    served: list[tuple[str, int, str, str]] = []
    cnames: list[tuple[str, str]] = []
    for owner, ttl, _klass, rtype, rest in records:
        ttl_s = AUTO_TTL_SECONDS if ttl == "1" else int(ttl)
        if rtype == "SOA":
            served.append((owner.rstrip(".") + ".", ttl_s, rtype, rest))
            continue
        proxied = rtype in ("A", "AAAA", "CNAME") and _PROXIED.search(rest) is not None
        value = rest.split(" ;", 1)[0].strip() if rtype in ("A", "AAAA", "CNAME") else rest
        if proxied:
            for served_type in ("A", "AAAA") if rtype == "CNAME" else (rtype,):
                for address in proxy_addresses(owner.rstrip("."), served_type):
                    served.append((owner, AUTO_TTL_SECONDS, served_type, address))
        elif rtype == "CNAME" and (
            owner == apex or value.lower().endswith("." + apex) or value.lower() == apex
        ):
            cnames.append((owner, value.lower()))
        else:
            served.append((owner, ttl_s, rtype, value))
    for owner, target in cnames:
        seen: set[str] = set()
        while target not in seen:  # a chain of CNAMEs inside the zone ends at addresses, or at nothing
            seen.add(target)
            nxt = [t for o, t in cnames if o == target]
            if not nxt:
                break
            target = nxt[0]
        for o, ttl_s, rtype, value in list(served):
            if o.lower() == target and rtype in ("A", "AAAA"):
                served.append((owner, ttl_s, rtype, value))
    unique = dict.fromkeys(served)
    return "".join(f"{o}\t{t}\tIN\t{r}\t{v}\n" for o, t, r, v in unique)
