"""YAML loading that remembers line numbers, so every error can name file, line and field.

PyYAML's parser already knows each node's position; the mappings and lists built here keep it
(`LineDict.line`, `LineDict.key_lines`, `LineList.item_lines`). The C parser is used when PyYAML was built
with it. Documents are built straight from the parser's events, without PyYAML's node graph (see
docs/performance.md for what that saves); the few constructs left to PyYAML's composer (merge keys,
explicit collection tags) take the composer's path.

Two bounds keep a small file from becoming a huge or endless one, each refused with the line it is on:
- nesting: at most MAX_DEPTH levels of lists and mappings (a zone file needs about six; deeper ones would
  exhaust Python's recursion);
- aliases: all the aliases of a file may stand for at most MAX_ALIAS_NODES nodes, counted as if each alias
  were a copy of its anchor. Aliases are shared objects here, but everything after the loader expands them:
  a 155 KB file aliasing one list of 10,000 addresses 1,000 times would be ten million records.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from zonesync.errors import ZoneFileError
from zonesync.model import Source

_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


SMALL_MAPPING = 8

MAX_DEPTH = 64
"""Deepest nesting of lists and mappings a file may have, aliases expanded."""
MAX_ALIAS_NODES = 100_000
"""Most nodes (mappings, lists, scalars) the aliases of one file may stand for in all, once expanded: far above
reusing a list of addresses on many names, far below the millions an alias bomb expands to."""


class LineDict(dict[str, Any]):
    """A mapping from the file; `line` is where it starts, `line_of(key)` where each key is (1-based).

    Compact, because a 100,000-record zone file is 100,000 of these at once: slotted, and a small mapping
    keeps its keys' lines as a tuple of offsets from `line`, in key order (small ints are shared objects),
    where a large one keeps a dict of lines.
    """

    __slots__ = ("key_lines", "line")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = 0
        self.key_lines: dict[str, int] | tuple[int, ...] = {}

    def set_key_lines(self, lines: list[int]) -> None:
        """The lines of the keys, in insertion order (call once the mapping is complete)."""
        if len(lines) <= SMALL_MAPPING:
            self.key_lines = tuple(line - self.line for line in lines)
        else:
            self.key_lines = dict(zip(self, lines, strict=True))

    def line_of(self, key: str) -> int:
        lines = self.key_lines
        if isinstance(lines, dict):
            return lines.get(key, self.line)
        for index, name in enumerate(self):
            if name == key:
                return self.line + lines[index] if index < len(lines) else self.line
        return self.line


class LineList(list[Any]):
    """A sequence from the file; `item_lines[i]` is where item i starts (1-based)."""

    __slots__ = ("item_lines", "line")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.line = 0
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _Loader(_Base):
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
    own = sum(1 for key_node, _ in node.value if key_node.tag != _MERGE_TAG)
    loader.flatten_mapping(node)
    merged = (
        len(node.value) - own
    )  # flatten_mapping puts the merged pairs first; the mapping's own override them
    result = LineDict()
    result.line = node.start_mark.line + 1
    lines: list[int] = []
    from_merge: set[str] = set()
    for index, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) or isinstance(key, bool):
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be plain strings", key_node.start_mark
            )
        if not isinstance(key, str):
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key)
        line = key_node.start_mark.line + 1
        if key in result:
            if key not in from_merge:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            from_merge.discard(key)  # a merged value, overridden by a later merge or by the mapping itself
            lines[list(result).index(key)] = line
        else:
            lines.append(line)
        result[key] = loader.construct_object(value_node, deep=True)
        if index < merged:
            from_merge.add(key)
    result.set_key_lines(lines)
    return result


def _construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAP_TAGS = (None, "!", yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG)
_SEQ_TAGS = (None, "!", yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG)


class _Unsupported(Exception):
    """A construct the event builder leaves to PyYAML's composer (merge keys, explicit collection tags)."""


class _LimitError(yaml.MarkedYAMLError):
    """A file past MAX_DEPTH or MAX_ALIAS_NODES: valid YAML, refused for its size."""


def _too_deep(mark: Any) -> yaml.MarkedYAMLError:
    return _LimitError(
        None, None, f"nested more than {MAX_DEPTH} levels deep (lists and mappings, aliases expanded)", mark
    )


def _too_many_aliased(mark: Any) -> yaml.MarkedYAMLError:
    return _LimitError(
        None,
        None,
        f"its aliases expand to more than {MAX_ALIAS_NODES:,} nodes (a file may reuse anchors, "
        "but not to multiply itself): write the values out, or split the file",
        mark,
    )


