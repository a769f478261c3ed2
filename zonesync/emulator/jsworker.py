"""Run an uploaded module Worker in a real JavaScript engine (V8, embedded through ``mini-racer``).

The emulator's edge calls the Worker's ``fetch`` handler exactly as Cloudflare does: a ``Request`` in, a
``Response`` out. The engine has no Fetch API of its own, so ``fetch_shim.js`` supplies ``Headers``, ``URL``,
``Request`` and ``Response``. Embedded V8 evaluates scripts, not ES modules, so a single module is rewritten
into a script: ``export default X`` becomes an assignment, other ``export`` keywords are dropped. Imports are
not supported (one module per Worker: enough for a static answer such as an MTA-STS policy).

Upload-time checks follow Cloudflare's (facts W4): a syntax error or a throwing top level is ``10021``
("Uncaught ..."), a module without a handler is ``10068``.

The engine is optional (the ``emulator`` extra: ``pip install 'zonesync[emulator]'``). Without it uploads are
stored unchecked and the edge answers every request with :data:`ENGINE_MISSING` (HTTP 501,
:class:`EnginelessWorker`).
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from typing import Any

from . import errors

HANDLERS = ("fetch", "scheduled", "queue", "email", "tail", "trace", "alarm")
TIMEOUT = 5.0  # seconds a request may run (Cloudflare's CPU limit is lower; wall time is what we can bound)

_IMPORT = re.compile(r"^\s*import\s*(?:[\w*{}\s,$]+\s+from\s*)?[\"']([^\"']+)[\"']", re.M)
_EXPORT_DEFAULT = re.compile(r"^([ \t]*)export\s+default\s+", re.M)
_EXPORT_DECL = re.compile(r"^([ \t]*)export\s+(?=(?:async\s+)?function\b|class\b|const\b|let\b|var\b)", re.M)
_EXPORT_LIST = re.compile(r"^([ \t]*)export\s*\{([^}]*)\}\s*;?", re.M)
_JS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emulator-v8")
_V8_ERROR = re.compile(r"^<anonymous>:(\d+): (.+)$", re.M)


ENGINE_MISSING = (
    "the emulator runs Workers in V8 through mini-racer, which is not installed: "
    "pip install 'zonesync[emulator]'"
)


def engine_available() -> bool:
    """Whether the JavaScript engine (mini-racer) is installed."""
    return importlib.util.find_spec("py_mini_racer") is not None


class EngineMissing(Exception):
    """No JavaScript engine: a Worker can be stored but not run (:data:`ENGINE_MISSING`)."""


class ScriptError(Exception):
    """The module was refused at upload: Cloudflare's code (W4) and message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class WorkerException(Exception):
    """The Worker threw, timed out, or answered something that is not a ``Response`` (edge error 1101/1102)."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


@dataclass(frozen=True)
class WorkerAnswer:
    """What the Worker's ``fetch`` handler returned."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def _shim() -> str:
    return resources.files(__package__).joinpath("fetch_shim.js").read_text(encoding="utf-8")


def module_to_script(source: str, filename: str) -> str:
    """One ES module as a classic script that stores its exports in ``globalThis.__zonesync_module``.

    The prefix sits on the module's first line, so line numbers in errors stay the module's own.
    """
    hit = _IMPORT.search(source)
    if hit is not None:
        raise ScriptError(
            errors.WORKER_VALIDATION,
            f'Uncaught Error: No such module "{hit.group(1)}".\n  imported from "{filename}" '
            "(the emulator runs single-module Workers)",
        )

    def export_list(match: re.Match[str]) -> str:
        out = []
        for item in match.group(2).split(","):
            local, _, alias = item.strip().partition(" as ")
            if local.strip():
                out.append(f"__zonesync_module[{json.dumps((alias or local).strip())}] = {local.strip()};")
        return match.group(1) + " ".join(out)

    body = _EXPORT_DEFAULT.sub(r"\1__zonesync_module.default = ", source)
    body = _EXPORT_DECL.sub(r"\1", body)
    body = _EXPORT_LIST.sub(export_list, body)
    return (
        'globalThis.__zonesync_module = {}; (function (__zonesync_module) { "use strict"; '
        + body
        + "\n}).call(undefined, globalThis.__zonesync_module);"
    )


