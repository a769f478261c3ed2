"""``POST /zones/{id}/dns_records/batch``: order deletes -> patches -> puts -> posts, one transaction,
the failing operation named, and the per-plan operation limit (docs ``batch-record-changes.mdx``)."""

from __future__ import annotations

import time

import pytest

from zonesync.emulator.server import Emulator


def batch_url(emu: Emulator) -> str:
    return f"/zones/{emu.zone_id('example.com')}/dns_records/batch"


def snapshot(emu: Emulator) -> list[dict]:
    return sorted(emu.records("example.com"), key=lambda r: r["id"])


def test_batch_success_result_via_sdk(emulator, cf):
    old = emulator.add_record("example.com", {"type": "A", "name": "old", "content": "192.0.2.1"})
    edit = emulator.add_record("example.com", {"type": "A", "name": "edit", "content": "192.0.2.2"})
    over = emulator.add_record("example.com", {"type": "TXT", "name": "over", "content": "v1"})
    result = cf.dns.records.batch(
        zone_id=emulator.zone_id("example.com"),
        deletes=[{"id": old["id"]}],
        patches=[{"id": edit["id"], "content": "192.0.2.20"}],
        puts=[{"id": over["id"], "type": "TXT", "name": "over", "content": "v2", "ttl": 1}],
        posts=[{"type": "A", "name": "new", "content": "192.0.2.3", "ttl": 1}],
    )
    assert [r.id for r in result.deletes] == [old["id"]]
    assert result.patches[0].content == "192.0.2.20" and result.puts[0].content == "v2"
    assert result.posts[0].name == "new.example.com"
    assert {r["name"] for r in emulator.records("example.com")} == {
        "edit.example.com",
        "over.example.com",
        "new.example.com",
    }


def test_deletes_run_before_posts(emulator, api):
    """Replacing a record by delete + identical post works only because deletes run first."""
    rec = emulator.add_record("example.com", {"type": "A", "name": "www", "content": "192.0.2.1"})
    body = {
        "posts": [{"type": "A", "name": "www", "content": "192.0.2.1", "ttl": 300}],
        "deletes": [{"id": rec["id"]}],
    }
    resp = api.post(batch_url(emulator), json=body)
    assert resp.status_code == 200
    records = emulator.records("example.com")
    assert len(records) == 1 and records[0]["ttl"] == 300 and records[0]["id"] != rec["id"]


def test_patches_before_puts_before_posts(emulator, api):
    """A -> CNAME switch: the patch frees the name (A becomes TXT) before the post adds the CNAME."""
    a = emulator.add_record("example.com", {"type": "A", "name": "h", "content": "192.0.2.1"})
    t = emulator.add_record("example.com", {"type": "TXT", "name": "t", "content": "x"})
    body = {
        "posts": [{"type": "CNAME", "name": "h", "content": "target.example.net"}],
        "puts": [{"id": t["id"], "type": "TXT", "name": "t", "content": "y"}],
        "patches": [{"id": a["id"], "name": "moved"}],
    }
    resp = api.post(batch_url(emulator), json=body)
    assert resp.status_code == 200, resp.text
    assert {(r["type"], r["name"]) for r in emulator.records("example.com")} == {
        ("A", "moved.example.com"),
        ("TXT", "t.example.com"),
        ("CNAME", "h.example.com"),
    }


def test_failure_rolls_everything_back_and_names_the_operation(emulator, api):
    keep = emulator.add_record("example.com", {"type": "A", "name": "keep", "content": "192.0.2.1"})
    edit = emulator.add_record("example.com", {"type": "A", "name": "edit", "content": "192.0.2.2"})
    before = snapshot(emulator)
    body = {
        "deletes": [{"id": keep["id"]}],
        "patches": [{"id": edit["id"], "content": "192.0.2.22"}],
        "posts": [
            {"type": "A", "name": "n0", "content": "192.0.2.10"},
            {"type": "A", "name": "n1", "content": "192.0.2.11"},
            {"type": "A", "name": "n2", "content": "192.0.2.12"},
            {"type": "A", "name": "n3", "content": "not-an-ip"},
        ],
    }
    resp = api.post(batch_url(emulator), json=body)
    assert resp.status_code == 400
    assert resp.json()["errors"] == [
        {"code": 9005, "message": "posts[3]: Content for A record must be a valid IPv4 address."}
    ]
    assert snapshot(emulator) == before


