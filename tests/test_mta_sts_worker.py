"""The MTA-STS Worker: the generated module (golden), run in a real JS engine (V8, the emulator's), and the
`mail.mta_sts.host` / `script` settings of the zone file."""

from __future__ import annotations

from pathlib import Path

import pytest

from zonesync.errors import InvalidZoneError, ZoneFileError
from zonesync.mail import mail_records
from zonesync.mail.mta_sts import policy_id, policy_text
from zonesync.mail.mta_sts_worker import (
    default_script_name,
    script_name_problem,
    served_policy_id,
    worker_script,
)
from zonesync.plan.desired import build_desired
from zonesync.zonefile.load import load_zone_file

GOLDEN = Path(__file__).parent / "golden" / "mta-sts-example-com.mjs"
POLICY = policy_text("enforce", ["mx.example.com"], 604800)
URL = "https://mta-sts.example.com/.well-known/mta-sts.txt"


def test_golden_script():
    assert worker_script("example.com", POLICY) == GOLDEN.read_text()


def test_script_names_the_policy_it_serves():
    other = policy_text("testing", ["mx.example.com"], 86400)
    assert served_policy_id(worker_script("example.com", POLICY)) == policy_id(POLICY)
    assert served_policy_id(worker_script("example.com", other)) == policy_id(other)
    assert served_policy_id("export default {}") is None


@pytest.fixture(scope="module")
def worker():
    from zonesync.emulator.jsworker import ModuleWorker

    w = ModuleWorker(worker_script("example.com", POLICY), "mta-sts.mjs")
    try:
        yield w
    finally:
        w.close()


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_policy_is_served(worker, method):
    answer = worker.fetch(method, URL, [("host", "mta-sts.example.com")], None)
    assert answer.status == 200
    assert dict(answer.headers) == {"content-type": "text/plain; charset=utf-8"}
    assert answer.body == POLICY.encode()  # the edge drops it for HEAD, keeping its length


def test_query_string_does_not_matter(worker):
    assert worker.fetch("GET", URL + "?x=1", [], None).body == POLICY.encode()


@pytest.mark.parametrize(
    "path", ["/", "/.well-known/mta-sts.txt/", "/.well-known/", "/mta-sts.txt", "/.well-known/MTA-STS.TXT"]
)
def test_other_paths_are_404_never_a_redirect(worker, path):
    answer = worker.fetch("GET", "https://mta-sts.example.com" + path, [], None)
    assert answer.status == 404 and "location" not in dict(answer.headers)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_refused(worker, method):
    answer = worker.fetch(method, URL, [], b"x" if method in ("POST", "PUT", "PATCH") else None)
    assert answer.status == 405 and dict(answer.headers)["allow"] == "GET, HEAD"
    assert answer.body != POLICY.encode()


def test_served_policy_parses_with_checkdmarc(worker):
    cd_sts = pytest.importorskip("checkdmarc.mta_sts")
    parsed = cd_sts.parse_mta_sts_policy(worker.fetch("GET", URL, [], None).body.decode())
    assert parsed["warnings"] == [] and parsed["policy"]["mode"] == "enforce"


# -- the zone file's setting -------------------------------------------------------------------------------


def load(tmp_path: Path, mta_sts: str, records: str = ""):
    """example.com with an MX host and `mail.mta_sts` set to the lines of `mta_sts` (4-space indented)."""
    zones = tmp_path / "zones"
    zones.mkdir(exist_ok=True)
    text = (
        "zone: example.com\n"
        "records:\n"
        "  mx: {type: A, value: 203.0.113.25}\n" + (records + "\n" if records else "") + "mail:\n"
        "  mx: [{host: mx, priority: 10}]\n"
        "  mta_sts:\n" + mta_sts + "\n"
    )
    path = zones / "example.com.yaml"
    path.write_text(text)
    return load_zone_file(path)


def test_default_script_name():
    assert default_script_name("example.com") == "mta-sts-example-com"
    assert default_script_name("Mail.Example.CO.UK.") == "mta-sts-mail-example-co-uk"
    assert script_name_problem("mta-sts-example-com") is None
    assert script_name_problem("Bad.Name") is not None


def test_host_worker_gives_the_desired_worker(tmp_path):
    config = load(tmp_path, "    mode: enforce\n    host: worker")
    worker = mail_records(config, None, generate_keys=False).worker
    assert worker is not None
    assert worker.script.name == "mta-sts-example-com" and worker.hostname == "mta-sts.example.com"
    assert worker.script.content == worker_script("example.com", POLICY)


def test_host_worker_with_a_script_name(tmp_path):
    config = load(tmp_path, "    mode: enforce\n    host: worker\n    script: my-policy")
    assert mail_records(config, None, generate_keys=False).worker.script.name == "my-policy"


def test_host_external_is_the_default(tmp_path):
    config = load(tmp_path, "    mode: enforce")
    assert mail_records(config, None, generate_keys=False).worker is None
    config = load(tmp_path, "    mode: enforce\n    host: external")
    assert mail_records(config, None, generate_keys=False).worker is None


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("    host: cloud", "mail.mta_sts.host: 'cloud' is not one of external, worker"),
        ("    script: x", "mail.mta_sts.script: a Worker name needs `host: worker`"),
        ("    host: worker\n    script: Bad.Name", "mail.mta_sts.script: Worker name 'Bad.Name' is not one"),
        ("    host: worker\n    script: 5", "mail.mta_sts.script: must be a string, not"),
    ],
)
def test_setting_errors_name_the_line(tmp_path, block, message):
    config = load(tmp_path, block)
    with pytest.raises(ZoneFileError) as exc:
        mail_records(config, None, generate_keys=False)
    assert message in str(exc.value.message) and "example.com.yaml:" in str(exc.value.message)


def test_default_name_too_long_asks_for_a_script_name(tmp_path):
    zone = "a" * 50 + ".example.com"
    zones = tmp_path / "zones"
    zones.mkdir()
    (zones / f"{zone}.yaml").write_text(f"zone: {zone}\nmail:\n  mta_sts:\n    host: worker\n")
    with pytest.raises(ZoneFileError) as exc:
        mail_records(load_zone_file(zones / f"{zone}.yaml"), None, generate_keys=False)
    assert "set mail.mta_sts.script to a shorter name" in str(exc.value.message)
    assert ":4: mail.mta_sts.host" in str(exc.value.message)


def test_declared_record_at_the_policy_host_is_an_error(tmp_path):
    config = load(tmp_path, "    host: worker", records="  mta-sts: {type: A, value: 192.0.2.80}")
    with pytest.raises(InvalidZoneError) as exc:
        build_desired(config, None)
    assert "mta-sts.example.com A is declared, but mail.mta_sts.host: worker" in str(exc.value)


def test_no_missing_host_warning_with_a_worker(tmp_path):
    external = build_desired(load(tmp_path, "    mode: enforce"), None)
    assert any("no record for mta-sts.example.com" in w.message for w in external.warnings)
    worker = build_desired(load(tmp_path, "    mode: enforce\n    host: worker"), None)
    assert not any("mta-sts.example.com" in w.message for w in worker.warnings)
