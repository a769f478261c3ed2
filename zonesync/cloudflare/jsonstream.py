"""A JSON object parsed as its bytes arrive, one list member's elements handed over one at a time.

Cloudflare's listing envelope is `{"result": [...], "success": ..., "errors": [...], "result_info": {...}}`:
the `result` list is the only large part. This reads the top-level object with the json module's own C
scanner (`JSONDecoder.raw_decode`), element by element of that list, so a 100,000-record listing is never
whole in memory and nothing but the object's top level is walked in Python.

A value cut by a chunk boundary is parsed again once more bytes arrived, but only after what is buffered
has at least doubled: a long value is scanned about twice, not once per chunk (linear time; ijson's C
parser, used before, was quadratic: docs/reliability.md).

Why it stays: a listing read whole and parsed by `json.loads` raised a 100,000-record plan's peak memory
past the bar of docs/performance.md ("Mechanisms that earn their place").
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

_DECODER = json.JSONDecoder()
_BLANKS = re.compile(r"[ \t\n\r]*")
_SEPARATOR = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")
_NUMBER_CHARS = frozenset("0123456789.eE+-")


@dataclass(frozen=True, slots=True)
class Streamed:
    """Stands in the parsed object for the list whose elements were handed over one by one."""

    count: int


class InvalidJSON(ValueError):
    """The bytes are not one JSON object (the message says what and where)."""


class _Buffer:
    """The undecoded text of the stream: `text[pos:]` is what is left to parse."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.pos = 0
        self.done = False
        self.offset = 0  # characters dropped from the front, for error positions

    def more(self, at_least: int = 1) -> bool:
        """Read until `at_least` more characters are buffered or the stream ends; False when it ended."""
        if self.done:
            return False
        if self.pos:
            self.offset += self.pos
            self.text, self.pos = self.text[self.pos :], 0
        parts, got = [self.text], 0
        while got < at_least:
            chunk = next(self._chunks, None)
            try:
                part = self._utf8.decode(chunk or b"", final=chunk is None)
            except UnicodeDecodeError as exc:
                raise InvalidJSON(f"not valid JSON: not UTF-8 text ({exc.reason})") from None
            parts.append(part)
            got += len(part)
            if chunk is None:
                self.done = True
                break
        self.text = "".join(parts)
        return got > 0 or not self.done

    def skip_ws(self) -> str:
        """The next non-blank character (not consumed), or '' at the end of the stream."""
        while True:
            blanks = _BLANKS.match(self.text, self.pos)
            assert blanks is not None  # the pattern matches the empty string anywhere
            self.pos = pos = blanks.end()
            if pos < len(self.text):
                return self.text[pos]
            if not self.more():
                return ""

    def expect(self, chars: str, where: str) -> str:
        char = self.skip_ws()
        if not char or char not in chars:
            found = repr(char) if char else "the end"
            raise InvalidJSON(
                f"not valid JSON: expected {' or '.join(map(repr, chars))} {where}, found {found} {self.at()}"
            )
        self.pos += 1
        return char

    def value(self) -> Any:
        """One complete JSON value at the current position (after blanks)."""
        self.skip_ws()
        while True:
            buffered = len(self.text) - self.pos
            try:
                obj, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                # Cut by a chunk boundary, or invalid: only more bytes tell. Retry after doubling.
                if self.more(max(buffered, 1)):
                    continue
                raise InvalidJSON(f"not valid JSON: {exc.msg} at character {self.offset + exc.pos}") from None
            cut = end == len(self.text) or self.text[end] in _NUMBER_CHARS
            if not (cut and isinstance(obj, int | float) and not isinstance(obj, bool)) or not self.more(
                max(buffered, 1)
            ):
                # A number that ends the buffer may go on (`12` of `123`, `1` of `1.5`): it is complete
                # only when something else follows it or the stream ended.
                self.pos = end
                return obj

    def at(self) -> str:
        return f"at character {self.offset + self.pos}"


