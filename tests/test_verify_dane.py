"""verify's DANE checks: the key an MX presents after STARTTLS (a real aiosmtpd server with a self-signed
certificate, as DANE-EE allows) against the TLSA records, through the CLI with the DNSSEC check beside it."""

from __future__ import annotations

import json
import textwrap

import trustme
from dane_keys import PIN_SHAPE, cert_pem, dane_server, issued, new_key, pin_of, private_ca
from verify_env import MAIL_ZONE, World, findings, world_fixture  # noqa: F401

from zonesync.mail.tlsa import Tlsa
from zonesync.verify.result import ConnectTo, NetOptions, Status
from zonesync.verify.smtp import check_smtp

ZONE, MX, ADDRESS = "example.com", "mx.example.com", "192.0.2.25"


def probe(port: int, records: list[str], patterns=(), ca_file=None):
    opts = NetOptions(timeout=2.0, connect_to=(ConnectTo(MX, 25, "127.0.0.1", port),), ca_file=ca_file)
    tlsa = {MX: [Tlsa.from_text(r) for r in records]} if records else None
    return check_smtp(ZONE, {MX: [ADDRESS]}, list(patterns), opts, tlsa)


def test_matching_key_passes_without_any_ca(tmp_path):
    key = new_key()
    with dane_server(tmp_path, key) as port:
        smtp, dane = probe(port, [f"3 1 1 {'0' * 64}", f"3 1 1 {pin_of(key)}"])
    assert (dane.topic, dane.subject, dane.status) == ("dane", f"{MX} ({ADDRESS})", Status.PASS)
    assert (
        dane.message
        == f"the key {MX} presents matches TLSA 3 1 1 {pin_of(key)} (DANE-EE: no name or expiry checks)"
    )
    # the self-signed certificate is no problem for DANE senders, and there is no MTA-STS policy
    assert smtp.status is Status.PASS and "senders using DANE do not need" in smtp.message


def test_dane_ee_ignores_the_name_on_the_certificate(tmp_path):
    key = new_key("rsa")
    with dane_server(tmp_path, key, names=("some.other.name",)) as port:
        _smtp, dane = probe(port, [f"3 1 1 {pin_of(key)}"])
    assert dane.status is Status.PASS


def test_mismatch_fails_naming_host_and_digests(tmp_path):
    key = new_key()
    wrong = "ab" * 32
    with dane_server(tmp_path, key) as port:
        _smtp, dane = probe(port, [f"3 1 1 {wrong}"])
    assert dane.status is Status.FAIL
    assert dane.message == (
        f"the key {MX} presents (3 1 1 {pin_of(key)}) matches none of its TLSA records (3 1 1 {wrong}): "
        "senders using DANE hold the mail for this MX"
    )
    assert f"zonesync dane pin {MX}" in dane.fix


def test_full_certificate_sha512_record(tmp_path):
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    key = new_key()
    with dane_server(tmp_path, key) as port:
        der = x509.load_pem_x509_certificate((tmp_path / "cert.pem").read_bytes()).public_bytes(
            serialization.Encoding.DER
        )
        _smtp, dane = probe(port, [f"3 0 2 {hashlib.sha512(der).hexdigest()}"])
    assert dane.status is Status.PASS


def test_pkix_usages_are_unusable_for_smtp(tmp_path):
    key = new_key()
    with dane_server(tmp_path, key) as port:
        _smtp, dane = probe(port, [f"1 1 1 {pin_of(key)}"])
    assert dane.status is Status.FAIL and "unusable for SMTP (RFC 7672 §3.1.3)" in dane.message


def test_no_starttls_with_tlsa_records_fails(tmp_path):
    with dane_server(tmp_path, None, starttls=False) as port:
        smtp, dane = probe(port, [f"3 1 1 {'0' * 64}"])
    assert smtp.status is Status.FAIL
    assert dane.status is Status.FAIL and "no certificate was seen (STARTTLS is not offered" in dane.message


def test_mta_sts_still_needs_a_ca_signed_certificate(tmp_path):
    """DANE does not excuse MTA-STS: with a policy, senders enforcing it still check the CA and the name."""
    key = new_key()
    with dane_server(tmp_path, key) as port:
        smtp, dane = probe(port, [f"3 1 1 {pin_of(key)}"], patterns=[MX])
    assert dane.status is Status.PASS
    assert smtp.status is Status.FAIL and "senders enforcing MTA-STS refuse this MX" in smtp.message


def test_host_without_tlsa_gets_no_dane_finding(tmp_path, ca: trustme.CA, ca_file):
    with dane_server(tmp_path, new_key()) as port:
        found = probe(port, [])
    assert [f.topic for f in found] == ["smtp"]


def ta_record(ca_cert, selector: int = 0, matching: int = 1) -> str:
    """A DANE-TA record for the CA, computed here independently of zonesync.mail.tlsa."""
    import hashlib

    from cryptography.hazmat.primitives import serialization

    if selector == 0:
        data = ca_cert.public_bytes(serialization.Encoding.DER)
    else:
        data = ca_cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    value = data.hex() if matching == 0 else hashlib.sha256(data).hexdigest()
    return f"2 {selector} {matching} {value}"


