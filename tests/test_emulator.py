"""The Cloudflare API emulator through the real ``cloudflare`` SDK and raw HTTP: envelope, auth, zones,
pagination, CRUD and Cloudflare's validation codes (``/work/shared/cloudflare-api-facts.md``)."""

from __future__ import annotations

import re

import cloudflare
import httpx
import pytest

from zonesync.emulator.server import Emulator

HEX32 = re.compile(r"^[0-9a-f]{32}$")
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def zid(emu: Emulator) -> str:
    return emu.zone_id("example.com")


def post(api: httpx.Client, emu: Emulator, body: dict) -> httpx.Response:
    return api.post(f"/zones/{zid(emu)}/dns_records", json=body)


def error_of(resp: httpx.Response) -> tuple[int, int, list[int]]:
    err = resp.json()["errors"][0]
    return resp.status_code, err["code"], [c["code"] for c in err.get("error_chain", [])]


# -- envelope and auth ------------------------------------------------------------------------------------


def test_envelope_and_result_info(emulator, api):
    body = api.get("/zones").json()
    assert set(body) == {"result", "success", "errors", "messages", "result_info"}
    assert body["success"] is True and body["errors"] == [] and body["messages"] == []
    assert list(body["result_info"]) == ["page", "per_page", "count", "total_count", "total_pages"]
    body = api.get(f"/zones/{zid(emulator)}/dns_records").json()
    assert body["result"] == []
    assert body["result_info"] == {"page": 1, "per_page": 100, "count": 0, "total_count": 0, "total_pages": 1}


def test_missing_token_has_only_success_and_errors(emulator):
    resp = httpx.get(emulator.url + "/zones")
    assert resp.status_code == 400
    assert resp.json() == {
        "success": False,
        "errors": [{"code": 9106, "message": "Missing X-Auth-Key, X-Auth-Email or Authorization headers"}],
    }


@pytest.mark.parametrize("header", ["Bearer", "Bearer two words", "Basic abc", "test-token"])
def test_malformed_authorization_header(emulator, header):
    resp = httpx.get(emulator.url + "/zones", headers={"Authorization": header})
    assert resp.status_code == 400
    assert resp.json()["errors"] == [
        {
            "code": 6003,
            "message": "Invalid request headers",
            "error_chain": [{"code": 6111, "message": "Invalid format for Authorization header"}],
        }
    ]


def test_wrong_token(emulator):
    resp = httpx.get(emulator.url + "/zones", headers={"Authorization": "Bearer nope"})
    assert resp.status_code == 403
    assert resp.json()["errors"] == [{"code": 9109, "message": "Invalid access token"}]
    client = cloudflare.Cloudflare(api_token="nope", base_url=emulator.url, max_retries=0)
    with pytest.raises(cloudflare.PermissionDeniedError):
        client.zones.list().result  # noqa: B018


def test_legacy_key_headers(emulator):
    ok = httpx.get(
        emulator.url + "/zones", headers={"X-Auth-Email": "a@example.com", "X-Auth-Key": "test-token"}
    )
    assert ok.status_code == 200
    bad = httpx.get(emulator.url + "/zones", headers={"X-Auth-Email": "a@example.com", "X-Auth-Key": "nope"})
    assert bad.status_code == 403 and bad.json()["errors"] == [
        {"code": 9103, "message": "Unknown X-Auth-Key or X-Auth-Email"}
    ]


def test_several_tokens_accepted():
    with Emulator(tokens=("a", "b"), rate_limit=0) as emu:
        for token in ("a", "b"):
            assert (
                httpx.get(emu.url + "/zones", headers={"Authorization": f"Bearer {token}"}).status_code == 200
            )


# -- zones ---------------------------------------------------------------------------------------------------


def test_zone_object(emulator, cf):
    zones = list(cf.zones.list())
    assert [z.name for z in zones] == ["example.com"]
    zone = cf.zones.get(zone_id=zid(emulator))
    assert HEX32.match(zone.id) and zone.status == "active"
    assert zone.plan.legacy_id == "free" and zone.name_servers


