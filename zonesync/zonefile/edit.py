"""Edit a YAML zone file in place, keeping every line the edit does not touch byte for byte.

A person's zone file carries comments, blank lines, their own spacing and quoting; a tool that writes it
back must not reformat it (PyYAML drops comments; ruamel.yaml's round-trip dump keeps them but normalises
indentation and the spacing before comments). So this module uses ruamel.yaml's round-trip parser only to
*find* nodes (the line and column of each key and item), renders only the new values with it, and splices
them into the original text: lines outside an edit are never rewritten.

The API knows nothing about DKIM or any other section: a path is a tuple of mapping keys and list
indices from the document root, e.g. `("mail", "dkim", 0)`.

    doc = YamlEdit(text)
    doc.set_scalar(("mail", "dkim", 0), "state", "retiring")   # replace or add `state: retiring`
    doc.append(("mail", "dkim"), {"selector": "s2026q4", "state": "next"})
    doc.put(("mail",), "dkim", [...])                            # replace or add a whole value
    doc.delete_item(("mail", "dkim"), 1)
    doc.delete_key(("mail", "dkim", 0), "published")
    write_atomic(path, doc.text, expected=original_text)

Only block-style collections are edited in place; `set_scalar` also handles a one-line scalar; anything
else (a flow mapping `{a: 1}` being edited inside, a multi-line scalar) raises ZoneEditError, which says
what to rewrite by hand. `put` may replace a flow value as a whole (its lines are the edit).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from zonesync.base import secure_files
from zonesync.errors import ZonesyncError

PathKey = str | int


class ZoneEditError(ZonesyncError):
    """The edit cannot be made without rewriting lines it should not touch; the message says why."""


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never fold a long value onto a second line
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _render(value: Any) -> list[str]:
    """A value rendered as block YAML lines (no trailing newline), at column 0."""
    out = io.StringIO()
    _yaml().dump(value, out)
    text = out.getvalue()
    if text.endswith("...\n"):  # a bare scalar document
        text = text[: -len("...\n")]
    return text.rstrip("\n").split("\n")


def render_scalar(value: Any) -> str:
    """How a scalar is written after `key: ` (dates as `2026-12-05`, strings quoted only when needed)."""
    lines = _render({"k": value})
    if len(lines) != 1 or not lines[0].startswith("k: "):
        raise ZoneEditError(f"{value!r} does not fit on one line")
    return lines[0][len("k: ") :]


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_filler(line: str) -> bool:
    """A blank or comment-only line."""
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


_PLAIN_END = re.compile(r"\s+#|\s*$")


def _scalar_end(line: str, col: int) -> int:
    """Where the one-line scalar starting at `col` ends (before spaces and a comment)."""
    if col >= len(line):
        return col
    quote = line[col]
    if quote in "'\"":
        i = col + 1
        while i < len(line):
            if quote == "'" and line[i] == "'":
                if i + 1 < len(line) and line[i + 1] == "'":
                    i += 2
                    continue
                return i + 1
            if quote == '"' and line[i] == "\\":
                i += 2
                continue
            if quote == '"' and line[i] == '"':
                return i + 1
            i += 1
        raise ZoneEditError(f"line {line!r}: the quoted value goes on past the line")
    if quote in "[{|>&*!":
        raise ZoneEditError(f"line {line!r}: the value is not a one-line plain or quoted scalar")
    match = _PLAIN_END.search(line, col)
    assert match is not None
    return match.start()


class YamlEdit:
    """A YAML document being edited as text; each operation re-reads it (documents here are small)."""

    def __init__(self, text: str, name: str = "<zone file>") -> None:
        self.name = name
        self.lines = text.split("\n")  # the last element is "" when the text ends with a newline
        self._load()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def _load(self) -> None:
        try:
            self.root = _yaml().load(self.text)
        except YAMLError as exc:
            raise ZoneEditError(f"{self.name}: not valid YAML after the edit: {exc}") from None

    # -- finding nodes ------------------------------------------------------------------------------
    def get(self, path: Sequence[PathKey]) -> Any:
        """The node at `path` (ruamel's CommentedMap/CommentedSeq or a scalar); KeyError if absent."""
        node = self.root
        for key in path:
            in_map = isinstance(node, CommentedMap) and isinstance(key, str) and key in node
            in_seq = isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node)
            if not (in_map or in_seq):
                raise KeyError(self._where(path))
            node = node[key]
        return node

    def has(self, path: Sequence[PathKey]) -> bool:
        try:
            self.get(path)
        except KeyError:
            return False
        return True

    def _where(self, path: Sequence[PathKey]) -> str:
        return ".".join(str(p) for p in path) or "<root>"

    def _block_map(self, path: Sequence[PathKey]) -> CommentedMap:
        node = self.get(path)
        if not isinstance(node, CommentedMap):
            raise ZoneEditError(f"{self.name}: {self._where(path)} is not a mapping")
        if node.fa.flow_style():
            raise ZoneEditError(
                f"{self.name}: {self._where(path)} is written in flow style ({{...}}); write it as an "
                "indented block so zonesync can edit it without rewriting it"
            )
        return node

    def _block_seq(self, path: Sequence[PathKey]) -> CommentedSeq:
        node = self.get(path)
        if not isinstance(node, CommentedSeq):
            raise ZoneEditError(f"{self.name}: {self._where(path)} is not a list")
        if node.fa.flow_style() or not node:
            raise ZoneEditError(
                f"{self.name}: {self._where(path)} is written in flow style ([...]); write it as an "
                "indented block list so zonesync can edit it without rewriting it"
            )
        return node

    def _end(self, start: int, indent: int) -> int:
        """The last line of the block that starts on line `start` (0-based): every following line
        indented deeper than `indent`, trailing blank and comment lines left out."""
        last = start
        for i in range(start + 1, len(self.lines)):
            line = self.lines[i]
            if _is_filler(line):
                continue
            if _indent_of(line) <= indent:
                break
            last = i
        return last

    def _key_span(self, mapping: CommentedMap, key: str) -> tuple[int, int]:
        line, col = mapping.lc.key(key)
        return line, self._end(line, col)

    def _item_span(self, seq: CommentedSeq, index: int) -> tuple[int, int]:
        line, col = seq.lc.item(index)
        dash = self.lines[line].rfind("-", 0, col)
        if dash < 0 or self.lines[line][:dash].strip():
            raise ZoneEditError(f"{self.name}: line {line + 1}: cannot find the `-` of the list item")
        if index + 1 < len(seq):
            nxt = seq.lc.item(index + 1)[0]
            end = nxt - 1
            while end > line and _is_filler(self.lines[end]):
                end -= 1
            return line, end
        return line, self._end(line, dash)

    def _splice(self, first: int, last: int, new: list[str]) -> None:
        """Replace lines first..last (inclusive; last = first - 1 inserts before `first`)."""
        self.lines[first : last + 1] = new
        self._load()

    # -- edits ---------------------------------------------------------------------------------------
    def set_scalar(self, path: Sequence[PathKey], key: str, value: Any) -> None:
        """Set `key` of the block mapping at `path` to a one-line scalar: the old value is replaced on
        its line (a comment after it stays); a missing key is added after the mapping's last key."""
        mapping = self._block_map(path)
        text = render_scalar(value)
        if key in mapping:
            if isinstance(mapping[key], CommentedMap | CommentedSeq):
                raise ZoneEditError(f"{self.name}: {self._where([*path, key])} is not a scalar")
            kline, _ = mapping.lc.key(key)
            vline, vcol = mapping.lc.value(key)
            if vline != kline:
                raise ZoneEditError(
                    f"{self.name}: line {kline + 1}: the value of {key!r} is not on the key's line"
                )
            line = self.lines[vline]
            end = _scalar_end(line, vcol)
            self._splice(vline, vline, [line[:vcol] + text + line[end:]])
            return
        self._insert_key(path, mapping, [f"{key}: {text}"])

    def put(self, path: Sequence[PathKey], key: str, value: Any) -> None:
        """Set `key` of the block mapping at `path` to any value, rendered as block YAML: an existing key's
        lines (and its value's) are replaced, a missing key is added after the mapping's last key."""
        mapping = self._block_map(path)
        body = _render({key: value})
        if key in mapping:
            first, last = self._key_span(mapping, key)
            col = mapping.lc.key(key)[1]
            self._splice(first, last, [" " * col + ln if ln else ln for ln in body])
            return
        self._insert_key(path, mapping, body)

    def _insert_key(self, path: Sequence[PathKey], mapping: CommentedMap, body: list[str]) -> None:
        if not mapping:
            raise ZoneEditError(f"{self.name}: {self._where(path)} is empty: add a key by hand first")
        keys = list(mapping)
        col = mapping.lc.key(keys[0])[1]
        _, last = self._key_span(mapping, keys[-1])
        self._splice(last + 1, last, [" " * col + ln if ln else ln for ln in body])

    def append(self, path: Sequence[PathKey], value: Any) -> None:
        """Append `value` (rendered as block YAML) to the block list at `path`, after its last item and
        at the same indentation as its items."""
        seq = self._block_seq(path)
        _, last = self._item_span(seq, len(seq) - 1)
        line, col = seq.lc.item(len(seq) - 1)
        dash = self.lines[line].rfind("-", 0, col)
        rendered = _render([value])
        shift = _indent_of(rendered[0])  # the renderer indents a top-level list's dashes
        rendered = [ln[shift:] for ln in rendered]
        self._splice(last + 1, last, [" " * dash + ln if ln else ln for ln in rendered])

    def delete_item(self, path: Sequence[PathKey], index: int) -> None:
        """Remove item `index` of the block list at `path` (its lines, comments inside it included).
        Removing the last item is refused: an empty list is not block YAML."""
        seq = self._block_seq(path)
        if len(seq) == 1:
            raise ZoneEditError(f"{self.name}: {self._where(path)} would become empty")
        if not 0 <= index < len(seq):
            raise KeyError(self._where([*path, index]))
        first, last = self._item_span(seq, index)
        self._splice(first, last, [])

    def delete_key(self, path: Sequence[PathKey], key: str) -> None:
        """Remove `key` (and its value's lines) from the block mapping at `path`; absent is a no-op."""
        mapping = self._block_map(path)
        if key not in mapping:
            return
        if len(mapping) == 1:
            raise ZoneEditError(f"{self.name}: {self._where(path)} would become empty")
        first, last = self._key_span(mapping, key)
        self._splice(first, last, [])


def write_atomic(path: Path, text: str, expected: str | None = None) -> None:
    """Replace the file at `path` with `text`: a temporary file beside it (same mode), then a rename, so a
    reader sees the old file or the new one, never half of one. With `expected`, refuses (ZoneEditError)
    when the file no longer holds that text (someone else changed it since it was read).
    A symbolic link is followed: the file it points to is replaced, the link stays."""
    target = path.resolve()
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o644
    if expected is not None:
        current = target.read_text(encoding="utf-8")
        if current != expected:
            raise ZoneEditError(f"{path} changed while zonesync was editing it: nothing written, run again")
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.fchmod(fd, mode)
            secure_files.write_all(fd, text.encode("utf-8"))
        finally:
            os.close(fd)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    secure_files.fsync_dir(target.parent)
