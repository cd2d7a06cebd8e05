"""RDAP (RFC 9082, 9083, 9224): the IANA bootstrap, an httpx client, ``parse_rdap`` (the pure reader of
an RDAP domain object) and ``update_data`` (refresh the bootstrap and the TLD list from IANA).

How a question ends::

    no bootstrap entry for the TLD ................. SKIPPED   (the registry policy then asks WHOIS)
    HTTP 200 with a domain object .................. OK        (registrar's RDAP followed when linked)
    HTTP 404 ....................................... ABSENT
    HTTP 429 ....................................... Retry-After honoured once if short, else REFUSED
    HTTP 5xx, other statuses, connection refused ... REFUSED
    the server's Retry-After runs past the deadline  REFUSED   (at once: we do not sleep toward it)
    no answer within Limits.registry_timeout ....... TIMEOUT
    a redirect to a private address ................ SKIPPED   (with the reason; --allow-private lifts it)
    malformed JSON, not a domain object, too big ... ERROR     (a compressed body is cut as it inflates)

No server sets our clock: a ``Retry-After`` holds that server's next requests back for minutes at
most (``ratelimit.MAX_DEFER``), and every wait counts against the lookup's deadline. Addresses a
registry's answer chooses (a redirect to another host, the registrar's ``related`` link) pass the
address guard (``addresses.guard``); the bootstrap's servers are configuration.

Must not: resolve a host name with the system resolver. A server's name is resolved with the
``Resolve`` the caller gives and the request goes to that address, with the name in the Host header
and in TLS SNI (so certificates are still checked against the name). Must not print, and must not
raise across the I/O boundary: every network failure is an ``Outcome``. Must not read more than a
bounded number of bytes of any file or answer.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import re
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx

from lookalike.addresses import guard, is_ip
from lookalike.datafiles import RDAP_BOOTSTRAP, TLDS, data_path, install
from lookalike.endpoints import Limits
from lookalike.errors import LookalikeError
from lookalike.inputs import read_bytes
from lookalike.model import Contact, Outcome, Registration, Status
from lookalike.ratelimit import PATIENCE, Gate, PerKeyLimits
from lookalike.registrydates import parse_date
from lookalike.registrytext import (
    MAX_RAW,
    clean_value,
    merge_registrations,
    normalise_nameserver,
    normalise_status,
)
from lookalike.text import clean
from lookalike.whois import Resolve

RDAP_MEDIA_TYPE = "application/rdap+json"
MAX_DOCUMENT = 2 * 1024 * 1024
"""Bytes read of one RDAP answer; a larger one is an error (a domain object is a few KiB)."""
MAX_BOOTSTRAP = 4 * 1024 * 1024
"""Bytes read of an RDAP bootstrap file (IANA's is about 100 KiB); a larger one is refused."""
MAX_DOWNLOAD = 16 * 1024 * 1024
"""Bytes read of a data file ``update-data`` fetches (IANA's bootstrap is about 100 KiB)."""
RETRY_AFTER_CAP = PATIENCE
"""Seconds of ``Retry-After`` we wait out once; a longer wish makes the answer REFUSED, and every
request to that server is refused at once while the server's hold (``ratelimit.MAX_DEFER`` at most)
lasts."""
MAX_REDIRECTS = 3
MIN_TLDS = 1000
"""A TLD list with fewer entries than this is not IANA's (the root zone holds well over a thousand)."""

_LABELS = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_MAX_ENTITIES = 64
_MAX_DEPTH = 4


# ---------------------------------------------------------------------------------------------------
# The bootstrap (RFC 9224)


@dataclass(frozen=True, slots=True)
class Bootstrap:
    """IANA's map from TLDs to RDAP base URLs."""

    services: Mapping[str, tuple[str, ...]]
    """TLD (or longer suffix, lower-case ASCII) -> base URLs, each ending in ``/``, https first."""
    publication: str
    """When IANA published this copy (RFC 3339), as the file says."""

    @classmethod
    def load(cls, path: Path | None = None) -> Bootstrap:
        """Read a bootstrap file; ``None`` reads the refreshed copy or the snapshot in the package.
        Raises ``LookalikeError`` when the file is unreadable or not a bootstrap."""
        source = path if path is not None else data_path(RDAP_BOOTSTRAP)
        raw = read_bytes(source, MAX_BOOTSTRAP, what="the RDAP bootstrap")
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise LookalikeError(f"the RDAP bootstrap {source} is not valid JSON: {exc}") from exc
        return cls.parse(data, str(source))

    @classmethod
    def parse(cls, data: Any, origin: str = "the RDAP bootstrap") -> Bootstrap:
        """A bootstrap from its decoded JSON. Raises ``LookalikeError`` naming ``origin`` when it is
        not an RFC 9224 file or lists no services."""
        if not isinstance(data, Mapping) or not isinstance(data.get("services"), list):
            raise LookalikeError(f"{origin} is not an RDAP bootstrap file: it has no 'services' list")
        services: dict[str, list[str]] = {}
        for number, service in enumerate(data["services"], 1):
            if not (isinstance(service, list) and len(service) >= 2):
                raise LookalikeError(f"{origin}: service {number} is not a pair of lists")
            entries, urls = service[0], service[1]
            if not (isinstance(entries, list) and isinstance(urls, list)):
                raise LookalikeError(f"{origin}: service {number} is not a pair of lists")
            bases = _base_urls(urls)
            if not bases:
                continue
            for entry in entries:
                if not isinstance(entry, str):
                    raise LookalikeError(f"{origin}: service {number} lists a TLD that is not a string")
                tld = entry.strip().strip(".").lower()
                if not _LABELS.match(tld):
                    raise LookalikeError(f"{origin}: service {number} lists {entry[:40]!r}, not a TLD")
                services.setdefault(tld, [])
                services[tld] += [u for u in bases if u not in services[tld]]
        if not services:
            raise LookalikeError(f"{origin} lists no RDAP services")
        publication = data.get("publication")
        return cls(
            services=MappingProxyType({tld: tuple(urls) for tld, urls in services.items()}),
            publication=publication if isinstance(publication, str) else "",
        )

    def urls(self, domain: str) -> tuple[str, ...]:
        """The base URLs for ``domain``, by its longest suffix listed (RFC 9224 §4); () when none."""
        labels = domain.strip().rstrip(".").lower().split(".")
        for i in range(len(labels)):
            found = self.services.get(".".join(labels[i:]))
            if found:
                return found
        return ()


def _base_urls(urls: Iterable[object]) -> list[str]:
    """http(s) base URLs, each ending in '/', https ones first (RFC 9224 §3 asks clients to prefer them)."""
    bases = []
    for url in urls:
        if isinstance(url, str) and re.match(r"^https?://[^/\s]+", url, re.IGNORECASE):
            bases.append(url if url.endswith("/") else url + "/")
    return sorted(bases, key=lambda u: not u.lower().startswith("https://"))


# ---------------------------------------------------------------------------------------------------
# The pure reader (RFC 9083, jCard RFC 7095, redaction RFC 9537)


def parse_rdap(data: Mapping[str, Any], server: str) -> Registration:
    """An RDAP domain object as a ``Registration``. Pure.

    Raises ``ValueError`` when ``data`` is not a domain object (an RDAP error response, an entity,
    anything else), and nothing else whatever JSON it is given. Redacted values (removed, emptied, or
    replaced by a placeholder) become None. The latest of the ``registration`` and ``reregistration``
    events is ``created``: a name dropped and registered again is new. ``last changed`` is ``updated``
    (or CZ.NIC's non-standard ``last update``); a registrar known only by its handle is named by it.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"an RDAP answer must be a JSON object, not {type(data).__name__}")
    kind = data.get("objectClassName")
    if kind is None:
        if "errorCode" in data:
            raise ValueError(f"an RDAP error response (errorCode {str(data.get('errorCode'))[:10]})")
        if not isinstance(data.get("ldhName"), str):
            raise ValueError("not an RDAP domain object: no objectClassName and no ldhName")
    elif not isinstance(kind, str) or kind.lower() != "domain":
        raise ValueError(f"not an RDAP domain object: objectClassName is {str(kind)[:40]!r}")

    entities = list(_entities(data.get("entities")))
    registrar = next((e for e, _ in entities if _has_role(e, "registrar")), None)
    abuse = None
    if registrar is not None:
        abuse = next((e for e, _ in _entities(registrar.get("entities")) if _has_role(e, "abuse")), None)
    if abuse is None:
        abuse = next((e for e, _ in entities if _has_role(e, "abuse")), None)
    registrant = next((e for e, _ in entities if _has_role(e, "registrant")), None)

    registrar_name = registrar_id = None
    if registrar is not None:
        card = _vcard(registrar)
        # Some ccTLD registries (CZ.NIC's FRED) name the registrar only by its handle ("REG-...").
        registrar_name = card.name or card.organization or clean_value(registrar.get("handle"), 120)
        registrar_id = _iana_id(registrar)

    created = expires = updated = late_update = None
    for action, when in _events(data.get("events")):
        if action in ("registration", "reregistration"):
            created = when if created is None or when > created else created
        elif action == "expiration":
            expires = when
        elif action == "last changed":
            updated = when
        elif action == "last update":
            # Non-standard (CZ.NIC): the domain's last change. Not "last update of RDAP database",
            # which is the server's own clock.
            late_update = when
    updated = updated or late_update

    statuses = data.get("status")
    status = tuple(
        dict.fromkeys(
            s
            for v in (statuses if isinstance(statuses, list) else [])
            if isinstance(v, str)
            if (s := normalise_status(v))
        )
    )
    nameservers = tuple(
        dict.fromkeys(
            n
            for ns in _list(data.get("nameservers"))
            if isinstance(ns, Mapping) and isinstance(ns.get("ldhName"), str)
            if (n := normalise_nameserver(ns["ldhName"]))
        )
    )
    return Registration(
        source="rdap",
        server=server,
        registrar=registrar_name,
        registrar_iana_id=registrar_id,
        created=created,
        expires=expires,
        updated=updated,
        status=status,
        nameservers=nameservers,
        registrant=_contact(registrant, with_phone=False),
        abuse=_contact(abuse, with_phone=True, with_country=False),
        raw=clean(json.dumps(data, ensure_ascii=False, indent=1, default=str), MAX_RAW, lines=True),
    )


def registrar_link(data: Mapping[str, Any]) -> str | None:
    """The registrar's RDAP URL for this domain, when the registry links to it (``rel: related`` with
    ``type: application/rdap+json``, as the ICANN gTLD RDAP profile asks)."""
    for link in _list(data.get("links")):
        if not isinstance(link, Mapping):
            continue
        rel, kind, href = link.get("rel"), link.get("type"), link.get("href")
        if not (isinstance(rel, str) and isinstance(kind, str) and isinstance(href, str)):
            continue
        if (
            rel.lower() == "related"
            and RDAP_MEDIA_TYPE in kind.lower()
            and re.match(r"^https?://", href, re.IGNORECASE)
            and "/domain/" in href.lower()
        ):
            return href.strip()
    return None


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _entities(value: object, depth: int = 0) -> Iterator[tuple[Mapping[str, Any], int]]:
    """Entities and their nested entities, breadth first, bounded in depth and number."""
    queue = [(e, depth) for e in _list(value) if isinstance(e, Mapping)]
    seen = 0
    while queue and seen < _MAX_ENTITIES:
        entity, level = queue.pop(0)
        seen += 1
        yield entity, level
        if level < _MAX_DEPTH:
            queue += [(e, level + 1) for e in _list(entity.get("entities")) if isinstance(e, Mapping)]


def _has_role(entity: Mapping[str, Any], role: str) -> bool:
    return any(isinstance(r, str) and r.lower() == role for r in _list(entity.get("roles")))


def _iana_id(entity: Mapping[str, Any]) -> str | None:
    for public in _list(entity.get("publicIds")):
        if not isinstance(public, Mapping):
            continue
        kind, identifier = public.get("type"), public.get("identifier")
        if isinstance(kind, str) and kind.lower() == "iana registrar id":
            text = str(identifier).strip() if isinstance(identifier, str | int) else ""
            if text.isdigit() and len(text) <= 10:
                return text
    return None


def _events(value: object) -> Iterator[tuple[str, datetime]]:
    for event in _list(value):
        if not isinstance(event, Mapping):
            continue
        action, date = event.get("eventAction"), event.get("eventDate")
        if isinstance(action, str) and isinstance(date, str):
            when = _rfc3339(date)
            if when is not None:
                yield action.strip().lower(), when


def _rfc3339(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return parse_date(text)
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return when if 1985 <= when.year <= 2200 else None


@dataclass(frozen=True, slots=True)
class _Card:
    name: str | None = None
    organization: str | None = None
    email: str | None = None
    phone: str | None = None
    country: str | None = None


def _vcard(entity: Mapping[str, Any]) -> _Card:
    """The useful properties of an entity's jCard (RFC 7095): fn, org, email, voice tel, country."""
    array = entity.get("vcardArray")
    if not (isinstance(array, list) and len(array) >= 2 and isinstance(array[1], list)):
        return _Card()
    props: dict[str, list[tuple[Mapping[str, Any], Any]]] = {}
    for prop in array[1][:200]:
        if isinstance(prop, list) and len(prop) >= 4 and isinstance(prop[0], str):
            params = prop[1] if isinstance(prop[1], Mapping) else {}
            props.setdefault(prop[0].lower(), []).append((params, prop[3]))

    def text(name: str) -> str | None:
        for _params, value in props.get(name, ()):
            first = value[0] if isinstance(value, list) and value else value
            if (cleaned := clean_value(first)) is not None:
                return cleaned
        return None

    email = text("email")
    if email and email.lower().startswith("mailto:"):
        email = email[7:] or None
    phone = None
    phones = props.get("tel", [])
    # A voice number first: the abuse role's fax is no use to a takedown.
    phones = sorted(phones, key=lambda p: "voice" not in str(p[0].get("type", "")).lower())
    for _params, value in phones:
        if (cleaned := clean_value(value, 64)) is not None:
            phone = cleaned[4:] if cleaned.lower().startswith("tel:") else cleaned
            break
    country = None
    for params, value in props.get("adr", ()):
        cc = params.get("cc")
        if isinstance(cc, str) and (cleaned := clean_value(cc, 8)):
            country = cleaned.upper()
            break
        if isinstance(value, list) and len(value) >= 7 and (cleaned := clean_value(value[6], 64)):
            country = cleaned
            break
    return _Card(name=text("fn"), organization=text("org"), email=email, phone=phone, country=country)