def test_dane_ta_chain_validates_up_to_the_anchor(tmp_path):
    """A private CA named by `2 0 1` or `2 1 1`, the server sending its certificate and the CA's: the chain
    validates for the MX host's name (RFC 7672 §3.2.2), though no public CA vouches for it."""
    ca, key = private_ca(), new_key()
    with dane_server(tmp_path, key, chain=(issued(ca, key, MX), ca[1])) as port:
        smtp, by_cert = probe(port, [ta_record(ca[1])])
        _smtp, by_key = probe(port, [f"3 1 1 {PIN_SHAPE}", ta_record(ca[1], selector=1)])
    assert by_cert.status is Status.PASS, by_cert.message
    assert by_cert.message == (
        f"the certificate {MX} presents validates up to the trust anchor of TLSA {ta_record(ca[1])} "
        f"(DANE-TA: name {MX} and dates checked)"
    )
    assert by_key.status is Status.PASS, by_key.message  # a DANE-EE record that does not match is no matter
    assert smtp.status is Status.PASS and "senders using DANE do not need" in smtp.message


def test_dane_ta_reads_the_chain_of_a_verified_session_too(tmp_path):
    """With the CA given as --ca-file the first handshake verifies, and its chain is the one judged."""
    ca, key = private_ca(), new_key()
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(cert_pem(ca[1]))
    with dane_server(tmp_path / "server", key, chain=(issued(ca, key, MX), ca[1])) as port:
        smtp, dane = probe(port, [ta_record(ca[1])], ca_file=str(ca_file))
    assert smtp.status is Status.PASS and "STARTTLS with a certificate valid for" in smtp.message
    assert dane.status is Status.PASS, dane.message


def test_dane_ta_checks_the_name_and_the_dates(tmp_path):
    ca, key = private_ca(), new_key()
    with dane_server(tmp_path / "name", key, chain=(issued(ca, key, "other.example.com"), ca[1])) as port:
        _smtp, wrong_name = probe(port, [ta_record(ca[1])])
    with dane_server(tmp_path / "dates", key, chain=(issued(ca, key, MX, days=(-30, -1)), ca[1])) as port:
        _smtp, expired = probe(port, [ta_record(ca[1])])
    for dane in (wrong_name, expired):
        assert dane.status is Status.FAIL, dane.message
        assert "does not validate up to its DANE-TA trust anchor" in dane.message
        assert dane.message.endswith("senders using DANE hold the mail for this MX")
    assert f"no matching subjectAltName for {MX} (TLSA" in wrong_name.message  # the reason, not the object
    assert "not valid at validation time" in expired.message


def test_dane_ta_anchor_must_be_sent_or_published_whole(tmp_path):
    """The anchor must come with the chain (RFC 7671 §5.2.2), unless `2 0 0` publishes it whole; another
    CA's pin names no certificate of the chain."""
    ca, other, key = private_ca(), private_ca("another CA"), new_key()
    with dane_server(tmp_path, key, chain=(issued(ca, key, MX),)) as port:  # the leaf alone
        _smtp, unsent = probe(port, [ta_record(ca[1])])
        _smtp, whole = probe(port, [ta_record(ca[1], matching=0)])
        _smtp, another = probe(port, [ta_record(other[1])])
    assert (
        unsent.status is Status.FAIL
        and f"no certificate of the chain {MX} presents is the trust anchor" in unsent.message
    )
    assert whole.status is Status.PASS, whole.message
    assert another.status is Status.FAIL


def _dane_zone(world: World, pin: str) -> None:
    text = MAIL_ZONE + textwrap.indent(f"dane:\n  mx: {{current: {pin}}}\n", "  ")
    world.write(text)
    assert world.apply().exit_code == 0


def test_cli_tlsa_without_dnssec_fails_and_smtp_matches(world: World, tmp_path) -> None:
    """The whole path: apply publishes the TLSA record, verify reads it from the emulator's DNS, the MX
    presents the pinned key; the zone still fails, for DNSSEC is not known to validate."""
    key = new_key()
    _dane_zone(world, pin_of(key))
    with dane_server(tmp_path, key) as port:
        code, doc = world.verify_json("--smtp", "--connect-to", f"{MX}:25:127.0.0.1:{port}", dns_only=False)
    assert code != 0, json.dumps(doc, indent=1)
    matched = findings(doc, "dane", "pass")
    assert {f["subject"] for f in matched} == {f"{MX} (203.0.113.25)", f"{MX} (2001:db8::25)"}
    # the DNSSEC check (verify/dnssec_check.py) fails the zone: no trust anchor for the chain
    failed = findings(doc, "dnssec", "fail")
    assert failed and all("senders ignore DANE without DNSSEC" in f["message"] for f in failed), failed
    (served,) = findings(doc, "dns")  # every declared set, the TLSA one included, served as declared
    assert served["status"] == "pass", served


def test_cli_tlsa_checked_for_dnssec_without_smtp(world: World) -> None:
    _dane_zone(world, PIN_SHAPE)
    code, doc = world.verify_json()
    failed = findings(doc, "dnssec", "fail")
    assert failed and all("senders ignore DANE without DNSSEC" in f["message"] for f in failed), failed
    assert findings(doc, "dane") == []  # without --smtp no key is read
    assert code != 0
