"""`mail.mta_sts.host: worker` end to end: the real CLI and the real SDK against the emulator, whose edge runs
the deployed Worker in V8 and serves it over HTTPS; the policy is fetched with a TLS client that trusts only
the emulator's CA."""

from __future__ import annotations

import json
from pathlib import Path

import cloudflare
import jsonschema
import pytest
from click.testing import CliRunner
from edge_client import fetch
from emu_records import user_records

from zonesync.cli import cli
from zonesync.emulator.server import Emulator
from zonesync.emulator.store import ACCOUNT_ID
from zonesync.mail import mta_sts, policy_for
from zonesync.zonefile.load import load_zone_file

SCHEMA = json.loads((Path(__file__).parent.parent / "zonesync" / "schemas" / "plan.schema.json").read_text())
HOST = "mta-sts.example.com"
SCRIPT = "mta-sts-example-com"
ZONE = """\
zone: example.com
{records}mail:
  mx: [{{host: mx, priority: 10}}]
  hosts:
    mx: {{ipv4: [203.0.113.25]}}
  mta_sts:
    mode: {mode}
{hosting}  tls_rpt: {{rua: ["mailto:tlsrpt@example.com"]}}
"""
WORKER = "    host: worker\n"


def serve(monkeypatch, tmp_path, **options):
    """An emulator with the Workers edge, the environment pointing at it, cwd a fresh directory with zones/."""
    emu = Emulator(
        tokens=("test-token",),
        dns_only_tokens=("dns-only",),
        zones=("example.com",),
        rate_limit=0,
        edge_port=0,
        **options,
    ).start()
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "test-token")
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.url)
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "zones").mkdir()
    monkeypatch.chdir(tmp_path)
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def emu(monkeypatch, tmp_path):
    yield from serve(monkeypatch, tmp_path)


def write(mode: str = "enforce", hosting: str = WORKER, records: str = "") -> Path:
    path = Path("zones/example.com.yaml")
    path.write_text(ZONE.format(mode=mode, hosting=hosting, records=records))
    return path


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def served(emu: Emulator):
    return fetch(HOST, emu.edge_port, emu.ca_pem, "/.well-known/mta-sts.txt")


def live(emu: Emulator, name: str, rtype: str) -> list[dict]:
    return [r for r in user_records(emu, "example.com") if r["name"] == name and r["type"] == rtype]


def sdk(token: str = "test-token") -> cloudflare.Cloudflare:
    import os

    return cloudflare.Cloudflare(api_token=token, base_url=os.environ["CLOUDFLARE_BASE_URL"], max_retries=0)


def sts_id(emu: Emulator) -> str:
    [rec] = live(emu, "_mta-sts.example.com", "TXT")
    return rec["content"].strip('"').split("id=")[1]


