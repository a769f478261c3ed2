"""mail/recognise.py is expand's inverse: any block zonesync expands is recognised as the same block."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from zonesync.mail import mail_records
from zonesync.mail.recognise import recognise
from zonesync.zonefile.load import load_zone_file

ZONE = "example.com"

spf_terms = st.lists(
    st.sampled_from(["mx", "a", "ip4:192.0.2.0/24", "ip6:2001:db8::/32", "include:_spf.example.net"]),
    min_size=1,
    max_size=3,
    unique=True,
)
addresses = st.lists(
    st.sampled_from(["192.0.2.1", "192.0.2.2", "198.51.100.7"]), min_size=1, max_size=2, unique=True
)


@settings(max_examples=40, deadline=None)
@given(
    hosts=st.lists(st.sampled_from(["mx", "mx2", "mail"]), min_size=1, max_size=2, unique=True),
    ipv4=addresses,
    allow=spf_terms,
    all_=st.sampled_from(["fail", "softfail", "neutral"]),
    on_hosts=st.sampled_from([False, True, "fail"]),
    policy=st.sampled_from(["none", "quarantine", "reject"]),
    rua=st.lists(st.sampled_from(["mailto:d@example.com", "mailto:r@example.net"]), max_size=2, unique=True),
    pct=st.none() | st.integers(0, 100),
    tls=st.booleans(),
)
def test_expand_then_recognise(hosts, ipv4, allow, all_, on_hosts, policy, rua, pct, tls):
    block = {
        "mx": [{"host": h, "priority": 10 * (i + 1)} for i, h in enumerate(hosts)],
        "hosts": {h: {"ipv4": sorted(ipv4)} for h in hosts},
        "spf": {"allow": allow, "all": all_},
        "dmarc": {"policy": policy},
    }
    if on_hosts is not False:
        block["spf"]["on_mx_hosts"] = on_hosts if on_hosts != all_ else True
    if rua:
        block["dmarc"]["rua"] = rua
    if pct is not None:
        block["dmarc"]["percent"] = pct
    if tls:
        block["tls_rpt"] = {"rua": ["mailto:tls@example.com"]}
    text = yaml.safe_dump({"zone": ZONE, "mail": block}, sort_keys=False)
    config = load_zone_file("<test>", text)
    records = mail_records(config, None, generate_keys=False).records
    found = recognise(records, ZONE, config.ttl)
    assert found.block == block
    assert sorted(map(id, found.used)) == sorted(map(id, records))
