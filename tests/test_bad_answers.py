"""A bad read never becomes a write: malformed or lying API answers, served by a fake API on loopback,
end every run with exit 1 and one line naming the zone and what was wrong — no traceback, no write.

The fake lists exactly the records the zone file declares, so any write it receives would be a write
based on a bad read (issue 9). The cases the issue found are listed one by one; a hypothesis property
then serves generated malformed answers: bodies, envelopes, `result_info`, records and zone lists.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fake_api import ACCOUNT_ID, ZONE_ID, FakeApi, envelope, page_of, zone_file
from zonesync.cli import cli

N = 5
RECORDS_PATH = f"/client/v4/zones/{ZONE_ID}/dns_records"
ZONES_PATH = "/client/v4/zones"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeApi]:
    with FakeApi(N) as api:
        yield api


@pytest.fixture
def zone_path(tmp_path: Path) -> Path:
    path = tmp_path / "zones" / "example.com.yaml"
    path.parent.mkdir()
    path.write_text(zone_file(N) + "max_changes: off\n")
    return path


def run_apply(fake: FakeApi, zone_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[str]]:
    """`zonesync apply --yes` against the fake: (exit code, stderr lines); asserts nothing was written."""
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "fake-token")
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", fake.url)
    monkeypatch.setenv("ZONESYNC_RATE_LIMIT", "off")
    del fake.writes[:]
    result = CliRunner().invoke(cli, ["apply", "--yes", str(zone_path)], catch_exceptions=False)
    assert fake.writes == [], f"a bad read became a write: {fake.writes}; {result.output}"
    return result.exit_code, result.stderr.splitlines()


def assert_one_clear_error(code: int, lines: list[str], *fragments: str) -> str:
    assert code == 1, lines
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    line = lines[0]
    assert "Traceback" not in line and "internal error" not in line, line
    assert "example.com" in line, line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def records_answer(make: Callable[[int, int], Any]) -> Callable[..., tuple[int, bytes] | None]:
    """Answer record listings with `make(page, per_page)` (a dict/list/None is JSON-encoded, bytes as is)."""

    def answer(method: str, path: str, query: dict[str, str]) -> tuple[int, bytes] | None:
        if method == "GET" and path == RECORDS_PATH:
            body = make(int(query.get("page", 1)), int(query.get("per_page", 20)))
            return 200, body if isinstance(body, bytes) else json.dumps(body).encode()
        return None

    return answer


def zones_answer(make: Callable[[], Any]) -> Callable[..., tuple[int, bytes] | None]:
    def answer(method: str, path: str, query: dict[str, str]) -> tuple[int, bytes] | None:
        if method == "GET" and path == ZONES_PATH:
            body = make()
            return 200, body if isinstance(body, bytes) else json.dumps(body).encode()
        return None

    return answer


def with_records(fake: FakeApi, change: Callable[[list[dict[str, Any]]], None]) -> Callable[[int, int], Any]:
    """Honest pages of the fake's records after `change` (result_info recomputed: only records lie)."""

    def make(page: int, per_page: int) -> Any:
        records = copy.deepcopy(fake.records)
        change(records)
        return page_of(records, page, per_page)

    return make


def with_info(fake: FakeApi, per_page: int, **lies: Any) -> Callable[[int, int], Any]:
    def make(page: int, _: int) -> Any:
        body = page_of(fake.records, page, per_page)
        body["result_info"].update(lies)
        return body

    return make


def setitem(key: str, value: Any, index: int = 1) -> Callable[[list[dict[str, Any]]], None]:
    return lambda records: records[index].__setitem__(key, value)


# -- the failures issue 9 found, one by one ----------------------------------------------------------


def overlapping_pages(fake: FakeApi) -> Callable[[int, int], Any]:
    def make(page: int, _: int) -> Any:
        body = page_of(fake.records, page, 3)
        if page == 2:  # page 2 repeats a record of page 1
            body["result"] = copy.deepcopy(fake.records[2:4])
        return body

    return make


def page_ignored(fake: FakeApi) -> Callable[[int, int], Any]:
    return lambda page, per_page: page_of(fake.records, 1, 2)


def empty_page_two(fake: FakeApi) -> Callable[[int, int], Any]:
    def make(page: int, _: int) -> Any:
        body = page_of(fake.records, page, 3)
        if page == 2:
            body["result"], body["result_info"]["count"] = [], 0
        return body

    return make


