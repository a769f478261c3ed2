"""verify's network flags through the real CLI (`--smtp`, `--outbound`/`--probe-domain`, `--connect-to`,
`--ca-file`) against loopback servers: each failure's message in the report and its exit code."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import ssl
from collections.abc import Iterator

import trustme
from netservers import Answer, closed_port, filtered_port, https_server
from verify_env import MAIL_ZONE, World, findings, world_fixture  # noqa: F401

from zonesync.mail import policy_for
from zonesync.verify.outbound import BLOCKED
from zonesync.zonefile.load import load_configs


def _mail_zone(world: World) -> None:
    world.write(MAIL_ZONE)
    world.apply()
    world.ptr("203.0.113.25", "mx.example.com")
    world.ptr("2001:db8::25", "mx.example.com")


def _other_domain_mx(world: World) -> None:
    """other.example receives mail at mx.other.example (192.0.2.50): the --outbound probe's target."""
    world.add("other.example", "MX", "other.example", "mx.other.example", priority=10)
    world.add("other.example", "A", "mx.other.example", "192.0.2.50")


def test_smtp_refused_and_filtered_are_told_apart_and_fail_with_exit_5(world: World) -> None:
    _mail_zone(world)
    refused = closed_port()
    with filtered_port() as filtered:
        code, doc = world.verify_json(
            "--smtp",
            "--connect-to",
            f"203.0.113.25:25:127.0.0.1:{refused}",
            "--connect-to",
            f"[2001:db8::25]:25:127.0.0.1:{filtered}",
            "--timeout",
            "0.5",
            dns_only=False,
        )
    assert code == 5, json.dumps(doc, indent=1)
    failed = {f["subject"]: f["message"] for f in findings(doc, "smtp", "fail")}
    assert failed == {
        "mx.example.com (203.0.113.25)": (
            f"connection to 127.0.0.1:{refused} refused (nothing listens there, or a firewall rejects)"
        ),
        "mx.example.com (2001:db8::25)": (
            f"nothing answers at 127.0.0.1:{filtered} within 0.5 s (the port is filtered on the way)"
        ),
    }


def test_outbound_blocked_is_one_line_about_this_machine(world: World) -> None:
    _mail_zone(world)
    _other_domain_mx(world)
    with filtered_port() as filtered:
        result = world.verify(
            "--outbound",
            "--probe-domain",
            "other.example",
            "--connect-to",
            f"192.0.2.50:25:127.0.0.1:{filtered}",
            timeout="0.5",
        )
    assert result.exit_code == 5, result.output
    assert BLOCKED in result.output


def test_outbound_open(world: World) -> None:
    _mail_zone(world)
    _other_domain_mx(world)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        route = f"192.0.2.50:25:127.0.0.1:{listener.getsockname()[1]}"
        code, doc = world.verify_json("--outbound", "--probe-domain", "other.example", "--connect-to", route)
    assert code == 0, json.dumps(doc, indent=1)
    [machine] = doc["machine"]
    assert machine["topic"] == "outbound" and machine["status"] == "pass"
    assert machine["message"] == "this machine can open TCP port 25 to mx.other.example (192.0.2.50)"


@contextlib.contextmanager
def _policy_server(world: World, *names: str, **cert: object) -> Iterator[list[str]]:
    """The generated policy over HTTPS on loopback with a certificate for `names` (trustme's `cert` options),
    and the flags that reach it."""
    policy = policy_for(load_configs([world.root / "zones" / "example.com.yaml"])[0])
    assert policy is not None
    ca = trustme.CA()
    ca_file = world.root / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names, **cert).configure_cert(ctx)
    with https_server(ctx, Answer(body=policy.encode())) as (port, _seen):
        yield ["--connect-to", f"mta-sts.example.com:443:127.0.0.1:{port}", "--ca-file", str(ca_file)]


def test_policy_certificate_for_another_name_through_the_cli(world: World) -> None:
    _mail_zone(world)
    with _policy_server(world, "www.example.net") as flags:
        result = world.verify(*flags, dns_only=False)
    assert result.exit_code == 5, result.output
    assert "the certificate is for www.example.net, not mta-sts.example.com" in result.output


def test_expired_policy_certificate_through_the_cli(world: World) -> None:
    _mail_zone(world)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    with _policy_server(
        world, "mta-sts.example.com", not_after=past, not_before=past - dt.timedelta(days=30)
    ) as flags:
        result = world.verify(*flags, dns_only=False)
    assert result.exit_code == 5, result.output
    assert f"the certificate of mta-sts.example.com expired on {past:%Y-%m-%d}" in result.output


def test_bad_connect_to_is_one_line(world: World) -> None:
    _mail_zone(world)
    result = world.verify("--connect-to", "mta-sts.example.com:443:127.0.0.1")
    assert result.exit_code != 0
    assert "expected HOST:PORT:CONNECT_HOST:CONNECT_PORT" in result.output
    assert "Traceback" not in result.output