class _Anchors(dict[str, Any]):
    """The anchors seen so far, and what their aliases have expanded to (see MAX_ALIAS_NODES)."""

    __slots__ = ("expanded", "open", "sizes")

    def __init__(self) -> None:
        super().__init__()
        self.expanded = 0
        self.open: set[str] = set()  # anchors of collections still being built
        self.sizes: dict[int, tuple[int, int]] = {}  # id(value) -> (nodes, depth), aliases expanded

    def alias(self, event: Any, depth: int) -> Any:
        """The anchored value for an alias event, once the bounds allow it."""
        name = event.anchor
        if name not in self:
            raise yaml.composer.ComposerError(None, None, f"found undefined alias {name!r}", event.start_mark)
        if name in self.open:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"alias *{name} is inside its own anchor (a structure that never ends)",
                event.start_mark,
            )
        value = self[name]
        nodes, levels = self._measure(value)
        self.expanded += nodes
        if self.expanded > MAX_ALIAS_NODES:
            raise _too_many_aliased(event.start_mark)
        if depth + levels > MAX_DEPTH:
            raise _too_deep(event.start_mark)
        return value

    def _measure(self, value: Any) -> tuple[int, int]:
        """(nodes, depth) of a value as if its aliases were copies. An anchored value's inner aliases were
        measured when they were met, so this recurses at most MAX_DEPTH levels."""
        if not isinstance(value, dict | list):
            return 1, 0
        known = self.sizes.get(id(value))
        if known is not None:
            return known
        nodes, levels = 1, 0
        for child in value.values() if isinstance(value, dict) else value:
            n, d = self._measure(child)
            nodes += n + (1 if isinstance(value, dict) else 0)  # a mapping's key is a node too
            levels = max(levels, d)
        self.sizes[id(value)] = result = (nodes, levels + 1)
        return result


def _load_events(text: str) -> Any:
    """The document built from parser events, with the same results and errors as `_Loader`."""
    loader = _Loader(text)
    try:
        get = loader.get_event
        get()  # StreamStartEvent
        event = get()
        if isinstance(event, StreamEndEvent):
            return None
        start = event.start_mark
        value = _build(loader, get, get(), _Anchors(), 0)
        get()  # DocumentEndEvent
        event = get()
        if not isinstance(event, StreamEndEvent):
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                start,
                "but found another document",
                event.start_mark,
            )
        return value
    finally:
        loader.dispose()


def _build(loader: Any, get: Any, event: Any, anchors: _Anchors, depth: int) -> Any:
    """The value of `event` (and of the events up to its end), built recursively."""
    cls = type(event)
    value: Any
    if cls is ScalarEvent:
        tag = event.tag
        if tag is None or tag == "!":
            tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _STR_TAG:
            value = event.value
        elif tag == _MERGE_TAG:
            raise _Unsupported
        else:
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
            ctor = loader.yaml_constructors.get(tag)
            value = ctor(loader, node) if ctor is not None else loader.construct_object(node, deep=True)
    elif cls is MappingStartEvent:
        if event.tag not in _MAP_TAGS:
            raise _Unsupported
        if depth >= MAX_DEPTH:
            raise _too_deep(event.start_mark)
        value = LineDict()
        value.line = event.start_mark.line + 1
        key_lines: list[int] = []
        if event.anchor is not None:
            anchors[event.anchor] = value
            anchors.open.add(event.anchor)
        depth += 1
        intern = sys.intern
        while True:
            key_event = get()
            if type(key_event) is MappingEndEvent:
                value.set_key_lines(key_lines)
                if event.anchor is not None:
                    anchors.open.discard(event.anchor)
                return value
            key = _build(loader, get, key_event, anchors, depth)
            if type(key) is not str:
                if not isinstance(key, int | float) or isinstance(key, bool):
                    raise yaml.constructor.ConstructorError(
                        None, None, "mapping keys must be plain strings", key_event.start_mark
                    )
                # as written: `010:` is the name 010, not the octal number 8
                key = key_event.value if type(key_event) is ScalarEvent else str(key)
            key = intern(key)  # "type", "value"... once, not once per record set
            if key in value:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_event.start_mark
                )
            value[key] = _build(loader, get, get(), anchors, depth)
            key_lines.append(key_event.start_mark.line + 1)
    elif cls is SequenceStartEvent:
        if event.tag not in _SEQ_TAGS:
            raise _Unsupported
        if depth >= MAX_DEPTH:
            raise _too_deep(event.start_mark)
        value = LineList()
        value.line = event.start_mark.line + 1
        value.item_lines = item_lines = []
        if event.anchor is not None:
            anchors[event.anchor] = value
            anchors.open.add(event.anchor)
        depth += 1
        while True:
            item_event = get()
            if type(item_event) is SequenceEndEvent:
                if event.anchor is not None:
                    anchors.open.discard(event.anchor)
                return value
            item_lines.append(item_event.start_mark.line + 1)
            value.append(_build(loader, get, item_event, anchors, depth))
    elif cls is AliasEvent:
        return anchors.alias(event, depth)
    else:  # pragma: no cover - the parser yields nothing else where a value is expected
        raise yaml.composer.ComposerError(None, None, f"unexpected {cls.__name__}", event.start_mark)
    if event.anchor is not None:
        anchors[event.anchor] = value
    return value


