"""`zonesync reports` through the real command: a directory and a Maildir of mixed reports, the JSON
against its published schema, the exit code, hostile inputs refused with one line each."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import sys
import zipfile
from email.message import EmailMessage
from pathlib import Path

import jsonschema
import pytest
from clirun import run

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "reports"
ZONE = ROOT / "zones" / "mail.example.yaml"
SCHEMA = json.loads((ROOT / "zonesync" / "schemas" / "reports.schema.json").read_text())


def _message(subject: str, attachment: bytes, subtype: str, filename: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "noreply-dmarc-support@google.com"
    msg["To"] = "dmarc@mail.example"
    msg["Subject"] = subject
    msg.set_content("This is an aggregate report.")
    msg.add_attachment(attachment, maintype="application", subtype=subtype, filename=filename)
    return msg.as_bytes()


def _zip(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return buf.getvalue()


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    """A report mailbox as a mail server delivers it: each fixture as an attachment the way its sender
    packs it (Google gzip, Microsoft and Yahoo zip, TLS reports tlsrpt+gzip), one copy delivered twice, a
    message that is no report, and a delivery in progress in tmp/."""
    box = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    reports = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".xml", ".json"))
    for n, path in enumerate(reports):
        data = path.read_bytes()
        if path.suffix == ".json":
            body = _message(path.name, gzip.compress(data), "tlsrpt+gzip", path.name + ".gz")
        elif path.name.startswith(("protection.outlook.com", "yahoo.com")):
            body = _message(path.name, _zip(path.name, data), "zip", path.stem + ".zip")
        else:
            body = _message(path.name, gzip.compress(data), "gzip", path.name + ".gz")
        (box / "cur" / f"17960{n:05d}.M1P1.mx:2,S").write_bytes(body)
        if n == 0:
            (box / "new" / f"17960{n:05d}.M2P1.mx").write_bytes(body)  # delivered twice
    other = EmailMessage()
    other["Subject"] = "lunch?"
    other.set_content("no report here")
    (box / "cur" / "1796099999.M3P1.mx:2,S").write_bytes(other.as_bytes())
    (box / "tmp" / "1796100000.M4P1.mx").write_bytes(b"From: half a message")
    return box


def test_a_directory_of_mixed_reports(tmp_path: Path) -> None:
    result = run("reports", "-z", ZONE, FIXTURES)
    assert result.exit_code == 5, result.output
    out = result.output
    assert "711 messages: 686 passed, 25 failed (3.5%)" in out
    assert "aligned SPF: 619 pass, 92 fail; aligned DKIM: 677 pass, 34 fail" in out
    assert "signed with DKIM selector 'old2024', which the zone does not publish" in out
    assert "fix: add `- selector: old2024` under mail.dkim" in out
    assert "a relay (smarthost) missing from SPF" in out and "mail.relay" in out
    assert "an unknown sender: 192.0.2.77" in out
    assert "certificate-expired at mx.mail.example [203.0.113.25]: 12 sessions" in out
    assert "fix: publish the policy: mail.mta_sts" in out
    assert "Skipped 2 reports for domains not managed here (example.net: 1, example.org: 1)." in out


def test_a_maildir_gives_the_same_counts_once(maildir: Path) -> None:
    direct = json.loads(run("reports", "-z", ZONE, "--format", "json", FIXTURES).output)
    mailed = json.loads(run("reports", "-z", ZONE, "--format", "json", maildir).output)
    jsonschema.validate(mailed, SCHEMA)
    assert mailed["domains"] == direct["domains"]
    assert mailed["duplicates"] == 1
    assert mailed["ignored_files"] == 1  # the lunch message; tmp/ is not read
    assert mailed["refused"] == []


def test_json_follows_the_published_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    result = run("reports", "-z", ZONE, "--format", "json", "--since", "2026-12-01", FIXTURES)
    doc = json.loads(result.output)
    jsonschema.validate(doc, SCHEMA)
    assert doc["window"] == {"since": "2026-12-01", "until": None}
    (domain,) = doc["domains"]
    assert domain["dmarc"]["messages"] == 27 + 162  # the RFC 9990 report, and Outlook's ending at 00:00 Dec 1
    assert doc["failed"] is (result.exit_code == 5)


def test_threshold_decides_the_exit_code() -> None:
    assert run("reports", "-z", ZONE, "--threshold", "5", FIXTURES).exit_code == 0
    assert run("reports", "-z", ZONE, "--threshold", "3", FIXTURES).exit_code == 5
    assert (
        run(
            "reports",
            "-z",
            ZONE,
            "--threshold",
            "0",
            FIXTURES / "yahoo.com!mail.example!1795996800!1796083199.xml",
        ).exit_code
        == 5
    )
    only_passing = FIXTURES / "google.com!mail.example!1795996800!1796083199!001.json"
    assert run("reports", "-z", ZONE, "--threshold", "0", only_passing).exit_code == 0


def test_markdown() -> None:
    out = run("reports", "-z", ZONE, "--format", "markdown", FIXTURES).output
    assert "### mail.example (2026-11-30 to 2026-12-01)" in out
    assert "| DMARC | 686 | 25 |" in out


def test_hostile_inputs_are_refused_one_line_each(tmp_path: Path) -> None:
    bad = tmp_path / "in"
    bad.mkdir()
    (bad / "bomb.xml.gz").write_bytes(gzip.compress(b"<" + b"a" * (64 * 1024 * 1024), compresslevel=1))
    (bad / "nested.zip").write_bytes(_zip("inner.zip", _zip("r.xml", b"<feedback/>")))
    (bad / "laughs.xml").write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aaaa">]><feedback>&a;</feedback>'
    )
    (bad / "broken.json").write_bytes(b'{"organization-name": ')
    shutil.copy(FIXTURES / "google.com!mail.example!1795996800!1796083199.xml", bad / "good.xml")
    proc = subprocess.run(
        [sys.executable, "-m", "zonesync", "reports", "-z", str(ZONE), str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 4, proc.stderr
    assert all(line.startswith("refused: ") for line in errors)
    assert any("zip bomb" in e for e in errors) and any("inside an archive" in e for e in errors)
    assert any("DTD" in e for e in errors) and any("malformed JSON" in e for e in errors)
    assert "Traceback" not in proc.stderr
    assert "457 messages" in proc.stdout  # the good report is still read
    assert proc.returncode == 0  # 5 of 457 failed: 1.1%, under the 2% default


def test_nothing_readable_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "r.xml"
    bad.write_bytes(b"<feedback><oops>")
    result = run("reports", "-z", ZONE, bad)
    assert result.exit_code == 1
    assert "no report could be read" in result.output


def test_a_bad_date_is_a_usage_error() -> None:
    result = run("reports", "-z", ZONE, "--since", "yesterday", FIXTURES)
    assert result.exit_code == 1 and "YYYY-MM-DD" in result.output
