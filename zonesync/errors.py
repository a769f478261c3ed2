"""Errors that end a run with a one-line message and a documented exit code, never a traceback.

Plain exceptions, like dnspython's: the core raises them without knowing any CLI; the command layer
(`zonesync.cli`) prints `Error: <message>` and exits with `exit_code`, one of `ExitCode` (every code
zonesync returns, documented in `--help` and docs/zone-file.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zonesync.model import Diagnostic, Source


class ExitCode(IntEnum):
    """Every exit code zonesync returns."""

    OK = 0  # success; with `plan --exit-code`: no changes
    ERROR = 1  # bad input, rejected token, API failure
    CHANGES = 2  # `plan --exit-code` found changes
    STALE = 3  # a saved plan was refused: the live zone changed since, or the plan file was altered
    UNSAFE = 4  # refused as unsafe: too many deletes/updates for the safety threshold (see `--force`)
    VERIFY_FAILED = 5  # `verify`: a check failed (with `--strict`, also a warning)
    REPORTS_FAILED = 5  # `reports`: a domain's DMARC or TLS failures are above `--threshold`


class ZonesyncError(Exception):
    """Base: `message` is the one line the user sees; `exit_code` is what the run exits with."""

    exit_code = ExitCode.ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        """Picklable whatever the subclass's own arguments (an error raised in one process and shown by
        another)."""
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[ZonesyncError], message: str, state: dict[str, Any]) -> ZonesyncError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class ZoneFileError(ZonesyncError):
    """Bad input in a zone file; the message leads with file:line: field."""

    def __init__(self, source: Source, message: str) -> None:
        self.source = source
        self.detail = message
        """The message without its `file:line: field` prefix."""
        super().__init__(f"{source}: {message}")


class InvalidZoneError(ZonesyncError):
    """One line per error, each naming file, line and field, sorted by file and line as a compiler
    lists them (errors of one line keep the order they were found in)."""

    def __init__(self, errors: Sequence[Diagnostic]) -> None:
        errors = sorted(errors, key=lambda d: (d.source.path, d.source.line or 0))
        self.errors = errors
        lines = [f"{d.source}: {d.message}" for d in errors]
        super().__init__(
            "\n".join(lines) if len(lines) == 1 else f"{len(lines)} errors:\n" + "\n".join(lines)
        )


class ApiError(ZonesyncError):
    """Cloudflare (or the network) refused a request; the message names zone and Cloudflare's code."""


class StalePlanError(ZonesyncError):
    exit_code = ExitCode.STALE


class UnsafePlanError(ZonesyncError):
    exit_code = ExitCode.UNSAFE
