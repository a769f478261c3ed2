"""The emulator's Workers API (facts W1–W9) through the official SDK and raw HTTP, and its HTTPS edge that runs
the uploaded module in V8, checked with a real TLS client that trusts only the emulator's CA."""

from __future__ import annotations

import json
import ssl

import cloudflare
import httpx
import pytest
from edge_client import fetch

from zonesync.emulator.server import Emulator
from zonesync.emulator.store import ACCOUNT_ID

NAME = "mta-sts-example-com"
HOST = "mta-sts.example.com"
SOURCE = """export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/boom") throw new Error("kaput");
    if (url.pathname === "/echo") {
      return new Response(`${request.method} ${url.search} ${request.headers.get("X-Probe")}`);
    }
    return new Response("hello from the worker\\n", { headers: { "content-type": "text/plain; charset=utf-8" } });
  },
};
"""


@pytest.fixture
def emu(tmp_path):
    emu = Emulator(
        tokens=("test-token",),
        dns_only_tokens=("dns-only",),
        zones=("example.com",),
        rate_limit=0,
        edge_port=0,
        ca_file=tmp_path / "ca.pem",
    ).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def sdk(emu):
    client = cloudflare.Cloudflare(api_token="test-token", base_url=emu.url, max_retries=0)
    try:
        yield client
    finally:
        client.close()


def upload(
    sdk, source: str = SOURCE, name: str = NAME, filename: str = "worker.mjs", main: str | None = None
):
    return sdk.workers.scripts.update(
        name,
        account_id=ACCOUNT_ID,
        metadata={"main_module": main or filename, "compatibility_date": "2025-01-01"},
        files=[(filename, source.encode(), "application/javascript+module")],
    )


def attach(sdk, emu, hostname: str = HOST, service: str = NAME):
    return sdk.workers.domains.update(
        account_id=ACCOUNT_ID, hostname=hostname, service=service, zone_id=emu.zone_id("example.com")
    )


def api_error(excinfo) -> tuple[int, int, str]:
    err = excinfo.value.body["errors"][0] if isinstance(excinfo.value.body, dict) else {}
    return excinfo.value.status_code, err.get("code"), err.get("message", "")


# -- scripts ----------------------------------------------------------------------------------------------


def test_upload_list_read_delete(emu, sdk):
    result = upload(sdk)
    assert result.id == NAME and result.has_modules is True and result.handlers == ["fetch"]
    assert result.startup_time_ms >= 1 and result.etag and result.compatibility_date == "2025-01-01"
    [listed] = list(sdk.workers.scripts.list(account_id=ACCOUNT_ID))
    assert (listed.id, listed.etag) == (NAME, result.etag)
    assert sdk.workers.scripts.get(NAME, account_id=ACCOUNT_ID) == SOURCE
    content = sdk.workers.scripts.content.get(NAME, account_id=ACCOUNT_ID)
    assert content.headers["cf-entrypoint"] == "worker.mjs"
    assert content.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert SOURCE.replace("\n", "\r\n") in content.read().decode().replace("\r\n", "\n").replace("\n", "\r\n")
    sdk.workers.scripts.delete(NAME, account_id=ACCOUNT_ID)
    assert list(sdk.workers.scripts.list(account_id=ACCOUNT_ID)) == []
    with pytest.raises(cloudflare.NotFoundError) as exc:
        sdk.workers.scripts.get(NAME, account_id=ACCOUNT_ID)
    assert api_error(exc)[:2] == (404, 10007)


def test_reupload_changes_etag_keeps_created_on(sdk):
    first = upload(sdk)
    second = upload(sdk, SOURCE.replace("hello", "hi"))
    assert second.etag != first.etag and second.created_on == first.created_on
    assert upload(sdk, SOURCE.replace("hello", "hi")).etag == second.etag


def test_default_compatibility_date(sdk):
    result = sdk.workers.scripts.update(
        NAME,
        account_id=ACCOUNT_ID,
        metadata={"main_module": "w.mjs"},
        files=[("w.mjs", SOURCE.encode(), "application/javascript+module")],
    )
    assert result.compatibility_date == "2021-11-02"


@pytest.mark.parametrize(
    ("source", "code", "message"),
    [
        ("export default {", 10021, "Uncaught SyntaxError"),
        (
            "throw new TypeError('at start')\nexport default {fetch() {}}",
            10021,
            "Uncaught TypeError: at start",
        ),
        ("export default {}", 10068, "No event handlers were registered"),
        ("export const x = 1", 10068, "No event handlers were registered"),
        (
            "import { a } from './other.mjs';\nexport default { fetch() {} }",
            10021,
            'No such module "./other.mjs"',
        ),
    ],
)
def test_upload_refuses_bad_modules(emu, sdk, source, code, message):
    with pytest.raises(cloudflare.BadRequestError) as exc:
        upload(sdk, source)
    status, got, text = api_error(exc)
    assert (status, got) == (400, code) and message in text
    assert list(sdk.workers.scripts.list(account_id=ACCOUNT_ID)) == []


