"""YAML loading that remembers line numbers, so every error can name file, line and field.

PyYAML's parser already knows each node's position; the mappings and lists built here keep it
(`LineDict.line`, `LineDict.key_lines`, `LineList.item_lines`). The C parser is used when PyYAML was built
with it: parsing is most of `validate`'s cost on a large zone. Documents are built straight from the
parser's events, without PyYAML's node graph, which for a 100,000-record zone is over 300 MB and twice
the time (bench/); the few constructs left to PyYAML's composer (merge keys, explicit collection tags)
take the composer's path.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterable
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


class _Loader(_Base):  # type: ignore[misc,valid-type]
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    lines: list[int] = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) or isinstance(key, bool):
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be plain strings", key_node.start_mark
            )
        key = str(key)
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        lines.append(key_node.start_mark.line + 1)
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
        value = _build(loader, get, get(), {})
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


def _build(loader: Any, get: Any, event: Any, anchors: dict[str, Any]) -> Any:
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
        value = LineDict()
        value.line = event.start_mark.line + 1
        key_lines: list[int] = []
        if event.anchor is not None:
            anchors[event.anchor] = value
        while True:
            key_event = get()
            if type(key_event) is MappingEndEvent:
                value.set_key_lines(key_lines)
                return value
            key = _build(loader, get, key_event, anchors)
            if not isinstance(key, str | int | float) or isinstance(key, bool):
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be plain strings", key_event.start_mark
                )
            key = sys.intern(str(key))  # "type", "value"... once, not once per record set
            if key in value:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_event.start_mark
                )
            value[key] = _build(loader, get, get(), anchors)
            key_lines.append(key_event.start_mark.line + 1)
    elif cls is SequenceStartEvent:
        if event.tag not in _SEQ_TAGS:
            raise _Unsupported
        value = LineList()
        value.line = event.start_mark.line + 1
        value.item_lines = item_lines = []
        if event.anchor is not None:
            anchors[event.anchor] = value
        while True:
            item_event = get()
            if type(item_event) is SequenceEndEvent:
                return value
            item_lines.append(item_event.start_mark.line + 1)
            value.append(_build(loader, get, item_event, anchors))
    elif cls is AliasEvent:
        if event.anchor not in anchors:
            raise yaml.composer.ComposerError(
                None, None, f"found undefined alias {event.anchor!r}", event.start_mark
            )
        return anchors[event.anchor]
    else:  # pragma: no cover - the parser yields nothing else where a value is expected
        raise yaml.composer.ComposerError(None, None, f"unexpected {cls.__name__}", event.start_mark)
    if event.anchor is not None:
        anchors[event.anchor] = value
    return value


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
            return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ZoneFileError(Source(path_s, line), f"YAML syntax: {problem}") from None
    except yaml.YAMLError as exc:
        raise ZoneFileError(Source(path_s), f"YAML syntax: {exc}") from None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """The ' (did you mean X?)' suffix for an unknown key or value, or ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_keys(node: LineDict, allowed: Iterable[str], source: Source, prefix: str) -> None:
    """Refuse unknown keys in a mapping, naming the line and suggesting the closest known key."""
    allowed = tuple(allowed)
    for key in node:
        if key not in allowed:
            field = f"{prefix}.{key}" if prefix else key
            raise ZoneFileError(
                source.at(field, node.line_of(key)), f"unknown key {key!r}{did_you_mean(key, allowed)}"
            )


def require_mapping(value: Any, source: Source, what: str) -> LineDict:
    if not isinstance(value, LineDict):
        raise ZoneFileError(source, f"{what} must be a mapping, not {type_name(value)}")
    return value


def type_name(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, LineDict):
        return "a mapping"
    if isinstance(value, LineList):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    return type(value).__name__ if not isinstance(value, str) else "a string"