def test_zone_filters_and_pagination():
    names = [f"z{i}.test" for i in range(7)]
    with Emulator(zones=names, plan="enterprise", rate_limit=0) as emu:
        client = cloudflare.Cloudflare(api_token="test-token", base_url=emu.url, max_retries=0)
        assert sorted(z.name for z in client.zones.list(per_page=5)) == names
        page = client.zones.list(per_page=5)
        assert page.result_info.per_page == 5 and len(page.result) == 5
        assert [z.name for z in client.zones.list(name="z3.test")] == ["z3.test"]
        assert len(list(client.zones.list(status="active"))) == 7
        assert list(client.zones.list(name="nothing.test")) == []
        raw = httpx.get(
            emu.url + "/zones", params={"per_page": 500}, headers={"Authorization": "Bearer test-token"}
        )
        assert raw.json()["result_info"]["per_page"] == 50  # clamped to the documented maximum
        assert client.zones.get(zone_id=emu.zone_id("z0.test")).plan.legacy_id == "enterprise"


def test_malformed_zone_id_is_7003(emulator, api):
    resp = api.get("/zones/example.com/dns_records")
    assert resp.status_code == 404
    assert resp.json()["errors"] == [
        {
            "code": 7003,
            "message": "Could not route to /client/v4/zones/example.com/dns_records, perhaps your object identifier is invalid?",
        }
    ]


def test_unknown_zone_id(emulator, api, cf):
    resp = api.get("/zones/" + "0" * 32)
    assert error_of(resp) == (404, 1001, [])
    with pytest.raises(cloudflare.NotFoundError):
        cf.dns.records.list(zone_id="0" * 32).result  # noqa: B018


def test_pagerules_empty_for_octodns(emulator, api):
    assert api.get(f"/zones/{zid(emulator)}/pagerules", params={"status": "active"}).json()["result"] == []


def test_unknown_route_and_method(emulator, api):
    assert error_of(api.get("/nothing")) == (404, 7000, [])
    assert api.delete(f"/zones/{zid(emulator)}").status_code == 405


# -- records: shape, names, CRUD ---------------------------------------------------------------------------------


def test_record_shape(emulator, cf):
    rec = cf.dns.records.create(zone_id=zid(emulator), type="A", name="www", content="192.0.2.1", ttl=300)
    raw = emulator.records("example.com")[0]
    assert list(raw) == [
        "id", "name", "type", "content", "proxiable", "proxied", "ttl",
        "settings", "meta", "comment", "tags", "created_on", "modified_on",
    ]  # fmt: skip
    assert raw["id"] == rec.id and HEX32.match(rec.id)
    assert raw["name"] == "www.example.com" and raw["proxiable"] is True and raw["proxied"] is False
    assert raw["settings"] == {} and raw["meta"] == {} and raw["comment"] is None and raw["tags"] == []
    assert TS.match(raw["created_on"]) and raw["created_on"] == raw["modified_on"]


def test_comment_and_tags_timestamps(emulator, api):
    rec = post(
        api, emulator, {"type": "TXT", "name": "c", "content": "x", "comment": "hi", "tags": ["a:b"]}
    ).json()
    rec = rec["result"]
    assert (
        rec["comment"] == "hi" and TS.match(rec["comment_modified_on"]) and TS.match(rec["tags_modified_on"])
    )
    patched = api.patch(f"/zones/{zid(emulator)}/dns_records/{rec['id']}", json={"comment": None, "tags": []})
    result = patched.json()["result"]
    assert "comment_modified_on" not in result and "tags_modified_on" not in result
    assert result["comment"] is None and result["created_on"] == rec["created_on"]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("@", "example.com"),
        ("", "example.com"),
        ("www", "www.example.com"),
        ("WWW.Example.COM", "www.example.com"),
        ("www.example.com.", "www.example.com"),
        ("a.b", "a.b.example.com"),
        ("*.wild", "*.wild.example.com"),
        ("_dmarc", "_dmarc.example.com"),
    ],
)
def test_names_expanded_against_zone(emulator, api, given, stored):
    resp = post(api, emulator, {"type": "TXT", "name": given, "content": "x"})
    assert resp.json()["result"]["name"] == stored


