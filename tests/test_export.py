"""`zonesync export`: Cloudflare's BIND export, modelled by the emulator (`GET .../dns_records/export`, the
SDK's `dns.records.export`), read through the SDK by the CLI and checked before it is passed on."""

from __future__ import annotations

import re
import textwrap

import pytest
from clirun import run

from tests.fake_api import ZONE_ID, FakeApi
from zonesync.cloudflare.export_check import ExportError, check_export

ZONE = """
zone: example.com
records:
  "@": {type: A, value: 203.0.113.10}
  www: {type: CNAME, value: example.com., proxied: true}
  long: {type: TXT, value: "%s"}
  mail: {type: MX, value: "10 mx.example.com."}
  mx: {type: A, value: 203.0.113.25, comment: "the mail server"}
"""


def records(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith(";")]


def test_emulator_answers_the_export_as_cloudflare_writes_it(api, emulator):
    emulator.add_record("example.com", {"type": "A", "name": "example.com", "content": "203.0.113.10"})
    emulator.add_record(
        "example.com",
        {"type": "A", "name": "app", "content": "192.0.2.7", "proxied": True, "comment": "the app",
         "tags": ["team:mail", "note:a,b"]},
    )  # fmt: skip
    emulator.add_record(
        "example.com", {"type": "MX", "name": "example.com", "content": "mx.example.com", "priority": 10}
    )
    emulator.add_record("example.com", {"type": "TXT", "name": "t", "content": "x" * 300})
    answer = api.get(f"/zones/{emulator.zone_id('example.com')}/dns_records/export")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert text.startswith(";;\n;; Domain:     example.com.\n;; Exported:   ")
    assert re.search(r"^;; Exported:   \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", text, re.M)
    assert "MUST be edited before use on a production" in text
    assert ";; SOA Record\nexample.com\t" in text  # the owner without its final dot, as Cloudflare writes it
    sections = re.findall(r"^;; (\w+) Records?$", text, re.M)
    assert sections == ["SOA", "NS", "A", "MX", "TXT"]
    assert records(text)[1:] == [
        "example.com.\t86400\tIN\tNS\tada.ns.cloudflare.com.",
        "example.com.\t86400\tIN\tNS\tbob.ns.cloudflare.com.",
        "example.com.\t1\tIN\tA\t203.0.113.10 ; cf_tags=cf-proxied:false",
        'app.example.com.\t1\tIN\tA\t192.0.2.7 ; the app cf_tags=cf-proxied:true,team:mail,note:"a,b"',
        "example.com.\t1\tIN\tMX\t10 mx.example.com.",
        f't.example.com.\t1\tIN\tTXT\t"{"x" * 255}" "{"x" * 45}"',
    ]
    assert check_export(text, "example.com") == text


def test_sdk_export_is_the_same_text(cf, emulator, api):
    emulator.add_record(
        "example.com", {"type": "AAAA", "name": "v6", "content": "2001:db8::1", "proxied": True}
    )
    zone_id = emulator.zone_id("example.com")
    via_sdk = cf.dns.records.export(zone_id=zone_id)
    assert records(via_sdk) == records(api.get(f"/zones/{zone_id}/dns_records/export").text)
    assert "v6.example.com.\t1\tIN\tAAAA\t2001:db8::1 ; cf_tags=cf-proxied:true" in via_sdk


def test_export_command_after_apply(emulator, workdir, tmp_path):
    (workdir / "zones" / "example.com.yaml").write_text(textwrap.dedent(ZONE % ("y" * 400)).lstrip())
    applied = run("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    printed = run("export", "example.com")
    assert printed.exit_code == 0, printed.output
    lines = records(printed.stdout)
    assert "www.example.com.\t1\tIN\tCNAME\texample.com. ; cf_tags=cf-proxied:true" in lines
    assert "mx.example.com.\t1\tIN\tA\t203.0.113.25 ; the mail server cf_tags=cf-proxied:false" in lines
    assert "mail.example.com.\t1\tIN\tMX\t10 mx.example.com." in lines
    assert f'long.example.com.\t1\tIN\tTXT\t"{"y" * 255}" "{"y" * 145}"' in lines
    out = tmp_path / "out" / "example.com.txt"
    written = run("export", "example.com", "-o", out)
    assert written.exit_code == 0 and f"Wrote {out}" in written.stderr
    assert records(out.read_text()) == lines


def test_export_of_an_unknown_zone(emulator, workdir):
    result = run("export", "other.example")
    assert result.exit_code == 1
    assert "zone other.example does not exist" in result.stderr


def test_export_refused_by_the_api_is_one_line(emulator, workdir):
    emulator.inject_fault(status=403, code=10000, path_pattern="export")
    result = run("export", "example.com")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: example.com: exporting records: HTTP 403: 10000 "), line
    assert "check CLOUDFLARE_API_TOKEN" in line
    assert result.stdout == ""


def test_export_that_is_not_a_bind_file_is_refused(monkeypatch, workdir):
    """A JSON answer where the BIND text belongs: one line, nothing printed."""
    with FakeApi(1) as fake:
        fake.answer = lambda method, path, query: (
            (200, b'{"result": "x", "success": true}')
            if path.endswith(f"{ZONE_ID}/dns_records/export")
            else None
        )
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "fake-token")
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", fake.url)
        result = run("export", "example.com")
    assert result.exit_code == 1
    assert "example.com: exporting records: bad answer: the export is not text/plain" in result.stderr
    assert result.stdout == ""


SOA = "example.com\t1800\tIN\tSOA\tada.ns.cloudflare.com. dns.cloudflare.com. 1 10000 2400 604800 1800\n"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("evil.example.\t1\tIN\tA\t192.0.2.1\n", "a record outside the zone: evil.example."),
        ("www\t1\tIN\tA\t192.0.2.1\n", "a record outside the zone: www."),
        ("x.example.com.\t1\tIN\tA\t300.1.1.1\n", "line 2:"),
        ("$INCLUDE /etc/passwd\n", "line 2:"),
        ('x.example.com.\t1\tIN\tTXT\t"\x1b[31m"\n', "line 2: a control character (\\x1b)"),
        (SOA, "2 SOA records"),
    ],
)
def test_check_export_refuses(extra, message):
    with pytest.raises(ExportError) as info:
        check_export(SOA + extra, "example.com")
    assert message in str(info.value)


def test_check_export_needs_the_soa_at_the_apex():
    with pytest.raises(ExportError, match=r"line 1: the SOA record is not at example\.com"):
        check_export(SOA.replace("example.com\t", "other.example\t"), "example.com")
    with pytest.raises(ExportError, match="0 SOA records"):
        check_export("", "example.com")


def test_export_reads_only(emulator, workdir):
    before = emulator.stats()["by_route"]
    assert run("export", "example.com").exit_code == 0
    after = emulator.stats()["by_route"]
    new = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    assert new == {"GET /zones": 1, "GET /zones/:id/dns_records/export": 1}


def test_help_lists_export():
    assert "export" in run("--help").output
