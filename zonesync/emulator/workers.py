"""Workers scripts and custom domains under ``/accounts/{account_id}/workers`` (facts W1–W9).

Scripts are uploaded as ``multipart/form-data`` (a ``metadata`` JSON part plus one part per module; the SDK 5.x
names every module part ``files`` and matches it by filename, W1/W2), checked by evaluating the main module in
V8 (:mod:`.jsworker`, errors of W4), listed, read back (the main module's text, or all modules as multipart
from ``content/v2``, W3) and deleted. A custom domain binds a hostname of one of the account's zones to a
script; attaching it creates Cloudflare's own DNS record, ``AAAA 100::`` proxied, ``meta.read_only`` and
``meta.origin_worker_id`` = the domain's id (W7), and detaching removes that record again (W5). A hostname
that already has an A, AAAA or CNAME record is refused with ``409 100117`` (W6); re-pointing a custom domain at
another script is refused with ``409 100116`` unless the body sets ``override_existing_origin: true`` (W11,
the same request for the same script is accepted as it is). A token without Workers
permission gets ``403 10000`` (W9).

Scripts and custom domains belong to an account (the emulator's own, or one holding a zone); a token scoped
to another account gets ``403 10000``, as for DNS. Choices where no real answer was found: an account that
holds no zone -> ``403 10000`` (the token has no access to it); unknown script -> ``404 10007``; unknown custom domain -> ``404 100114``; a
hostname in none of the account's zones -> ``400 100118``; a body that is not JSON as expected -> ``400 9207``;
deleting a script also detaches its custom domains (with their records); modules over 10 MiB in total ->
``10027``; only module Workers (``main_module``) with a single module and no imports run at the edge.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import json
import re
import secrets
import time
from typing import Any

from . import errors
from .jsworker import EnginelessWorker, EngineMissing, ModuleWorker, ScriptError
from .store import ACCOUNT_ID, Store, Zone, is_identifier, new_id, now

SCRIPT_NAME = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
MAX_SCRIPT_BYTES = 10 * 1024 * 1024
DEFAULT_COMPATIBILITY_DATE = "2021-11-02"  # W1: the date used when metadata has none
DOMAIN_FILTERS = ("environment", "hostname", "service", "zone_id", "zone_name")


class Reply:
    """A successful Workers answer: a JSON-able ``result`` for the envelope, or raw ``text`` with its type."""

    __slots__ = ("content_type", "extra_headers", "result", "text")

    def __init__(
        self,
        result: Any = None,
        text: str | None = None,
        content_type: str = "application/json",
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        self.result, self.text = result, text
        self.content_type = content_type
        self.extra_headers = extra_headers or {}


def _route_error(path: str) -> errors.ApiError:
    return errors.ApiError(
        404, errors.NO_ROUTE, f"Could not route to {path}, perhaps your object identifier is invalid?"
    )


def _not_allowed() -> errors.ApiError:
    return errors.ApiError(405, errors.METHOD_NOT_ALLOWED, "Method not allowed")


class Workers:
    """The Workers API over the shared :class:`Store` (state lives in ``store.scripts`` / ``store.domains``)."""

    def __init__(self, store: Store, cert_pending: float = 0.0) -> None:
        self.store = store
        self._runtimes: dict[str, tuple[str, ModuleWorker]] = {}
        self.cert_pending = float(cert_pending)
        """Seconds a new custom domain's certificate stays pending (0: issued at once, the default)."""
        self._cert_ready: dict[str, float] = {}  # cert_id -> time.monotonic() when it is issued

    # -- routing --------------------------------------------------------------------------------------
    def handle(
        self,
        method: str,
        path: str,
        parts: list[str],
        query: dict[str, str],
        headers: Any,
        body: bytes,
        allowed: bool,
    ) -> Reply:
        """``parts`` = the path below ``/client/v4`` split on ``/``, starting with ``accounts``."""
        if len(parts) < 3 or parts[2] != "workers" or not is_identifier(parts[1]):
            raise _route_error(path)
        account = parts[1]
        if account not in self.accounts() or not allowed:
            raise errors.ApiError(403, errors.AUTH_ERROR, errors.AUTH_ERROR_MSG)
        rest = parts[3:]
        if rest[:1] == ["scripts"]:
            return self._scripts(account, method, path, rest[1:], headers, body)
        if rest[:1] == ["domains"]:
            return self._domains(account, method, path, rest[1:], query, body)
        raise _route_error(path)

    def accounts(self) -> set[str]:
        """The emulator's own account and every account that holds a zone."""
        with self.store.lock:
            return {ACCOUNT_ID} | {z.account_id for z in self.store.zones.values()}

    def _scripts(
        self, account: str, method: str, path: str, rest: list[str], headers: Any, body: bytes
    ) -> Reply:
        if not rest:
            if method == "GET":
                with self.store.lock:
                    mine = [s for s in self.store.scripts.values() if s["account_id"] == account]
                    return Reply([self._script_obj(s) for s in mine])
            raise _not_allowed()
        name = rest[0]
        if len(rest) == 1:
            if method == "PUT":
                return Reply(self.upload(account, name, headers.get("Content-Type") or "", body))
            if method == "GET":
                script = self._script(account, name)
                main = _module(script, script["main_module"])
                return Reply(text=_decode(main), content_type="application/javascript")
            if method == "DELETE":
                self.delete_script(account, name)
                return Reply(None)
            raise _not_allowed()
        if rest[1:] == ["content", "v2"] and len(rest) == 3:
            if method != "GET":
                raise _not_allowed()
            return self._content_v2(self._script(account, name))
        raise _route_error(path)

    def _domains(
        self, account: str, method: str, path: str, rest: list[str], query: dict[str, str], body: bytes
    ) -> Reply:
        if not rest:
            if method == "GET":
                wanted = {k: query[k] for k in DOMAIN_FILTERS if k in query}
                with self.store.lock:
                    found = [
                        _domain_obj(d)
                        for d in self.store.domains.values()
                        if d["account_id"] == account
                        and all(str(d.get(k, "")).lower() == v.lower() for k, v in wanted.items())
                    ]
                return Reply(sorted(found, key=lambda d: d["hostname"]))
            if method == "PUT":
                return Reply(self.attach(account, _json(body)))
            raise _not_allowed()
        if len(rest) != 1 or not is_identifier(rest[0]):
            raise _route_error(path)
        if method == "GET":
            with self.store.lock:
                return Reply(_domain_obj(self._domain(account, rest[0])))
        if method == "DELETE":
            self.detach(account, rest[0])
            return Reply(None)
        raise _not_allowed()

    # -- scripts ----------------------------------------------------------------------------------------
    def upload(self, account: str, name: str, content_type: str, body: bytes) -> dict[str, Any]:
        """``PUT .../workers/scripts/{name}`` (W1, W4): parse, evaluate, store; the result of W3."""
        if not SCRIPT_NAME.fullmatch(name):
            raise errors.ApiError(400, errors.WORKER_NAME, errors.WORKER_NAME_MSG)
        metadata, modules = _parse_upload(content_type, body)
        main = metadata.get("main_module")
        if not isinstance(main, str) or main not in modules:
            raise errors.ApiError(
                400,
                errors.WORKER_VALIDATION,
                "Uncaught TypeError: Main module name is not present in bundle.",
            )
        if sum(len(m["content"]) for m in modules.values()) > MAX_SCRIPT_BYTES:
            raise errors.ApiError(
                400, errors.WORKER_TOO_LARGE, "Your Worker exceeded the size limit of 10 MiB."
            )
        runtime: ModuleWorker | None = None
        try:
            runtime = ModuleWorker(_decode(modules[main]), main)
        except ScriptError as exc:
            raise errors.ApiError(400, exc.code, exc.message) from None
        except EngineMissing:
            pass  # stored unchecked: the edge says why it cannot run it
        stored = [
            {
                "name": n,
                "content_type": m["content_type"],
                "content": base64.b64encode(m["content"]).decode("ascii"),
            }
            for n, m in sorted(modules.items())
        ]
        digest = hashlib.sha256(json.dumps([main, stored, metadata], sort_keys=True).encode()).hexdigest()
        key = f"{account}/{name}"
        with self.store.lock:
            old = self.store.scripts.get(key)
            ts = now()
            script = {
                "account_id": account,
                "id": name,
                "etag": digest,
                "created_on": old["created_on"] if old else ts,
                "modified_on": ts,
                "has_modules": True,
                "handlers": list(runtime.handlers) if runtime else ["fetch"],
                "compatibility_date": metadata.get("compatibility_date") or DEFAULT_COMPATIBILITY_DATE,
                "compatibility_flags": list(metadata.get("compatibility_flags") or []),
                "tags": list(metadata.get("tags") or []),
                "usage_model": "standard",
                "startup_time_ms": runtime.startup_time_ms if runtime else 0,
                "main_module": main,
                "modules": stored,
            }
            self.store.scripts[key] = script
            previous = self._runtimes.pop(key, None)
            if runtime is not None:
                self._runtimes[key] = (digest, runtime)
            self.store.save()
        if previous is not None:
            previous[1].close()
        return {**self._script_obj(script), "startup_time_ms": script["startup_time_ms"]}

    def delete_script(self, account: str, name: str) -> None:
        with self.store.lock:
            self._script(account, name)
            for domain in [
                d for d in self.store.domains.values() if d["account_id"] == account and d["service"] == name
            ]:
                self._detach(domain)
            del self.store.scripts[f"{account}/{name}"]
            runtime = self._runtimes.pop(f"{account}/{name}", None)
            self.store.save()
        if runtime is not None:
            runtime[1].close()

    def _script(self, account: str, name: str) -> dict[str, Any]:
        script = self.store.scripts.get(f"{account}/{name}")
        if script is None:
            raise errors.ApiError(404, errors.WORKER_NOT_FOUND, errors.WORKER_NOT_FOUND_MSG)
        return script

    @staticmethod
    def _script_obj(script: dict[str, Any]) -> dict[str, Any]:
        """A script as ``GET .../workers/scripts`` lists it (W3)."""
        keys = ("id", "etag", "created_on", "modified_on", "has_modules", "handlers", "compatibility_date")
        obj = {k: script[k] for k in keys}
        obj.update(
            compatibility_flags=list(script["compatibility_flags"]),
            tags=list(script["tags"]),
            usage_model=script["usage_model"],
            routes=None,
        )
        return obj

    @staticmethod
    def _content_v2(script: dict[str, Any]) -> Reply:
        """Every module as ``multipart/form-data``, the main one named by ``cf-entrypoint`` (W3)."""
        boundary = secrets.token_hex(16)
        chunks = []
        for mod in script["modules"]:
            chunks.append(
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="{mod["name"]}"; filename="{mod["name"]}"\r\n'
                f"Content-Type: {mod['content_type']}\r\n\r\n{_decode(mod)}\r\n"
            )
        chunks.append(f"--{boundary}--\r\n")
        return Reply(
            text="".join(chunks),
            content_type=f"multipart/form-data; boundary={boundary}",
            extra_headers={"cf-entrypoint": script["main_module"]},
        )

    # -- custom domains -----------------------------------------------------------------------------------
    def attach(self, account: str, body: Any) -> dict[str, Any]:
        """``PUT .../workers/domains`` (W5, W6, W7)."""
        if not isinstance(body, dict):
            raise errors.ApiError(400, errors.BAD_BODY, errors.BAD_BODY_MSG)
        hostname, service = body.get("hostname"), body.get("service")
        if not isinstance(hostname, str) or not hostname.strip() or not isinstance(service, str):
            raise errors.ApiError(400, errors.BAD_BODY, errors.BAD_BODY_MSG)
        hostname = hostname.strip().rstrip(".").lower()
        with self.store.lock:
            self._script(account, service)
            zone = self._zone_for(account, hostname, body.get("zone_id"), body.get("zone_name"))
            existing = next((d for d in self.store.domains.values() if d["hostname"] == hostname), None)
            if existing is not None and existing["zone_id"] == zone.id:
                if existing["service"] != service and body.get("override_existing_origin") is not True:
                    raise errors.ApiError(
                        409,
                        errors.DOMAIN_IN_USE,
                        f"Hostname '{hostname}' already in use by other custom domain. Either delete it, "
                        "try a different hostname, or use the option 'override_existing_origin' to override.",
                    )
                existing["service"] = service
                self.store.save()
                return _domain_obj(existing)
            clash = [
                r
                for r in zone.at_name(hostname)
                if r["type"] in ("A", "AAAA", "CNAME") and not (r.get("meta") or {}).get("origin_worker_id")
            ]
            if clash:
                raise errors.ApiError(
                    409,
                    errors.DOMAIN_CONFLICT,
                    f"Hostname '{hostname}' already has externally managed DNS records (A, CNAME, etc). "
                    "Either delete them, try a different hostname, or use the option "
                    "'override_existing_dns_record' to override.",
                )
            domain = {
                "account_id": account,
                "id": new_id(),
                "cert_id": new_id(),
                "environment": str(body.get("environment") or "production"),
                "hostname": hostname,
                "service": service,
                "zone_id": zone.id,
                "zone_name": zone.name,
            }
            record = {
                "type": "AAAA",
                "name": hostname,
                "content": "100::",
                "proxied": True,
                "ttl": 1,
                "meta": {"read_only": True, "origin_worker_id": domain["id"]},
            }
            self.store.add(zone, record, save=False)
            self.store.domains[domain["id"]] = domain
            if self.cert_pending > 0:
                self._cert_ready[domain["cert_id"]] = time.monotonic() + self.cert_pending
            self.store.save()
            return _domain_obj(domain)

    def detach(self, account: str, domain_id: str) -> None:
        with self.store.lock:
            self._detach(self._domain(account, domain_id))
            self.store.save()

    def _detach(self, domain: dict[str, Any]) -> None:
        """Remove the domain and the read-only record Cloudflare made for it (lock held by the caller)."""
        zone = self.store.zones.get(domain["zone_id"])
        if zone is not None:
            for rec in list(zone.at_name(domain["hostname"])):
                if (rec.get("meta") or {}).get("origin_worker_id") == domain["id"]:
                    zone.set(rec["id"], None)
        del self.store.domains[domain["id"]]

    def _domain(self, account: str, domain_id: str) -> dict[str, Any]:
        domain = self.store.domains.get(domain_id)
        if domain is None or domain["account_id"] != account:
            raise errors.ApiError(404, errors.DOMAIN_NOT_FOUND, errors.DOMAIN_NOT_FOUND_MSG)
        return domain

    def _zone_for(self, account: str, hostname: str, zone_id: Any, zone_name: Any) -> Zone:
        """The account's zone named by id or name, else the one whose name is the longest suffix."""
        mine = [z for z in self.store.zones.values() if z.account_id == account]
        if isinstance(zone_id, str) and zone_id:
            zone = next((z for z in mine if z.id == zone_id), None)
        elif isinstance(zone_name, str) and zone_name:
            zone = next((z for z in mine if z.name == zone_name.strip().rstrip(".").lower()), None)
        else:
            inside = [z for z in mine if hostname == z.name or hostname.endswith("." + z.name)]
            zone = max(inside, key=lambda z: len(z.name), default=None)
        if zone is None or not (hostname == zone.name or hostname.endswith("." + zone.name)):
            raise errors.ApiError(
                400, errors.DOMAIN_NO_ZONE, f"Hostname '{hostname}' is not in a zone of this account."
            )
        return zone

    # -- certificates -------------------------------------------------------------------------------------
    def certificate_ready(self, hostname: str) -> bool:
        """Is the certificate of the custom domain at `hostname` issued (False while it is pending)?"""
        with self.store.lock:
            domain = next((d for d in self.store.domains.values() if d["hostname"] == hostname), None)
            ready_at = self._cert_ready.get(domain["cert_id"], 0.0) if domain else 0.0
        return time.monotonic() >= ready_at

    def issue_pending_certificates(self) -> None:
        """End every pending period now (a test that has seen the pending state need not wait it out)."""
        with self.store.lock:
            self._cert_ready.clear()

    def certificate_pack(self, zone_id: str, pack_id: str) -> dict[str, Any]:
        """``GET /zones/{zone_id}/ssl/certificate_packs/{id}`` for a custom domain's certificate (its
        ``cert_id``: an advanced certificate pack, cloudflare-docs#31644): ``pending_validation`` while
        pending, then ``active`` (docs ``ssl/reference/certificate-statuses``)."""
        with self.store.lock:
            domain = next(
                (
                    d
                    for d in self.store.domains.values()
                    if d["cert_id"] == pack_id and d["zone_id"] == zone_id
                ),
                None,
            )
            if domain is None:
                raise errors.ApiError(404, errors.CERT_PACK_NOT_FOUND, errors.CERT_PACK_NOT_FOUND_MSG)
            hostname = domain["hostname"]
        ready = self.certificate_ready(hostname)
        certificates = (
            [{"id": new_id(), "hosts": [hostname], "status": "active", "issuer": "GoogleTrustServices"}]
            if ready
            else []
        )
        return {
            "id": pack_id,
            "type": "advanced",
            "hosts": [hostname],
            "status": "active" if ready else "pending_validation",
            "certificates": certificates,
            "certificate_authority": "google",
            "validation_method": "txt",
            "validity_days": 90,
            "cloudflare_branding": False,
        }

    # -- the edge's view ------------------------------------------------------------------------------------
    def worker_for(self, hostname: str) -> ModuleWorker | EnginelessWorker | None:
        """The running Worker bound to ``hostname`` by a custom domain, or None."""
        with self.store.lock:
            domain = next((d for d in self.store.domains.values() if d["hostname"] == hostname), None)
            key = f"{domain['account_id']}/{domain['service']}" if domain else ""
            script = self.store.scripts.get(key)
            if script is None:
                return None
            hit = self._runtimes.get(key)
            if hit is not None and hit[0] == script["etag"]:
                return hit[1]
            try:
                runtime = ModuleWorker(_decode(_module(script, script["main_module"])), script["main_module"])
            except EngineMissing:
                return EnginelessWorker()
            self._runtimes[key] = (script["etag"], runtime)
            return runtime

    def close(self) -> None:
        for _, runtime in self._runtimes.values():
            runtime.close()
        self._runtimes.clear()