def _contact(
    entity: Mapping[str, Any] | None, *, with_phone: bool, with_country: bool = True
) -> Contact | None:
    if entity is None:
        return None
    card = _vcard(entity)
    contact = Contact(
        name=card.name,
        organization=card.organization,
        email=card.email,
        phone=card.phone if with_phone else None,
        country=card.country if with_country else None,
    )
    return (
        contact
        if any((contact.name, contact.organization, contact.email, contact.phone, contact.country))
        else None
    )


# ---------------------------------------------------------------------------------------------------
# HTTP without the system resolver


@dataclass(frozen=True, slots=True)
class HttpReply:
    """One HTTP answer, its body read up to a cap."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes
    truncated: bool = False


def server_key(url: str) -> str:
    """The rate-limit key of the server behind ``url``: ``host:port``."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return url
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    host = parsed.host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def http_get(
    client: httpx.AsyncClient,
    url: str,
    *,
    resolve: Resolve | None,
    max_bytes: int,
    accept: str = f"{RDAP_MEDIA_TYPE}, application/json;q=0.9",
    max_redirects: int = MAX_REDIRECTS,
    allow_private: bool = False,
    from_answer: str = "",
    trusted: Iterable[str] = (),
) -> Outcome[HttpReply]:
    """GET ``url`` and read at most ``max_bytes`` of its (decoded) body, following redirects.

    A host name is resolved with ``resolve`` and the request sent to the address, with the name in
    the Host header and TLS SNI. ``url`` itself is configuration (the RDAP bootstrap, ``update-data``'s
    option) unless ``from_answer`` says which answer chose it ("an RDAP related link"); a redirect to
    another host or port is always an answer's choice. Those go through ``addresses.guard``: public
    addresses only unless ``allow_private``, the refusal (SKIPPED) as the outcome's reason. Hosts and
    ports of the ``trusted`` URLs (configuration) are not guarded: an answer pointing back at the
    server that gave it leads nowhere new.

    Network failures become outcomes: TIMEOUT, REFUSED (cannot connect) or ERROR (a broken exchange);
    a body that inflates past ``max_bytes`` is cut there and marked ``truncated``. Any HTTP status is
    OK here: the caller decides what it means.
    """
    current = url
    origins = {o for u in trusted if (o := _origin(u)) is not None}
    for hop in range(max_redirects + 1):
        try:
            parsed = httpx.URL(current)
        except httpx.InvalidURL as exc:
            return Outcome(Status.ERROR, None, f"{current[:200]!r} is not a URL: {exc}")
        if parsed.scheme not in ("http", "https") or not parsed.host:
            return Outcome(Status.ERROR, None, f"{current[:200]!r} is not an http(s) URL")
        host = parsed.host
        origin = _origin(current)
        if hop == 0 and not from_answer and origin is not None:
            origins.add(origin)
        source = (
            None if origin in origins else (from_answer if hop == 0 and from_answer else "an RDAP redirect")
        )
        addresses = await _addresses(host, resolve, source=source, allow_private=allow_private)
        if addresses.value is None:
            return Outcome(addresses.status, None, addresses.detail)
        reply: Outcome[HttpReply] = Outcome(Status.ERROR, None, f"no address for {host}")
        for address in addresses.value[:2]:
            reply = await _get_once(client, parsed, address, accept, max_bytes)
            if reply.status is not Status.REFUSED:
                break
        if reply.value is None:
            return reply
        location = reply.value.headers.get("location")
        if reply.value.status in (301, 302, 303, 307, 308) and location:
            try:
                current = str(parsed.join(location.strip()))
            except httpx.InvalidURL as exc:
                return Outcome(Status.ERROR, None, f"a redirect to {location[:200]!r}, not a URL: {exc}")
            continue
        return reply
    return Outcome(Status.ERROR, None, f"more than {max_redirects} redirects from {url[:200]}")


