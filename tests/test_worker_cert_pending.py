"""A new Workers custom domain's certificate takes minutes on Cloudflare (facts W5, W12). With the emulator's
`cert_pending` knob the edge refuses TLS for the host meanwhile and the certificate pack reads
`pending_validation`; `zonesync verify` (the real CLI, after a real apply) reports the TLS failure, says
"certificate pending" when the API read with the token shows it, and suggests waiting."""

from __future__ import annotations

import cloudflare
import pytest
from test_workers_e2e import HOST, WORKER, run, serve, write

from zonesync.emulator.server import Emulator
from zonesync.emulator.store import ACCOUNT_ID

HOSTING = WORKER + '  spf: {allow: [mx]}\n  dmarc: {policy: none, rua: ["mailto:d@example.com"]}\n'


@pytest.fixture
def pending(tmp_path, monkeypatch):
    yield from serve(monkeypatch, tmp_path, dns_port=0, cert_pending=600)


def verify(emu: Emulator, tmp_path):
    ca = emu.write_ca(tmp_path / "edge-ca.pem")
    assert emu.dns is not None
    return run(
        "verify",
        "--nameserver",
        f"127.0.0.1:{emu.dns.port}",
        "--ca-file",
        str(ca),
        f"--connect-to={HOST}:443:127.0.0.1:{emu.edge_port}",
    )


def test_verify_says_certificate_pending_then_passes_once_issued(pending, tmp_path):
    write(hosting=HOSTING)
    assert run("apply", "--yes").exit_code == 0
    sdk = cloudflare.Cloudflare(api_token="test-token", base_url=pending.url, max_retries=0)
    [domain] = sdk.workers.domains.list(account_id=ACCOUNT_ID, hostname=HOST)
    assert (
        sdk.ssl.certificate_packs.get(domain.cert_id, zone_id=domain.zone_id).status == "pending_validation"
    )

    result = verify(pending, tmp_path)
    assert result.exit_code == 5, result.output
    assert "TLS handshake with mta-sts.example.com failed" in result.output
    assert (
        "certificate pending (Cloudflare's API shows the certificate of mta-sts.example.com" in result.output
    )
    assert "pending_validation" in result.output and "wait, then run verify again" in result.output

    pending.workers.issue_pending_certificates()  # the minutes have passed
    assert sdk.ssl.certificate_packs.get(domain.cert_id, zone_id=domain.zone_id).status == "active"
    again = verify(pending, tmp_path)
    assert again.exit_code == 0, again.output
    assert "the served policy is the one zonesync generates" in again.output


def test_without_a_token_verify_still_suggests_waiting(pending, tmp_path, monkeypatch):
    write(hosting=HOSTING)
    assert run("apply", "--yes").exit_code == 0
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN")
    result = verify(pending, tmp_path)
    assert result.exit_code == 5, result.output
    assert "TLS handshake with mta-sts.example.com failed" in result.output
    assert "certificate pending" not in result.output
    assert "run verify again" in result.output
