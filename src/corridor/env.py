"""Typed readers for settings that come from the environment.

Each reader fails at start-up with the variable's name in the message, so a typo in a deployment's
configuration stops the process before it serves a single request, instead of surfacing weeks later.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit


class ConfigError(Exception):
    """A setting in the environment is malformed or unusable."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number; got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}; got {value}")
    return value


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envdate(name: str) -> dt.date | None:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a date written YYYY-MM-DD; got {raw!r}") from None


_RATE_UNITS = {"s": 1, "second": 1, "m": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def envrate(name: str, default: str) -> str:
    """A rate limit written ``COUNT/UNIT`` (unit: second, minute, hour or day, or s, m, h, d)."""
    raw = os.environ.get(name, default).strip()
    count, _, unit = raw.partition("/")
    if not (count.isascii() and count.isdigit()) or int(count) < 1 or unit not in _RATE_UNITS:
        raise ConfigError(f"{name} must be COUNT/UNIT such as 600/minute (second, minute, hour, day); got {raw!r}")
    return f"{int(count)}/{unit[0]}"  # the form django-ninja's throttles read


def envsecret(name: str) -> str | None:
    """Read a secret from ``NAME`` or from the file named by ``NAME_FILE`` (never both)."""
    direct = os.environ.get(name)
    file_name = os.environ.get(f"{name}_FILE")
    if direct and file_name:
        raise ConfigError(f"set {name} or {name}_FILE, not both")
    if file_name:
        try:
            value = Path(file_name).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE: cannot read {file_name}: {exc.strerror}") from None
        if not value:
            raise ConfigError(f"{name}_FILE: {file_name} is empty")
        return value
    return direct or None


def envfile(name: str) -> Path | None:
    """A file that must exist and be readable when ``name`` is set (e.g. a logo), or None when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    if not path.is_file() or not os.access(path, os.R_OK):
        raise ConfigError(f"{name} must name a readable file; got {raw!r}")
    return path.resolve()


def data_dir() -> Path:
    """The folder that holds the database, keys and generated files (``CORRIDOR_DATA_DIR``)."""
    return Path(os.environ.get("CORRIDOR_DATA_DIR", "corridor-data")).expanduser().resolve()


def secret_key(folder: Path) -> str:
    """``CORRIDOR_SECRET_KEY`` (or ``_FILE``); absent both, a key generated once and kept in ``folder``."""
    configured = envsecret("CORRIDOR_SECRET_KEY")
    if configured:
        return configured
    key_file = folder / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # Created with O_EXCL so two processes starting together cannot end up with different keys.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def upload_dir(folder: Path) -> Path:
    """Where uploads are spooled while they arrive: inside the attachment store, so nothing leaves it."""
    path = folder / "attachments" / ".uploads"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


IDENTITY_KEY_FILE_NAME = "identity_key"


def parse_identity_keys(text: str, *, name: str = "CORRIDOR_IDENTITY_KEY") -> list[str]:
    """Keys for the identity fields: URL-safe base64 of 32 bytes each, separated by commas or white space.

    The first key encrypts; every key listed decrypts, so a new key can be put in front of the old one
    while ``corridor rotate-identity-key`` re-encrypts the rows.
    """
    keys = [part for part in text.replace(",", " ").split() if part]
    if not keys:
        raise ConfigError(f"{name} holds no key")
    for position, key in enumerate(keys, start=1):
        try:
            raw = base64.urlsafe_b64decode(key.encode("ascii") + b"=" * (-len(key) % 4))
        except (ValueError, UnicodeEncodeError):
            raw = b""
        if len(raw) != 32:
            # The message names the position, never the key.
            raise ConfigError(f"{name}: key {position} is not URL-safe base64 of 32 bytes")
    return keys


def new_identity_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def identity_keys(folder: Path) -> tuple[list[str], str]:
    """The identity keys and where they come from: ``CORRIDOR_IDENTITY_KEY`` (or ``_FILE``), else a key
    generated once into ``folder`` (like the secret key). Returns (keys, origin), origin one of
    ``environment`` or ``data-dir``."""
    configured = envsecret("CORRIDOR_IDENTITY_KEY")
    if configured:
        return parse_identity_keys(configured), "environment"
    key_file = folder / IDENTITY_KEY_FILE_NAME
    if not key_file.exists():
        folder.mkdir(parents=True, exist_ok=True)
        # Written in full under a private name, then published with link(), which fails if the file
        # exists: two processes starting together agree on one key and never read a half-written one.
        partial = folder / f".{IDENTITY_KEY_FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(new_identity_key() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(partial, key_file)
        except FileExistsError:
            pass
        finally:
            partial.unlink()
    try:
        text = key_file.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read the identity key {key_file}: {exc.strerror}") from None
    return parse_identity_keys(text, name=str(key_file)), "data-dir"


def database_from_url(url: str, *, name: str = "CORRIDOR_DATABASE_URL") -> dict[str, object]:
    """Turn ``sqlite:///path`` or ``postgres://user:pw@host:port/db?opt=v`` into a Django DATABASES entry."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unbalanced "[" read as an IPv6 address
        raise ConfigError(f"{name} is not a URL ({exc}): {url!r}") from None
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        path = unquote(parts.path)
        if parts.netloc:
            raise ConfigError(f"{name}: write sqlite:///relative.db or sqlite:////absolute.db; got {url!r}")
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise ConfigError(f"{name}: the SQLite URL names no file: {url!r}")
        return sqlite_database(Path(path))
    if scheme in {"postgres", "postgresql", "pgsql"}:
        db_name = unquote(parts.path.lstrip("/"))
        if not db_name:
            raise ConfigError(f"{name}: the PostgreSQL URL names no database: {url!r}")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(f"{name}: the port in {url!r} is not a number") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": db_name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "OPTIONS": dict(parse_qsl(parts.query)),
            "CONN_MAX_AGE": 0,
        }
    raise ConfigError(f"{name} must start with sqlite:// or postgres://; got {url!r}")


