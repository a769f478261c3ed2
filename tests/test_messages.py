"""Messages that must say what happened (issue 21, item 19): `--changed-since` outside a git repository,
verify when the system resolver cannot resolve public names, and counted nouns ("1 record")."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.resolver
import pytest
from click.testing import CliRunner, Result
from dns.rcode import NXDOMAIN

from zonesync.base.plural import counted
from zonesync.cli import cli
from zonesync.emulator.server import Emulator

ZONE = "zone: example.com\nrecords:\n  www: {type: A, value: 192.0.2.1}\n"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def project(workdir: Path) -> Path:
    (workdir / "zones" / "example.com.yaml").write_text(ZONE)
    return workdir


def test_counted_nouns() -> None:
    assert counted(1, "record") == "1 record"
    assert counted(0, "record") == "0 records"
    assert counted(10000, "batch request") == "10,000 batch requests"
    assert counted(1, "batch", "batches") == "1 batch" and counted(2, "batch", "batches") == "2 batches"


@pytest.mark.parametrize("command", ["--changed-since=HEAD", "--changed-since=main"])
def test_changed_since_outside_a_git_repository_says_so(
    project: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(project.parent))
    result = run("plan", command)
    assert result.exit_code == 1
    line = result.output.strip()
    assert "\n" not in line and "is not in a git repository" in line and str(project) in line, line
    assert "no such commit" not in line


def test_one_record_and_one_batch_request_are_singular(project: Path, emulator: Emulator) -> None:
    validated = run("validate")
    assert "example.com: 1 record OK" in validated.output, validated.output
    applied = run("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    assert "in 1 batch request" in applied.output and "1 batch requests" not in applied.output
    assert "1 records" not in validated.output + applied.output


@pytest.fixture
def nxdomain_resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A resolver that says NXDOMAIN to every question (a sandbox's or an office's), as the system's own:
    /etc/resolv.conf names it, on port 53 of a loopback address of its own."""
    address = "127.0.53.21"
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 53))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            reply = dns.message.make_response(dns.message.from_wire(data))
            reply.set_rcode(NXDOMAIN)
            sock.sendto(reply.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    class SystemResolver:
        def __init__(self) -> None:
            self.nameservers = [address]

    monkeypatch.setattr(dns.resolver, "Resolver", SystemResolver)
    try:
        yield address
    finally:
        stop.set()
        thread.join()
        sock.close()


def test_verify_names_the_resolver_that_said_nxdomain(project: Path, nxdomain_resolver: str) -> None:
    result = run("verify", "--timeout", "5")
    assert result.exit_code != 0
    text = result.output
    assert "NXDOMAIN" in text and nxdomain_resolver in text and "--nameserver" in text, text
    assert "/etc/resolv.conf" in text
