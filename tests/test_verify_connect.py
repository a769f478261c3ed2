"""--connect-to: curl's HOST:PORT:CONNECT_HOST:CONNECT_PORT, parsed for the command and applied to every
connection verify makes."""

from __future__ import annotations

import pytest

from zonesync.verify.connect import parse_connect_to, route
from zonesync.verify.result import ConnectTo


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mta-sts.example.com:443:127.0.0.1:8443", ConnectTo("mta-sts.example.com", 443, "127.0.0.1", 8443)),
        ("MX.Example.COM.:25:[::1]:2525", ConnectTo("mx.example.com", 25, "::1", 2525)),
        ("[2001:db8::1]:25:127.0.0.1:", ConnectTo("2001:db8::1", 25, "127.0.0.1", 0)),
        ("::127.0.0.1:2525", ConnectTo("", 0, "127.0.0.1", 2525)),
    ],
)
def test_parse(text, expected):
    assert parse_connect_to(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "example.com:443:127.0.0.1",
            "'example.com:443:127.0.0.1': expected HOST:PORT:CONNECT_HOST:CONNECT_PORT",
        ),
        ("a:1:b:2:c", "'a:1:b:2:c': expected HOST:PORT:CONNECT_HOST:CONNECT_PORT"),
        ("[::1:25:a:1", "'[::1:25:a:1': expected HOST:PORT:CONNECT_HOST:CONNECT_PORT"),
        ("a:https:b:1", "'a:https:b:1': PORT 'https' is not a port number (1-65535)"),
        ("a:443:b:70000", "'a:443:b:70000': CONNECT_PORT '70000' is not a port number (1-65535)"),
    ],
)
def test_parse_rejects_with_a_clear_message(text, message):
    with pytest.raises(ValueError) as excinfo:
        parse_connect_to(text)
    assert str(excinfo.value).startswith(message)


def test_route_first_matching_rule_wins_and_empty_fields_keep_the_original():
    rules = (
        ConnectTo("mta-sts.example.com", 443, "127.0.0.1", 8443),
        ConnectTo("192.0.2.7", 25, "127.0.0.1", 0),
        ConnectTo("", 25, "", 2525),
    )
    assert route("MTA-STS.example.com.", 443, rules) == ("127.0.0.1", 8443)
    assert route("mta-sts.example.com", 80, rules) == ("mta-sts.example.com", 80)
    assert route("mx.example.com", 25, rules, address="192.0.2.7") == ("127.0.0.1", 25)
    assert route("mx.example.com", 25, rules, address="192.0.2.8") == ("192.0.2.8", 2525)
    assert route("www.example.com", 443, ()) == ("www.example.com", 443)


def test_verify_network_modules_import_no_click():
    """They are I/O edges below the command layer: with click unimportable they still import."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['click'] = None\n"
        "import zonesync.verify.mta_sts, zonesync.verify.smtp, zonesync.verify.outbound\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
