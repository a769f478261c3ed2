"""However an MTA-STS policy server ends its answer — HTTP/1.0 closing the connection with no Content-Length, a
body shorter than its Content-Length, a reset — `verify` reports a check result, never `internal error`, and
prints nothing else on stderr (asyncio's "Future exception was never retrieved" included). The servers are
raw TLS servers on loopback (`raw_tls`), so each can end the connection exactly as the case says."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from clirun import process
from raw_tls import RawAnswer, http_answer, raw_tls_server
from verify_env import MAIL_ZONE, World, world_fixture  # noqa: F401

from zonesync.mail import policy_for
from zonesync.verify.mta_sts import check_policy
from zonesync.verify.result import ConnectTo, NetOptions, Status
from zonesync.zonefile.load import load_configs

URL = "https://mta-sts.example.com/.well-known/mta-sts.txt"


def _answers(policy: bytes) -> dict[str, tuple[RawAnswer, str, str]]:
    """case -> (what the server sends, the status the fetch finding must have, words its message holds)."""
    plain = {"Content-Type": "text/plain"}
    return {
        "HTTP/1.0, Connection: close, no Content-Length": (
            RawAnswer(http_answer(b"HTTP/1.0 200 OK", {**plain, "Connection": "close"}, policy)),
            "pass",
            f"fetched over HTTPS ({len(policy)} bytes, text/plain)",
        ),
        "HTTP/1.1, Connection: close, Content-Length": (
            RawAnswer(
                http_answer(
                    b"HTTP/1.1 200 OK",
                    {**plain, "Connection": "close", "Content-Length": str(len(policy))},
                    policy,
                )
            ),
            "pass",
            f"fetched over HTTPS ({len(policy)} bytes, text/plain)",
        ),
        "body shorter than Content-Length": (
            RawAnswer(
                http_answer(b"HTTP/1.1 200 OK", {**plain, "Content-Length": str(len(policy) + 50)}, policy)
            ),
            "fail",
            f"the body ended after {len(policy)} of the {len(policy) + 50} bytes its Content-Length announced",
        ),
        "body shorter than Content-Length, then a reset": (
            RawAnswer(
                http_answer(b"HTTP/1.1 200 OK", {**plain, "Content-Length": str(len(policy) + 50)}, policy),
                end="reset",
            ),
            "fail",
            "",
        ),
        "reset after the status line": (
            RawAnswer(b"HTTP/1.1 200 OK\r\n", end="reset"),
            "fail",
            "",  # TLS reads an abrupt end as the end: the headers are empty, so no text/plain
        ),
        "closed without a byte": (RawAnswer(b""), "fail", "gave no valid HTTP answer"),
        "chunked body cut short": (
            RawAnswer(
                http_answer(
                    b"HTTP/1.1 200 OK", {**plain, "Transfer-Encoding": "chunked"}, b"ff\r\nversion: ST"
                )
            ),
            "fail",
            "gave no valid HTTP answer",
        ),
    }


CASES = list(_answers(b""))


@pytest.mark.parametrize("case", CASES)
def test_any_end_of_the_answer_is_a_check_result(world: World, tmp_path: Path, case: str) -> None:
    world.write(MAIL_ZONE)
    world.apply()
    world.add("example.com", "A", "mta-sts", "127.0.0.1")
    policy = policy_for(load_configs([world.root / "zones" / "example.com.yaml"])[0])
    assert policy is not None
    answer, status, words = _answers(policy.encode())[case]
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("mta-sts.example.com").configure_cert(ctx)
    with raw_tls_server(ctx, answer) as port:
        route = f"mta-sts.example.com:443:127.0.0.1:{port}"
        args = ["--nameserver", world.nameserver, "--connect-to", route, "--ca-file", str(ca_file)]
        proc = process("verify", *args, "--timeout", "3", "--format", "json", cwd=world.root)
    assert proc.stderr == b"", proc.stderr.decode(errors="replace")
    assert proc.returncode in (0, 5), proc.stdout.decode(errors="replace")
    doc = json.loads(proc.stdout)
    fetch = [
        f for z in doc["zones"] for f in z["findings"] if f["topic"] == "mta-sts" and f["subject"] == URL
    ]
    assert fetch, doc
    assert fetch[0]["status"] == status, fetch
    assert words in fetch[0]["message"], fetch[0]["message"]


@pytest.fixture
def nginx_closing(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A real nginx on loopback serving the policy over TLS with `keepalive_timeout 0` (it answers with
    `Connection: close` and closes), as a child process; yields its port and the CA file."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert = ca.issue_cert("mta-sts.example.com")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "server.pem"))
    root = tmp_path / "www" / ".well-known"
    root.mkdir(parents=True)
    (root / "mta-sts.txt").write_bytes(POLICY)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "nginx.conf").write_text(
        textwrap.dedent(
            f"""
            daemon off;
            {"user root root;" if os.geteuid() == 0 else ""}
            pid {tmp_path}/nginx.pid;
            error_log stderr error;
            events {{ worker_connections 64; }}
            http {{
                access_log off;
                client_body_temp_path {tmp_path}/tmp; proxy_temp_path {tmp_path}/tmp;
                fastcgi_temp_path {tmp_path}/tmp; uwsgi_temp_path {tmp_path}/tmp; scgi_temp_path {tmp_path}/tmp;
                keepalive_timeout 0;
                types {{ text/plain txt; }}
                server {{
                    listen 127.0.0.1:{port} ssl;
                    server_name mta-sts.example.com;
                    ssl_certificate {tmp_path}/server.pem;
                    ssl_certificate_key {tmp_path}/server.pem;
                    ssl_protocols TLSv1.2 TLSv1.3;
                    root {tmp_path}/www;
                }}
            }}
            """
        )
    )
    (tmp_path / "tmp").mkdir()
    proc = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")])
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            assert proc.poll() is None and time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.05)
        yield port, ca_file
    finally:
        proc.terminate()
        proc.wait(timeout=10)


POLICY = b"version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 604800\r\n"


def test_a_real_nginx_that_closes_after_each_answer(nginx_closing: tuple[int, Path]) -> None:
    port, ca_file = nginx_closing
    opts = NetOptions(
        timeout=3, connect_to=(ConnectTo("mta-sts.example.com", 443, "127.0.0.1", port),), ca_file=ca_file
    )
    found = check_policy("example.com", POLICY.decode(), ["mx.example.com"], opts)
    assert {f.status for f in found} == {Status.PASS}, found
    assert found[0].message.startswith(f"fetched over HTTPS ({len(POLICY)} bytes, text/plain)")