def test_upload_refuses_missing_main_module(sdk):
    with pytest.raises(cloudflare.BadRequestError) as exc:
        upload(sdk, main="index.js")
    assert api_error(exc) == (400, 10021, "Uncaught TypeError: Main module name is not present in bundle.")


@pytest.mark.parametrize("name", ["Upper", "-dash", "dash-", "a" * 64, "dots.bad"])
def test_upload_refuses_bad_names(sdk, name):
    with pytest.raises(cloudflare.BadRequestError) as exc:
        upload(sdk, name=name)
    assert api_error(exc)[:2] == (400, 10016)


def test_upload_without_files_is_unparseable(sdk):
    """W2: without ``files`` the SDK sends JSON instead of multipart."""
    with pytest.raises(cloudflare.BadRequestError) as exc:
        sdk.workers.scripts.update(NAME, account_id=ACCOUNT_ID, metadata={"main_module": "worker.mjs"})
    assert api_error(exc)[:2] == (400, 10026)


def test_upload_over_the_size_limit(sdk):
    big = SOURCE + "//" + "x" * (10 * 1024 * 1024) + "\n"
    with pytest.raises(cloudflare.BadRequestError) as exc:
        upload(sdk, big)
    assert api_error(exc)[:2] == (400, 10027)


def test_wrangler_style_part_named_after_the_file(emu):
    """W1: wrangler names each module part after its file; the SDK names them all ``files``."""
    files = {
        "metadata": (None, json.dumps({"main_module": "index.js"}), "application/json"),
        "index.js": ("index.js", SOURCE, "application/javascript+module"),
    }
    resp = httpx.put(
        f"{emu.url}/accounts/{ACCOUNT_ID}/workers/scripts/{NAME}",
        files=files,
        headers={"Authorization": "Bearer test-token"},
    )
    assert resp.status_code == 200 and resp.json()["result"]["handlers"] == ["fetch"]


# -- permissions ------------------------------------------------------------------------------------------


def test_token_without_workers_permission(emu):
    client = cloudflare.Cloudflare(api_token="dns-only", base_url=emu.url, max_retries=0)
    assert list(client.zones.list())  # DNS work is fine
    for call in (
        lambda: client.workers.scripts.list(account_id=ACCOUNT_ID),
        lambda: client.workers.domains.list(account_id=ACCOUNT_ID),
        lambda: upload(client),
    ):
        with pytest.raises(cloudflare.PermissionDeniedError) as exc:
            call()
        assert api_error(exc) == (403, 10000, "Authentication error")


def test_other_account_is_refused(emu, sdk):
    with pytest.raises(cloudflare.PermissionDeniedError):
        sdk.workers.scripts.list(account_id="f" * 32)
    with pytest.raises(cloudflare.NotFoundError) as exc:
        sdk.workers.scripts.list(account_id="not-an-id")
    assert api_error(exc)[:2] == (404, 7003)


# -- custom domains --------------------------------------------------------------------------------------


def test_custom_domain_creates_and_removes_the_read_only_record(emu, sdk):
    upload(sdk)
    domain = attach(sdk, emu)
    assert (domain.hostname, domain.service, domain.zone_name) == (HOST, NAME, "example.com")
    assert domain.environment == "production" and domain.cert_id
    [rec] = emu.records("example.com")
    assert (rec["type"], rec["name"], rec["content"], rec["proxied"], rec["ttl"]) == (
        "AAAA",
        HOST,
        "100::",
        True,
        1,
    )
    assert rec["meta"] == {"read_only": True, "origin_worker_id": domain.id}
    with pytest.raises(cloudflare.BadRequestError) as exc:  # read-only through the DNS API
        sdk.dns.records.delete(rec["id"], zone_id=emu.zone_id("example.com"))
    assert api_error(exc)[:2] == (400, 81046)
    assert attach(sdk, emu).id == domain.id  # PUT again: the same domain
    assert len(emu.records("example.com")) == 1
    sdk.workers.domains.delete(domain.id, account_id=ACCOUNT_ID)
    assert emu.records("example.com") == []
    assert list(sdk.workers.domains.list(account_id=ACCOUNT_ID)) == []