@pytest.mark.parametrize(
    ("body", "where", "code", "status"),
    [
        ({"deletes": [{"id": "f" * 32}]}, "deletes[0]", 81044, 404),
        ({"patches": [{"id": "KEEP", "ttl": 5}]}, "patches[0]", 1004, 400),
        (
            {"puts": [{"id": "KEEP", "type": "A", "name": "x", "content": "192.0.2.1"}, {"id": "e" * 32}]},
            "puts[1]",
            81044,
            404,
        ),
        ({"posts": [{"type": "A", "name": "keep", "content": "192.0.2.1"}]}, "posts[0]", 81058, 400),
        ({"deletes": [{"id": "KEEP"}], "patches": [{"id": "KEEP", "ttl": 60}]}, "patches[0]", 81044, 404),
    ],
)
def test_failing_operation_error(emulator, api, body, where, code, status):
    keep = emulator.add_record("example.com", {"type": "A", "name": "keep", "content": "192.0.2.1"})
    for ops in body.values():
        for op in ops:
            if op.get("id") == "KEEP":
                op["id"] = keep["id"]
    before = snapshot(emulator)
    resp = api.post(batch_url(emulator), json=body)
    assert resp.status_code == status
    err = resp.json()["errors"][0]
    assert err["code"] == code and err["message"].startswith(f"{where}: ")
    assert snapshot(emulator) == before


def test_batch_limit_free_plan(emulator, api):
    posts = [{"type": "TXT", "name": f"t{i}", "content": "x"} for i in range(201)]
    resp = api.post(batch_url(emulator), json={"posts": posts})
    assert resp.status_code == 400 and resp.json()["errors"][0]["code"] == 81070
    assert "200" in resp.json()["errors"][0]["message"]
    assert emulator.records("example.com") == []
    assert api.post(batch_url(emulator), json={"posts": posts[:200]}).status_code == 200


@pytest.mark.parametrize(
    ("plan", "knob", "limit"), [("pro", None, 3500), ("enterprise", None, 3500), ("pro", 5, 5)]
)
def test_batch_limit_by_plan_and_knob(plan, knob, limit):
    import httpx

    with Emulator(plan=plan, rate_limit=0, batch_limit=knob) as emu:
        client = httpx.Client(base_url=emu.url, headers={"Authorization": "Bearer test-token"}, timeout=30)
        deletes = [{"id": f"{i:032x}"} for i in range(limit + 1)]
        resp = client.post(batch_url(emu), json={"deletes": deletes})
        assert resp.status_code == 400 and resp.json()["errors"][0]["code"] == 81070
        assert str(limit) in resp.json()["errors"][0]["message"]
        resp = client.post(batch_url(emu), json={"deletes": deletes[:limit]})
        assert resp.json()["errors"][0]["code"] == 81044  # within the limit: the ops themselves are checked


def test_thousand_op_batch_is_fast():
    import httpx

    with Emulator(plan="pro", rate_limit=0) as emu:
        for i in range(2000):
            emu.add_record(
                "example.com", {"type": "A", "name": f"h{i}", "content": f"10.0.{i // 256}.{i % 256}"}
            )
        recs = emu.records("example.com")
        client = httpx.Client(base_url=emu.url, headers={"Authorization": "Bearer test-token"}, timeout=30)
        body = {
            "deletes": [{"id": r["id"]} for r in recs[:250]],
            "patches": [{"id": r["id"], "ttl": 300} for r in recs[250:500]],
            "puts": [
                {"id": r["id"], "type": "TXT", "name": r["name"], "content": "p"} for r in recs[500:750]
            ],
            "posts": [
                {"type": "MX", "name": f"m{i}", "content": "mx.example.net", "priority": i}
                for i in range(250)
            ],
        }
        start = time.perf_counter()
        resp = client.post(batch_url(emu), json=body)
        elapsed = time.perf_counter() - start
        assert resp.status_code == 200
        assert {k: len(v) for k, v in resp.json()["result"].items()} == {
            "deletes": 250,
            "patches": 250,
            "puts": 250,
            "posts": 250,
        }
        assert elapsed < 1.0
        assert len(emu.records("example.com")) == 2000