def test_crud_round_trip(emulator, cf, api):
    z = zid(emulator)
    rec = cf.dns.records.create(zone_id=z, type="A", name="h", content="192.0.2.1", ttl=60, comment="one")
    assert cf.dns.records.get(dns_record_id=rec.id, zone_id=z).content == "192.0.2.1"
    put = cf.dns.records.update(
        dns_record_id=rec.id, zone_id=z, type="A", name="h", content="192.0.2.2", ttl=120
    )
    assert put.content == "192.0.2.2" and put.ttl == 120 and put.comment is None  # PUT overwrites everything
    patched = cf.dns.records.edit(dns_record_id=rec.id, zone_id=z, type="A", name="h", ttl=300, proxied=True)
    assert (
        patched.content == "192.0.2.2" and patched.proxied is True and patched.ttl == 1
    )  # proxied = auto TTL
    assert patched.id == rec.id and patched.created_on == rec.created_on
    deleted = api.delete(f"/zones/{z}/dns_records/{rec.id}")
    assert deleted.status_code == 200 and deleted.json()["result"] == {"id": rec.id}
    assert emulator.records("example.com") == []


def test_unknown_record_is_81044(emulator, api, cf):
    z = zid(emulator)
    resp = api.get(f"/zones/{z}/dns_records/{'a' * 32}")
    assert resp.status_code == 404
    assert resp.json()["errors"] == [{"code": 81044, "message": "Record does not exist."}]
    for call in (api.delete, lambda u: api.patch(u, json={"content": "192.0.2.1"})):
        assert error_of(call(f"/zones/{z}/dns_records/{'b' * 32}")) == (404, 81044, [])
    with pytest.raises(cloudflare.NotFoundError):
        cf.dns.records.delete(dns_record_id="c" * 32, zone_id=z)
    assert error_of(api.get(f"/zones/{z}/dns_records/not-an-id")) == (404, 7003, [])


# -- listing ---------------------------------------------------------------------------------------------------


def test_pagination_across_pages(emulator, api, cf):
    for i in range(25):
        emulator.add_record("example.com", {"type": "A", "name": f"h{i:02d}", "content": f"192.0.2.{i}"})
    z = zid(emulator)
    seen = []
    for page in (1, 2, 3):
        body = api.get(f"/zones/{z}/dns_records", params={"page": page, "per_page": 10}).json()
        count = 10 if page < 3 else 5
        assert body["result_info"] == {
            "page": page,
            "per_page": 10,
            "count": count,
            "total_count": 25,
            "total_pages": 3,
        }
        seen += [r["name"] for r in body["result"]]
    assert seen == sorted(seen) and len(set(seen)) == 25
    past = api.get(f"/zones/{z}/dns_records", params={"page": 4, "per_page": 10}).json()
    assert past["result"] == [] and past["result_info"]["count"] == 0
    assert len(list(cf.dns.records.list(zone_id=z, per_page=7))) == 25  # the SDK's auto-pagination
    assert api.get(f"/zones/{z}/dns_records", params={"per_page": "x"}).status_code == 400
    huge = api.get(f"/zones/{z}/dns_records", params={"per_page": 10_000_000}).json()["result_info"]
    assert huge["per_page"] == 5_000_000 and huge["count"] == 25


def test_list_filters_and_order(emulator, cf, api):
    add = emulator.add_record
    add("example.com", {"type": "A", "name": "www", "content": "192.0.2.1"})
    add("example.com", {"type": "A", "name": "api", "content": "192.0.2.2", "ttl": 300})
    add("example.com", {"type": "TXT", "name": "www", "content": "hello", "comment": "Note"})
    add("example.com", {"type": "MX", "name": "@", "content": "mail.example.com", "priority": 10})
    z = zid(emulator)

    def names(**params):
        return [
            (r["type"], r["name"]) for r in api.get(f"/zones/{z}/dns_records", params=params).json()["result"]
        ]

    assert names(type="A") == [("A", "api.example.com"), ("A", "www.example.com")]
    assert names(name="www.example.com") == [("A", "www.example.com"), ("TXT", "www.example.com")]
    assert names(**{"name.exact": "www.example.com", "type": "TXT"}) == [("TXT", "www.example.com")]
    assert names(content="192.0.2.2") == [("A", "api.example.com")]
    assert names(**{"name.startswith": "ap"}) == [("A", "api.example.com")]
    assert names(**{"comment.contains": "note"}) == [("TXT", "www.example.com")]
    assert names(type="MX", content="192.0.2.2", match="any") == [
        ("A", "api.example.com"),
        ("MX", "example.com"),
    ]
    assert names(order="ttl", direction="desc")[0] == ("A", "api.example.com")
    assert [r.name for r in cf.dns.records.list(zone_id=z, name={"exact": "api.example.com"})] == [
        "api.example.com"
    ]
    assert [r.type for r in cf.dns.records.list(zone_id=z, type="MX")] == ["MX"]


