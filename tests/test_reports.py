"""`zonesync.reports`: parsing both DMARC formats and TLS-RPT, bounded unpacking, hostile input refused
with one line, deduplication, causes and their fixes. Counts are checked against parsedmarc, an
independent parser, on every fixture."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import parsedmarc
import pytest
from clirun import python

from zonesync.reports import dmarc, tlsrpt, unpack
from zonesync.reports.analysis import Window, summarize
from zonesync.reports.causes import aligned, dmarc_cause
from zonesync.reports.collect import collect, dedupe
from zonesync.reports.messages import report_documents
from zonesync.reports.model import DkimAuth, DmarcRow, ReportRefused, SpfAuth
from zonesync.reports.zonefacts import ZoneFacts

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
DMARC_FIXTURES = sorted(FIXTURES.glob("*.xml"))
TLS_FIXTURES = sorted(FIXTURES.glob("*.json"))
FACTS = ZoneFacts(
    "mail.example",
    selectors=("default", "ed2026"),
    own_networks=(__import__("ipaddress").ip_network("203.0.113.25/32"),),
    dmarc_policy="quarantine",
    has_mail=True,
)


# -- the oracle ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", DMARC_FIXTURES, ids=lambda p: p.name)
def test_dmarc_counts_agree_with_parsedmarc(path: Path) -> None:
    ours = dmarc.parse(path.read_bytes())
    theirs = parsedmarc.parse_aggregate_report_xml(
        path.read_text(), offline=True, always_use_local_files=True
    )
    assert ours.report_id == theirs["report_metadata"]["report_id"]
    assert (
        ours.org_name.lower() == theirs["report_metadata"]["org_name"].lower()
    )  # parsedmarc lower-cases some
    assert ours.domain == theirs["policy_published"]["domain"]
    records = theirs["records"]
    assert sum(r.count for r in ours.rows) == sum(r["count"] for r in records)
    for check, mine in (
        ("spf", lambda r: r.spf_aligned == "pass"),
        ("dkim", lambda r: r.dkim_aligned == "pass"),
        ("dmarc", lambda r: r.dmarc_pass),
    ):
        assert sum(r.count for r in ours.rows if mine(r)) == sum(
            r["count"] for r in records if r["alignment"][check]
        ), check
    by_ip: dict[str, int] = {}
    for r in records:
        by_ip[r["source"]["ip_address"]] = by_ip.get(r["source"]["ip_address"], 0) + r["count"]
    mine_by_ip: dict[str, int] = {}
    for row in ours.rows:
        mine_by_ip[row.source_ip] = mine_by_ip.get(row.source_ip, 0) + row.count
    assert mine_by_ip == by_ip
    selectors = sorted(d.selector for r in ours.rows for d in r.dkim)
    assert selectors == sorted(d["selector"] for r in records for d in r["auth_results"]["dkim"])


@pytest.mark.parametrize("path", TLS_FIXTURES, ids=lambda p: p.name)
def test_tls_counts_agree_with_parsedmarc(path: Path) -> None:
    ours = tlsrpt.parse(path.read_bytes())
    theirs = parsedmarc.parse_smtp_tls_report_json(path.read_text())
    assert ours.report_id == theirs["report_id"]
    assert [(p.domain, p.successes, p.failures) for p in ours.policies] == [
        (p["policy_domain"], p["successful_session_count"], p["failed_session_count"])
        for p in theirs["policies"]
    ]
    assert [(d.result_type, d.count) for p in ours.policies for d in p.details] == [
        (d["result_type"], d["failed_session_count"])
        for p in theirs["policies"]
        for d in p.get("failure_details", [])
    ]


def test_both_dmarc_formats_are_recognised() -> None:
    schemas = {p.name.split("!")[0]: dmarc.parse(p.read_bytes()).schema for p in DMARC_FIXTURES}
    assert schemas["receiver.example"] == "rfc9990"
    assert schemas["google.com"] == "rfc7489"
    assert schemas["protection.outlook.com"] == "rfc7489"


def test_the_summary_of_the_fixtures() -> None:
    found = collect([FIXTURES])
    summary = summarize(found.reports, {"mail.example": FACTS}, threshold=2)
    (domain,) = summary.domains
    c = domain.counts
    assert (c.messages, c.dmarc_pass, c.dmarc_fail) == (711, 686, 25)
    assert (c.spf_pass, c.spf_fail, c.dkim_pass, c.dkim_fail) == (619, 92, 677, 34)
    assert (domain.tls_successes, domain.tls_failures) == (620, 17)
    assert dict(summary.skipped) == {"example.net": 1, "example.org": 1}
    causes = {f.ip: f.cause.code for f in domain.failures}
    assert causes == {
        "203.0.113.99": "third-party-signature",
        "192.0.2.77": "unknown-sender",
        "203.0.113.26": "selector-not-published",
        "192.0.2.200": "forwarded",
        "198.51.100.23": "relay-not-in-spf",
        "2001:db8::25": "key-mismatch",
        "209.85.220.69": "forwarded",
    }
    assert [i.result_type for i in domain.tls_issues] == [
        "certificate-expired",
        "sts-policy-fetch-error",
        "starttls-not-supported",
    ]
    assert summary.over_threshold == (domain,)
    assert not summarize(found.reports, {"mail.example": FACTS}, threshold=5).over_threshold


def test_the_window_keeps_reports_that_overlap() -> None:
    found = collect([FIXTURES])
    dec1 = 1796083200
    summary = summarize(found.reports, {"mail.example": FACTS}, Window(dec1, dec1 + 86400))
    (domain,) = summary.domains
    # Outlook's report ends at 00:00:00 of Dec 1 (its end is inclusive), the RFC 9990 and Company-X ones cover Dec 1
    assert domain.dmarc_reports == 2 and domain.tls_reports == 1
    assert summary.outside_window == 5


# -- causes ----------------------------------------------------------------------------------------------
def _row(ip: str, dkim: str, spf: str, sigs=(), spfs=(), reasons=()) -> DmarcRow:
    return DmarcRow(ip, 1, "none", dkim, spf, reasons, "mail.example", "", "", tuple(sigs), tuple(spfs))


def test_alignment_relaxed_and_strict() -> None:
    assert aligned("bounce.mail.example", "mail.example", "r")
    assert not aligned("bounce.mail.example", "mail.example", "s")
    assert aligned("mail.co.uk", "news.mail.co.uk", "r")
    assert not aligned("other.co.uk", "mail.co.uk", "r")


def test_a_passing_row_has_no_cause() -> None:
    assert dmarc_cause(_row("203.0.113.25", "pass", "pass"), "mail.example", "r", "r", FACTS) is None


def test_a_key_that_does_not_match_on_the_own_host() -> None:
    row = _row("203.0.113.25", "fail", "fail", [DkimAuth("mail.example", "default", "fail")])
    cause = dmarc_cause(row, "mail.example", "r", "r", FACTS)
    assert cause is not None and cause.code == "key-mismatch" and cause.severity == "fail"
    assert "mail.dkim selector 'default'" in cause.fix


def test_spf_errors_point_at_mail_spf() -> None:
    row = _row("192.0.2.1", "fail", "fail", spfs=[SpfAuth("mail.example", "mfrom", "permerror")])
    cause = dmarc_cause(row, "mail.example", "r", "r", FACTS)
    assert cause is not None and cause.code == "spf-error" and "mail.spf" in cause.fix


def test_a_forwarder_seen_by_one_receiver_is_not_a_relay() -> None:
    row = _row("192.0.2.9", "pass", "fail", [DkimAuth("mail.example", "default", "pass")])
    assert dmarc_cause(row, "mail.example", "r", "r", FACTS, reporters=1).code == "forwarded"  # type: ignore[union-attr]
    relay = dmarc_cause(row, "mail.example", "r", "r", FACTS, reporters=3)
    assert relay is not None and relay.code == "relay-not-in-spf" and "mail.relay" in relay.fix


# -- dedup -----------------------------------------------------------------------------------------------
def test_copies_of_a_report_are_read_once(tmp_path: Path) -> None:
    google = FIXTURES / "google.com!mail.example!1795996800!1796083199.xml"
    (tmp_path / "a.xml").write_bytes(google.read_bytes())
    with gzip.open(tmp_path / "b.xml.gz", "wb") as f:
        f.write(google.read_bytes())
    found = collect([tmp_path, google])
    assert len(found.reports) == 1 and found.duplicates == 2
    reports, dropped = dedupe([*found.reports, *found.reports])
    assert len(reports) == 1 and dropped == 1


def test_same_report_id_from_two_reporters_is_two_reports() -> None:
    a = dmarc.parse((FIXTURES / "yahoo.com!mail.example!1795996800!1796083199.xml").read_bytes())
    b = dmarc.parse(
        (FIXTURES / "yahoo.com!mail.example!1795996800!1796083199.xml")
        .read_bytes()
        .replace(b"<org_name>Yahoo</org_name>", b"<org_name>Other</org_name>")
    )
    assert len(dedupe([a, b])[0]) == 2


# -- unpacking and hostile input -------------------------------------------------------------------------
def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_gzip_zip_and_plain_are_read() -> None:
    xml = (FIXTURES / "yahoo.com!mail.example!1795996800!1796083199.xml").read_bytes()
    for data in (xml, gzip.compress(xml), _zip({"report.xml": xml})):
        (doc,) = unpack.documents("r", data)
        assert doc.data == xml and doc.kind == "xml"


BOMB_IN_A_FRESH_PROCESS = """
import resource, time, zlib
from zonesync.reports import unpack
from zonesync.reports.model import ReportRefused
c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
block = b"a" * (1 << 20)
bomb = b"".join([c.compress(b"<")] + [c.compress(block) for _ in range(1024)] + [c.flush()])  # 1 GiB
del block
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()
try:
    unpack.documents("bomb.xml.gz", bomb)
