"""DKIM key files: find the public key for each selector, and generate a pair when there is none.

The only module of `zonesync.mail` that touches the disk. Order of sources for a selector's public key
(first found wins): the private key file, `<key>.pub` beside it, maddy's `<key without .key>.dns`
beside it (what maddy writes next to a key it generated: internal/modify/dkim/keys.go, writeDNSRecord),
the record already published. A new pair is generated only when none exists and the caller allows it
(`apply`), and an existing file is never overwritten: the final name is created with a hard link, which
fails if the name exists.

Private keys are written as PKCS#8 PEM ("PRIVATE KEY"), the format maddy generates and reads
(keys.go: `x509.MarshalPKCS8PrivateKey`, `x509.ParsePKCS8PrivateKey`; docs/reference/modifiers/dkim.md,
key_path: "It should be in PKCS#8 format wrapped in PEM encoding"), mode 0600 as maddy does.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from zonesync.base.features import lazy
from zonesync.mail.result import KeyState

if TYPE_CHECKING:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
else:  # cryptography (about 15 ms) only when a DKIM key is read or made
    serialization = lazy("cryptography.hazmat.primitives.serialization")
    ed25519 = lazy("cryptography.hazmat.primitives.asymmetric.ed25519")
    rsa = lazy("cryptography.hazmat.primitives.asymmetric.rsa")

from zonesync.base import secure_files
from zonesync.mail import dkim, key_git
from zonesync.mail.keyfiles import KeyFileError, loose_mode, read_key_file, read_key_text
from zonesync.mail.result import GeneratedKey
from zonesync.mail.spec import DkimSpec
from zonesync.model import Diagnostic, Record

PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644


def pub_path(private: Path) -> Path:
    return private.with_name(private.name + ".pub")


def maddy_dns_path(private: Path) -> Path:
    """maddy's record file: `x.key` -> `x.dns`, anything else -> `<name>.dns` (keys.go)."""
    return (
        private.with_suffix(".dns") if private.suffix == ".key" else private.with_name(private.name + ".dns")
    )


