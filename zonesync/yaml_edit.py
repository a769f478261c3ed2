"""Editing one mapping of a zone file in place, keeping every other line and comment as it was.

ruamel.yaml's round-trip mode keeps comments, key order, quoting and flow style; what it can change is
indentation, so the file is first dumped unchanged with each usual indentation until one reproduces it byte
for byte. When none does, the edit is refused rather than reformatting the file. The write is atomic (a
temporary file in the same folder, renamed over the original, keeping its mode).

Stand-in until the zone-file editor of the rotation work lands: one function, `set_values`, so callers
(`zonesync dane pin`) move to that editor with a one-line change.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

_COMMON = ((2, 2, 0), (2, 4, 2), (4, 4, 2), (4, 6, 4), (4, 4, 0), (2, 3, 1))
_INDENTS = tuple(
    dict.fromkeys(
        _COMMON + tuple((m, s, o) for m in (2, 4, 3) for s in range(m, m + 5) for o in range(0, s - 1))
    )
)
"""(mapping, sequence, offset) as ruamel.yaml names them: the usual styles of hand-written YAML first."""


class EditError(Exception):
    """The file cannot be edited without changing other lines (the message says why and what to do)."""


def _yaml(indent: tuple[int, int, int]) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _dump(yaml: Any, doc: Any) -> str:
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def set_values(path: Path, keys: Sequence[str], values: Mapping[str, str | None]) -> None:
    """In the YAML file `path`, set each of `values` (None: remove the key) in the mapping found by following
    `keys` from the top (missing mappings are created, as block mappings). Every other line stays as it was.

    Raises EditError when the file has no top-level mapping, a key on the way is not a mapping, or the file's
    layout cannot be kept; OSError when it cannot be read or written.
    """
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    text = path.read_text(encoding="utf-8")
    for indent in _INDENTS:
        yaml = _yaml(indent)
        try:
            doc = yaml.load(text)
        except YAMLError as exc:
            raise EditError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
        if _dump(yaml, doc) == text:
            break
    else:
        raise EditError(
            f"{path}: cannot edit it without reformatting other lines (unusual indentation or layout); "
            "make the change by hand"
        )
    if not isinstance(doc, CommentedMap):
        raise EditError(f"{path}: the file is not a mapping")
    node = doc
    for i, key in enumerate(keys):
        child = node.get(key)
        if child is None:
            child = CommentedMap()
            node[key] = child
        if not isinstance(child, CommentedMap):
            raise EditError(f"{path}: `{'.'.join(keys[: i + 1])}` is not a mapping")
        node = child
    for key, value in values.items():
        if value is None:
            node.pop(key, None)
        else:
            node[key] = value
    _write_atomically(path, _dump(yaml, doc))


def _write_atomically(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