# -- validation codes -----------------------------------------------------------------------------------------


def test_identical_record_81058(emulator, api):
    body = {"type": "A", "name": "www", "content": "192.0.2.1", "ttl": 1}
    assert post(api, emulator, body).status_code == 200
    resp = post(api, emulator, body)
    assert resp.status_code == 400
    assert resp.json()["errors"] == [{"code": 81058, "message": "An identical record already exists."}]


@pytest.mark.parametrize(
    ("existing", "new", "code"),
    [
        ({"type": "A", "content": "192.0.2.1"}, {"type": "CNAME", "content": "target.example.net"}, 81053),
        (
            {"type": "AAAA", "content": "2001:db8::1"},
            {"type": "CNAME", "content": "target.example.net"},
            81053,
        ),
        ({"type": "CNAME", "content": "a.example.net"}, {"type": "CNAME", "content": "b.example.net"}, 81053),
        ({"type": "CNAME", "content": "a.example.net"}, {"type": "A", "content": "192.0.2.1"}, 81054),
        ({"type": "CNAME", "content": "a.example.net"}, {"type": "TXT", "content": "x"}, 81054),
        ({"type": "NS", "content": "ns1.example.net"}, {"type": "A", "content": "192.0.2.1"}, 81056),
        ({"type": "A", "content": "192.0.2.1"}, {"type": "NS", "content": "ns1.example.net"}, 81055),
    ],
)
def test_same_name_conflicts(emulator, api, existing, new, code):
    assert post(api, emulator, {"name": "host", **existing}).status_code == 200
    resp = post(api, emulator, {"name": "host", **new})
    assert error_of(resp) == (400, code, [])
    if code == 81054:
        assert resp.json()["errors"][0]["message"].startswith("A CNAME record with that host already exists.")
    if code == 81053:
        assert (
            resp.json()["errors"][0]["message"]
            == "An A, AAAA, or CNAME record with that host already exists."
        )


def test_ns_with_ds_at_delegation_and_apex_ns_allowed(emulator, api):
    assert post(api, emulator, {"type": "NS", "name": "sub", "content": "ns1.example.net"}).status_code == 200
    ds = {"type": "DS", "name": "sub", "content": "12345 13 2 " + "ab" * 32}
    assert post(api, emulator, ds).status_code == 200
    assert post(api, emulator, {"type": "A", "name": "@", "content": "192.0.2.1"}).status_code == 200
    assert post(api, emulator, {"type": "NS", "name": "@", "content": "ns1.example.net"}).status_code == 200


def test_invalid_a_and_aaaa(emulator, api):
    resp = post(api, emulator, {"type": "A", "name": "x", "content": "300.1.1.1"})
    assert resp.status_code == 400
    assert resp.json()["errors"] == [
        {"code": 9005, "message": "Content for A record must be a valid IPv4 address."}
    ]
    resp = post(api, emulator, {"type": "AAAA", "name": "x", "content": "192.0.2.1"})
    assert resp.json()["errors"] == [
        {"code": 9006, "message": "Content for AAAA record must be a valid IPv6 address."}
    ]
    ok = post(api, emulator, {"type": "AAAA", "name": "x", "content": "2001:DB8:0:0::1"})
    assert ok.json()["result"]["content"] == "2001:db8::1"


def test_mx_priority_missing_and_ip_content(emulator, api):
    resp = post(api, emulator, {"type": "MX", "name": "@", "content": "mail.example.com"})
    assert resp.status_code == 400
    assert resp.json()["errors"] == [
        {
            "code": 1004,
            "message": "DNS Validation Error",
            "error_chain": [{"code": 9100, "message": "priority is a required field."}],
        }
    ]
    resp = post(api, emulator, {"type": "MX", "name": "@", "content": "192.0.2.1", "priority": 10})
    assert error_of(resp) == (400, 1004, [9009])
    assert resp.json()["errors"][0]["error_chain"][0]["message"].startswith(
        "Change the content of your MX record"
    )
    assert error_of(
        post(api, emulator, {"type": "MX", "name": "@", "content": "m.example.com", "priority": 70000})
    ) == (
        400,
        1004,
        [9008],
    )