except ReportRefused as exc:
    print(exc)
print(time.monotonic() - started, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def test_a_gzip_bomb_stops_at_the_cap() -> None:
    """1 GiB compressed to about 1 MB: refused at the 32 MiB cap, its memory and time bounded by the cap."""
    proc = python(BOMB_IN_A_FRESH_PROCESS)
    assert proc.returncode == 0, proc.stderr
    message, numbers = proc.stdout.strip().splitlines()
    assert message == "decompresses to more than 32 MiB (a zip bomb?)"
    seconds, grown_mib = numbers.split()
    assert float(seconds) < 10
    assert int(grown_mib) < 3 * 32  # the capped output and its copy; 1 GiB unbounded


def test_a_zip_bomb_member_stops_at_the_cap_whatever_its_header_says() -> None:
    bomb = _zip({"report.xml": b"<" + b"a" * (200 * 1024 * 1024)})
    with pytest.raises(ReportRefused, match="zip bomb"):
        unpack.documents("bomb.zip", bomb)


def test_too_many_zip_members() -> None:
    with pytest.raises(ReportRefused, match="at most 16"):
        unpack.documents("many.zip", _zip({f"{i}.xml": b"<a/>" for i in range(17)}))


def test_nested_archives_are_refused() -> None:
    xml = b"<feedback/>"
    for data in (
        _zip({"inner.zip": _zip({"r.xml": xml})}),
        gzip.compress(gzip.compress(xml)),
        _zip({"r.xml.gz": gzip.compress(xml)}),
    ):
        with pytest.raises(ReportRefused, match="an archive inside an archive"):
            unpack.documents("nested", data)


def test_a_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    with big.open("wb") as f:
        f.seek(unpack.MAX_INPUT_BYTES + 10)
        f.write(b"x")
    with pytest.raises(ReportRefused, match="larger than 16 MiB"):
        unpack.read_file(big)


def test_corrupt_archives_are_refused() -> None:
    with pytest.raises(ReportRefused, match=r"corrupt gzip|truncated"):
        unpack.documents("r.gz", gzip.compress(b"<feedback/>" * 100)[:30])
    with pytest.raises(ReportRefused, match="corrupt zip"):
        unpack.documents("r.zip", b"PK\x03\x04" + b"\x00" * 40)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<feedback><report_metadata><org_name>&lol9;</org_name></report_metadata></feedback>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE feedback [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<feedback><report_metadata><org_name>&secret;</org_name></report_metadata></feedback>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL], ids=["entity-expansion", "external-entity"])
