"""zonesync's own colours: ANSI Select Graphic Rendition sequences around a line a renderer made.

Renderers always style; whether the styles reach the terminal is decided at the output boundary
(`zonesync.base.escape.for_terminal`), so rendering stays pure and knows nothing of the terminal.
"""

from __future__ import annotations

from zonesync.base.escape import SGR

_COLOURS = {"red": 31, "green": 32, "yellow": 33, "blue": 34, "magenta": 35, "cyan": 36}


def style(text: str, fg: str | None = None, *, bold: bool = False) -> str:
    """`text` in colour `fg` (red, green, yellow, blue, magenta, cyan) and/or bold, reset after it.

    Raises KeyError for an unknown colour."""
    codes = ([str(_COLOURS[fg])] if fg else []) + (["1"] if bold else [])
    return f"\x1b[{';'.join(codes)}m{text}\x1b[0m" if codes else text


def unstyle(text: str) -> str:
    """`text` without the sequences `style` adds."""
    return SGR.sub("", text)