def lying_total_pages_hides_records(fake: FakeApi) -> Callable[[int, int], Any]:
    """Pages of 3 that claim only 3 records in all: page 2 (which zonesync reads because page 1 was
    full) shows the two hidden ones."""

    def make(page: int, _: int) -> Any:
        body = page_of(fake.records, page, 3)
        body["result_info"].update(total_count=3, total_pages=1)
        return body

    return make


RECORD_CASES: dict[str, tuple[Callable[[FakeApi], Callable[[int, int], Any]], tuple[str, ...]]] = {
    "pages overlap": (overlapping_pages, ("appears twice",)),
    "same id twice": (
        lambda f: with_records(f, lambda r: r[1].__setitem__("id", r[0]["id"])),
        ("appears twice",),
    ),
    "page parameter ignored": (page_ignored, ("page 2", "appears twice")),
    "shorter than total_count": (
        lambda f: with_info(f, 5_000_000, total_count=20),
        ("holds 5 items", "total_count 20"),
    ),
    "empty page 2": (empty_page_two, ("page 2", "holds 0 items")),
    "total_pages lies": (lambda f: with_info(f, 5_000_000, total_pages=3), ("total_pages is 3",)),
    "total_pages 1e9": (lambda f: with_info(f, 5_000_000, total_pages=1e9), ("total_pages", "integer")),
    "total_pages 10**9": (lambda f: with_info(f, 5_000_000, total_pages=10**9), ("total_pages",)),
    "hidden behind total_count": (lying_total_pages_hides_records, ("page 2",)),
    "success false": (
        lambda f: lambda p, n: {**page_of(f.records, p, n), "success": False},
        ("`success` is false",),
    ),
    "empty object": (lambda f: lambda p, n: {}, ("`success` is missing",)),
    "result null": (
        lambda f: lambda p, n: {**page_of(f.records, p, n), "result": None},
        ("`result` is null",),
    ),
    "result missing": (lambda f: lambda p, n: {"success": True, "errors": []}, ("`result` is missing",)),
    "proxied 'false'": (
        lambda f: with_records(f, setitem("proxied", "false")),
        ("`proxied`", "not a boolean"),
    ),
    "tags 'a:b'": (lambda f: with_records(f, setitem("tags", "a:b")), ("`tags`", "list of strings")),
    "ttl null": (lambda f: with_records(f, setitem("ttl", None)), ("`ttl` is null",)),
    "ttl 'abc'": (lambda f: with_records(f, setitem("ttl", "abc")), ("`ttl`", "not an integer")),
    "ttl 0": (lambda f: with_records(f, setitem("ttl", 0)), ("`ttl` is 0",)),
    "name null": (lambda f: with_records(f, setitem("name", None)), ("`name` is null",)),
    "name outside the zone": (lambda f: with_records(f, setitem("name", "h1.example.org")), ("not in zone",)),
    "numeric content": (lambda f: with_records(f, setitem("content", 192)), ("`content`", "not a string")),
    "record not an object": (
        lambda f: with_records(f, lambda r: r.__setitem__(1, "h1")),
        ("record #2", "not an object"),
    ),
    "body null": (lambda f: lambda p, n: b"null", ("JSON null",)),
    "body a list": (lambda f: lambda p, n: b"[]", ("JSON list",)),
    "body HTML": (lambda f: lambda p, n: b"<html><body>502 Bad Gateway</body></html>", ("not JSON",)),
    "broken JSON": (
        lambda f: lambda p, n: json.dumps(page_of(f.records, p, n)).encode()[:-40],
        ("not valid JSON",),
    ),
    "empty body": (lambda f: lambda p, n: b"", ("empty",)),
}