@pytest.mark.parametrize(
    "rtype,content", [("TXT", "x"), ("MX", "mail.example.com"), ("NS", "ns.example.net")]
)
def test_proxied_on_unproxiable_type(emulator, api, rtype, content):
    resp = post(
        api, emulator, {"type": rtype, "name": "p", "content": content, "proxied": True, "priority": 1}
    )
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["error_chain"] == [
        {"code": 9004, "message": "This kind of record cannot be proxied"}
    ]


@pytest.mark.parametrize("ttl", [0, 2, 30, 59, 86401, 1.5, "300"])
def test_ttl_out_of_range(emulator, api, ttl):
    resp = post(api, emulator, {"type": "A", "name": "t", "content": "192.0.2.1", "ttl": ttl})
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["error_chain"] == [
        {"code": 9021, "message": "TTL must be between 60 and 86400 seconds, or 1 for Automatic."}
    ]


@pytest.mark.parametrize("ttl", [1, 60, 86400])
def test_ttl_in_range(emulator, api, ttl):
    assert (
        post(api, emulator, {"type": "A", "name": "t", "content": "192.0.2.1", "ttl": ttl}).status_code == 200
    )


def test_enterprise_ttl_minimum_is_30():
    with Emulator(plan="enterprise", rate_limit=0) as emu:
        client = httpx.Client(base_url=emu.url, headers={"Authorization": "Bearer test-token"})
        url = f"/zones/{emu.zone_id('example.com')}/dns_records"
        assert (
            client.post(url, json={"type": "A", "name": "a", "content": "192.0.2.1", "ttl": 30}).status_code
            == 200
        )
        bad = client.post(url, json={"type": "A", "name": "b", "content": "192.0.2.1", "ttl": 29})
        assert bad.json()["errors"][0]["error_chain"][0]["message"].startswith(
            "TTL must be between 30 and 86400"
        )


@pytest.mark.parametrize(
    "body",
    [
        {"type": "CAA", "name": "@", "content": "0 issue"},
        {"type": "CNAME", "name": "c", "content": "192.0.2.1"},
        {"type": "CNAME", "name": "c", "content": "bad host!"},
        {"type": "SRV", "name": "_s._tcp", "content": "1 2", "priority": 1},
        {"type": "TLSA", "name": "_443._tcp", "content": "3 1 1 zz"},
        {"type": "SSHFP", "name": "s", "data": {"algorithm": 1, "type": 1, "fingerprint": "nothex"}},
        {"type": "LOC", "name": "l", "content": "north pole"},
        {"type": "DS", "name": "d", "content": "1 2"},
        {"type": "NAPTR", "name": "n", "content": "100 10 S"},
        {"type": "HTTPS", "name": "h", "content": "1 . nonsense-key"},
    ],
)
def test_invalid_content_other_types(emulator, api, body):
    resp = post(api, emulator, body)
    assert error_of(resp) == (400, 1004, [9007])
    assert resp.json()["errors"][0]["error_chain"][0]["message"].startswith(
        f"Content for {body['type']} record is invalid"
    )


@pytest.mark.parametrize(
    ("body", "chain"),
    [
        ({"name": "x", "content": "1"}, 9100),
        ({"type": "A", "content": "192.0.2.1"}, 9100),
        ({"type": "A", "name": "x"}, 9100),
        ({"type": "BOGUS", "name": "x", "content": "1"}, 9000),
    ],
)
def test_required_fields_and_unknown_type(emulator, api, body, chain):
    assert error_of(post(api, emulator, body)) == (400, 1004, [chain])


def test_bad_json_body(emulator, api):
    resp = api.post(f"/zones/{zid(emulator)}/dns_records", content=b"{not json")
    assert error_of(resp) == (400, 9207, [])


def test_txt_kept_as_sent_and_length_limits(emulator, api):
    chunks = '"' + "a" * 255 + '" "' + "b" * 10 + '"'
    assert (
        post(api, emulator, {"type": "TXT", "name": "t", "content": chunks}).json()["result"]["content"]
        == chunks
    )
    assert post(api, emulator, {"type": "TXT", "name": "big", "content": "x" * 4080}).status_code == 200
    assert error_of(post(api, emulator, {"type": "TXT", "name": "big2", "content": "x" * 4081})) == (
        400,
        1004,
        [9102],
    )
    assert post(api, emulator, {"type": "TXT", "name": "big", "content": "y" * 4080}).status_code == 200
    assert error_of(post(api, emulator, {"type": "TXT", "name": "big", "content": "z" * 100})) == (
        400,
        1004,
        [9102],
    )