def test_xml_entities_are_refused(data: bytes) -> None:
    with pytest.raises(ReportRefused, match="refused") as err:
        dmarc.parse(data)
    assert "\n" not in str(err.value) and "root:" not in str(err.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<feedback><report_metadata>", "malformed XML"),
        (b"<html><body>hi</body></html>", "not a DMARC aggregate report"),
        (b"<feedback><report_metadata><report_id>1</report_id></report_metadata></feedback>", "domain"),
        (
            b"<feedback><report_metadata><report_id>1</report_id><date_range><begin>x</begin></date_range>"
            b"</report_metadata><policy_published><domain>a.example</domain></policy_published></feedback>",
            "not a number",
        ),
    ],
)
def test_malformed_xml_is_refused_with_one_line(data: bytes, message: str) -> None:
    with pytest.raises(ReportRefused, match=message) as err:
        dmarc.parse(data)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"organization-name": "x",', "malformed JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deep|not an object"),
        (b'{"organization-name": 5}', "date-range is not an object|organization-name"),
        (b"\xff\xfe{}", "not UTF-8"),
        (
            b'{"organization-name":"x","report-id":"1","date-range":{"start-datetime":"2026-01-01T00:00:00Z",'
            b'"end-datetime":"2026-01-02T00:00:00Z"},"policies":[{"policy":{"policy-type":"sts",'
            b'"policy-domain":"a.example"},"summary":{"total-successful-session-count":-1}}]}',
            "not a count",
        ),
    ],
)
def test_malformed_json_is_refused_with_one_line(data: bytes, message: str) -> None:
    with pytest.raises(ReportRefused, match=message) as err:
        tlsrpt.parse(data)
    assert "\n" not in str(err.value)


