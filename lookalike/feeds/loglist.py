"""The list of Certificate Transparency logs, in the format of Chrome's ``log_list.json`` v3: operators,
their RFC 6962 ``logs`` (``url``) and their static-ct-api ``tiled_logs`` (``submission_url``,
``monitoring_url``), each with its ``log_id``, ``key``, ``state`` and ``temporal_interval``.

A snapshot ships in the package (``data/ct-log-list.json``: Chrome's ``all_logs_list.json`` v89.25 of
2026-08-20, with Google's signature ``ct-log-list.sig`` and key ``ct-log-list-key.pem``; see
docs/watch.md); ``lookalike update-data`` fetches a fresh one, checks Google's signature over it, and
installs it, and ``load`` prefers it. Every log's ``log_id`` must be the SHA-256 of its key, or the
whole list is refused: the keys are what every signed head is checked against.

Parsing is pure; ``update_log_list`` is the one network function, and takes its URLs and client.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lookalike.datafiles import (
    CT_LOG_LIST,
    CT_LOG_LIST_KEY,
    CT_LOG_LIST_SIG,
    CT_LOG_LIST_URL,
    data_path,
    install,
)
from lookalike.errors import LookalikeError
from lookalike.feeds.ctwire import log_id as id_of_key
from lookalike.feeds.notes import origin_of
from lookalike.inputs import read_bytes
from lookalike.rdap import download
from lookalike.whois import Resolve

LOG_LIST, LOG_LIST_SIG, LOG_LIST_KEY, LOG_LIST_URL = (
    CT_LOG_LIST,
    CT_LOG_LIST_SIG,
    CT_LOG_LIST_KEY,
    CT_LOG_LIST_URL,
)
MAX_LIST = 10 << 20
MAX_KEY = 64 << 10
"""Bytes read of the log list's signing key (a PEM public key is under 1 kB)."""
FOLLOWED_STATES = frozenset({"usable", "qualified", "readonly"})
"""States whose logs hold certificates worth reading; ``readonly`` logs take no new ones but may
still be catching up."""


class LogKind(StrEnum):
    RFC6962 = "rfc6962"
    TILED = "static-ct-api"


@dataclass(frozen=True, slots=True)
class Log:
    """One CT log of the list."""

    name: str
    """A short name for sources and positions: ``argon2026h2`` (``ct:argon2026h2``)."""
    description: str
    operator: str
    kind: LogKind
    log_id: bytes
    key: bytes
    """DER SubjectPublicKeyInfo."""
    url: str
    """RFC 6962: the log's base URL; static-ct-api: the monitoring prefix. With a trailing slash."""
    submission_url: str = ""
    """static-ct-api: the submission prefix, whose schema-less form is the checkpoint origin."""
    state: str = ""
    """``usable``, ``qualified``, ``readonly``, ``retired``, ``rejected``, ``pending``, or ``""``."""
    start: datetime | None = None
    end: datetime | None = None
    """The temporal interval: certificates expiring in ``[start, end)``."""

    @property
    def origin(self) -> str:
        return origin_of(self.submission_url or self.url)

    @property
    def log_id_b64(self) -> str:
        return base64.b64encode(self.log_id).decode()

    def followed(self, now: datetime) -> bool:
        """True when the log is in a followed state and takes certificates that have not expired."""
        return self.state in FOLLOWED_STATES and (self.end is None or self.end > now)


def short_name(description: str, url: str) -> str:
    """``Google 'Argon2026h2' log`` -> ``argon2026h2``; without quotes, the URL's host and path."""
    quoted = re.findall(r"'([^'\s]+)'", description)  # "Let's Encrypt 'Oak2026h2'": not "s Encrypt "
    text = quoted[-1] if quoted else re.sub(r"^[a-z]+://", "", url)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "log"


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _url(value: object, what: str) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^/\s]+", value):
        raise LookalikeError(
            f"the log list has a log whose {what} is not an http(s) URL: {str(value)[:80]!r}"
        )
    return value if value.endswith("/") else value + "/"