def test_hostnames_lose_trailing_dot(emulator, api):
    rec = post(api, emulator, {"type": "CNAME", "name": "c", "content": "target.example.net."}).json()[
        "result"
    ]
    assert rec["content"] == "target.example.net"
    rec = post(
        api, emulator, {"type": "MX", "name": "@", "content": "mx.example.net.", "priority": 5}
    ).json()["result"]
    assert rec["content"] == "mx.example.net" and rec["priority"] == 5


def test_update_validation_and_identical_on_update(emulator, api):
    z = zid(emulator)
    a = post(api, emulator, {"type": "A", "name": "h", "content": "192.0.2.1"}).json()["result"]
    post(api, emulator, {"type": "A", "name": "h", "content": "192.0.2.2"})
    resp = api.patch(f"/zones/{z}/dns_records/{a['id']}", json={"content": "192.0.2.2"})
    assert error_of(resp) == (400, 81058, [])
    resp = api.put(f"/zones/{z}/dns_records/{a['id']}", json={"type": "A", "name": "h", "content": "bad"})
    assert error_of(resp) == (400, 9005, [])
    assert {r["content"] for r in emulator.records("example.com")} == {"192.0.2.1", "192.0.2.2"}
    same = api.patch(
        f"/zones/{z}/dns_records/{a['id']}", json={"ttl": 300}
    )  # unchanged content is not a conflict
    assert same.status_code == 200


# -- read-only records ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("meta", [{"read_only": True}, {"managed_by_apps": True}])
def test_read_only_records_refuse_changes(emulator, api, meta):
    rec = emulator.add_record(
        "example.com", {"type": "MX", "name": "@", "content": "mx.example.net", "priority": 1, "meta": meta}
    )
    z = zid(emulator)
    listed = api.get(f"/zones/{z}/dns_records").json()["result"][0]
    assert listed["meta"] == meta
    for resp in (
        api.patch(f"/zones/{z}/dns_records/{rec['id']}", json={"ttl": 300}),
        api.put(
            f"/zones/{z}/dns_records/{rec['id']}",
            json={"type": "MX", "name": "@", "content": "x.example.net", "priority": 1},
        ),
        api.delete(f"/zones/{z}/dns_records/{rec['id']}"),
        api.post(f"/zones/{z}/dns_records/batch", json={"deletes": [{"id": rec["id"]}]}),
    ):
        assert resp.status_code == 400 and resp.json()["errors"][0]["code"] == 81046
    assert emulator.records("example.com")[0]["content"] == "mx.example.net"


def test_auto_added_records_are_editable(emulator, api):
    rec = emulator.add_record(
        "example.com", {"type": "A", "name": "a", "content": "192.0.2.1", "meta": {"auto_added": True}}
    )
    resp = api.patch(f"/zones/{zid(emulator)}/dns_records/{rec['id']}", json={"content": "192.0.2.9"})
    assert resp.status_code == 200 and resp.json()["result"]["meta"] == {"auto_added": True}


def test_internal_error_is_an_envelope(emulator, api, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(emulator.store, "list_zones", boom)
    resp = api.get("/zones")
    assert resp.status_code == 500
    assert resp.json()["success"] is False and "secret" not in resp.text and "Traceback" not in resp.text


def test_warm_renders_ahead_and_changes_no_answer(emulator, api) -> None:
    """`warm` (the bench calls it after seeding) fills the per-record JSON cache; listings are the same."""
    for i in range(30):
        emulator.add_record(
            "example.com", {"type": "A", "name": f"h{i}.example.com", "content": f"192.0.2.{i}"}
        )
    zid = emulator.zone_id("example.com")
    before = api.get(f"/zones/{zid}/dns_records", params={"per_page": 100}).json()
    zone = emulator.store.zones[zid]
    zone._json.clear()
    emulator.warm()
    assert set(zone._json) == set(zone.records)
    assert api.get(f"/zones/{zid}/dns_records", params={"per_page": 100}).json() == before
