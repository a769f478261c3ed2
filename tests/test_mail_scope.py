"""The mail checks' shortcut: a zone with no `mail:` block and no record they read gets the empty result
without loading them, and that result is exactly what the full checks return."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from zonesync.mail import mail_records
from zonesync.mail.check_scope import outside_mail
from zonesync.mail.records import mail_records as full_mail_records
from zonesync.mail.result import MailResult
from zonesync.model import Record
from zonesync.zonefile.load import load_zone_file

ZONE = "example.com"
BASE = load_zone_file("zones/example.com.yaml", f"zone: {ZONE}\nrecords: {{}}\n")

NAMES = (ZONE, f"www.{ZONE}", f"mx.{ZONE}", f"_dmarc.{ZONE}", f"s1._domainkey.{ZONE}", f"_mta-sts.{ZONE}")
TXT = (
    "plain token",
    "v=spf1 mx -all",
    "v=spf1 a ~all",
    "V=SPF1 -all",
    '"v=spf1 -all',
    "v=spf mx -all",
    "v=DMARC1; p=reject",
    "v=dmarc1; p=none",
    "v=DMARC1; p=bogus",
    "v=STSv1; id=abc",
    "v=TLSRPTv1; rua=mailto:tls@example.com",
    "v=DKIM1; k=rsa; p=AAAA",
    "k=rsa; p=notakey",
    "google-site-verification=abc",
)
RECORDS = st.one_of(
    st.builds(lambda n, v: Record(n, "TXT", v), st.sampled_from(NAMES), st.sampled_from(TXT)),
    st.builds(
        lambda n, h: Record(n, "MX", f"10 {h}"),
        st.sampled_from(NAMES),
        st.sampled_from((f"mx.{ZONE}.", f"www.{ZONE}.", "mx.example.net.")),
    ),
    st.builds(lambda n: Record(n, "A", "192.0.2.1"), st.sampled_from(NAMES)),
    st.builds(lambda n: Record(n, "CNAME", "target.example.net."), st.sampled_from(NAMES)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(RECORDS, max_size=6), st.none() | st.lists(RECORDS, max_size=6))
def test_the_shortcut_returns_what_the_checks_return(records, live):
    config = dataclasses.replace(BASE, records=tuple(records))
    full = full_mail_records(config, live, generate_keys=False)
    assert mail_records(config, live, generate_keys=False) == full
    if outside_mail(config):
        assert full == MailResult((), (), ())


def test_what_keeps_the_checks() -> None:
    def outside(*records: Record) -> bool:
        return outside_mail(dataclasses.replace(BASE, records=records))

    assert outside(Record(f"www.{ZONE}", "A", "192.0.2.1"), Record(f"www.{ZONE}", "MX", "10 mx.example.net."))
    assert outside(Record(f"www.{ZONE}", "TXT", "google-site-verification=abc"))
    assert not outside(Record(ZONE, "MX", "10 mx.example.net."))  # an MX at the zone: its host is checked
    assert not outside(Record(f"x.{ZONE}", "TXT", '"V=spf1 -all'))  # tries to be SPF: checked as one
    assert not outside(Record(f"s._domainkey.{ZONE}", "TXT", "k=rsa; p=x"))
    assert not outside_mail(load_zone_file("zones/example.com.yaml", f"zone: {ZONE}\nmail: {{}}\n"))


def test_a_broken_spf_record_is_still_an_error(tmp_path) -> None:
    text = f"zone: {ZONE}\nrecords:\n  '@': {{type: TXT, value: 'v=spf1 bogus:x -all'}}\n"
    result = mail_records(load_zone_file("zones/example.com.yaml", text), None, generate_keys=False)
    assert [d.level for d in result.diagnostics] == ["error"]


def test_a_zone_without_mail_loads_no_mail_checks(tmp_path) -> None:
    (tmp_path / "zones").mkdir()
    (tmp_path / "zones" / "example.com.yaml").write_text(
        textwrap.dedent(f"""\
            zone: {ZONE}
            records:
              www: {{type: A, value: 192.0.2.1}}
              host: {{type: MX, value: 10 mx.example.net.}}
              note: {{type: TXT, value: hello}}
            """)
    )
    code = (
        "import sys\n"
        "from zonesync.zonefile.load import load_zone_file\n"
        "from zonesync.run.orchestrate import build_desired\n"
        "d = build_desired(load_zone_file('zones/example.com.yaml'), None)\n"
        "assert len(d.records) == 3 and not d.warnings\n"
        "print(sorted(m for m in sys.modules if m.startswith(('zonesync.mail.', 'cryptography', 'dns'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    loaded = eval(out)  # a list of module names
    assert "zonesync.mail.checks" not in loaded and "zonesync.mail.spec" not in loaded
    assert not [m for m in loaded if m.startswith("cryptography")]
