"""Every error of every zone file in one run, as a compiler reports them: a zone file's errors are
gathered across records, files and zones and raised together (InvalidZoneError sorts them by file and
line), instead of the run stopping at the first one. Errors that are not about a zone file still end the
run alone."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from zonesync.errors import InvalidZoneError, ZoneFileError, ZonesyncError
from zonesync.model import Diagnostic

T = TypeVar("T")
R = TypeVar("R")

FileErrors = InvalidZoneError | ZoneFileError
"""The errors about a zone file's content (ZonesyncError's others end a run alone)."""


def diagnostics(errors: Sequence[FileErrors]) -> list[Diagnostic]:
    """The errors as the diagnostics they list (a ZoneFileError is one)."""
    out: list[Diagnostic] = []
    for error in errors:
        if isinstance(error, InvalidZoneError):
            out.extend(error.errors)
        else:
            out.append(Diagnostic("error", error.source, error.detail))
    return out


def raise_all(errors: Sequence[FileErrors]) -> None:
    """Raise the errors together: nothing when there are none, the error itself when it is the only one,
    else one InvalidZoneError listing them all."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InvalidZoneError(diagnostics(errors))


def collect(
    func: Callable[[T], R], items: Sequence[T], run: Callable[..., list[Any]] | None = None
) -> list[R]:
    """`func` over every item (through `run`, e.g. `parallel`; default one after the other); raises the
    zone-file errors of all items together (`raise_all`), once all have run."""

    def one(item: T) -> R | ZonesyncError:
        try:
            return func(item)
        except (InvalidZoneError, ZoneFileError) as exc:
            return exc

    results = run(one, items) if run is not None else [one(item) for item in items]
    raise_all([r for r in results if isinstance(r, InvalidZoneError | ZoneFileError)])
    return results  # type: ignore[return-value]