@pytest.mark.parametrize("case", RECORD_CASES)
def test_bad_record_listing_is_an_error_and_no_write(
    case: str, fake: FakeApi, zone_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, fragments = RECORD_CASES[case]
    fake.answer = records_answer(make(fake))
    try:
        code, lines = run_apply(fake, zone_path, monkeypatch)
    finally:
        fake.answer = None
    assert_one_clear_error(code, lines, "reading records", *fragments)


def test_the_honest_fake_plans_no_change(fake: FakeApi, zone_path: Path, monkeypatch) -> None:
    """The control: the same fake answering honestly, in pages of 3 or in one page."""
    fake.answer = records_answer(lambda page, per_page: page_of(fake.records, page, 3))
    try:
        code, lines = run_apply(fake, zone_path, monkeypatch)
    finally:
        fake.answer = None
    assert code == 0 and lines == []
    assert run_apply(fake, zone_path, monkeypatch)[0] == 0


def zone(**fields: Any) -> dict[str, Any]:
    return {"id": ZONE_ID, "name": "example.com", "account": {"id": ACCOUNT_ID}, **fields}


ZONE_CASES: dict[str, tuple[Callable[[], Any], tuple[str, ...]]] = {
    "zone without id": (lambda: page_of([{"name": "example.com"}], 1, 50), ("`id` is missing",)),
    "zone id null": (lambda: page_of([zone(id=None)], 1, 50), ("`id` is null",)),
    "zone not an object": (lambda: page_of(["example.com"], 1, 50), ("not an object",)),
    "HTML zone list": (lambda: b"<!DOCTYPE html><html>Cloudflare</html>", ("not JSON",)),
    "total_pages 'abc'": (
        lambda: {
            **page_of([zone()], 1, 50),
            "result_info": {**page_of([zone()], 1, 50)["result_info"], "total_pages": "abc"},
        },
        ("total_pages", "not an integer"),
    ),
    "zone list success false": (
        lambda: {"success": False, "errors": [{"code": 1000, "message": "x"}]},
        ("`success` is false",),
    ),
    "zone list result an object": (lambda: envelope({"id": ZONE_ID}, None), ("`result` is an object",)),
    "same zone twice": (lambda: page_of([zone(), zone()], 1, 50), ("appears twice",)),
    "two accounts": (
        lambda: page_of([zone(), zone(id="f" * 32, account={"id": "b" * 32})], 1, 50),
        ("two accounts", ACCOUNT_ID, "b" * 32),
    ),
}


@pytest.mark.parametrize("case", ZONE_CASES)
def test_bad_zone_list_is_an_error_and_no_write(
    case: str, fake: FakeApi, zone_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, fragments = ZONE_CASES[case]
    fake.answer = zones_answer(make)
    try:
        code, lines = run_apply(fake, zone_path, monkeypatch)
    finally:
        fake.answer = None
    assert_one_clear_error(code, lines, *fragments)


# -- generated malformed answers ---------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)

RECORD_FIELDS = {
    "id": ("str", True),
    "name": ("str", True),
    "type": ("str", True),
    "ttl": ("int", True),
    "content": ("str", False),
    "proxied": ("bool", False),
    "comment": ("str", False),
    "tags": ("strs", False),
    "meta": ("dict", False),
    "priority": ("int", False),
}


def right_type(kind: str, value: Any) -> bool:
    return {
        "str": isinstance(value, str),
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "dict": isinstance(value, dict),
        "strs": isinstance(value, list) and all(isinstance(v, str) for v in value),
    }[kind]


@st.composite
def bad_record_listing(draw: st.DrawFn) -> tuple[Callable[[FakeApi], Callable[[int, int], Any]], str]:
    """(a maker of the listing's pages, a fragment the error must hold)."""
    kind = draw(st.sampled_from(["field", "not an object", "duplicate", "envelope", "info", "body"]))
    index = draw(st.integers(0, N - 1))
    if kind == "field":
        name = draw(st.sampled_from(sorted(RECORD_FIELDS)))
        expected, required = RECORD_FIELDS[name]
        value = draw(
            json_values.filter(lambda v: (v is not None or required) and not right_type(expected, v))
        )
        drop = required and draw(st.booleans())

        def change(records: list[dict[str, Any]]) -> None:
            if drop:
                del records[index][name]
            else:
                records[index][name] = value

        return (lambda f: with_records(f, change)), f"`{name}`"
    if kind == "not an object":
        value = draw(json_values.filter(lambda v: not isinstance(v, dict)))
        return (lambda f: with_records(f, lambda r: r.__setitem__(index, value))), f"record #{index + 1}"
    if kind == "duplicate":
        other = draw(st.integers(0, N - 1))
        return (
            lambda f: with_records(f, lambda r: r.insert(other, copy.deepcopy(r[index])))
        ), "appears twice"
    if kind == "envelope":
        key = draw(st.sampled_from(["success", "result"]))
        bad = (
            json_values.filter(lambda v: v is not True)
            if key == "success"
            else json_values.filter(lambda v: not isinstance(v, list))
        )
        value = draw(bad)
        drop = draw(st.booleans())

        def make_env(f: FakeApi) -> Callable[[int, int], Any]:
            def make(page: int, per_page: int) -> Any:
                body = page_of(f.records, page, per_page)
                if drop:
                    del body[key]
                else:
                    body[key] = value
                return body

            return make

        return make_env, f"`{key}`"
    if kind == "info":
        field = draw(st.sampled_from(["page", "per_page", "count", "total_count", "total_pages", "whole"]))
        if field == "whole":
            value = draw(json_values.filter(lambda v: not isinstance(v, dict)))
        elif field == "per_page":
            value = draw(st.integers(1, N - 1) | json_values.filter(lambda v: not right_type("int", v)))
        else:
            value = draw(
                st.integers(-3, 2**40).filter(
                    lambda v: v != {"page": 1, "count": N, "total_count": N}.get(field, 1)
                )
                | json_values.filter(lambda v: not right_type("int", v))
            )

        def make_info(f: FakeApi) -> Callable[[int, int], Any]:
            def make(page: int, per_page: int) -> Any:
                body = page_of(f.records, page, per_page)
                if field == "whole":
                    body["result_info"] = value
                else:
                    body["result_info"][field] = value
                return body

            return make

        return make_info, ""
    body = draw(
        st.sampled_from([b"", b"null", b"[]", b"{}", b"<html>", b'{"result": [', b"\xff\xfe{}", b'"ok"'])
        | st.binary(max_size=40).filter(lambda b: not b.strip().startswith(b"{"))
    )
    return (lambda f: lambda page, per_page: body), ""


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=bad_record_listing())
def test_generated_bad_listings_are_one_clear_error(
    case, fake: FakeApi, zone_path: Path, monkeypatch
) -> None:
    make, fragment = case
    fake.answer = records_answer(make(fake))
    try:
        code, lines = run_apply(fake, zone_path, monkeypatch)
    finally:
        fake.answer = None
    assert_one_clear_error(code, lines, "reading records", fragment)


@st.composite
def bad_zone_list(draw: st.DrawFn) -> Callable[[], Any]:
    kind = draw(st.sampled_from(["field", "not an object", "envelope", "info", "body"]))
    if kind == "field":
        name = draw(st.sampled_from(["id", "name", "account", "plan"]))
        expected = {"id": "str", "name": "str", "account": "dict", "plan": "dict"}[name]
        value = draw(
            json_values.filter(lambda v: (v is not None or name in ("id",)) and not right_type(expected, v))
        )
        return lambda: page_of([zone(**{name: value})], 1, 50)
    if kind == "not an object":
        value = draw(json_values.filter(lambda v: not isinstance(v, dict)))
        return lambda: page_of([value], 1, 50)
    if kind == "envelope":
        value = draw(json_values.filter(lambda v: v is not True))
        return lambda: {**page_of([zone()], 1, 50), "success": value}
    if kind == "info":
        field = draw(st.sampled_from(["page", "count", "total_count", "total_pages"]))
        value = draw(st.integers(2, 2**40) | json_values.filter(lambda v: not right_type("int", v)))
        return lambda: {
            **page_of([zone()], 1, 50),
            "result_info": {**page_of([zone()], 1, 50)["result_info"], field: value},
        }
    body = draw(st.binary(max_size=40).filter(lambda b: not b.strip().startswith(b"{")))
    return lambda: body


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(make=bad_zone_list())
def test_generated_bad_zone_lists_are_one_clear_error(
    make, fake: FakeApi, zone_path: Path, monkeypatch
) -> None:
    fake.answer = zones_answer(make)
    try:
        code, lines = run_apply(fake, zone_path, monkeypatch)
    finally:
        fake.answer = None
    assert_one_clear_error(code, lines)


# -- Workers listings (mail.mta_sts.host: worker) -------------------------------------------------------

WORKER_ZONE = """\
zone: example.com
mail:
  mx: [{host: mx, priority: 10}]
  hosts:
    mx: {ipv4: [203.0.113.25]}
  mta_sts:
    mode: enforce
    host: worker
  tls_rpt: {rua: ["mailto:tlsrpt@example.com"]}
"""
DOMAINS_PATH = f"/client/v4/accounts/{ACCOUNT_ID}/workers/domains"
SCRIPTS_PATH = f"/client/v4/accounts/{ACCOUNT_ID}/workers/scripts"
HOST = "mta-sts.example.com"


def domain(**fields: Any) -> dict[str, Any]:
    return {"id": "d" * 32, "hostname": HOST, "service": "mta-sts-example-com", "zone_id": ZONE_ID, **fields}


WORKER_CASES: dict[str, tuple[Any, Any, str]] = {
    "service null": ([domain(service=None)], [], "custom domain #1: `service` is null"),
    "service a number": ([domain(service=5)], [], "custom domain #1: `service` is the number 5, not a string"),
    "hostname missing": ([{"id": "d1", "service": "s"}], [], "custom domain #1: `hostname` is missing"),
    "domains an object": ({"id": "d1"}, [], "`result` is an object, not a list"),
    "a domain a string": (["d1"], [], "custom domain #1 is the string 'd1', not an object"),
    "two domains for the host": (
        [domain(), domain(id="e" * 32)], [], f"2 custom domains for {HOST}, which can have one"
    ),
    "a domain id twice": ([domain(), domain(hostname="x.example.com")], [], "custom domain " + "d" * 32 + " appears twice"),
    "script id a number": ([], [{"id": 7}], "script #1: `id` is the number 7, not a string"),
    "script tags not strings": ([], [{"id": "s", "tags": [1]}], "script #1: `tags` is a list, not a list of strings"),
    "a script twice": ([], [{"id": "s"}, {"id": "s"}], "script s appears twice"),
    "domains not JSON": (b"<html>502</html>", [], "the custom domain list: the body is not JSON"),
    "success false": ({"success": False, "errors": [{"code": 10000, "message": "x"}]}, [], "`success` is false"),
}  # fmt: skip


def workers_answer(domains: Any, scripts: Any) -> Callable[..., tuple[int, bytes] | None]:
    """The Workers listings answered with `domains` and `scripts` (a `result`, a whole body as a dict
    with `success`, or raw bytes); everything else by the fake's defaults."""

    def body(value: Any) -> bytes:
        if isinstance(value, bytes):
            return value
        return json.dumps(
            value if isinstance(value, dict) and "success" in value else envelope(value)
        ).encode()

    def answer(method: str, path: str, query: dict[str, str]) -> tuple[int, bytes] | None:
        if method == "GET" and path == DOMAINS_PATH:
            return 200, body(domains)
        if method == "GET" and path == SCRIPTS_PATH:
            return 200, body(scripts)
        return None

    return answer


def run_worker_plan(fake: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: Any):
    path = tmp_path / "zones" / "example.com.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(WORKER_ZONE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "fake-token")
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", fake.url)
    monkeypatch.setenv("ZONESYNC_RATE_LIMIT", "off")
    fake.answer, fake.requests[:], fake.writes[:] = answer, [], []
    try:
        result = CliRunner().invoke(cli, ["plan", str(path)], catch_exceptions=False)
    finally:
        fake.answer = None
    assert fake.writes == [], fake.writes
    return result


def test_a_sound_workers_listing_is_planned(fake: FakeApi, tmp_path: Path, monkeypatch) -> None:
    """The control: honest (empty) Workers listings from the same fake plan the Worker's creation, so
    the failures below come from the answers, not from the set-up."""
    result = run_worker_plan(fake, tmp_path, monkeypatch, workers_answer([], []))
    assert result.exit_code == 0, result.output
    assert "mta-sts-example-com" in result.stdout and HOST in result.stdout, result.stdout
    assert ("GET", DOMAINS_PATH) in fake.requests and ("GET", SCRIPTS_PATH) in fake.requests


@pytest.mark.parametrize("case", WORKER_CASES)
def test_a_bad_workers_listing_stops_the_plan(fake: FakeApi, tmp_path: Path, monkeypatch, case: str) -> None:
    """A Workers listing the SDK would turn into models without complaint (a null service, a number for
    a name, two custom domains for one host...) stops the run with one line, before any write."""
    domains, scripts, fragment = WORKER_CASES[case]
    result = run_worker_plan(fake, tmp_path, monkeypatch, workers_answer(domains, scripts))
    lines = result.stderr.splitlines()
    assert_one_clear_error(result.exit_code, lines, "example.com: reading Workers: bad answer: ", fragment)
