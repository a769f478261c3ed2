"""An API answer's body is one JSON object, or the run stops with a line saying what the body is."""

from __future__ import annotations

import httpx
import pytest

from zonesync.cloudflare.answers import read_answer
from zonesync.cloudflare.schema import AnswerError


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
        (b"[1, 2", "not valid JSON"),
        (b'{"a": 1', "not valid JSON"),
        (b'{"a": 1}}', "not valid JSON: Extra data"),
        (b'{"a": 1, "a": 2}', "not valid JSON: member 'a' appears twice"),
        (b'{"result": [{"id": 1, "id": 2}]}', "not valid JSON: member 'id' appears twice"),
        (b'{"result": [1,, 2]}', "not valid JSON: Expecting value"),
        (b'{"a": "\xff"}', "not valid JSON: not UTF-8 text"),
        (b"{a: 1}", "not valid JSON: Expecting property name"),
    ],
)
def test_anything_but_one_object_is_refused(body: bytes, message: str) -> None:
    with pytest.raises(AnswerError) as err:
        read_answer(httpx.Response(200, content=body))
    assert message in str(err.value)


def test_an_object_is_read_as_json_reads_it() -> None:
    body = (
        b'{"result": [{"id": "a", "tags": []}, 1.5, "x\\u00e9"], "success": true, "result_info": {"page": 1}}'
    )
    assert read_answer(httpx.Response(200, content=body)) == {
        "result": [{"id": "a", "tags": []}, 1.5, "xé"],
        "success": True,
        "result_info": {"page": 1},
    }