def parse_object(chunks: Iterable[bytes], stream_key: str, on_item: Callable[[Any], None]) -> dict[str, Any]:
    """The top-level JSON object in `chunks`. When the member `stream_key` is a list, each element goes to
    `on_item` as soon as it is complete and the returned dict holds `Streamed(count)` under that key; any other member is returned as parsed. Raises InvalidJSON for anything but one object."""
    buf = _Buffer(chunks)
    first = buf.skip_ws()
    if first != "{":
        if not first:
            raise InvalidJSON("the body is empty")
        if first in '["-0123456789tfn':
            try:
                kind = type(buf.value()).__name__
            except InvalidJSON as exc:
                raise InvalidJSON(f"the body is {exc}") from None
            names = {
                "list": "a JSON list",
                "NoneType": "JSON null",
                "str": "a JSON string",
                "bool": "a JSON boolean",
            }
            raise InvalidJSON(f"the body is {names.get(kind, 'a JSON number')}, not a JSON object")
        buf.more(20)
        raise InvalidJSON(f"the body is not JSON (it starts with {buf.text[buf.pos : buf.pos + 20]!r})")
    buf.pos += 1
    out: dict[str, Any] = {}
    if buf.skip_ws() == "}":
        buf.pos += 1
    else:
        while True:
            if buf.skip_ws() != '"':
                buf.expect('"', "(a member name)")
            key = buf.value()
            if key in out:
                raise InvalidJSON(f"not valid JSON: member {key!r} appears twice {buf.at()}")
            buf.expect(":", f"after {key!r}")
            if key == stream_key and buf.skip_ws() == "[":
                out[key] = Streamed(_stream_list(buf, on_item))
            else:
                out[key] = buf.value()
            if buf.expect(",}", f"after the value of {key!r}") == "}":
                break
    if buf.skip_ws():
        raise InvalidJSON(f"not valid JSON: extra data after the object {buf.at()}")
    return out


_OBJECT_BOUNDARY = "},{"


def _whole_elements(text: str, pos: int) -> tuple[list[Any], int] | int:
    """The elements from `pos` up to the last `},{` in `text`, decoded in one call of the C scanner, and
    where the next element starts; else where the next attempt may start (past the text searched, or
    past a boundary that did not decode). A run decodes only when its `},{` separates two elements of
    the list: the text before it is the list's own text, so a `},{` inside a string or a nested value
    leaves a string or a bracket open and the decoding fails (the elements are then read one at a time,
    which says exactly what is wrong if anything is). Compact JSON, as Cloudflare sends it, puts nearly
    a whole chunk in one run: the per-element cost of a Python call goes."""
    cut = text.rfind(_OBJECT_BOUNDARY, pos)
    if cut < pos:
        return max(pos, len(text) - len(_OBJECT_BOUNDARY) + 1)  # a boundary may yet end in what follows
    try:
        items = _DECODER.decode(f"[{text[pos : cut + 1]}]")
    except json.JSONDecodeError:
        return cut + 2
    return items, cut + 2


def _stream_list(buf: _Buffer, on_item: Callable[[Any], None]) -> int:
    """Each element to `on_item`. An element that the buffer holds whole, with the `,` or `]` after it, is
    taken in one step (decode, then one regex for the separator and the blanks around it); anything else
    (an element cut by a chunk boundary, invalid JSON) takes the careful path, which reads more, and says
    what is wrong exactly as before."""
    buf.pos += 1  # the "["
    count = 0
    if buf.skip_ws() == "]":
        buf.pos += 1
        return 0
    decode, separator = _DECODER.raw_decode, _SEPARATOR.match
    careful_until = 0  # where a run of whole elements failed to decode: one at a time up to there
    while True:
        if buf.offset + buf.pos >= careful_until:
            run = _whole_elements(buf.text, buf.pos)
            if isinstance(run, int):
                careful_until = buf.offset + run
            else:
                items, buf.pos = run
                for item in items:
                    on_item(item)
                count += len(items)
                continue
        try:
            item, end = decode(buf.text, buf.pos)
            found = separator(buf.text, end)
        except json.JSONDecodeError:
            found = None
        if found is not None:  # complete: something follows it (a number may not end at the buffer's end)
            buf.pos = found.end()
            on_item(item)
            count += 1
            if found.group(1) == "]":
                return count
            continue
        on_item(buf.value())
        count += 1
        if buf.expect(",]", "in the list") == "]":
            return count
