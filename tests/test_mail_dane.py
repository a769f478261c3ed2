"""`mail.dane:`: TLSA `3 1 1` records for the MX hosts from recorded pins or the server's certificate/key
file, the renewal guard (a key no pin names is refused), and the pin against an independent tool."""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from clirun import run
from dane_keys import cert_pem, new_key, pin_of, self_signed, write_pair

from zonesync.errors import ZoneFileError
from zonesync.mail import mail_records
from zonesync.mail.tlsa import Tlsa, file_spki, matches, spki_pin
from zonesync.zonefile.load import load_zone_file

PIN_A = "a" * 64
PIN_B = "b" * 64


def zone_file(folder: Path, dane: str, extra: str = "") -> Path:
    zones = folder / "zones"
    zones.mkdir(exist_ok=True)
    path = zones / "example.com.yaml"
    text = f"""
    zone: example.com
    mail:
      hosts:
        mx: {{ipv4: [203.0.113.25]}}
      mx:
        - host: mx
        - host: mx.elsewhere.net.
      dane:
{textwrap.indent(textwrap.dedent(dane).strip(), " " * 8)}
    {extra}
    """
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def result(folder: Path, dane: str):
    return mail_records(load_zone_file(zone_file(folder, dane)), None, generate_keys=False)


def tlsa(records) -> list[tuple[str, str, str | None]]:
    return [(r.name, r.value, r.source.origin) for r in records if r.type == "TLSA"]


def errors(res) -> list[str]:
    return [d.message for d in res.diagnostics if d.level == "error"]


def test_current_and_next_pins_publish_two_records(tmp_path):
    res = result(tmp_path, f"mx: {{current: {PIN_A.upper()}, next: {PIN_B}}}")
    assert tlsa(res.records) == [
        ("_25._tcp.mx.example.com", f"3 1 1 {PIN_A}", "mail:dane"),
        ("_25._tcp.mx.example.com", f"3 1 1 {PIN_B}", "mail:dane"),
    ]
    assert errors(res) == []


def test_mx_in_another_zone_gets_a_note_not_a_record(tmp_path):
    res = result(tmp_path, f"mx: {{current: {PIN_A}}}\nmx.elsewhere.net.: {{current: {PIN_B}}}")
    assert [r[0] for r in tlsa(res.records)] == ["_25._tcp.mx.example.com"]
    notes = [d for d in res.diagnostics if "mx.elsewhere.net is outside example.com" in d.message]
    assert notes and notes[0].level == "warning" and notes[0].source.line == 10


def test_host_that_is_no_mx_is_an_error(tmp_path):
    res = result(tmp_path, f"mail2: {{current: {PIN_A}}}")
    assert any("mail2.example.com is not an MX host of example.com" in e for e in errors(res))


@pytest.mark.parametrize(
    ("dane", "line", "says"),
    [
        ("mx: {current: abc}", 9, "64 hexadecimal digits"),
        ("mx: {}", 9, "has no pin and no file"),
        (f"mx: {{next: {PIN_A}}}", 9, "needs the `current` one"),
        (f"mx: {{current: {PIN_A}, nxt: {PIN_B}}}", 9, "next"),
        ("mx: [1]", 9, "must be a mapping"),
    ],
)
def test_structure_errors_name_the_line(tmp_path, dane, line, says):
    with pytest.raises(ZoneFileError) as err:
        result(tmp_path, dane)
    assert f"example.com.yaml:{line}" in str(err.value) and says in str(err.value)


def test_pin_from_certificate_file_when_none_is_recorded(tmp_path):
    _key_path, cert_path, key = write_pair(tmp_path / "tls", "mx.example.com")
    res = result(tmp_path, f"mx: {{file: {cert_path}}}")
    assert tlsa(res.records) == [("_25._tcp.mx.example.com", f"3 1 1 {pin_of(key)}", "mail:dane")]
    assert errors(res) == []
    assert any("follows the key in" in d.message and d.level == "warning" for d in res.diagnostics)


def test_relative_file_is_read_from_the_project_folder(tmp_path):
    """As DKIM's `private_key`: relative to the folder holding zones/."""
    _k, _c, key = write_pair(tmp_path / "tls", "mx.example.com")
    res = result(tmp_path, "mx: {file: tls/mx.key}")
    assert tlsa(res.records)[0][1] == f"3 1 1 {pin_of(key)}"


def test_file_matching_current_publishes_the_recorded_pins(tmp_path):
    key_path, _c, key = write_pair(tmp_path / "tls", "mx.example.com")
    res = result(tmp_path, f"mx: {{current: {pin_of(key)}, next: {PIN_B}, file: {key_path}}}")
    assert [v for _, v, _ in tlsa(res.records)] == [f"3 1 1 {pin_of(key)}", f"3 1 1 {PIN_B}"]
    assert res.diagnostics == () or errors(res) == []


def test_file_holding_the_next_key_says_to_move_it(tmp_path):
    _k, cert_path, key = write_pair(tmp_path / "tls", "mx.example.com")
    res = result(tmp_path, f"mx: {{current: {PIN_A}, next: {pin_of(key)}, file: {cert_path}}}")
    assert errors(res) == []
    assert any("holds the `next` key" in d.message for d in res.diagnostics)


