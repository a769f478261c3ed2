"""The streaming JSON reader gives exactly json.loads' answer however the bytes are cut, and refuses
everything but one JSON object with a message saying what it is."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zonesync.cloudflare.jsonstream import InvalidJSON, Streamed, parse_object

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
objects = st.dictionaries(st.text(max_size=8), values, max_size=5)


def cut(data: bytes, sizes: list[int]) -> list[bytes]:
    out, pos = [], 0
    for size in sizes:
        out.append(data[pos : pos + size])
        pos += size
    out.append(data[pos:])
    return out


def parse(data: bytes, sizes: list[int] = ()) -> tuple[dict, list]:
    items: list = []
    return parse_object(cut(data, list(sizes)), "result", items.append), items


@settings(max_examples=200)
@given(obj=objects, result=st.one_of(st.lists(values, max_size=6), values), indent=st.sampled_from([None, 1]),
       sizes=st.lists(st.integers(1, 9), max_size=60))  # fmt: skip
def test_same_as_json_loads_however_cut(obj, result, indent, sizes) -> None:
    obj = {k: v for k, v in obj.items() if k != "result"}
    doc = {**obj, "result": result}
    data = json.dumps(doc, indent=indent).encode()
    got, items = parse(data, sizes)
    expected = json.loads(data)
    if isinstance(result, list):
        assert got.pop("result") == Streamed(len(result))
        assert items == expected.pop("result")
    assert got == expected


@given(number=st.integers() | st.floats(allow_nan=False, allow_infinity=False), at=st.integers(1, 30))
def test_a_number_cut_by_a_chunk_is_read_whole(number, at) -> None:
    data = json.dumps({"result": [number], "n": number}).encode()
    got, items = parse(data, [at, 1, 1, 1])
    assert items == [number] and got["n"] == number


def test_a_huge_string_is_read_in_few_passes(monkeypatch) -> None:
    """A 40 MB string in 64 KB chunks is parsed again only when the buffer doubled (a few times), not
    once per chunk (640 times), which made ijson's parser quadratic."""
    from zonesync.cloudflare import jsonstream

    attempts = 0
    real = jsonstream._DECODER.raw_decode

    def counting(text: str, pos: int):
        nonlocal attempts
        attempts += 1
        return real(text, pos)

    monkeypatch.setattr(jsonstream._DECODER, "raw_decode", counting)
    text = "x" * (40 * 1024 * 1024)
    data = json.dumps({"result": [{"content": text}], "success": True}).encode()
    chunks = (data[i : i + 65536] for i in range(0, len(data), 65536))
    items: list = []
    assert parse_object(chunks, "result", items.append) == {"result": Streamed(1), "success": True}
    assert items == [{"content": text}]
    assert attempts < 20  # log2(640 chunks) + the few small values


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the body is empty"),
        (b"   \n", "the body is empty"),
        (b"null", "the body is JSON null, not a JSON object"),
        (b"[1, 2]", "the body is a JSON list, not a JSON object"),
        (b'"ok"', "the body is a JSON string, not a JSON object"),
        (b"42", "the body is a JSON number, not a JSON object"),
        (b"true", "the body is a JSON boolean, not a JSON object"),
        (b"<html><body>502</body></html>", "the body is not JSON (it starts with '<html><body>502</bod')"),
        (b"[1, 2", "the body is not valid JSON"),
        (b'{"a": 1', "not valid JSON: expected ',' or '}' after the value of 'a', found the end"),
        (b'{"a": 1}}', "not valid JSON: extra data after the object"),
        (b'{"a": 1, "a": 2}', "not valid JSON: member 'a' appears twice"),
        (b'{"result": [1, 2', "not valid JSON: expected ',' or ']' in the list, found the end"),
        (b'{"result": [1,, 2]}', "not valid JSON: Expecting value"),
        (b'{"a": "\xff"}', "not valid JSON: not UTF-8 text"),
        (b"{a: 1}", "not valid JSON: expected '\"' (a member name)"),
    ],
)
def test_anything_but_one_object_is_refused(body: bytes, message: str) -> None:
    for sizes in ([], [1] * len(body)):
        with pytest.raises(InvalidJSON) as err:
            parse(body, sizes)
        assert message in str(err.value)


def _outcome(data: bytes, sizes: list[int]) -> tuple:
    items: list = []
    try:
        body = parse_object(cut(data, sizes), "result", items.append)
    except InvalidJSON as exc:
        return ("error", str(exc), items)
    return ("ok", body, items)


@settings(max_examples=300)
@given(
    result=st.lists(values, max_size=6),
    indent=st.sampled_from([None, 1]),
    sizes=st.lists(st.integers(1, 9), max_size=60),
    at=st.integers(0, 10_000),
    edit=st.sampled_from(["", ",", "]", "[", "}", " ", "1", '"', "x", None]),
)
def test_whole_elements_in_one_step_change_nothing(result, indent, sizes, at, edit) -> None:
    """The one-step path for elements the buffer holds whole gives the same items, envelope and error
    messages as the careful path alone, for valid bodies and for bodies with one character changed."""

    text = json.dumps({"success": True, "result": result, "n": 1}, indent=indent)
    if edit is not None:
        at %= len(text)
        text = text[:at] + edit + text[at + 1 :]
    data = text.encode()
    assert _outcome(data, sizes) == _careful_outcome(data, sizes)


