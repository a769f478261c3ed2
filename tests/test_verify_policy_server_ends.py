"""However an MTA-STS policy server ends its answer — HTTP/1.0 closing the connection with no Content-Length, a
body shorter than its Content-Length, a reset — `verify` reports a check result, never `internal error`, and
prints nothing else on stderr (asyncio's "Future exception was never retrieved" included). The servers are
raw TLS servers on loopback (`raw_tls`), so each can end the connection exactly as the case says."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import pytest
import trustme
from clirun import process
from raw_tls import RawAnswer, http_answer, raw_tls_server
from verify_env import MAIL_ZONE, World, world_fixture  # noqa: F401

from zonesync.mail import policy_for
from zonesync.orchestrate import load_configs

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