def parse_log_list(data: bytes, origin: str = "the log list") -> list[Log]:
    """Every log of a v3 log list. Raises ``LookalikeError`` when it is not one, or a log's ID does not
    match its key."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise LookalikeError(f"{origin} is not valid JSON: {str(exc)[:100]}") from None
    if not isinstance(document, dict) or not isinstance(document.get("operators"), list):
        raise LookalikeError(f"{origin} is not a CT log list (v3): it has no operators")
    logs: list[Log] = []
    seen: set[str] = set()
    for operator in document["operators"]:
        if not isinstance(operator, dict):
            continue
        operator_name = str(operator.get("name", ""))[:200]
        for kind, key in ((LogKind.RFC6962, "logs"), (LogKind.TILED, "tiled_logs")):
            for entry in operator.get(key) or ():
                if isinstance(entry, dict):
                    log = _log(entry, operator_name, kind, origin)
                    name = log.name
                    while name in seen:
                        name += "-2"
                    seen.add(name)
                    logs.append(log if name == log.name else _renamed(log, name))
    if not logs:
        raise LookalikeError(f"{origin} lists no logs")
    return logs


def _renamed(log: Log, name: str) -> Log:
    return replace(log, name=name)


def _log(entry: dict[str, Any], operator: str, kind: LogKind, origin: str) -> Log:
    description = str(entry.get("description", ""))[:200]
    try:
        key = base64.b64decode(str(entry.get("key", "")), validate=True)
        claimed = base64.b64decode(str(entry.get("log_id", "")), validate=True)
    except ValueError:
        raise LookalikeError(f"{origin}: {description!r} has a key or log_id that is not base64") from None
    if id_of_key(key) != claimed:
        raise LookalikeError(f"{origin}: {description!r} has a log_id that is not the SHA-256 of its key")
    state = next(iter(entry.get("state") or {}), "")
    interval = entry.get("temporal_interval") or {}
    if kind is LogKind.RFC6962:
        url, submission = _url(entry.get("url"), "url"), ""
    else:
        url = _url(entry.get("monitoring_url"), "monitoring_url")
        submission = _url(entry.get("submission_url"), "submission_url")
    return Log(
        name=short_name(description, submission or url),
        description=description,
        operator=operator,
        kind=kind,
        log_id=claimed,
        key=key,
        url=url,
        submission_url=submission,
        state=str(state),
        start=_time(interval.get("start_inclusive")) if isinstance(interval, dict) else None,
        end=_time(interval.get("end_exclusive")) if isinstance(interval, dict) else None,
    )


def load(path: Path | None = None) -> list[Log]:
    """The log list at ``path``, else the refreshed copy, else the package's snapshot."""
    source = path if path is not None else data_path(LOG_LIST)
    data = read_bytes(source, MAX_LIST, what="the CT log list")
    return parse_log_list(data, str(source))


def _handles(log: Log) -> set[str]:
    """What names a log on the command line: its short name, description, log ID and URLs."""
    urls = {u.lower() for u in (log.url, log.submission_url) if u}
    return {log.name, log.description.lower(), log.log_id_b64.lower(), *urls}


def select(logs: Iterable[Log], names: Sequence[str] = (), now: datetime | None = None) -> list[Log]:
    """The logs named (by short name, description, log ID, or URL: the RFC 6962 URL, or a tiled
    log's monitoring or submission prefix), else every followed one. A log is only ever taken from a
    list, with its key: a URL alone could not be verified."""
    logs = list(logs)
    if names:
        wanted = {n.strip().lower() for n in names}
        wanted = {
            w + "/" if w.startswith(("http://", "https://")) and not w.endswith("/") else w for w in wanted
        }
        chosen = [log for log in logs if _handles(log) & wanted]
        missing = wanted - {n for log in chosen for n in _handles(log)}
        if missing:
            raise LookalikeError(
                f"no CT log named {', '.join(sorted(missing))} in the log list (a log is followed with"
                " its key: give a --log-list that holds it)"
            )
        return chosen
    moment = now or datetime.now(UTC)
    return [log for log in logs if log.followed(moment)]


def verify_list_signature(data: bytes, signature: bytes, key_pem: bytes) -> None:
    """Check Google's signature over a log list (RSA PKCS #1 v1.5, SHA-256). Raises ``LookalikeError``."""
    try:
        key = serialization.load_pem_public_key(key_pem)
    except ValueError as exc:
        raise LookalikeError(f"the log list signing key does not parse: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise LookalikeError("the log list signing key is not an RSA key")
    try:
        key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise LookalikeError("the log list's signature does not verify with the log list key") from None


def signature_url(url: str) -> str:
    """Where a log list's signature is published: ``.json`` replaced by ``.sig``."""
    return url[: -len(".json")] + ".sig" if url.endswith(".json") else url + ".sig"


async def update_log_list(
    *, url: str, dest: Path, client: httpx.AsyncClient, resolve: Resolve | None, timeout: float
) -> str:
    """Fetch a log list and its signature, check the signature with the shipped key and the list's
    logs, and install both in ``dest``. Returns one line saying what was written. Raises
    ``LookalikeError``; nothing is written then."""
    data = await download(client, url, resolve=resolve, timeout=timeout, max_bytes=MAX_LIST)
    signature = await download(
        client, signature_url(url), resolve=resolve, timeout=timeout, max_bytes=MAX_LIST
    )
    key_pem = read_bytes(data_path(LOG_LIST_KEY), MAX_KEY, what="the CT log list key")
    verify_list_signature(data, signature, key_pem)
    logs = parse_log_list(data, url)
    version = json.loads(data).get("version", "?")
    written = install(LOG_LIST, data, dest)
    install(LOG_LIST_SIG, signature, dest)
    tiled = sum(1 for log in logs if log.kind is LogKind.TILED)
    return f"{written}: {len(logs)} CT logs ({tiled} static-ct-api), log list version {version}"


__all__ = [
    "LOG_LIST",
    "LOG_LIST_URL",
    "Log",
    "LogKind",
    "load",
    "parse_log_list",
    "select",
    "short_name",
    "signature_url",
    "update_log_list",
    "verify_list_signature",
]
