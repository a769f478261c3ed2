"""`zonesync dkim generate|show`, `zonesync mta-sts policy`, `zonesync explain`: offline, no token."""

from __future__ import annotations

import stat
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from zonesync.cli.mail import dkim, explain, mta_sts

ZONE = """
zone: example.com
mail:
  preset: maddy
  mx: [{host: mx, priority: 10}]
  hosts: {mx: {ipv4: [203.0.113.25]}}
"""


@pytest.fixture
def workdir(workdir, monkeypatch):
    (workdir / "zones" / "example.com.yaml").write_text(textwrap.dedent(ZONE).lstrip())
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    return workdir


def invoke(cmd, *args):
    return CliRunner().invoke(cmd, list(args))


def test_dkim_generate_then_show(workdir):
    shown = invoke(dkim, "show", "example.com")
    assert shown.exit_code == 0
    assert "no key yet" in shown.output and "example.com_default.key (missing)" in shown.output

    gen = invoke(dkim, "generate", "example.com")
    assert gen.exit_code == 0, gen.output
    assert "generated a new rsa2048 key pair" in gen.output
    assert (
        "must reach the mail server" in gen.output
        and "/var/lib/maddy/dkim_keys/example.com_default.key" in gen.output
    )
    key = workdir / "keys" / "example.com_default.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    pem = key.read_bytes()

    again = invoke(dkim, "generate", "zones/example.com.yaml", "--selector", "default")  # a path works too
    assert again.exit_code == 0
    assert "a key already exists" in again.output and "left untouched" in again.output
    assert key.read_bytes() == pem

    shown = invoke(dkim, "show", "example.com")
    assert "example.com_default.key (exists)" in shown.output
    assert 'default._domainkey.example.com TXT "v=DKIM1; k=rsa; p=MII' in shown.output


def test_dkim_generate_unknown_selector(workdir):
    result = invoke(dkim, "generate", "example.com", "--selector", "defualt")
    assert result.exit_code == 1
    assert "selector 'defualt' is not in the zone file's mail.dkim" in result.output
    assert "did you mean 'default'?" in result.output
    assert not (workdir / "keys").exists()


def test_dkim_without_mail_block(workdir):
    (workdir / "zones" / "plain.example.yaml").write_text("zone: plain.example\n")
    result = invoke(dkim, "show", "plain.example")
    assert result.exit_code == 1 and "no DKIM selector" in result.output


def test_mta_sts_policy_print_and_write(workdir):
    printed = invoke(mta_sts, "policy", "example.com")
    assert printed.exit_code == 0
    assert (
        printed.output.replace("\r\n", "\n")
        == "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 604800\n"
    )
    out = workdir / "site"
    written = invoke(mta_sts, "policy", "example.com", "--out-dir", str(out))
    assert written.exit_code == 0
    target = out / "example.com" / ".well-known" / "mta-sts.txt"
    assert (
        target.read_bytes() == b"version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 604800\r\n"
    )
    assert "https://mta-sts.example.com/.well-known/mta-sts.txt" in written.output


def test_mta_sts_policy_without_block(workdir):
    (workdir / "zones" / "x.example.yaml").write_text("zone: x.example\nmail:\n  spf: {}\n")
    result = invoke(mta_sts, "policy", "x.example")
    assert result.exit_code == 1 and "no `mta_sts:`" in result.output


def test_explain(workdir):
    result = invoke(explain, "example.com")
    assert result.exit_code == 0, result.output
    out = result.output
    for needle in (
        "Says which machine receives email for example.com",
        "SPF: lists the servers allowed to send email as @example.com",
        'DKIM: publishes the public key for selector "default"',
        "The key does not exist yet",
        "DMARC: tells receivers what to do",
        "put mail that fails the checks into the spam folder",
        "MTA-STS: announces",
        "TLS-RPT: asks senders to report problems",
        "What it does:",
        "Who reads it:",
        "Without it:",
        "version: STSv1",
    ):
        assert needle in out, needle
    assert out.count("What it does:") == 8  # MX, A, 2 SPF, DKIM, DMARC, MTA-STS, TLS-RPT


def test_explain_user_records(workdir):
    (workdir / "zones" / "u.example.yaml").write_text(
        "zone: u.example\nrecords:\n  '@':\n    - {type: MX, value: 10 mail.provider.example.}\n"
        "    - {type: TXT, value: 'v=spf1 include:_spf.provider.example -all'}\n"
    )
    result = invoke(explain, "u.example")
    assert result.exit_code == 0
    assert "the servers _spf.provider.example lists" in result.output
    assert "should refuse mail from any other server" in result.output


def test_commands_module_imports_only_click():
    """The CLI's --help must start fast: no cryptography, dnspython or Cloudflare SDK at import."""
    code = (
        "import sys, zonesync.cli.mail as c; "
        "bad = [m for m in ('cryptography', 'dns', 'cloudflare', 'yaml') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
