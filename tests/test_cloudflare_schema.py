"""The API-answer checks alone (pure): listings page by page, records and zones field by field, and how
a batch's changes read in the live zone."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zonesync.cloudflare import schema
from zonesync.cloudflare.batch_outcome import batch_state
from zonesync.model import Record
from zonesync.plan.model import Change


def info(page: int, per_page: int, count: int, total: int, pages: int | None = None) -> schema.ResultInfo:
    return schema.ResultInfo(
        page, per_page, count, total, math.ceil(total / per_page) if pages is None else pages
    )


@given(total=st.integers(0, 60), per_page=st.integers(1, 25))
def test_an_honest_listing_passes_and_takes_the_fewest_pages(total: int, per_page: int) -> None:
    listing = schema.Listing("records")
    page = 1
    while True:
        count = max(0, min(per_page, total - (page - 1) * per_page))
        listing.page(page, info(page, per_page, count, total, max(1, math.ceil(total / per_page))), count)
        for i in range(count):
            listing.item_id(f"{(page - 1) * per_page + i}", page)
        if page >= listing.pages:
            break
        page += 1
    listing.done()
    assert page == max(1, math.ceil(total / per_page))


@pytest.mark.parametrize(
    ("pages", "message"),
    [
        ([(info(1, 5, 5, 10), 5), (info(2, 5, 5, 10), 4)], "result_info.count is 5 but the page holds 4"),
        ([(info(1, 5, 5, 10), 5), (info(1, 5, 5, 10), 5)], "the answer is page 1"),
        ([(info(1, 5, 3, 3, pages=7), 3)], "total_pages is 7, but total_count 3 at per_page 5 makes 1"),
        ([(info(1, 5, 3, 20), 3)], "holds 3 items, but total_count 20 at per_page 5 means 5"),
        ([(info(1, 5, 5, 10), 5), (info(2, 5, 5, 12, pages=2), 5)], "total_count is 12, but page 1 said 10"),
        ([(info(1, 5, 5, 5), 5), (info(2, 5, 1, 5, pages=1), 1)], "holds 1 items, but total_count 5"),
    ],
)
def test_inconsistent_pages_are_refused(pages, message) -> None:
    listing = schema.Listing("records")
    with pytest.raises(schema.AnswerError, match=re.escape(message)):
        for number, (page_info, items) in enumerate(pages, 1):
            listing.page(number, page_info, items)


def test_a_listing_short_of_total_count_is_refused() -> None:
    listing = schema.Listing("records")
    listing.page(1, info(1, 5, 5, 10), 5)
    with pytest.raises(schema.AnswerError, match=re.escape("5 items arrived, but total_count is 10")):
        listing.done()


def test_a_repeated_id_is_refused_not_dropped() -> None:
    listing = schema.Listing("records")
    listing.item_id("a", 1)
    with pytest.raises(schema.AnswerError, match=re.escape("records, page 2: id a appears twice")):
        listing.item_id("a", 2)


def test_result_info_fields_are_integers() -> None:
    body = {"result_info": {"page": 1, "per_page": 5, "count": 1, "total_count": 1, "total_pages": "abc"}}
    with pytest.raises(
        schema.AnswerError, match=re.escape("result_info: `total_pages` is the string 'abc', not an integer")
    ):
        schema.result_info(body)
    body["result_info"]["total_pages"] = True
    with pytest.raises(schema.AnswerError, match=re.escape("is the boolean true, not an integer")):
        schema.result_info(body)


RECORD = {
    "id": "r1",
    "name": "www.example.com",
    "type": "A",
    "content": "192.0.2.1",
    "ttl": 1,
    "proxied": False,
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("proxied", "false", "record r1: `proxied` is the string 'false', not a boolean"),
        ("tags", "a:b", "`tags` is the string 'a:b', not a list of strings"),
        ("tags", ["a:b", 1], "`tags` is a list, not a list of strings"),
        ("ttl", None, "record r1: `ttl` is null"),
        ("ttl", "300", "`ttl` is the string '300', not an integer"),
        ("ttl", 300.5, "`ttl` is the number 300.5, not an integer"),
        ("ttl", 0, "`ttl` is 0, not 1 (automatic)"),
        ("name", None, "`name` is null"),
        ("name", "www.example.org", "`name` 'www.example.org' is not in zone example.com"),
        ("content", 192, "`content` is the number 192, not a string"),
        ("meta", [], "`meta` is a list, not an object"),
        ("comment", False, "`comment` is the boolean false"),
        ("priority", "10", "`priority` is the string '10', not an integer"),
    ],
)
def test_record_fields_are_checked_never_coerced(field, value, message) -> None:
    with pytest.raises(schema.AnswerError, match=re.escape(message)):
        schema.check_record({**RECORD, field: value}, 0, "example.com")


def test_optional_fields_may_be_null_or_absent() -> None:
    item = {**RECORD, "comment": None, "tags": None, "proxied": None, "meta": {"read_only": True}}
    assert schema.check_record(item, 0, "example.com") is item
    assert schema.check_record({k: RECORD[k] for k in ("id", "name", "type", "ttl")}, 0, "example.com")
    assert schema.check_record({**RECORD, "name": "example.com"}, 0, "example.com")


def test_record_without_id_or_not_an_object_is_named_by_position() -> None:
    with pytest.raises(schema.AnswerError, match=re.escape("record #3 of the listing: `id` is missing")):
        schema.check_record({k: v for k, v in RECORD.items() if k != "id"}, 2, "example.com")
    with pytest.raises(
        schema.AnswerError, match=re.escape("record #1 of the listing is the string 'x', not an object")
    ):
        schema.check_record("x", 0, "example.com")


def test_structured_data_and_meta_flags_are_typed() -> None:
    srv = {**RECORD, "type": "SRV", "data": {"priority": 1, "weight": "5", "port": 5060, "target": "sip"}}
    with pytest.raises(
        schema.AnswerError, match=re.escape("record r1: data: `weight` is the string '5', not an integer")
    ):
        schema.check_record(srv, 0, "example.com")
    with pytest.raises(
        schema.AnswerError, match=re.escape("meta: `read_only` is the string 'yes', not a boolean")
    ):
        schema.check_record({**RECORD, "meta": {"read_only": "yes"}}, 0, "example.com")


def test_envelope() -> None:
    with pytest.raises(schema.AnswerError, match=r"`success` is false \(1000 x\)"):
        schema.check_envelope({"success": False, "errors": [{"code": 1000, "message": "x"}]})
    with pytest.raises(schema.AnswerError, match=re.escape("`success` is the string 'true', not true")):
        schema.check_envelope({"success": "true"})
    with pytest.raises(schema.AnswerError, match=re.escape("`result` is null, not a list")):
        schema.result_of({"result": None}, "a list")
    with pytest.raises(schema.AnswerError, match=re.escape("result.posts is an object, not a list")):
        schema.check_batch_result({"success": True, "result": {"posts": {}}})


def test_zone() -> None:
    with pytest.raises(schema.AnswerError, match=re.escape("zone example.com: `id` is missing")):
        schema.check_zone({"name": "example.com"}, 0)
    with pytest.raises(
        schema.AnswerError, match=re.escape("zone example.com: account: `id` is the number 5")
    ):
        schema.check_zone({"id": "z", "name": "example.com", "account": {"id": 5}}, 0)


def rec(name: str, value: str, ttl: int = 300, rid: str | None = None) -> Record:
    return Record(f"{name}.example.com", "A", value, ttl, False, id=rid)


def test_batch_state_tells_landed_from_not_landed_from_changed_by_someone_else() -> None:
    old, gone = rec("a", "192.0.2.1", rid="1"), rec("b", "192.0.2.2", rid="2")
    changes = [
        Change("delete", before=gone),
        Change("update", before=old, after=rec("a", "192.0.2.1", 600)),
        Change("create", after=rec("c", "192.0.2.3")),
    ]
    before = batch_state(changes, [old, gone])
    assert before.none_landed and not before.all_landed
    after = batch_state(changes, [rec("a", "192.0.2.1", 600, "1"), rec("c", "192.0.2.3", rid="9")])
    assert after.all_landed
    other = batch_state(changes, [rec("a", "192.0.2.1", 900, "1"), gone])
    assert other.neither == (changes[1],) and not other.all_landed and not other.none_landed