def test_a_message_with_report_attachments() -> None:
    from email.message import EmailMessage

    xml = (FIXTURES / "yahoo.com!mail.example!1795996800!1796083199.xml").read_bytes()
    tls = (FIXTURES / "google.com!mail.example!1795996800!1796083199!001.json").read_bytes()
    msg = EmailMessage()
    msg["Subject"] = "Report Domain: mail.example Submitter: yahoo.com"
    msg.set_content("This is an aggregate report from Yahoo.")
    msg.add_attachment(_zip({"r.xml": xml}), maintype="application", subtype="zip", filename="r.zip")
    msg.add_attachment(
        gzip.compress(tls), maintype="application", subtype="tlsrpt+gzip", filename="t.json.gz"
    )
    docs = report_documents(msg.as_bytes())
    assert [(d.kind, d.data) for d in docs] == [("xml", xml), ("json", tls)]


def test_control_characters_in_fields_are_escaped_on_output() -> None:
    """XML 1.0 has no ESC, but it carries C1 controls (U+009B is CSI to a terminal), newlines that would
    forge an output line, and bidirectional overrides."""
    xml = (FIXTURES / "yahoo.com!mail.example!1795996800!1796083199.xml").read_bytes()
    hostile = xml.replace(
        b"<org_name>Yahoo</org_name>", "<org_name>Ya\u009b2J\nFAIL x\u202ehoo</org_name>".encode()
    )
    report = dmarc.parse(hostile)
    assert report.org_name == "Ya\x9b2J\nFAIL x\u202ehoo"
    from zonesync.render import reports as render

    summary = summarize([report], {"mail.example": FACTS})
    for out in (render.text(summary), render.markdown(summary), render.to_json(summary)):
        assert not {"\x9b", "\u202e"} & set(out)
        assert "\nFAIL x" not in out
    assert "Ya\\x9b2J\\nFAIL x\\u202ehoo" in render.text(summary)
    assert json.loads(render.to_json(summary))["domains"][0]["reporters"] == ["Ya\x9b2J\nFAIL x\u202ehoo"]
