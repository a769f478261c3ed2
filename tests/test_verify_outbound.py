"""verify --outbound against loopback ports standing in for other domains' MX hosts (via --connect-to)."""

from __future__ import annotations

import socket

from netservers import closed_port, filtered_port

from zonesync.verify.outbound import BLOCKED, check_outbound
from zonesync.verify.result import ConnectTo, NetOptions, Status


def rules(*pairs: tuple[str, int]) -> tuple[ConnectTo, ...]:
    return tuple(ConnectTo(address, 25, "127.0.0.1", port) for address, port in pairs)


def test_blocked_when_no_target_answers():
    refused = closed_port()
    with filtered_port() as filtered:
        opts = NetOptions(timeout=0.5, connect_to=rules(("192.0.2.1", filtered), ("192.0.2.2", refused)))
        [finding] = check_outbound([("mx1.example.net", "192.0.2.1"), ("mx2.example.net", "192.0.2.2")], opts)
    assert finding.status is Status.FAIL
    assert finding.message == BLOCKED
    assert finding.message == (
        "outbound port 25 is blocked from this network (many ISPs block it): mail will queue and time out; "
        "relay through a smarthost"
    )
    assert finding.details == (
        f"mx1.example.net (192.0.2.1): nothing answers at 127.0.0.1:{filtered} within 0.5 s (the port is filtered "
        "on the way)",
        f"mx2.example.net (192.0.2.2): connection to 127.0.0.1:{refused} refused (nothing listens there, or a "
        "firewall rejects)",
    )
    assert "smarthost" in finding.fix


def test_open_when_one_target_accepts():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        opts = NetOptions(
            timeout=2,
            connect_to=rules(("192.0.2.1", closed_port()), ("192.0.2.2", listener.getsockname()[1])),
        )
        [finding] = check_outbound([("mx1.example.net", "192.0.2.1"), ("mx2.example.net", "192.0.2.2")], opts)
    assert finding.status is Status.PASS
    assert finding.message == "this machine can open TCP port 25 to mx2.example.net (192.0.2.2)"
    assert finding.details[1] == "mx2.example.net (192.0.2.2): connected"


def test_nothing_to_probe_is_an_error():
    [finding] = check_outbound([], NetOptions())
    assert finding.status is Status.ERROR
    assert finding.message == "no MX address to probe"