def generate_private_key(algorithm: str) -> dkim.PrivateKey:
    """A new key pair as maddy's `newkey_algo` names them (rsa2048, rsa4096, ed25519)."""
    if algorithm == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    bits = {"rsa2048": 2048, "rsa4096": 4096}[algorithm]
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_pem(key: dkim.PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: dkim.PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def symlink_problem(path: Path) -> str:
    """Why a symbolic link where a new key file goes is refused, and what to do."""
    target = os.readlink(path)
    state = "" if path.exists() else ", which does not exist"
    return (
        f"{path} is a symbolic link (to {target}{state}): zonesync writes a new key only as a new regular "
        "file, never through a link that could point anywhere; remove the link, or set `private_key` to "
        "the file it points to"
    )


def write_new_file(path: Path, data: bytes, mode: int) -> None:
    """Write `path` atomically with `mode` from creation, creating parent folders; never overwrite.

    Raises FileExistsError if `path` exists (even if it appeared while writing), KeyFileError if it is a
    symbolic link (a dangling one too: zonesync never writes a key through a link).
    """
    secure_files.make_dirs(path.parent)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            os.fchmod(fd, mode)  # the umask must not widen or narrow it
            secure_files.write_all(fd, data)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic and refuses an existing name
        except FileExistsError:
            if path.is_symlink():
                raise KeyFileError(symlink_problem(path)) from None
            raise
        except OSError:  # a filesystem without hard links
            if path.exists():
                raise FileExistsError(str(path)) from None
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    secure_files.fsync_dir(path.parent)


def generate_key_pair(spec: DkimSpec) -> tuple[dkim.PublicKey, GeneratedKey]:
    """Generate and write `<key>` (0600) and `<key>.pub`; refuses if the private key file exists."""
    private = generate_private_key(spec.algorithm)
    secure_files.make_dirs(spec.private_key.parent)
    key_git.ensure_gitignore(spec.private_key.parent)  # before the key exists: git never sees it unignored
    write_new_file(spec.private_key, private_pem(private), PRIVATE_MODE)
    pub = pub_path(spec.private_key)
    if not pub.exists():
        write_new_file(pub, public_pem(private.public_key()), PUBLIC_MODE)
    return private.public_key(), GeneratedKey(spec.selector, spec.algorithm, spec.private_key, pub)


def read_private_key(path: Path) -> dkim.PrivateKey:
    """The private key in file `path` (bounded read, see keyfiles). Raises PermissionError (with the path),
    KeyFileError (what is wrong with it, never its contents), other OSError."""
    data = read_key_file(path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise KeyFileError(
            "it is encrypted with a passphrase, which maddy cannot read: export it unencrypted "
            "(`openssl pkcs8 -topk8 -nocrypt`)"
        ) from None
    except (ValueError, dkim.DkimParseError) as exc:
        raise KeyFileError(
            f'it is not a PEM private key ({exc}); maddy reads PKCS#8 ("PRIVATE KEY") or PKCS#1 '
            '("RSA PRIVATE KEY") PEM'
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyFileError(
            f"it holds a {type(key).__name__.lstrip('_')}, but DKIM keys for maddy are RSA or Ed25519 "
            "(maddy refuses ECDSA)"
        )
    return key


def read_public_key(path: Path) -> dkim.PublicKey:
    """The public key in `<key>.pub` or maddy's `.dns` (PEM or a DKIM record), read with bounds.

    Raises KeyFileError when the file is not a usable public key; the message quotes at most a short
    excerpt of it (the file may be anything a pull request links there), OSError when it cannot be read.
    """
    text = read_key_text(path).strip()
    if not text.startswith("-----BEGIN") and not dkim.is_dkim_text(text):
        raise KeyFileError(
            f"it is neither a PEM public key nor a DKIM record (it starts with {dkim.excerpt(text)})"
        )
    try:
        return dkim.public_key_from_text(text)
    except dkim.DkimParseError as exc:
        raise KeyFileError(str(exc)) from None


def live_dkim(live: Sequence[Record] | None, name: str) -> Record | None:
    if not live:
        return None
    for rec in live:
        if rec.name == name and rec.type == "TXT" and dkim.is_dkim_text(rec.value):
            return rec
    return None


@dataclass(frozen=True)
class _Live:
    """The key published at the selector's name, if any."""

    record: Record | None = None
    key: dkim.PublicKey | None = None
    problem: str | None = None  # the record is there but does not parse


@dataclass(frozen=True)
class _Local:
    """The key found in files: the private key, else `<key>.pub`, else maddy's `.dns` beside it."""

    key: dkim.PublicKey | None = None
    origin: str = ""
    unreadable: bool = False  # the private key exists but permission was denied
    diagnostics: tuple[Diagnostic, ...] = ()


def resolve(spec: DkimSpec, zone: str, live: Sequence[Record] | None, *, generate: bool) -> KeyState:
    """Find (or, when `generate`, create) the public key for one selector. Errors become diagnostics."""
    name = dkim.record_name(spec.selector, zone)
    live_key = find_live_key(live, name)
    local = find_local_key(spec)
    diags = list(local.diagnostics)
    diags += _unreadable(spec, name, local, live_key)
    diags += key_git.key_in_git(spec.private_key, spec.source)
    if live_key.problem is not None:
        diags.append(_unusable_live(live_key.problem, name, spec, local.origin if local.key else None))
    state = choose_key(spec, name, live_key, local, generate=generate)
    diags += state.diagnostics
    if state.key is not None:
        diags += check_key(spec, state.key, state.origin)
    return KeyState(spec, state.value, state.pending, state.origin, state.key, tuple(diags), state.generated)


def find_live_key(live: Sequence[Record] | None, name: str) -> _Live:
    record = live_dkim(live, name)
    if record is None:
        return _Live()
    try:
        return _Live(record, dkim.public_key_from_record(record.value))
    except dkim.DkimParseError as exc:
        return _Live(record, problem=str(exc))


def find_local_key(spec: DkimSpec) -> _Local:
    """The key in the private key file, else the first public file beside it, which must match it."""
    diags: list[Diagnostic] = []

    def err(msg: str) -> None:
        diags.append(Diagnostic("error", spec.source, msg))

    key: dkim.PublicKey | None = None
    origin = ""
    unreadable = False
    private = spec.private_key
    if private.exists() or private.is_symlink():
        try:
            key = read_private_key(private).public_key()
            origin = f"private key {private}"
        except PermissionError:
            unreadable = True
        except FileNotFoundError:  # a dangling link: choose_key says why nothing is written through it
            pass
        except KeyFileError as exc:
            err(
                f"DKIM private key {private} cannot be used: {exc}. The mail server signs with this file, so "
                "a broken one means unsigned mail; fix or remove it"
            )
        except OSError as exc:
            err(f"cannot read DKIM private key {private}: {exc.strerror or exc}")
        if key is not None:
            diags += _loose(spec)

    for path, what in (
        (pub_path(private), "public key file"),
        (maddy_dns_path(private), "maddy record file"),
    ):
        if not path.exists() and not path.is_symlink():
            continue
        try:
            public = read_public_key(path)
        except KeyFileError as exc:
            err(
                f"{what} {path} is unusable ({exc}): zonesync reads the public key from it; regenerate it "
                "from the private key or delete it"
            )
            continue
        except FileNotFoundError:  # a dangling link, or gone meanwhile: as if absent
            continue
        except OSError as exc:
            err(f"cannot read {what} {path}: {exc.strerror or exc}")
            continue
        if key is None:
            key, origin = public, f"{what} {path}"
        elif not dkim.same_key(key, public):
            err(
                f"{what} {path} does not match {origin}: one of them is stale, and publishing the wrong one "
                f"makes every signature fail; delete {path} (zonesync rewrites it from the private key) or "
                "restore the matching private key"
            )
        break  # the first public file found is the one used
    return _Local(key, origin, unreadable, tuple(diags))


def _loose(spec: DkimSpec) -> list[Diagnostic]:
    """A warning, as ssh gives, for a private key that group or others may read or write."""
    mode = loose_mode(spec.private_key)
    if mode is None:
        return []
    return [
        Diagnostic(
            "warning",
            spec.source,
            f"the DKIM private key {spec.private_key} has mode {mode:04o}: other users of this machine can "
            f"read it and sign mail as the domain; run `chmod 600 {spec.private_key}`",
        )
    ]


def _unreadable(spec: DkimSpec, name: str, local: _Local, live: _Live) -> list[Diagnostic]:
    """A private key zonesync may not read is fine with a public copy or a published record to go by."""
    if not local.unreadable or local.key is not None:
        return []
    private = spec.private_key
    if live.key is not None:
        return [
            Diagnostic(
                "warning",
                spec.source,
                f"cannot read DKIM private key {private} (permission denied): the record published at {name} is "
                "kept as it is, unchecked against the key; copy the public key to "
                f"{pub_path(private)} so zonesync can check it",
            )
        ]
    return [
        Diagnostic(
            "error",
            spec.source,
            f"cannot read DKIM private key {private} (permission denied), and there is no {pub_path(private).name} "
            "beside it: zonesync needs the public half to publish the record. Run as a user that can read the "
            f"key (maddy keeps its keys 0600), or copy the public key to {pub_path(private)}",
        )
    ]


@dataclass(frozen=True)
class _Choice:
    """The key to publish and the TXT value for it (a placeholder while pending)."""

    value: str
    origin: str
    key: dkim.PublicKey | None = None
    pending: bool = False
    generated: GeneratedKey | None = None
    diagnostics: tuple[Diagnostic, ...] = ()


def choose_key(spec: DkimSpec, name: str, live: _Live, local: _Local, *, generate: bool) -> _Choice:
    """The local key wins (a published record of another key is an error); else the published key; else
    a new pair when allowed and nothing is in the way; else pending, generated at apply."""
    private = spec.private_key
    if local.key is not None:
        if live.key is not None and dkim.same_key(local.key, live.key):
            assert live.record is not None
            return _Choice(live.record.value, local.origin, local.key)  # same key: keep its spelling, no diff
        diags: tuple[Diagnostic, ...] = ()
        if live.key is not None:
            diags = (
                Diagnostic(
                    "error",
                    spec.source,
                    f"the key published at {name} is not the key in {local.origin}: applying would replace it, "
                    "and mail the server signs with the published key would stop verifying. If the mail server "
                    f"uses the published key, copy that key to {private}; to rotate keys, run `zonesync dkim rotate` "
                    "(publish both, switch the server, then remove the old one)",
                ),
            )
        return _Choice(dkim.txt_value(local.key), local.origin, local.key, diagnostics=diags)
    if live.key is not None:
        assert live.record is not None
        return _Choice(live.record.value, f"the record published at {name}", live.key)
    pending = _Choice(dkim.pending_value(spec.algorithm), "new key, generated at apply", pending=True)
    if not generate or local.unreadable or private.exists() or live.record is not None:
        return pending
    if dkim.selector_problem(spec.selector) is not None:  # the mail checks report it
        return pending
    in_the_way = [path for path in (private, pub_path(private)) if path.is_symlink()]
    if in_the_way:
        problem = Diagnostic(
            "error", spec.source, f"cannot write the new DKIM key: {symlink_problem(in_the_way[0])}"
        )
        return _Choice(pending.value, pending.origin, pending=True, diagnostics=(problem,))
    try:
        key, generated = generate_key_pair(spec)
    except KeyFileError as exc:
        problem = Diagnostic("error", spec.source, f"cannot write the new DKIM key: {exc}")
        return _Choice(pending.value, pending.origin, pending=True, diagnostics=(problem,))
    except OSError as exc:
        problem = Diagnostic(
            "error",
            spec.source,
            f"cannot write the new DKIM key {private}: {exc.strerror or exc}; check the folder's permissions",
        )
        return _Choice(pending.value, pending.origin, pending=True, diagnostics=(problem,))
    return _Choice(dkim.txt_value(key), f"new key {private}", key, generated=generated)


def check_key(spec: DkimSpec, key: dkim.PublicKey, origin: str) -> list[Diagnostic]:
    """A weak RSA key is an error; a key of another algorithm than the one asked for, a warning."""
    diags: list[Diagnostic] = []
    bits = dkim.key_bits(key)
    if bits is not None and bits < dkim.MIN_RSA_BITS:
        diags.append(
            Diagnostic(
                "error",
                spec.source,
                f"the DKIM key for selector {spec.selector!r} ({origin}) is RSA {bits}-bit: receivers treat keys "
                "under 2048 bits as weak (RFC 8301 §3.2 forbids under 1024) and may ignore the signature; "
                "generate a 2048-bit key under a new selector",
            )
        )
    wanted = "ed25519" if spec.algorithm == "ed25519" else "rsa"
    if spec.algorithm_given and dkim.key_type(key) != wanted:
        diags.append(
            Diagnostic(
                "warning",
                spec.source,
                f"selector {spec.selector!r} asks for {spec.algorithm} but its existing key ({origin}) is "
                f"{dkim.describe(key)}: zonesync never replaces a key, so the existing one is published; "
                "for another algorithm, add a new selector",
            )
        )
    return diags


def _unusable_live(problem: str, name: str, spec: DkimSpec, origin: str | None) -> Diagnostic:
    """A live DKIM record that does not parse is replaced when the right key is known (an update the
    plan shows); without a key there is nothing correct to publish, so it is an error."""
    if origin is not None:
        return Diagnostic(
            "warning",
            spec.source,
            f"the DKIM record published at {name} is unusable ({problem}): receivers cannot verify mail signed "
            f"with selector {spec.selector!r}; the plan replaces it with the key from {origin}",
        )
    return Diagnostic(
        "error",
        spec.source,
        f"the DKIM record published at {name} is unusable ({problem}): receivers cannot verify mail "
        f"signed with selector {spec.selector!r}; put the key in {spec.private_key} (or its .pub) so "
        "zonesync publishes a correct record",
    )


def write_public_key(path: Path, record_value: str) -> bool:
    """`zonesync import --mail`: the key a live DKIM record publishes, as `<key>.pub` (PEM). Never a
    private key, never over an existing file (an existing `.pub` holding the same key is fine: False).
    Raises KeyFileError when an existing file holds another key."""
    key = dkim.public_key_from_record(record_value)
    if path.exists() or path.is_symlink():
        try:
            existing = read_public_key(path)
        except (OSError, KeyFileError) as exc:
            raise KeyFileError(f"{path} exists and is not a public key ({exc})") from None
        if not dkim.same_key(existing, key):
            raise KeyFileError(f"{path} holds another key than the one published; move it away first")
        return False
    write_new_file(path, public_pem(key), PUBLIC_MODE)
    return True