def _careful_outcome(data: bytes, sizes: list[int]) -> tuple:
    """The outcome with every element taken by the careful path (no run of elements, no one-step element)."""
    from zonesync.cloudflare import jsonstream

    never = type("Never", (), {"match": staticmethod(lambda text, pos: None)})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jsonstream, "_SEPARATOR", never)
        patch.setattr(jsonstream, "_whole_elements", lambda text, pos: len(text))
        return _outcome(data, sizes)


@pytest.mark.parametrize(
    "body",
    [
        b'{"result": [1}',
        b'{"result": [{"a": 1}}, 2]}',
        b'{"result": [1 2]}',
        b'{"result": [1,]}',
        b'{"result": ["a" "b"]}',
        b'{"result": [1]]}',
        b'{"result": [1, 2] "n": 1}',
        b'{"result": [[1], {"a": [2]},\n "x" , 3.5e1 ,null]}',
    ],
)
def test_list_separators_read_the_same_in_one_step(body: bytes) -> None:
    for sizes in ([], [1] * len(body)):
        assert _outcome(body, sizes) == _careful_outcome(body, sizes)


_TRICKY_RUNS = [
    b'{"result": [{"c": "},{"},{"c": "x"}], "n": 1}',
    b'{"result": [{"c": "a\\"},{"},{"d": 2}]}',
    b'{"result": [{"l": [{"a": 1},{"b": 2}]},{"c": 3}]}',
    b'{"result": [{"a": 1},{"b": 2},{"c": "},{\\"x"}]}',
    b'{"result": [{"a": 1},{"b": 2}},{"c": 3}]}',
    b'{"result": [{"a": 1},{"b": 2},{"c": 3},]}',
    b'{"result": [{"a": 1},{"b": },{"c": 3}]}',
    b'{"result": [1, {"a": 1},{"b": [}]}',
    b'{"result": [{"a": 1} ,{"b": 2}, {"c": "},{"}]}',
]


@pytest.mark.parametrize("body", _TRICKY_RUNS)
def test_a_boundary_inside_a_string_or_a_nested_value_reads_the_same(body: bytes) -> None:
    """`},{` inside a string or a nested list is not where elements part: a run cut there does not
    decode, and the elements, the envelope and any error are those of the careful path."""
    for sizes in ([], [1] * len(body), [7] * len(body), [len(body) // 2]):
        assert _outcome(body, sizes) == _careful_outcome(body, sizes)


@settings(max_examples=200)
@given(
    records=st.lists(
        st.dictionaries(st.sampled_from("abc"), st.text('},{\\"x', max_size=6) | values), max_size=8
    ),
    sizes=st.lists(st.integers(1, 40), max_size=30),
)
def test_runs_of_objects_read_the_same(records, sizes) -> None:
    data = json.dumps({"result": records, "success": True}, separators=(",", ":")).encode()
    assert _outcome(data, sizes) == _careful_outcome(data, sizes)
    assert _outcome(data, sizes)[2] == records


def test_a_compact_listing_is_decoded_a_chunk_at_a_time(monkeypatch) -> None:
    """Cloudflare's compact listing in 64 KB chunks: each chunk's whole records are decoded in one call,
    and one element per chunk (the one a chunk boundary cut) takes the element-by-element path."""
    from zonesync.cloudflare import jsonstream

    singles = 0
    real = jsonstream._DECODER.raw_decode

    def counting(text: str, pos: int = 0, idx: int | None = None):
        nonlocal singles
        if idx is None:  # not a run (`decode` passes idx)
            singles += 1
        return real(text, pos if idx is None else idx)

    monkeypatch.setattr(jsonstream._DECODER, "raw_decode", counting)
    records = [
        {"id": f"{i:032x}", "name": f"host{i}.example.com", "type": "A", "ttl": 300} for i in range(5000)
    ]
    data = json.dumps({"result": records, "success": True}, separators=(",", ":")).encode()
    chunks = [data[i : i + 65536] for i in range(0, len(data), 65536)]
    items: list = []
    assert parse_object(chunks, "result", items.append) == {"result": Streamed(5000), "success": True}
    assert items == records
    assert singles < 4 * len(chunks) + 10  # per chunk: the cut element (tried, retried) and its separator


def test_a_listing_without_runs_is_not_searched_again_and_again(monkeypatch) -> None:
    """Pretty-printed (no `},{`): the text searched for a run is not searched again before more arrives,
    so a chunk of many records costs one search, not one per record."""
    from zonesync.cloudflare import jsonstream

    searches = 0
    real = jsonstream._whole_elements

    def counting(text: str, pos: int):
        nonlocal searches
        searches += 1
        return real(text, pos)

    monkeypatch.setattr(jsonstream, "_whole_elements", counting)
    records = [{"id": f"{i:032x}", "type": "A", "ttl": 300} for i in range(5000)]
    data = json.dumps({"result": records}, indent=1).encode()
    chunks = [data[i : i + 65536] for i in range(0, len(data), 65536)]
    items: list = []
    parse_object(chunks, "result", items.append)
    assert items == records
    assert searches < 3 * len(chunks) + 10