class ModuleWorker:
    """One uploaded module, evaluated once in its own V8 context.

    Every call into V8 runs on one thread (``_JS``): mini-racer contexts crash when created, used and closed
    from different threads. Python never holds a JS object: requests go in and answers come out as JSON text,
    the answer collected from a slot the Worker's promise fills (microtasks run between evaluations).
    """

    def __init__(self, source: str, filename: str = "worker.mjs") -> None:
        """Evaluate ``source``; raises :class:`ScriptError` when Cloudflare would refuse it at upload and
        :class:`EngineMissing` without mini-racer."""
        if not engine_available():
            raise EngineMissing(ENGINE_MISSING)
        self.filename = filename
        self._ctx: Any = None
        self._ids = itertools.count(1)
        self.startup_time_ms, self.handlers = _JS.submit(
            self._load, module_to_script(source, filename)
        ).result()
        if not self.handlers:
            self.close()
            raise ScriptError(errors.WORKER_NO_HANDLERS, errors.WORKER_NO_HANDLERS_MSG)

    def _load(self, script: str) -> tuple[int, tuple[str, ...]]:
        from py_mini_racer import JSEvalException, MiniRacer

        started = time.perf_counter()
        self._ctx = MiniRacer()
        try:
            self._ctx.eval(_shim() + "\nvoid 0;")
            self._ctx.eval(script, timeout_sec=TIMEOUT)
            kinds = self._ctx.eval(
                "(() => { const d = globalThis.__zonesync_module.default;"
                " if (d === null || typeof d !== 'object' && typeof d !== 'function') return '[]';"
                f" return JSON.stringify({json.dumps(list(HANDLERS))}.filter(h => typeof d[h] === 'function')); }})()"
            )
        except JSEvalException as exc:
            self._close()
            raise ScriptError(errors.WORKER_VALIDATION, _syntax_message(str(exc), self.filename)) from None
        return max(1, round((time.perf_counter() - started) * 1000)), tuple(json.loads(kinds))

    def fetch(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None
    ) -> WorkerAnswer:
        """Call the ``fetch`` handler; raises :class:`WorkerException` when the Worker fails."""
        if "fetch" not in self.handlers:
            raise WorkerException("Handler does not export a fetch() function.")
        request = {
            "method": method,
            "url": url,
            "headers": headers,
            "body": body.decode("utf-8", "replace") if body else None,
        }
        data = _JS.submit(self._fetch, json.dumps(request)).result()
        if "error" in data:
            raise WorkerException(str(data["error"]))
        answer = json.loads(data["ok"])
        payload = (
            bytes(answer["bytes"]) if answer["bytes"] is not None else (answer["text"] or "").encode("utf-8")
        )
        return WorkerAnswer(
            status=int(answer["status"]),
            headers=tuple((str(k), str(v)) for k, v in answer["headers"]),
            body=payload,
        )

    def _fetch(self, request_json: str) -> dict[str, Any]:
        from py_mini_racer import JSEvalException

        if self._ctx is None:
            raise WorkerException("Worker is gone")
        n = next(self._ids)
        deadline = time.monotonic() + TIMEOUT
        try:
            self._ctx.eval(
                f"globalThis.__zonesync_start({n}, {json.dumps(request_json)}); void 0", timeout_sec=TIMEOUT
            )
            while True:
                out = self._ctx.eval(f"globalThis.__zonesync_take({n})")
                if isinstance(out, str):
                    return json.loads(out)
                if time.monotonic() > deadline:
                    raise WorkerException("Worker exceeded resource limits", timed_out=True)
                time.sleep(0.002)
        except TimeoutError:  # mini-racer's JSTimeoutException is one
            raise WorkerException("Worker exceeded resource limits", timed_out=True) from None
        except JSEvalException as exc:
            raise WorkerException(_first_line(str(exc))) from None

    def close(self) -> None:
        _JS.submit(self._close).result()

    def _close(self) -> None:
        ctx, self._ctx = self._ctx, None
        if ctx is not None:
            ctx.close()


class EnginelessWorker:
    """Stands in for a :class:`ModuleWorker` when mini-racer is missing: every request is answered 501 with
    :data:`ENGINE_MISSING`, so a user sees what to install instead of a failed handshake."""

    handlers = ("fetch",)

    def fetch(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None
    ) -> WorkerAnswer:
        return WorkerAnswer(501, (("Content-Type", "text/plain; charset=utf-8"),), ENGINE_MISSING.encode())

    def close(self) -> None:
        pass


def _first_line(text: str) -> str:
    text = text.strip()
    return text.splitlines()[0] if text else "Error"


def _syntax_message(text: str, filename: str) -> str:
    """V8's ``<anonymous>:3: SyntaxError: ...`` as Cloudflare words it: ``Uncaught SyntaxError: ... at f:3``.

    Parse errors and errors thrown by the module's top level have the same form.
    """
    match = _V8_ERROR.search(text)
    if match is None:
        return f"Uncaught {_first_line(text)}\n  at {filename}"
    return f"Uncaught {match.group(2)}\n  at {filename}:{match.group(1)}"