def test_domain_list_filters_and_get(emu, sdk):
    upload(sdk)
    upload(sdk, name="other")
    a = attach(sdk, emu)
    b = attach(sdk, emu, hostname="www.example.com", service="other")
    assert [d.id for d in sdk.workers.domains.list(account_id=ACCOUNT_ID)] == [a.id, b.id]
    assert [d.id for d in sdk.workers.domains.list(account_id=ACCOUNT_ID, hostname=HOST)] == [a.id]
    assert [d.id for d in sdk.workers.domains.list(account_id=ACCOUNT_ID, service="other")] == [b.id]
    assert [d.id for d in sdk.workers.domains.list(account_id=ACCOUNT_ID, zone_name="example.org")] == []
    assert sdk.workers.domains.get(b.id, account_id=ACCOUNT_ID).hostname == "www.example.com"
    with pytest.raises(cloudflare.NotFoundError):
        sdk.workers.domains.get("0" * 32, account_id=ACCOUNT_ID)


@pytest.mark.parametrize("rtype,content", [("A", "192.0.2.1"), ("CNAME", "elsewhere.example.net")])
def test_custom_domain_over_an_existing_record(emu, sdk, rtype, content):
    upload(sdk)
    emu.add_record("example.com", {"type": rtype, "name": HOST, "content": content, "ttl": 1})
    with pytest.raises(cloudflare.ConflictError) as exc:
        attach(sdk, emu)
    status, code, message = api_error(exc)
    assert (status, code) == (409, 100117)
    assert message.startswith(f"Hostname '{HOST}' already has externally managed DNS records")
    assert list(sdk.workers.domains.list(account_id=ACCOUNT_ID)) == []
    assert [r["type"] for r in emu.records("example.com")] == [rtype]


def test_custom_domain_needs_the_script_and_a_zone(emu, sdk):
    with pytest.raises(cloudflare.NotFoundError):
        attach(sdk, emu)
    upload(sdk)
    with pytest.raises(cloudflare.BadRequestError) as exc:
        sdk.workers.domains.update(account_id=ACCOUNT_ID, hostname="mta-sts.example.org", service=NAME)
    assert api_error(exc)[:2] == (400, 100118)


def test_deleting_the_script_detaches_its_domains(emu, sdk):
    upload(sdk)
    attach(sdk, emu)
    sdk.workers.scripts.delete(NAME, account_id=ACCOUNT_ID)
    assert list(sdk.workers.domains.list(account_id=ACCOUNT_ID)) == []
    assert emu.records("example.com") == []


def test_state_survives_a_restart(tmp_path):
    state = tmp_path / "state.json"
    with Emulator(tokens=("t",), zones=("example.com",), state_path=state, rate_limit=0) as first:
        client = cloudflare.Cloudflare(api_token="t", base_url=first.url, max_retries=0)
        upload(client)
        attach(client, first)
    with Emulator(tokens=("t",), zones=(), state_path=state, rate_limit=0, edge_port=0) as second:
        client = cloudflare.Cloudflare(api_token="t", base_url=second.url, max_retries=0)
        assert [s.id for s in client.workers.scripts.list(account_id=ACCOUNT_ID)] == [NAME]
        assert [d.hostname for d in client.workers.domains.list(account_id=ACCOUNT_ID)] == [HOST]
        reply = fetch(HOST, second.edge_port, second.ca_pem, "/")
        assert reply.body == b"hello from the worker\n"


# -- the HTTPS edge ---------------------------------------------------------------------------------------


def test_edge_serves_the_worker_over_verified_tls(emu, sdk, tmp_path):
    upload(sdk)
    attach(sdk, emu)
    assert (tmp_path / "ca.pem").read_bytes() == emu.ca_pem
    reply = fetch(HOST, emu.edge_port, (tmp_path / "ca.pem").read_text(), "/anything")
    assert reply.status == 200 and reply.body == b"hello from the worker\n"
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"
    assert reply.headers["server"] == "cloudflare"
    echo = fetch(HOST, emu.edge_port, emu.ca_pem, "/echo?q=1", method="POST", body=b"x")
    assert echo.body == b"POST ?q=1 null"
    assert echo.headers["content-type"] == "text/plain;charset=UTF-8"  # the Fetch standard's default


def test_edge_head_has_no_body(emu, sdk):
    upload(sdk)
    attach(sdk, emu)
    reply = fetch(HOST, emu.edge_port, emu.ca_pem, "/", method="HEAD")
    assert reply.status == 200 and reply.body == b""
    assert reply.headers["content-length"] == str(len(b"hello from the worker\n"))


def test_edge_serves_the_new_script_after_an_upload(emu, sdk):
    upload(sdk)
    attach(sdk, emu)
    assert fetch(HOST, emu.edge_port, emu.ca_pem).body == b"hello from the worker\n"
    upload(sdk, SOURCE.replace("hello", "howdy"))
    assert fetch(HOST, emu.edge_port, emu.ca_pem).body == b"howdy from the worker\n"


