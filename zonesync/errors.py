"""Errors that end a run with a one-line message and a documented exit code, never a traceback."""

from __future__ import annotations

import click

from zonesync import exitcodes
from zonesync.model import Source


class ZonesyncError(click.ClickException):
    """Base: click prints `Error: <message>` and exits with `exit_code`."""

    exit_code = exitcodes.ERROR


class ZoneFileError(ZonesyncError):
    """Bad input in a zone file; the message leads with file:line: field."""

    def __init__(self, source: Source, message: str) -> None:
        self.source = source
        super().__init__(f"{source}: {message}")


class ApiError(ZonesyncError):
    """Cloudflare (or the network) refused a request; the message names zone and Cloudflare's code."""


class StalePlanError(ZonesyncError):
    exit_code = exitcodes.STALE


class UnsafePlanError(ZonesyncError):
    exit_code = exitcodes.UNSAFE