def _domain_obj(domain: dict[str, Any]) -> dict[str, Any]:
    """A custom domain as the API returns it (W5), without the emulator's own bookkeeping."""
    keys = ("id", "cert_id", "environment", "hostname", "service", "zone_id", "zone_name")
    return {k: domain[k] for k in keys}


def _module(script: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in script["modules"] if m["name"] == name)


def _decode(module: dict[str, Any]) -> str:
    content = module["content"]
    raw = base64.b64decode(content) if isinstance(content, str) else content
    return raw.decode("utf-8", "replace")


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        raise errors.ApiError(400, errors.BAD_BODY, errors.BAD_BODY_MSG) from None


def _parse_upload(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """``metadata`` and the modules (by filename) of a multipart upload; anything else is ``10026``."""
    bad = errors.ApiError(400, errors.WORKER_BODY, errors.WORKER_BODY_MSG)
    if not content_type.lower().startswith("multipart/form-data"):
        raise bad
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise bad
    metadata: Any = None
    modules: dict[str, dict[str, Any]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):  # None for a nested multipart part: no content of its own
            payload = b""
        if name == "metadata":
            try:
                metadata = json.loads(payload)
            except ValueError:
                raise bad from None
            continue
        filename = part.get_filename() or name
        if isinstance(filename, str) and filename:
            modules[filename] = {"content_type": part.get_content_type(), "content": payload}
    if not isinstance(metadata, dict):
        raise bad
    return metadata, modules