def test_a_throwing_worker_gets_cloudflares_error_page(emu, sdk):
    upload(sdk)
    attach(sdk, emu)
    reply = fetch(HOST, emu.edge_port, emu.ca_pem, "/boom")
    assert reply.status == 500 and reply.headers["content-type"].startswith("text/html")
    assert b"Error" in reply.body and b"1101" in reply.body and b"Worker threw exception" in reply.body
    assert fetch(HOST, emu.edge_port, emu.ca_pem, "/").status == 200  # the Worker keeps serving


def test_edge_refuses_hostnames_without_a_custom_domain(emu, sdk):
    upload(sdk)
    with pytest.raises(ssl.SSLError):
        fetch(HOST, emu.edge_port, emu.ca_pem)
    domain = attach(sdk, emu)
    assert fetch(HOST, emu.edge_port, emu.ca_pem).status == 200
    sdk.workers.domains.delete(domain.id, account_id=ACCOUNT_ID)
    with pytest.raises(ssl.SSLError):
        fetch(HOST, emu.edge_port, emu.ca_pem)


def test_edge_certificate_is_not_trusted_without_the_ca(emu, sdk):
    upload(sdk)
    attach(sdk, emu)
    other = Emulator(tokens=("t",), zones=(), edge_port=0).start()
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            fetch(HOST, emu.edge_port, other.ca_pem)
    finally:
        other.stop()


def test_emulator_command_runs_the_edge(tmp_path):
    """``zonesync emulator --edge-port 0 --ca-file F``: the edge and its CA from the command line."""
    import subprocess
    import sys

    ca = tmp_path / "ca.pem"
    cmd = [sys.executable, "-m", "zonesync", "emulator", "--token", "t", "--zone", "example.com"]
    cmd += ["--dns-only-token", "d", "--edge-port", "0", "--ca-file", str(ca), "--rate-limit", "off"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        edge_line = proc.stdout.readline()
        assert edge_line.startswith("Workers edge (HTTPS) on 127.0.0.1:") and str(ca) in edge_line
        port = int(edge_line.split("127.0.0.1:")[1].split(";")[0])
        client = cloudflare.Cloudflare(api_token="t", base_url=url, max_retries=0)
        upload(client)
        client.workers.domains.update(account_id=ACCOUNT_ID, hostname=HOST, service=NAME)
        assert fetch(HOST, port, ca.read_text()).body == b"hello from the worker\n"
        denied = cloudflare.Cloudflare(api_token="d", base_url=url, max_retries=0)
        with pytest.raises(cloudflare.PermissionDeniedError):
            denied.workers.scripts.list(account_id=ACCOUNT_ID)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_workers_belong_to_an_account(tmp_path):
    """Scripts and domains live in the account of their zone; a token scoped to another account gets 403 10000."""
    shop, agency = "a" * 32, "b" * 32
    emu = Emulator(
        tokens=(),
        account_tokens={"tok-shop": shop, "tok-agency": agency},
        zones=(f"shop.example@{shop}", f"agency.example@{agency}"),
        rate_limit=0,
        edge_port=0,
    ).start()
    try:
        shop_sdk = cloudflare.Cloudflare(api_token="tok-shop", base_url=emu.url, max_retries=0)
        agency_sdk = cloudflare.Cloudflare(api_token="tok-agency", base_url=emu.url, max_retries=0)
        sdk_upload = shop_sdk.workers.scripts.update(
            "w",
            account_id=shop,
            metadata={"main_module": "w.mjs"},
            files=[("w.mjs", SOURCE.encode(), "application/javascript+module")],
        )
        assert sdk_upload.id == "w"
        shop_sdk.workers.domains.update(account_id=shop, hostname="mta-sts.shop.example", service="w")
        assert [s.id for s in agency_sdk.workers.scripts.list(account_id=agency)] == []
        with pytest.raises(cloudflare.PermissionDeniedError):
            agency_sdk.workers.scripts.list(account_id=shop)
        with pytest.raises(cloudflare.NotFoundError):  # the script is the shop's
            agency_sdk.workers.domains.update(account_id=agency, hostname="mta-sts.shop.example", service="w")
        assert fetch("mta-sts.shop.example", emu.edge_port, emu.ca_pem).status == 200
    finally:
        emu.stop()


def test_without_the_engine_uploads_are_kept_and_the_edge_says_how_to_run_them(emu, sdk, monkeypatch):
    """mini-racer is the `emulator` extra: without it a Worker is stored unchecked and the edge answers 501
    naming the extra, instead of the emulator failing to start or the upload failing."""
    from zonesync.emulator import jsworker

    monkeypatch.setattr(jsworker, "engine_available", lambda: False)
    upload(sdk, source="this is not JavaScript")  # unchecked: no engine to check it
    attach(sdk, emu)
    reply = fetch(HOST, emu.edge_port, emu.ca_pem, "/")
    assert reply.status == 501
    assert b"pip install 'zonesync[emulator]'" in reply.body