def _origin(url: str) -> tuple[str, int] | None:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return None
    return parsed.host.lower(), parsed.port or (443 if parsed.scheme == "https" else 80)


async def _addresses(
    host: str, resolve: Resolve | None, *, source: str | None, allow_private: bool
) -> Outcome[tuple[str, ...]]:
    """Where to send a request for ``host``: configuration (``source`` None) is resolved as it is;
    a host an answer chose (``source`` says which) passes the address guard."""
    if source is not None:
        return await guard(
            host, resolve=resolve, source=f"{source} to {host[:120]}", allow_private=allow_private
        )
    if is_ip(host):
        return Outcome(Status.OK, (host,))
    if host == "localhost":
        return Outcome(Status.OK, ("127.0.0.1",))
    if resolve is None:
        return Outcome(Status.ERROR, None, f"no resolver to find the address of {host}")
    found = await resolve(host)
    if not found.value:
        status = found.status if found.status.unknown else Status.ERROR
        why = found.detail or found.status.value
        return Outcome(status, None, f"cannot find the address of {host}: {why}")
    return Outcome(Status.OK, found.value)


class _Inflater:
    """A body's ``Content-Encoding`` undone as it arrives, never producing more than ``limit`` bytes:
    a small gzip bomb cannot fill memory before the size check (it is cut at the limit)."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.encoding = encoding.strip().lower()
        self.limit = limit
        self.size = 0
        self._raw_deflate = False
        self._started = False
        self._z: Any = None
        if self.encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self._z = zlib.decompressobj()
        elif self.encoding not in ("", "identity"):
            raise ValueError(f"unsupported Content-Encoding {encoding[:40]!r}")

    def feed(self, chunk: bytes) -> tuple[bytes, bool]:
        """The decoded bytes of ``chunk`` (at most what is left of ``limit``), and whether the body
        would go past ``limit``. Raises ``zlib.error`` for a broken stream."""
        room = self.limit - self.size
        if self._z is None:
            out = chunk[: room + 1]
        else:
            try:
                out = self._z.decompress(chunk, room + 1)
            except zlib.error:
                if self.encoding != "deflate" or self._started or self._raw_deflate:
                    raise
                # "deflate" is sometimes sent without its zlib header (raw deflate).
                self._raw_deflate = True
                self._z = zlib.decompressobj(wbits=-zlib.MAX_WBITS)
                out = self._z.decompress(chunk, room + 1)
            self._started = True
        over = len(out) > room or (self._z is not None and bool(self._z.unconsumed_tail))
        out = out[:room]
        self.size += len(out)
        return out, over


async def _get_once(
    client: httpx.AsyncClient, url: httpx.URL, address: str, accept: str, max_bytes: int
) -> Outcome[HttpReply]:
    host = url.host
    extensions: dict[str, Any] = {}
    if url.scheme == "https" and not is_ip(host):
        extensions["sni_hostname"] = host
    request = client.build_request(
        "GET",
        url.copy_with(host=address),
        headers={"Host": url.netloc.decode("ascii"), "Accept": accept, "Accept-Encoding": "gzip, deflate"},
        extensions=extensions,
    )
    where = server_key(str(url))
    try:
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            body = bytearray()
            truncated = False
            try:
                inflater = _Inflater(response.headers.get("content-encoding", ""), max_bytes)
            except ValueError as exc:
                return Outcome(Status.ERROR, None, f"{where}: {exc}")
            async for chunk in response.aiter_raw():
                data, truncated = inflater.feed(chunk)
                body += data
                if truncated:
                    break
        finally:
            await response.aclose()
    except httpx.TimeoutException:
        return Outcome(Status.TIMEOUT, None, f"{where} did not answer in time")
    except httpx.ConnectError as exc:
        return Outcome(Status.REFUSED, None, f"cannot connect to {where}: {exc}")
    except httpx.HTTPError as exc:
        return Outcome(Status.ERROR, None, f"{where}: {type(exc).__name__}: {exc}")
    except zlib.error as exc:
        return Outcome(Status.ERROR, None, f"{where} sent a broken {inflater.encoding} body: {exc}")
    return Outcome(
        Status.OK, HttpReply(str(url), response.status_code, response.headers, bytes(body), truncated)
    )


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date); None when absent or
    unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(min(int(text[:10]), 10**9))  # what it asks; ratelimit.MAX_DEFER is what we give
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# ---------------------------------------------------------------------------------------------------
# The client


class RdapClient:
    """RDAP lookups against the registries the bootstrap names, and their registrars' servers."""

    def __init__(
        self,
        bootstrap: Bootstrap,
        limits: Limits,
        client: httpx.AsyncClient,
        *,
        resolve: Resolve | None = None,
        gate: Gate | None = None,
        retry_after_cap: float = RETRY_AFTER_CAP,
        max_bytes: int = MAX_DOCUMENT,
        allow_private: bool = False,
    ) -> None:
        """``allow_private`` lets registry answers (redirects, ``related`` links) lead to private and
        loopback addresses; the bootstrap's own servers are configuration and always reachable."""
        self.bootstrap = bootstrap
        self._limits = limits
        self._client = client
        self._resolve = resolve
        self._gate = gate or PerKeyLimits(limits.registry_per_server, limits.registry_qps)
        self._retry_after_cap = retry_after_cap
        self._max_bytes = max_bytes
        self._allow_private = allow_private
        self.requests: Counter[str] = Counter()
        """Requests sent, per server (``host:port``)."""
        self.rate_limited = 0
        """HTTP 429 answers received."""

    async def lookup(self, domain: str, *, deadline: float | None = None) -> Outcome[Registration]:
        """What RDAP says about ``domain`` (ASCII, lower case). ``deadline`` (``time.monotonic()``) is
        when this lookup must have ended, waits included: a wait that would pass it is not started."""
        domain = domain.strip().rstrip(".").lower()
        bases = self.bootstrap.urls(domain)
        if not bases:
            tld = domain.rsplit(".", 1)[-1]
            return Outcome(Status.SKIPPED, None, f"the RDAP bootstrap lists no server for .{tld}")
        answer: Outcome[tuple[dict[str, Any], str]] = Outcome(Status.ERROR)
        url = ""
        for number, base in enumerate(bases, 1):
            url = f"{base}domain/{domain}"
            answer = await self._document(url, deadline=deadline)
            if answer.status not in (Status.TIMEOUT, Status.REFUSED) or number == len(bases):
                break
        if answer.value is None:
            return Outcome(answer.status, None, answer.detail)
        data, text = answer.value
        try:
            registration = replace(parse_rdap(data, url), raw=clean(text, MAX_RAW, lines=True))
        except ValueError as exc:
            return Outcome(Status.ERROR, None, f"{url}: {exc}")
        detail = ""
        link = registrar_link(data)
        if link and link.rstrip("/").lower() != url.rstrip("/").lower():
            registrar, detail = await self._registrar(link, url, deadline)
            if registrar is not None:
                registration = merge_registrations(registration, registrar)
        return Outcome(Status.OK, registration, detail)

    async def _registrar(
        self, url: str, registry_url: str, deadline: float | None
    ) -> tuple[Registration | None, str]:
        """The registrar's view of the domain, or why there is none (the registry's answer stands)."""
        shown = url[:200]
        related = "the registry's RDAP related link"
        answer = await self._document(url, deadline=deadline, from_answer=related, trusted=(registry_url,))
        if answer.value is None:
            return None, f"registrar RDAP {shown}: {answer.status.value}: {answer.detail}"
        data, text = answer.value
        try:
            return replace(parse_rdap(data, url), raw=clean(text, MAX_RAW, lines=True)), ""
        except ValueError as exc:
            return None, f"registrar RDAP {shown}: {exc}"

    def _timeout(self, deadline: float | None) -> float:
        limit = self._limits.registry_timeout
        return limit if deadline is None else max(0.0, min(limit, deadline - time.monotonic()))

    async def _document(
        self, url: str, *, deadline: float | None, from_answer: str = "", trusted: Iterable[str] = ()
    ) -> Outcome[tuple[dict[str, Any], str]]:
        """GET one RDAP document: the decoded JSON object and its text, or why not."""
        key = server_key(url)
        for attempt in (1, 2):
            async with self._gate.turn(key, deadline=deadline, patience=self._retry_after_cap) as refusal:
                if refusal:
                    return Outcome(Status.REFUSED, None, refusal)
                self.requests[key] += 1
                try:
                    async with asyncio.timeout(self._timeout(deadline)):
                        got = await http_get(
                            self._client,
                            url,
                            resolve=self._resolve,
                            max_bytes=self._max_bytes,
                            allow_private=self._allow_private,
                            from_answer=from_answer,
                            trusted=trusted,
                        )
                except TimeoutError:
                    limit = self._timeout(deadline)
                    return Outcome(Status.TIMEOUT, None, f"{key} did not answer in {limit:g} s")
            if got.value is None:
                return Outcome(got.status, None, got.detail)
            reply = got.value
            wait = retry_after(reply.headers.get("retry-after"))
            if reply.status in (429, 503) and wait is not None:
                # Every request to this server waits, not only this one (for minutes at most).
                await self._gate.defer(key, wait)
            if reply.status == 429:
                self.rate_limited += 1
                in_time = deadline is None or wait is None or time.monotonic() + wait < deadline
                if attempt == 1 and wait is not None and wait <= self._retry_after_cap and in_time:
                    continue  # the next turn waits the server's hold out
                asked = f"Retry-After {wait:.10g} s" if wait is not None else "no Retry-After"
                return Outcome(Status.REFUSED, None, f"HTTP 429 from {key} ({asked})")
            if reply.status == 404:
                return Outcome(Status.ABSENT, None, f"HTTP 404 from {key}")
            if reply.status != 200:
                asked = f", Retry-After {wait:.10g} s" if wait is not None else ""
                return Outcome(Status.REFUSED, None, f"HTTP {reply.status} from {key}{asked}")
            if reply.truncated:
                return Outcome(Status.ERROR, None, f"{key} sent more than {self._max_bytes:,} bytes")
            try:
                text = reply.body.decode("utf-8")
                data = json.loads(text)
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                return Outcome(Status.ERROR, None, f"{key} sent malformed JSON: {str(exc)[:120]}")
            if not isinstance(data, dict):
                return Outcome(Status.ERROR, None, f"{key} sent JSON that is not an object")
            return Outcome(Status.OK, (data, text))
        return Outcome(Status.REFUSED, None, f"HTTP 429 from {key} twice")