def sqlite_database(path: Path) -> dict[str, object]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # WAL lets readers go on while one writer appends; IMMEDIATE takes the write lock at BEGIN so
            # two ledger appends queue up instead of failing with "database is locked" mid-transaction.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        },
    }


def envlist(name: str) -> list[str]:
    """A list written with commas, spaces or new lines between its items (empty when unset)."""
    raw = os.environ.get(name, "")
    return [item for item in raw.replace(",", " ").split() if item]


def config_lines(text: str) -> Iterator[str]:
    """The items of a list configured one a line (or separated by ``;``), where ``#`` starts a comment:
    each line stripped, the blank ones left out."""
    for line in text.replace(";", "\n").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            yield line


def envwitnesses(name: str) -> list[tuple[str, str]]:
    """Witnesses as ``(URL, witness key)`` pairs, from ``NAME`` or the file named by ``NAME_FILE``.

    One witness a line (or separated by ``;``): its URL prefix, a space, its key
    ``name+keyid+base64``; ``#`` starts a comment. Each key is checked here, so a typo stops start-up.
    """
    from corridor.ledger.cosignatures import NoteError, parse_witness_key

    direct = os.environ.get(name, "")
    file_name = os.environ.get(f"{name}_FILE", "")
    if direct.strip() and file_name.strip():
        raise ConfigError(f"set {name} or {name}_FILE, not both")
    text = direct
    if file_name.strip():
        try:
            text = Path(file_name).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{name}_FILE: cannot read {file_name}: {exc.strerror}") from None
    witnesses: list[tuple[str, str]] = []
    for line in config_lines(text):
        parts = line.split()
        if len(parts) != 2 or urlsplit(parts[0]).scheme not in ("http", "https") or not urlsplit(parts[0]).netloc:
            raise ConfigError(f"{name}: each witness is 'URL KEY' (an http(s) URL, a witness key); got {line!r}")
        try:
            key = parse_witness_key(parts[1])
        except NoteError as exc:
            raise ConfigError(f"{name}: {exc}") from None
        if any(known == key.encode() for _, known in witnesses):
            raise ConfigError(f"{name}: the witness {key.name} is named twice")
        witnesses.append((parts[0].rstrip("/"), key.encode()))
    return witnesses