def _check_bounds(text: str) -> None:
    """MAX_DEPTH and MAX_ALIAS_NODES for a file left to PyYAML's composer (merge keys, explicit collection
    tags), counted on the parser's events before the composer's recursion could overflow."""
    loader = _Loader(text)
    try:
        nodes = expanded = 0
        frames: list[list[Any]] = []  # per open collection: [anchor, nodes at its start, levels inside]
        sizes: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, levels), aliases expanded
        while True:
            event = loader.get_event()
            cls = type(event)
            if cls is StreamEndEvent:
                return
            if cls is MappingStartEvent or cls is SequenceStartEvent:
                if len(frames) >= MAX_DEPTH:
                    raise _too_deep(event.start_mark)
                frames.append([event.anchor, nodes, 0])
                nodes += 1
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                anchor, start, inner = frames.pop()
                if anchor is not None:
                    sizes[anchor] = (nodes - start, inner + 1)
                if frames:
                    frames[-1][2] = max(frames[-1][2], inner + 1)
            elif cls is ScalarEvent:
                nodes += 1
                if event.anchor is not None:
                    sizes[event.anchor] = (1, 0)
            elif cls is AliasEvent:
                if any(frame[0] == event.anchor for frame in frames):
                    raise yaml.composer.ComposerError(
                        None,
                        None,
                        f"alias *{event.anchor} is inside its own anchor (a structure that never ends)",
                        event.start_mark,
                    )
                count, levels = sizes.get(event.anchor, (1, 0))  # an undefined one: the composer says so
                nodes += count
                expanded += count
                if expanded > MAX_ALIAS_NODES:
                    raise _too_many_aliased(event.start_mark)
                if len(frames) + levels > MAX_DEPTH:
                    raise _too_deep(event.start_mark)
                if frames:
                    frames[-1][2] = max(frames[-1][2], levels)
    finally:
        loader.dispose()


def load(path: str | Path, text: str | None = None) -> Any:
    """Parse a YAML file; syntax errors become a one-line ZoneFileError at the offending line."""
    path_s = str(path)
    try:
        if text is None:
            text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ZoneFileError(Source(path_s), f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ZoneFileError(Source(path_s), "not UTF-8 text") from None
    try:
        try:
            return _load_events(text)
        except _Unsupported:
            _check_bounds(text)
            return yaml.load(text, Loader=_Loader)
    except _LimitError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None  # always set by _too_deep
        raise ZoneFileError(Source(path_s, line), str(exc.problem)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        tab = _tab_line(text, line)
        if tab is not None:
            raise ZoneFileError(
                Source(path_s, tab), "YAML syntax: YAML forbids tabs for indentation: use spaces"
            ) from None
        raise ZoneFileError(Source(path_s, line), f"YAML syntax: {problem}") from None
    except yaml.YAMLError as exc:
        raise ZoneFileError(Source(path_s), f"YAML syntax: {exc}") from None


def _tab_line(text: str, line: int | None) -> int | None:
    """The line (1-based) indented with a tab that a syntax error at `line` comes from: that line or the
    one before it (the parser often stops on the line after the tab). None when neither is."""
    if line is None:
        return None
    lines = text.splitlines()
    for number in (line, line - 1):
        if 1 <= number <= len(lines):
            row = lines[number - 1]
            indent = row[: len(row) - len(row.lstrip(" \t"))]
            if "\t" in indent and row.strip():
                return number
    return None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """The ' (did you mean X?)' suffix for an unknown key or value, or ''."""
    import difflib  # only a misspelt key needs it

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def key_errors(
    node: LineDict,
    allowed: Iterable[str],
    source: Source,
    prefix: str,
    hint: Callable[[str], str] | None = None,
) -> list[ZoneFileError]:
    """One error per unknown key of a mapping, naming its line and suggesting the closest known key, or
    with `hint(key)` (a non-empty hint replaces the suggestion: `zonesync.zonefile.shape.misplaced`)."""
    allowed = tuple(allowed)
    out = []
    for key in node:
        if key not in allowed:
            field = f"{prefix}.{key}" if prefix else key
            said = hint(key) if hint is not None else ""
            out.append(
                ZoneFileError(
                    source.at(field, node.line_of(key)),
                    f"unknown key {key!r}{said or did_you_mean(key, allowed)}",
                )
            )
    return out


def check_keys(
    node: LineDict,
    allowed: Iterable[str],
    source: Source,
    prefix: str,
    hint: Callable[[str], str] | None = None,
) -> None:
    """Refuse the first unknown key in a mapping (see `key_errors`)."""
    errors = key_errors(node, allowed, source, prefix, hint)
    if errors:
        raise errors[0]


def require_mapping(value: Any, source: Source, what: str) -> LineDict:
    if not isinstance(value, LineDict):
        raise ZoneFileError(source, f"{what} must be a mapping, not {type_name(value)}")
    return value


def type_name(value: Any) -> str:
    """What YAML made of a value, in the words of an error message (`ttl: true` is "true/false")."""
    if value is None:
        return "empty"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, bytes):
        return "binary data (!!binary)"
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    return "a string" if isinstance(value, str) else type(value).__name__