def test_plan_apply_plan_serves_the_policy(emu):
    path = write()
    plan = run("plan")
    assert plan.exit_code == 0, plan.output
    assert f"+ create Worker script {SCRIPT}" in plan.output
    assert f"+ create Worker custom domain {HOST} -> {SCRIPT}" in plan.output
    assert "no record for mta-sts.example.com" not in plan.output  # the Worker serves that name

    applied = run("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    again = run("plan", "--exit-code")
    assert again.exit_code == 0, again.output
    assert (
        "no changes" in again.output
        and "Worker custom domain (Cloudflare's own read-only record)" in again.output
    )

    policy = policy_for(load_zone_file(path))
    reply = served(emu)
    assert reply.status == 200 and reply.body == policy.encode()
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"
    assert sts_id(emu) == mta_sts.policy_id(policy)
    [aaaa] = live(emu, HOST, "AAAA")
    assert aaaa["content"] == "100::" and aaaa["meta"]["read_only"] is True
    [script] = sdk().workers.scripts.list(account_id=ACCOUNT_ID)
    assert script.id == SCRIPT and script.tags == ["zonesync"]


def test_policy_change_updates_script_and_id_in_one_apply(emu):
    write("testing")
    assert run("apply", "--yes").exit_code == 0
    old_id = sts_id(emu)
    path = write("enforce")
    plan = run("plan")
    assert f"~ update Worker script {SCRIPT}" in plan.output
    new_id = mta_sts.policy_id(policy_for(load_zone_file(path)))
    assert f"policy id: {old_id} -> {new_id}" in plan.output
    assert "~ update _mta-sts TXT" in plan.output
    assert "0 to create, 2 to update, 0 to delete" in plan.output

    applied = run("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    assert sts_id(emu) == new_id
    assert b"mode: enforce" in served(emu).body
    assert run("plan", "--exit-code").exit_code == 0


def test_removing_the_setting_deletes_domain_and_script(emu):
    write()
    assert run("apply", "--yes").exit_code == 0
    write(hosting="")
    plan = run("plan")
    assert f"- delete Worker custom domain {HOST}" in plan.output
    assert f"- delete Worker script {SCRIPT}" in plan.output
    applied = run("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    assert live(emu, HOST, "AAAA") == []  # Cloudflare's read-only record went with the domain
    assert list(sdk().workers.domains.list(account_id=ACCOUNT_ID)) == []
    assert list(sdk().workers.scripts.list(account_id=ACCOUNT_ID)) == []
    assert run("plan", "--exit-code").exit_code == 0


def test_a_record_at_the_policy_host_is_deleted_first(emu):
    write(hosting="", records="records:\n  mta-sts: {type: A, value: 192.0.2.80}\n")
    assert run("apply", "--yes").exit_code == 0
    assert live(emu, HOST, "A")
    write()
    plan = run("plan")
    assert "- delete mta-sts A 192.0.2.80" in plan.output
    assert "deleted above go first: Cloudflare refuses a custom domain over them" in plan.output
    applied = run("apply", "--yes")  # in the wrong order the emulator answers 409 100117
    assert applied.exit_code == 0, applied.output
    assert live(emu, HOST, "A") == [] and live(emu, HOST, "AAAA")
    assert served(emu).status == 200


def test_a_record_zonesync_does_not_manage_stops_the_plan(emu):
    emu.add_record("example.com", {"type": "A", "name": HOST, "content": "192.0.2.81", "ttl": 1})
    path = write()
    path.write_text(path.read_text() + "ignore:\n  - name: mta-sts\n")
    plan = run("plan")
    assert plan.exit_code == 1
    assert "mail.mta_sts.host: worker needs mta-sts.example.com" in plan.output
    assert "mta-sts.example.com A 192.0.2.81 is not managed by zonesync" in plan.output
    assert "Traceback" not in plan.output
    assert run("apply", "--yes").exit_code == 1
    assert list(sdk().workers.scripts.list(account_id=ACCOUNT_ID)) == []  # nothing half-applied


def test_a_declared_record_at_the_policy_host_is_a_validation_error(emu):
    write(records="records:\n  mta-sts: {type: CNAME, value: pages.example.net.}\n")
    result = run("validate")
    assert result.exit_code == 1
    assert "mta-sts.example.com CNAME is declared, but mail.mta_sts.host: worker" in result.output


def test_token_without_workers_permission(emu, monkeypatch):
    write()
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "dns-only")
    result = run("plan")
    assert result.exit_code == 1
    assert "403" in result.output and "10000" in result.output
    assert "add Account › Workers Scripts › Edit to it" in result.output
    assert "dns-only" not in result.output  # the token is never printed
    write(hosting="")  # a zone without a Worker needs no Workers permission
    assert run("plan").exit_code == 0


def test_saved_plan_is_stale_after_a_script_edit(emu):
    write("testing")
    assert run("apply", "--yes").exit_code == 0
    write("enforce")
    assert run("plan", "--out", "plan.json").exit_code == 0
    doc = json.loads(Path("plan.json").read_text())
    jsonschema.validate(doc, SCHEMA)
    [zone] = doc["zones"]
    assert [(c["action"], c["kind"]) for c in zone["workers"]["changes"]] == [("update", "script")]
    sdk().workers.scripts.update(  # a dashboard edit, behind zonesync's back
        SCRIPT,
        account_id=ACCOUNT_ID,
        metadata={"main_module": "w.mjs", "tags": ["zonesync"]},
        files=[
            (
                "w.mjs",
                b"export default { fetch() { return new Response('hi') } }",
                "application/javascript+module",
            )
        ],
    )
    result = run("apply", "--yes", "plan.json")
    assert result.exit_code == 3, result.output
    assert (
        "the Worker serving the MTA-STS policy (mta-sts-example-com) changed since the plan was made"
        in result.output
    )
    assert served(emu).body == b"hi"  # nothing was applied


def test_saved_plan_applies_the_worker(emu):
    write()
    assert run("plan", "--out", "plan.json").exit_code == 0
    result = run("apply", "--yes", "plan.json")
    assert result.exit_code == 0, result.output
    assert served(emu).status == 200 and run("plan", "--exit-code").exit_code == 0


def test_failed_upload_never_publishes_the_record(emu):
    write()
    emu.inject_fault(status=500, method="PUT", path_pattern="workers/scripts", times=10)
    result = CliRunner().invoke(cli, ["apply", "--yes"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "update Worker script" in result.output or "create Worker script" in result.output
    assert live(emu, "_mta-sts.example.com", "TXT") == []  # no policy announced that is not served
    assert live(emu, "mx.example.com", "A") == []  # the DNS changes after the Worker were not applied
    emu.clear_faults()
    assert run("apply", "--yes").exit_code == 0
    assert served(emu).status == 200 and live(emu, "_mta-sts.example.com", "TXT")


def test_markdown_and_json_show_the_worker(emu):
    write()
    md = run("plan", "--format", "markdown")
    assert f"+ create Worker script {SCRIPT}" in md.output
    doc = json.loads(run("plan", "--format", "json").stdout)
    jsonschema.validate(doc, SCHEMA)
    workers = doc["zones"][0]["workers"]
    assert workers["hostname"] == HOST
    assert [(c["action"], c["kind"], c["name"]) for c in workers["changes"]] == [
        ("create", "script", SCRIPT),
        ("create", "domain", HOST),
    ]
    assert workers["changes"][0]["after"]["content"].startswith("// MTA-STS policy of example.com")


def test_verify_fetches_the_policy_from_the_worker(emu, tmp_path):
    """verify's MTA-STS check (RFC 8461 §3.3 fetch, strict parse, comparison, MX coverage) passes against the
    emulator's edge, reached with `--connect-to` and trusting the emulator's CA through `--ca-file`."""
    from zonesync.verify.connect import parse_connect_to
    from zonesync.verify.mta_sts import check_policy
    from zonesync.verify.result import NetOptions, Status

    path = write()
    assert run("apply", "--yes").exit_code == 0
    ca = emu.write_ca(tmp_path / "edge-ca.pem")
    opts = NetOptions(
        timeout=10, connect_to=(parse_connect_to(f"{HOST}:443:127.0.0.1:{emu.edge_port}"),), ca_file=ca
    )
    findings = check_policy("example.com", policy_for(load_zone_file(path)), ["mx.example.com"], opts)
    assert findings and all(f.status is Status.PASS for f in findings), findings
    without_ca = check_policy(
        "example.com", None, ["mx.example.com"], NetOptions(timeout=10, connect_to=opts.connect_to)
    )
    assert any(f.status is Status.FAIL for f in without_ca)  # the edge's certificate is checked for real


def test_zonesync_verify_passes_against_the_edge(tmp_path, monkeypatch):
    """`zonesync verify` reads the zone from the emulator's nameserver and fetches the policy from the Worker
    on its edge (`--connect-to`, `--ca-file`), as the demo does."""
    emu = Emulator(
        tokens=("test-token",), zones=("example.com",), rate_limit=0, edge_port=0, dns_port=0
    ).start()
    try:
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "test-token")
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.url)
        monkeypatch.setenv("NO_COLOR", "1")
        (tmp_path / "zones").mkdir()
        monkeypatch.chdir(tmp_path)
        write(
            hosting=WORKER + '  spf: {allow: [mx]}\n  dmarc: {policy: none, rua: ["mailto:d@example.com"]}\n'
        )
        assert run("apply", "--yes").exit_code == 0
        ca = emu.write_ca(tmp_path / "edge-ca.pem")
        args = ["verify", "--nameserver", f"127.0.0.1:{emu.dns.port}", "--ca-file", str(ca)]
        result = run(*args, f"--connect-to={HOST}:443:127.0.0.1:{emu.edge_port}")
        assert result.exit_code == 0, result.output
        assert "the served policy is the one zonesync generates" in result.output
        without = run(*args[:3], f"--connect-to={HOST}:443:127.0.0.1:{emu.edge_port}")
        assert without.exit_code == 5  # the edge's certificate is not trusted without the CA
    finally:
        emu.stop()


def test_worker_in_the_zones_account_with_an_accounts_file(tmp_path, monkeypatch):
    """With zonesync.yaml the Workers calls go through the zone's account's provider, with its token."""
    shop = "c" * 32
    emu = Emulator(
        tokens=(),
        account_tokens={"tok-shop": shop},
        zones=(f"example.com@{shop}",),
        rate_limit=0,
        edge_port=0,
    ).start()
    try:
        monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
        monkeypatch.setenv("CF_TOKEN_SHOP", "tok-shop")
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.url)
        (tmp_path / "zones").mkdir()
        monkeypatch.chdir(tmp_path)
        (tmp_path / "zonesync.yaml").write_text(
            f"accounts:\n  - id: {shop}\n    token_env: CF_TOKEN_SHOP\n    zones: [example.com]\n"
        )
        write()
        applied = run("apply", "--yes")
        assert applied.exit_code == 0, applied.output
        assert run("plan", "--exit-code").exit_code == 0
        assert served(emu).status == 200
        client = cloudflare.Cloudflare(api_token="tok-shop", base_url=emu.url, max_retries=0)
        assert [s.id for s in client.workers.scripts.list(account_id=shop)] == [SCRIPT]
    finally:
        emu.stop()


def _deploy_other_script(name: str, tags: list[str]) -> None:
    sdk().workers.scripts.update(
        name,
        account_id=ACCOUNT_ID,
        metadata={"main_module": "w.mjs", "tags": tags},
        files=[
            (
                "w.mjs",
                b"export default { fetch() { return new Response('old') } }",
                "application/javascript+module",
            )
        ],
    )


def test_moving_the_domain_needs_override_existing_origin(emu):
    """Cloudflare refuses to re-point a custom domain at another script without the flag (facts W11)."""
    _deploy_other_script("old-name", ["zonesync"])
    _deploy_other_script(SCRIPT, ["zonesync"])
    sdk().workers.domains.update(account_id=ACCOUNT_ID, hostname=HOST, service="old-name")
    with pytest.raises(cloudflare.APIStatusError) as refused:
        sdk().workers.domains.update(account_id=ACCOUNT_ID, hostname=HOST, service=SCRIPT)
    assert refused.value.status_code == 409
    assert refused.value.body["errors"][0]["code"] == 100116
    assert "override_existing_origin" in refused.value.body["errors"][0]["message"]
    [domain] = sdk().workers.domains.list(account_id=ACCOUNT_ID, hostname=HOST)
    assert domain.service == "old-name"  # nothing moved


def test_apply_moves_the_domain_from_an_older_script_of_ours(emu):
    """The domain serves an older script of zonesync's: apply re-points it (sending override_existing_origin,
    W11) and deletes the old script."""
    _deploy_other_script("old-name", ["zonesync"])
    sdk().workers.domains.update(account_id=ACCOUNT_ID, hostname=HOST, service="old-name")
    assert served(emu).body == b"old"
    write()
    plan = run("plan")
    assert f"~ update Worker custom domain {HOST}" in plan.output, plan.output
    applied = run("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    [domain] = sdk().workers.domains.list(account_id=ACCOUNT_ID, hostname=HOST)
    assert domain.service == SCRIPT
    assert [s.id for s in sdk().workers.scripts.list(account_id=ACCOUNT_ID)] == [SCRIPT]
    assert served(emu).status == 200 and b"version: STSv1" in served(emu).body
    assert run("plan", "--exit-code").exit_code == 0
