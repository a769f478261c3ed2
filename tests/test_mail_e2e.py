"""Done-when for the mail issue, through the real CLI against the Cloudflare API emulator:
plan -> apply -> plan (empty) from an empty zone, key files 0600, and a DKIM signature (dkimpy) that
verifies against the record read back from the emulator."""

from __future__ import annotations

import base64
import stat
import textwrap
from pathlib import Path

import pytest
from clirun import run
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dkim_oracle import signature_verifies
from emu_records import user_records

from zonesync.mail import dkim
from zonesync.zonefile import rdata

ZONE = """
zone: example.com
mail:
  preset: maddy
  mx:
    - host: mx
      priority: 10
  hosts:
    mx: {ipv4: [203.0.113.25], ipv6: ["2001:db8::25"]}
"""

KEY = Path("keys/example.com_default.key")
DKIM_NAME = "default._domainkey.example.com"


def write_zone(workdir: Path, text: str = ZONE) -> None:
    (workdir / "zones" / "example.com.yaml").write_text(textwrap.dedent(text).lstrip())


def live_txt(emulator, name: str) -> list[str]:
    return [
        rdata.txt_from_presentation(r["content"])
        for r in user_records(emulator, "example.com")
        if r["name"] == name and r["type"] == "TXT"
    ]


def verifies(private_pem: bytes, emulator) -> bool:
    def lookup(name: str) -> str:
        (value,) = live_txt(emulator, name)  # read back from the emulator after apply
        return value

    return signature_verifies(private_pem, lookup)


@pytest.mark.parametrize("algorithm", ["rsa2048", "ed25519"])
def test_plan_apply_plan_from_empty_zone(emulator, workdir, algorithm):
    zone = ZONE if algorithm == "rsa2048" else ZONE + "  dkim: [{selector: default, algorithm: ed25519}]\n"
    write_zone(workdir, zone)

    plan = run("plan")
    assert plan.exit_code == 0, plan.output
    assert "new key, value known after apply" in plan.output
    assert "from mail:" in plan.output
    assert not (workdir / "keys").exists()  # plan never generates a key

    apply = run("apply", "--yes")
    assert apply.exit_code == 0, apply.output
    assert "generated DKIM key 'default'" in apply.output and "mail server" in apply.output

    private = workdir / KEY
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (workdir / "keys" / "example.com_default.key.pub").is_file()

    (published,) = live_txt(emulator, DKIM_NAME)
    key = serialization.load_pem_private_key(private.read_bytes(), None)
    assert published == dkim.txt_value(key.public_key())
    assert verifies(private.read_bytes(), emulator)
    assert live_txt(emulator, "example.com") == ["v=spf1 mx ~all"]
    assert live_txt(emulator, "mx.example.com") == ["v=spf1 a ~all"]

    again = run("plan", "--exit-code")
    assert again.exit_code == 0, again.output
    assert "no changes" in again.output


def test_no_new_keys_refuses(emulator, workdir):
    write_zone(workdir)
    result = run("apply", "--yes", "--no-new-keys")
    assert result.exit_code == 1
    assert "--no-new-keys" in result.output and DKIM_NAME in result.output
    assert not (workdir / "keys").exists()
    assert user_records(emulator, "example.com") == []


def test_live_record_in_pkcs1_form_is_the_same_key(emulator, workdir):
    """maddy < 0.1.0 printed PKCS#1: a live record holding our key that way shows no change."""
    write_zone(workdir)
    key = rsa.generate_private_key(65537, 2048)
    (workdir / "keys").mkdir()
    (workdir / KEY).write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    pkcs1 = base64.b64encode(
        key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    ).decode()
    live_value = f"v=DKIM1; k=rsa; p={pkcs1}"
    emulator.add_record(
        "example.com",
        {"type": "TXT", "name": DKIM_NAME, "content": rdata.txt_presentation(live_value), "ttl": 1},
    )
    assert run("apply", "--yes").exit_code == 0
    assert live_txt(emulator, DKIM_NAME) == [live_value]  # untouched
    again = run("plan", "--exit-code")
    assert again.exit_code == 0 and "no changes" in again.output, again.output


def test_published_key_without_local_file_is_kept(emulator, workdir):
    """CI without the key: the live record is the source; no new key is generated."""
    write_zone(workdir)
    live_value = dkim.txt_value(rsa.generate_private_key(65537, 2048).public_key())
    emulator.add_record(
        "example.com",
        {"type": "TXT", "name": DKIM_NAME, "content": rdata.txt_presentation(live_value), "ttl": 1},
    )
    result = run("apply", "--yes", "--no-new-keys")
    assert result.exit_code == 0, result.output
    assert not (workdir / "keys").exists()
    assert live_txt(emulator, DKIM_NAME) == [live_value]


def test_key_survives_failed_publish(emulator, workdir):
    write_zone(workdir)
    emulator.inject_fault(status=500, method="POST", path_pattern="batch", times=5)
    failed = run("apply", "--yes")
    assert failed.exit_code != 0
    private = workdir / KEY
    assert private.is_file()  # generated before publishing, kept
    pem = private.read_bytes()
    emulator.clear_faults()
    retry = run("apply", "--yes")
    assert retry.exit_code == 0, retry.output
    assert "generated DKIM key" not in retry.output  # the same key, published now
    assert private.read_bytes() == pem
    assert verifies(pem, emulator)
