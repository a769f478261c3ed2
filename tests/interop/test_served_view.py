"""The served view the interop layer gives Knot: Cloudflare's serving rules applied to its export."""

from __future__ import annotations

from served_view import served_view

from zonesync.emulator.dns_server import proxy_addresses

EXPORT = """\
;; SOA Record
example.com\t1800\tIN\tSOA\tada.ns.cloudflare.com. dns.cloudflare.com. 2300000001 10000 2400 604800 1800

;; NS Records
example.com.\t86400\tIN\tNS\tada.ns.cloudflare.com.

;; A Records
origin.example.com.\t1\tIN\tA\t192.0.2.1 ; cf_tags=cf-proxied:false
app.example.com.\t300\tIN\tA\t192.0.2.2 ; the app cf_tags=cf-proxied:true

;; CNAME Records
example.com.\t1\tIN\tCNAME\talias.example.com. ; cf_tags=cf-proxied:false
alias.example.com.\t1\tIN\tCNAME\torigin.example.com. ; cf_tags=cf-proxied:false
www.example.com.\t1\tIN\tCNAME\texample.com. ; cf_tags=cf-proxied:true
gone.example.com.\t1\tIN\tCNAME\tnowhere.example.com. ; cf_tags=cf-proxied:false
out.example.com.\t1\tIN\tCNAME\thost.example.net. ; cf_tags=cf-proxied:false

;; TXT Records
example.com.\t3600\tIN\tTXT\t"v=spf1 -all ; not a comment"
"""


def lines(text: str) -> set[tuple[str, ...]]:
    return {tuple(line.split("\t")) for line in text.splitlines()}


def test_served_view_applies_cloudflares_serving_rules() -> None:
    served = lines(served_view(EXPORT, "example.com"))
    app = {("app.example.com.", "300", "IN", "A", a) for a in proxy_addresses("app.example.com", "A")}
    www = {
        ("www.example.com.", "300", "IN", t, a)
        for t in ("A", "AAAA")
        for a in proxy_addresses("www.example.com", t)
    }
    assert served == {
        ("example.com.", "1800", "IN", "SOA", "ada.ns.cloudflare.com. dns.cloudflare.com. 2300000001 10000 2400 604800 1800"),
        ("example.com.", "86400", "IN", "NS", "ada.ns.cloudflare.com."),
        ("origin.example.com.", "300", "IN", "A", "192.0.2.1"),  # automatic TTL
        *app,  # proxied: the proxy's addresses, never the origin
        ("example.com.", "300", "IN", "A", "192.0.2.1"),  # apex CNAME flattened through a chain in the zone
        ("alias.example.com.", "300", "IN", "A", "192.0.2.1"),  # a target in the zone: flattened too
        *www,  # proxied CNAME: proxy A and AAAA
        ("out.example.com.", "300", "IN", "CNAME", "host.example.net."),  # outside the zone: a CNAME
        ("example.com.", "3600", "IN", "TXT", '"v=spf1 -all ; not a comment"'),
    }  # fmt: skip
    assert not any(line[0] == "gone.example.com." for line in served)  # dangling: NODATA
