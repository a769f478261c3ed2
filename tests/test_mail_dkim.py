"""DKIM keys: sources in order, generation (PKCS#8, 0600, atomic, never overwritten), record forms,
and dkimpy (an independent implementation) signing with the key and verifying against the record."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from dkim_oracle import signature_verifies

from zonesync.mail import dkim, keys, mail_records
from zonesync.model import Record
from zonesync.zonefile.load import load_zone_file

NAME = "default._domainkey.example.com"


def config(tmp_path: Path, dkim_block: str = "[{selector: default}]", extra: str = ""):
    zones = tmp_path / "zones"
    zones.mkdir(exist_ok=True)
    path = zones / "example.com.yaml"
    path.write_text(f"zone: example.com\nmail:\n  dkim: {dkim_block}\n{extra}")
    return load_zone_file(path)


def dkim_record(result) -> Record:
    return next(r for r in result.records if "._domainkey." in r.name)


def key_path(tmp_path: Path, selector: str = "default") -> Path:
    return tmp_path / "keys" / f"example.com_{selector}.key"


@pytest.mark.parametrize(("algorithm", "k"), [("rsa2048", "rsa"), ("ed25519", "ed25519")])
def test_generate_writes_pkcs8_0600_and_pub(tmp_path, algorithm, k):
    cfg = config(tmp_path, f"[{{selector: default, algorithm: {algorithm}}}]")
    result = mail_records(cfg, [], generate_keys=True)
    (gen,) = result.generated
    private = key_path(tmp_path).resolve()
    assert gen.private_key == private and gen.public_key == private.with_name(private.name + ".pub")
    assert gen.selector == "default" and gen.algorithm == algorithm
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(gen.public_key.stat().st_mode) == 0o644
    pem = private.read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8, what maddy writes and reads
    assert gen.public_key.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert (private.parent / ".gitignore").read_text().split("\n")[-4:] == ["*", "!*.pub", "!.gitignore", ""]
    rec = dkim_record(result)
    assert not rec.pending and rec.value.startswith(f"v=DKIM1; k={k}; p=")
    key = serialization.load_pem_private_key(pem, None)
    assert dkim.same_key(dkim.public_key_from_record(rec.value), key.public_key())
    if k == "ed25519":
        assert len(base64.b64decode(rec.value.split("p=")[1])) == 32  # RFC 8463 §4.2: the raw key
    else:
        assert key.key_size == 2048
    # the next run reads the key: same record, nothing generated, nothing rewritten
    again = mail_records(cfg, [], generate_keys=True)
    assert again.generated == () and dkim_record(again).value == rec.value
    assert private.read_bytes() == pem
    assert [d for d in again.diagnostics if d.level == "error"] == []


def test_generate_respects_no_umask(tmp_path):
    old = os.umask(0)
    try:
        mail_records(config(tmp_path), [], generate_keys=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE(key_path(tmp_path).stat().st_mode) == 0o600


def test_plan_is_pending_and_writes_nothing(tmp_path):
    result = mail_records(config(tmp_path), [], generate_keys=False)
    rec = dkim_record(result)
    assert rec.pending and rec.value == "v=DKIM1; k=rsa; p=<generated at apply>"
    assert result.generated == () and not (tmp_path / "keys").exists()
    assert result.pending == (rec,)


def test_write_new_file_never_overwrites(tmp_path):
    target = tmp_path / "deep" / "dir" / "k.key"
    keys.write_new_file(target, b"first", 0o600)
    with pytest.raises(FileExistsError):
        keys.write_new_file(target, b"second", 0o600)
    assert target.read_bytes() == b"first"
    assert sorted(p.name for p in target.parent.iterdir()) == ["k.key"]  # no temp file left


def test_existing_private_key_not_regenerated(tmp_path):
    private = key_path(tmp_path)
    private.parent.mkdir()
    key = rsa.generate_private_key(65537, 2048)
    # PKCS#1 ("RSA PRIVATE KEY"): maddy reads it too (docs/reference/modifiers/dkim.md, key_path)
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    result = mail_records(config(tmp_path), [], generate_keys=True)
    assert result.generated == ()
    assert dkim_record(result).value == dkim.txt_value(key.public_key())


def test_pub_file_alone_is_enough(tmp_path):
    """CI: only the committed `.pub`; the record is known and no key is generated."""
    key = ed25519.Ed25519PrivateKey.generate()
    pub = key_path(tmp_path).with_name("example.com_default.key.pub")
    pub.parent.mkdir()
    pub.write_bytes(keys.public_pem(key.public_key()))
    result = mail_records(
        config(tmp_path, "[{selector: default, algorithm: ed25519}]"), [], generate_keys=True
    )
    assert result.generated == () and not key_path(tmp_path).exists()
    rec = dkim_record(result)
    assert not rec.pending and rec.value == dkim.txt_value(key.public_key())


def test_maddy_dns_file_is_a_source(tmp_path):
    """maddy writes `<domain>_<selector>.dns` beside the key (internal/modify/dkim/keys.go)."""
    key = rsa.generate_private_key(65537, 2048)
    dns_file = tmp_path / "keys" / "example.com_default.dns"
    dns_file.parent.mkdir()
    dns_file.write_text(dkim.txt_value(key.public_key()))
    result = mail_records(config(tmp_path), None, generate_keys=False)
    assert dkim_record(result).value == dkim.txt_value(key.public_key())


def test_live_record_is_a_source(tmp_path):
    key = rsa.generate_private_key(65537, 2048)
    live_value = dkim.txt_value(key.public_key())
    result = mail_records(config(tmp_path), [Record(NAME, "TXT", live_value)], generate_keys=True)
    assert result.generated == () and not (tmp_path / "keys").exists()
    assert dkim_record(result).value == live_value and not dkim_record(result).pending


def _pkcs1_b64(key) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return base64.b64encode(der).decode()


@pytest.mark.parametrize(
    "live_form",
    [
        lambda key: f"v=DKIM1; k=rsa; p={_pkcs1_b64(key)}",  # maddy < 0.1.0 printed PKCS#1
        lambda key: "v=DKIM1;k=rsa;p=" + dkim.txt_value(key.public_key()).split("p=")[1],  # other spacing
        lambda key: "k=rsa; p=" + _pkcs1_b64(key)[:40] + " " + _pkcs1_b64(key)[40:],  # FWS inside p=
    ],
)
def test_live_record_same_key_other_form_no_change(tmp_path, live_form):
    key = rsa.generate_private_key(65537, 2048)
    private = key_path(tmp_path)
    private.parent.mkdir()
    private.write_bytes(keys.private_pem(key))
    live_value = live_form(key)
    assert dkim.same_key(dkim.public_key_from_record(live_value), key.public_key())
    result = mail_records(config(tmp_path), [Record(NAME, "TXT", live_value)], generate_keys=True)
    assert dkim_record(result).value == live_value  # verbatim: the differ sees no change
    assert result.generated == ()
    assert [d for d in result.diagnostics if d.level == "error"] == []


def test_pkcs1_pem_public_file(tmp_path):
    key = rsa.generate_private_key(65537, 2048)
    text = (
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()
    )
    assert text.startswith("-----BEGIN RSA PUBLIC KEY-----")
    assert dkim.same_key(dkim.public_key_from_text(text), key.public_key())


def test_write_failure_is_a_diagnostic(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(keys, "write_new_file", fail)
    result = mail_records(config(tmp_path), [], generate_keys=True)
    assert result.generated == () and dkim_record(result).pending
    (err,) = [d for d in result.diagnostics if d.level == "error"]
    assert "cannot write the new DKIM key" in err.message and "Permission denied" in err.message


def test_record_parse_errors():
    for text, needle in [
        ("v=DKIM2; p=AAAA", "not DKIM1"),
        ("v=DKIM1; k=rsa", "no p= tag"),
        ("v=DKIM1; p=", "revoked"),
        ("v=DKIM1; k=ed25519; p=AAAA", "32 bytes"),
        ("v=DKIM1; k=dsa; p=AAAA", "not a key type"),
        ("v=DKIM1; p=AAAA", "neither an RSA SubjectPublicKeyInfo nor a PKCS#1"),
    ]:
        with pytest.raises(dkim.DkimParseError, match=needle):
            dkim.public_key_from_record(text)


def sign_and_verify(private_pem: bytes, txt_value: str) -> bool:
    def lookup(name: str) -> str:
        assert name == "default._domainkey.example.com"
        return txt_value

    return signature_verifies(private_pem, lookup)


@pytest.mark.parametrize("algorithm", ["rsa2048", "ed25519"])
def test_dkimpy_verifies_generated_key(tmp_path, algorithm):
    cfg = config(tmp_path, f"[{{selector: default, algorithm: {algorithm}}}]")
    result = mail_records(cfg, [], generate_keys=True)
    value = dkim_record(result).value
    pem = key_path(tmp_path).read_bytes()
    assert sign_and_verify(pem, value)
    other = keys.private_pem(keys.generate_private_key(algorithm))
    assert not sign_and_verify(other, value)  # the oracle really checks the key