# ---------------------------------------------------------------------------------------------------
# update-data


def parse_tlds(data: bytes, origin: str) -> frozenset[str]:
    """IANA's TLD list (``tlds-alpha-by-domain.txt``) as a set; raises ``LookalikeError`` unless every
    line is a TLD or a ``#`` comment and there are more than ``MIN_TLDS`` of them."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise LookalikeError(f"{origin} is not IANA's TLD list: it is not ASCII text") from exc
    tlds = set()
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.strip().lower()
        if not entry or entry.startswith("#"):
            continue
        if not _TLD.match(entry):
            raise LookalikeError(f"{origin} is not IANA's TLD list: line {number} is {line[:40]!r}")
        tlds.add(entry)
    if len(tlds) <= MIN_TLDS:
        raise LookalikeError(f"{origin} lists only {len(tlds)} TLDs; IANA's list has more than {MIN_TLDS}")
    return frozenset(tlds)


async def download(
    client: httpx.AsyncClient,
    url: str,
    *,
    resolve: Resolve | None,
    timeout: float,
    accept: str = "*/*",
    max_bytes: int = MAX_DOWNLOAD,
) -> bytes:
    """The whole body of ``url`` (a data file ``update-data`` refreshes), within ``timeout`` seconds
    and ``max_bytes``; anything else (an error, another status, a larger file) is a
    ``LookalikeError`` with one line."""
    try:
        async with asyncio.timeout(timeout):
            got = await http_get(client, url, resolve=resolve, max_bytes=max_bytes, accept=accept)
    except TimeoutError:
        raise LookalikeError(f"{url} did not answer within {timeout:g} s") from None
    if got.value is None:
        raise LookalikeError(f"cannot fetch {url}: {got.detail or got.status.value}")
    if got.value.status != 200:
        raise LookalikeError(f"cannot fetch {url}: HTTP {got.value.status}")
    if got.value.truncated:
        raise LookalikeError(f"{url} is larger than {max_bytes:,} bytes; refusing it")
    return got.value.body


async def update_data(
    *,
    rdap_url: str,
    tlds_url: str,
    dest: Path,
    client: httpx.AsyncClient,
    resolve: Resolve | None = None,
    timeout: float = 60.0,
) -> list[str]:
    """Fetch IANA's RDAP bootstrap and TLD list, check both, and install them in ``dest`` (atomically,
    and only when both look right), where the loaders then prefer them over the package's snapshots.

    Returns one line per file written, saying what it holds. Raises ``LookalikeError`` when a file
    cannot be fetched, does not parse, or does not look sane; nothing is written then.
    """
    bootstrap_bytes = await download(
        client, rdap_url, resolve=resolve, timeout=timeout, accept="application/json"
    )
    tld_bytes = await download(client, tlds_url, resolve=resolve, timeout=timeout, accept="text/plain")
    try:
        bootstrap = Bootstrap.parse(json.loads(bootstrap_bytes), rdap_url)
    except (ValueError, RecursionError) as exc:
        raise LookalikeError(f"{rdap_url} is not valid JSON: {str(exc)[:120]}") from exc
    tlds = parse_tlds(tld_bytes, tlds_url)
    written_bootstrap = install(RDAP_BOOTSTRAP, bootstrap_bytes, dest)
    written_tlds = install(TLDS, tld_bytes, dest)
    published = f", published {bootstrap.publication}" if bootstrap.publication else ""
    return [
        f"{written_bootstrap}: RDAP servers for {len(bootstrap.services):,} TLDs{published}",
        f"{written_tlds}: {len(tlds):,} TLDs",
    ]
