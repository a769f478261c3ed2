"""Emulator knobs: rate limit (429 + headers + SDK retry), latency, injected faults, persistence, seed,
stats and control endpoints, the CLI, and list performance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import cloudflare
import httpx
import pytest
from click.testing import CliRunner

from zonesync.cli.emulator import emulator as emulator_command
from zonesync.emulator.server import Emulator


def client(emu: Emulator, token: str = "test-token") -> httpx.Client:
    return httpx.Client(base_url=emu.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def control(emu: Emulator) -> str:
    return emu.url.removesuffix("/client/v4") + "/__emulator"


# -- rate limit ------------------------------------------------------------------------------------------------


def test_rate_limit_429_and_headers():
    with Emulator(tokens=("a", "b"), rate_limit=(2, 1.0)) as emu:
        raw = client(emu, "a")
        first = raw.get("/zones")
        assert first.headers["ratelimit"] == '"default";r=1;t=1'
        assert first.headers["ratelimit-policy"] == '"default";q=2;w=1'
        assert "retry-after" not in first.headers
        assert not [h for h in first.headers if h.startswith("x-ratelimit")]  # Cloudflare sends none
        raw.get("/zones")
        resp = raw.get("/zones")
        assert resp.status_code == 429
        assert resp.json() == {
            "result": None,
            "success": False,
            "errors": [{"code": 971, "message": "Please wait and consider throttling your request speed"}],
            "messages": [],
        }
        assert resp.headers["retry-after"] == "1"
        assert resp.headers["ratelimit"] == '"default";r=0;t=1'
        assert resp.headers["ratelimit-policy"] == '"default";q=2;w=1'
        assert client(emu, "b").get("/zones").status_code == 200  # per token


def test_sdk_retries_after_429_and_succeeds():
    with Emulator(rate_limit=(2, 1.0)) as emu:
        sdk = cloudflare.Cloudflare(api_token="test-token", base_url=emu.url, max_retries=2)
        zone_id = emu.zone_id("example.com")
        sdk.zones.get(zone_id=zone_id)
        sdk.zones.get(zone_id=zone_id)
        start = time.monotonic()
        assert sdk.zones.get(zone_id=zone_id).name == "example.com"
        assert time.monotonic() - start >= 0.5
        assert emu.stats()["by_route"]["GET /zones/:id"] == 4


def test_rate_limit_default_off_and_set(emulator):
    raw = client(emulator)
    assert "ratelimit" not in raw.get("/zones").headers  # the fixture turns rate limiting off
    emulator.set_rate_limit(1, 60)
    assert raw.get("/zones").status_code == 200
    resp = raw.get("/zones")
    assert resp.status_code == 429 and int(resp.headers["retry-after"]) == 60
    emulator.set_rate_limit(0, 0)
    assert raw.get("/zones").status_code == 200
    with Emulator() as emu:  # default: Cloudflare's 1200 per 300 s
        assert client(emu).get("/zones").headers["ratelimit-policy"] == '"default";q=1200;w=300'


# -- latency ------------------------------------------------------------------------------------------------------


def test_latency_knob():
    with Emulator(rate_limit=0, latency=0.2) as emu:
        start = time.perf_counter()
        client(emu).get("/zones")
        assert time.perf_counter() - start >= 0.2
        httpx.get(control(emu) + "/stats")  # control endpoints are not delayed
        emu.set_latency(0)
        start = time.perf_counter()
        client(emu).get("/zones")
        assert time.perf_counter() - start < 0.2


# -- faults ---------------------------------------------------------------------------------------------------------


def test_fault_next_n_requests(emulator):
    raw = client(emulator)
    url = f"/zones/{emulator.zone_id('example.com')}/dns_records/batch"
    emulator.inject_fault(status=500, method="POST", path_pattern="dns_records/batch", times=2)
    assert raw.get("/zones").status_code == 200  # other routes unaffected
    for _ in range(2):
        resp = raw.post(url, json={})
        assert (
            resp.status_code == 500 and resp.json()["success"] is False and resp.json()["errors"][0]["code"]
        )
    assert raw.post(url, json={}).status_code == 200


def test_fault_every_nth_and_custom_code(emulator):
    raw = client(emulator)
    emulator.inject_fault(status=503, code=12345, message="down", path_pattern=r"/zones$", every=2)
    statuses = [raw.get("/zones").status_code for _ in range(6)]
    assert statuses == [200, 503, 200, 503, 200, 503]
    emulator.clear_faults()
    emulator.inject_fault(status=503, code=12345, message="down", path_pattern=r"/zones$")
    assert raw.get("/zones").json()["errors"] == [{"code": 12345, "message": "down"}]


def test_sdk_recovers_from_one_injected_500(emulator):
    emulator.inject_fault(status=500, method="GET", path_pattern="dns_records", times=1, retry_after=0.05)
    sdk = cloudflare.Cloudflare(api_token="test-token", base_url=emulator.url, max_retries=2)
    assert list(sdk.dns.records.list(zone_id=emulator.zone_id("example.com"))) == []
    assert emulator.stats()["by_route"]["GET /zones/:id/dns_records"] == 2


def test_injected_429_and_fault_control_endpoint(emulator):
    body = {"status": 429, "method": "GET", "path_pattern": "/zones", "times": 1}
    assert httpx.post(control(emulator) + "/faults", json=body).status_code == 200
    resp = client(emulator).get("/zones")
    assert resp.status_code == 429 and resp.json()["errors"][0]["code"] == 971 and resp.headers["retry-after"]
    assert client(emulator).get("/zones").status_code == 200
    httpx.post(control(emulator) + "/faults", json=[body, body])
    httpx.delete(control(emulator) + "/faults")
    assert client(emulator).get("/zones").status_code == 200


# -- stats and control endpoints -------------------------------------------------------------------------------------


def test_stats_in_process_and_over_http(emulator, cf):
    zone_id = emulator.zone_id("example.com")
    cf.dns.records.create(zone_id=zone_id, type="A", name="a", content="192.0.2.1", ttl=1)
    cf.dns.records.batch(
        zone_id=zone_id, posts=[{"type": "A", "name": "b", "content": "192.0.2.2", "ttl": 1}]
    )
    httpx.get(emulator.url + "/zones")  # unauthenticated requests count too
    stats = emulator.stats()
    assert stats == {
        "total": 3,
        "by_route": {
            "POST /zones/:id/dns_records": 1,
            "POST /zones/:id/dns_records/batch": 1,
            "GET /zones": 1,
        },
        "by_status": {"200": 2, "400": 1},
    }
    assert httpx.get(control(emulator) + "/stats").json() == stats  # control endpoints are not counted
    assert httpx.post(control(emulator) + "/reset-stats").status_code == 200
    assert emulator.stats() == {"total": 0, "by_route": {}, "by_status": {}}
    emulator.reset_stats()


def test_control_zones_and_records(emulator):
    base = control(emulator)
    zones = httpx.get(base + "/zones").json()
    assert zones == [{"id": emulator.zone_id("example.com"), "name": "example.com", "plan": "free"}]
    rec = httpx.post(
        base + "/records",
        json={"zone": "example.com", "record": {"type": "A", "name": "x", "content": "192.0.2.1"}},
    )
    assert rec.json()["name"] == "x.example.com"
    assert [r["id"] for r in httpx.get(base + "/records", params={"zone": "example.com"}).json()] == [
        rec.json()["id"]
    ]
    assert httpx.post(base + "/rate-limit", json={"requests": 1, "window": 60}).status_code == 200
    client(emulator).get("/zones")
    assert client(emulator).get("/zones").status_code == 429
    assert emulator.stats()["total"] == 2


# -- persistence and seed ----------------------------------------------------------------------------------------------


def test_state_round_trip(tmp_path):
    state = tmp_path / "state.json"
    with Emulator(rate_limit=0, state_path=state, zones=("example.com", "other.test")) as emu:
        raw = client(emu)
        url = f"/zones/{emu.zone_id('example.com')}/dns_records"
        raw.post(
            url, json={"type": "MX", "name": "@", "content": "mx.example.net", "priority": 10, "comment": "c"}
        )
        raw.post(url, json={"type": "SRV", "name": "_s._tcp", "content": "1 2 t.example.com", "priority": 3})
        rid = raw.post(url, json={"type": "A", "name": "gone", "content": "192.0.2.1"}).json()["result"]["id"]
        raw.delete(f"{url}/{rid}")
        raw.post(url, json={"type": "A", "name": "bad", "content": "x"})  # failed writes change nothing
        before = emu.records("example.com")
        assert json.loads(state.read_text())["zones"]
    assert sorted(os.listdir(tmp_path)) == ["state.json"]  # atomic write leaves no temp files
    with Emulator(rate_limit=0, state_path=state, zones=(), seed={"zones": ["ignored.test"]}) as emu:
        assert emu.records("example.com") == before
        assert len(before) == 2
        assert {z["name"] for z in httpx.get(control(emu) + "/zones").json()} == {"example.com", "other.test"}


def test_seed_file(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "zones": [
                    {
                        "name": "seeded.test",
                        "plan": "pro",
                        "records": [
                            {"type": "A", "name": "@", "content": "192.0.2.1"},
                            {"type": "MX", "name": "@", "content": "mx.seeded.test", "priority": 10,
                             "meta": {"read_only": True}},
                        ],
                    },
                    "bare.test",
                ]
            }
        )
    )  # fmt: skip
    with Emulator(rate_limit=0, zones=(), seed=seed) as emu:
        sdk = cloudflare.Cloudflare(api_token="test-token", base_url=emu.url, max_retries=0)
        zones = {z.name: z for z in sdk.zones.list()}
        assert set(zones) == {"seeded.test", "bare.test"}
        assert zones["seeded.test"].plan.legacy_id == "pro"
        recs = {r.type: r for r in sdk.dns.records.list(zone_id=zones["seeded.test"].id)}
        assert recs["MX"].meta is not None and emu.records("seeded.test")[1]["meta"] == {"read_only": True}
        with pytest.raises(cloudflare.BadRequestError):
            sdk.dns.records.delete(dns_record_id=recs["MX"].id, zone_id=zones["seeded.test"].id)


# -- CLI --------------------------------------------------------------------------------------------------------------


def test_cli_help_and_cheap_import():
    result = CliRunner().invoke(emulator_command, ["--help"])
    assert result.exit_code == 0 and "--rate-limit" in result.output
    code = (
        "import sys, zonesync.cli.emulator; "
        "assert 'zonesync.emulator.server' not in sys.modules and 'dns' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cli_requires_a_token(monkeypatch):
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    result = CliRunner().invoke(emulator_command, ["--port", "0"])
    assert result.exit_code != 0 and "CLOUDFLARE_API_TOKEN" in result.output


def test_cli_serves(tmp_path):
    env = {**os.environ, "CLOUDFLARE_API_TOKEN": "cli-secret-token"}
    args = [sys.executable, "-m", "zonesync.emulator", "--port", "0", "--zone", "example.com", "--zone", "b.test",
            "--plan", "pro", "--rate-limit", "10/60", "--batch-limit", "3", "--latency", "0",
            "--state", str(tmp_path / "s.json"), "--fail", "status=502,method=GET,path=dns_records,times=1"]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("Cloudflare API emulator listening on http://127.0.0.1:")
        assert "cli-secret-token" not in line
        url = line.rsplit(" ", 1)[1]
        headers = {"Authorization": "Bearer cli-secret-token"}
        zones = httpx.get(url + "/zones", headers=headers).json()
        assert {z["name"] for z in zones["result"]} == {"example.com", "b.test"}
        assert {z["plan"]["legacy_id"] for z in zones["result"]} == {"pro"}
        zone_id = zones["result"][0]["id"]
        assert httpx.get(f"{url}/zones/{zone_id}/dns_records", headers=headers).status_code == 502
        batch = {"posts": [{"type": "TXT", "name": f"t{i}", "content": "x"} for i in range(4)]}
        resp = httpx.post(f"{url}/zones/{zone_id}/dns_records/batch", headers=headers, json=batch)
        assert resp.json()["errors"][0]["code"] == 81070
        assert httpx.get(url + "/zones", headers=headers).headers["ratelimit-policy"] == '"default";q=10;w=60'
        assert (tmp_path / "s.json").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert "cli-secret-token" not in proc.stderr.read()


def test_cli_sample_seed(tmp_path):
    """``--sample-seed`` serves the bundled hand-made mail zone (package data, no checkout needed)."""
    env = {**os.environ, "CLOUDFLARE_API_TOKEN": "t"}
    args = [sys.executable, "-m", "zonesync", "emulator", "--sample-seed"]
    args += ["--port", "0", "--rate-limit", "off"]
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )
    try:
        url = proc.stdout.readline().split()[-1]
        sdk = cloudflare.Cloudflare(api_token="t", base_url=url, max_retries=0)
        (zone,) = sdk.zones.list()
        records = {(r.type, r.name) for r in sdk.dns.records.list(zone_id=zone.id)}
        assert zone.name == "example.com"
        assert {
            ("MX", "example.com"),
            ("TXT", "default._domainkey.example.com"),
            ("TXT", "_dmarc.example.com"),
        } <= records
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_seed_and_sample_seed_exclude_each_other(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text('{"zones": []}')
    result = CliRunner().invoke(emulator_command, ["--token", "t", "--seed", str(seed), "--sample-seed"])
    assert result.exit_code == 2 and "not both" in result.output


# -- performance -------------------------------------------------------------------------------------------------


def test_large_zone_listing_is_fast():
    with Emulator(rate_limit=0) as emu:
        for i in range(10_000):
            emu.add_record(
                "example.com", {"type": "A", "name": f"h{i}", "content": f"10.0.{i // 256}.{i % 256}"}
            )
        raw = client(emu)
        url = f"/zones/{emu.zone_id('example.com')}/dns_records"
        start = time.perf_counter()
        body = raw.get(url, params={"per_page": 10_000}).json()
        assert body["result_info"]["count"] == 10_000
        names = set()
        for page in range(1, 101):
            names.update(
                r["name"] for r in raw.get(url, params={"page": page, "per_page": 100}).json()["result"]
            )
        assert len(names) == 10_000
        assert time.perf_counter() - start < 3.0


def test_concurrent_clients(emulator):
    from concurrent.futures import ThreadPoolExecutor

    url = f"/zones/{emulator.zone_id('example.com')}/dns_records"

    def work(n: int) -> list[int]:
        with client(emulator) as raw:
            codes = []
            for i in range(25):
                codes.append(
                    raw.post(url, json={"type": "A", "name": f"t{n}-{i}", "content": "192.0.2.1"}).status_code
                )
                codes.append(raw.get(url, params={"per_page": 50}).status_code)
            return codes

    with ThreadPoolExecutor(8) as pool:
        codes = [c for result in pool.map(work, range(8)) for c in result]
    assert set(codes) == {200}
    assert len(emulator.records("example.com")) == 200
    assert emulator.stats()["total"] == 400