def test_renewal_without_the_next_pin_is_refused(tmp_path):
    """The outage DANE users hit: a renewal with a new key while DNS still pins the old one."""
    _k, cert_path, key = write_pair(tmp_path / "tls", "mx.example.com")
    res = result(tmp_path, f"mx: {{current: {PIN_A}, file: {cert_path}}}")
    (message,) = errors(res)
    assert str(cert_path) in message and pin_of(key) in message
    assert f"add `next: {pin_of(key)}`" in message and "--reuse-key" in message


def test_unreadable_file_falls_back_to_recorded_pins(tmp_path):
    res = result(tmp_path, f"mx: {{current: {PIN_A}, file: /nonexistent/fullchain.pem}}")
    assert tlsa(res.records) == [("_25._tcp.mx.example.com", f"3 1 1 {PIN_A}", "mail:dane")]
    assert errors(res) == []


def test_unreadable_file_without_pins_is_an_error(tmp_path):
    (tmp_path / "junk.pem").write_text("not a key\n")
    res = result(tmp_path, f"mx: {{file: {tmp_path / 'junk.pem'}}}")
    (message,) = errors(res)
    assert "junk.pem" in message and "no certificate, private key or public key" in message
    assert tlsa(res.records) == []


def test_fullchain_pins_the_first_certificate(tmp_path):
    leaf, other = new_key(), new_key()
    chain = cert_pem(self_signed(leaf, "mx.example.com")) + cert_pem(self_signed(other, "ca"))
    assert spki_pin(file_spki(chain)[0]) == pin_of(leaf)


def test_matches_by_selector_and_matching_type():
    from cryptography.hazmat.primitives import serialization

    key = new_key("rsa")
    der = self_signed(key, "mx.example.com").public_bytes(serialization.Encoding.DER)
    assert matches(Tlsa.from_text(f"3 1 1 {pin_of(key)}"), der)
    assert not matches(Tlsa.from_text(f"3 1 1 {PIN_A}"), der)
    assert matches(Tlsa(3, 0, 0, der), der)
    import hashlib

    assert matches(Tlsa(3, 0, 2, hashlib.sha512(der).digest()), der)
    assert not matches(Tlsa(3, 7, 1, bytes.fromhex(pin_of(key))), der)  # unknown selector: unusable


def _danetool_rr(cert_path: Path) -> str:
    out = subprocess.run(
        ["danetool", "--tlsa-rr", "--host", "mx.example.com", "--port", "25", "--load-certificate", str(cert_path)],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    # _25._tcp.mx.example.com. IN TLSA ( 03 01 01 c26e... )
    m = re.search(r"^(\S+)\s+IN\s+TLSA\s+\(\s*(\d+)\s+(\d+)\s+(\d+)\s+([0-9a-f]+)\s*\)", out, re.M)
    assert m, out
    return f"{m[1].rstrip('.')} {int(m[2])} {int(m[3])} {int(m[4])} {m[5]}"


@pytest.mark.skipif(shutil.which("danetool") is None, reason="danetool (Debian gnutls-bin) is not installed")
@pytest.mark.parametrize("kind", ["ec", "rsa"])
@pytest.mark.parametrize("which", ["certificate", "private key"])
def test_record_equals_danetool(tmp_path, kind, which):
    """The oracle: GnuTLS's danetool computes the same `_25._tcp` TLSA record from the certificate."""
    key_path, cert_path, _key = write_pair(tmp_path / "tls", "mx.example.com", kind)
    res = result(tmp_path, f"mx: {{file: {cert_path if which == 'certificate' else key_path}}}")
    ((name, value, _),) = tlsa(res.records)
    assert f"{name} {value}" == _danetool_rr(cert_path)


def test_plan_apply_publishes_tlsa_and_refuses_an_unpinned_key(emulator, workdir):
    """Through the CLI and the SDK: the records as Cloudflare stores them (`data` fields), then plan
    refusing a key change whose pin was never published."""
    _k, cert_path, key = write_pair(workdir / "tls", "mx.example.com")
    zone_file(workdir, f"mx: {{current: {pin_of(key)}, next: {PIN_B}, file: {cert_path}}}")
    assert run("apply", "--yes").exit_code == 0
    live = [r for r in emulator.records("example.com") if r["type"] == "TLSA"]
    assert sorted(r["data"]["certificate"] for r in live) == sorted([pin_of(key), PIN_B])
    assert {
        (r["name"], r["data"]["usage"], r["data"]["selector"], r["data"]["matching_type"]) for r in live
    } == {("_25._tcp.mx.example.com", 3, 1, 1)}
    again = run("plan")
    assert again.exit_code == 0 and "no changes" in again.output.lower(), again.output
    write_pair(workdir / "tls", "mx.example.com")  # certbot renewed with a new key, nobody pinned it
    refused = run("plan")
    assert refused.exit_code != 0
    assert str(cert_path) in refused.output and "matches no recorded pin" in refused.output


def test_explain_says_what_the_tlsa_record_does(workdir):
    zone_file(workdir, f"mx: {{current: {PIN_A}}}")
    out = run("explain", "example.com").output
    assert f"_25._tcp.mx.example.com  TLSA  3 1 1 {PIN_A}" in out
    assert "DANE: pins the key of the mail server mx.example.com" in out
