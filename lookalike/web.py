"""HTTP and HTTPS probe: what a lookalike's web server serves, and where it sends a visitor.

Holds ``WebProber`` (the I/O) and the pure page readers it uses: ``extract_title``,
``has_login_form``, ``meta_refresh``, ``script_redirect``, ``visible_text``, ``parking_marker``,
``parking_nameserver``, ``parking_host``, ``on_protected`` and ``tls_facts``.

For each candidate it tries ``https://`` then ``http://``, connecting to an address the DNS gave
(never a name lookup of its own), sending ``Host:`` and, for https, SNI for the candidate. Redirects
(HTTP 3xx and ``<meta http-equiv=refresh>``) are followed by hand, at most ``max_redirects`` hops,
each new host passing ``addresses.guard`` (resolved with the ``resolve`` it is given, refused when its
address is not public, the refusal noted); the start addresses pass ``addresses.usable``.
A chain stops, without fetching, at the protected domain (the answer is known, and our own site need
not be probed), at a loop, or at the cap. Bodies are read up to ``max_body`` bytes and then dropped.
Certificates are not verified by default: we want to see what is served, and record it.

Script is never run, but a literal redirect in it is read (``location.href = "..."``,
``location.replace("...")``): it is recorded, counts as reaching the protected domain or a parking
host like any redirect, and is followed when the page has nothing else to show (no title, no visible
text), as a browser would. Such a page, made only of script, is read as a parking lander.

A URL without a port uses the prober's ``http_port``/``https_port`` (80/443 unless a test moves
them), so a redirect to ``https://other.example/`` reaches a loopback test server too.

Must not: call the system resolver, connect to a non-public address unless ``allow_private``, follow
a non-HTTP scheme, run or render anything it reads, or raise for a network failure. Everything that
comes back (titles, headers, certificate names, URLs) is hostile text: it is kept as plain,
printable, trimmed text.
"""

from __future__ import annotations

import asyncio
import html
import re
import ssl
import tomllib
import unicodedata
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

import httpx
from cryptography import x509

from lookalike.addresses import Resolve, guard, is_ip, usable
from lookalike.datafiles import data_path
from lookalike.endpoints import Limits
from lookalike.errors import LookalikeError
from lookalike.model import DnsFacts, Outcome, Status, TlsFacts, WebFacts
from lookalike.ratelimit import PerKeyLimits
from lookalike.text import clean

PARKING = "parking.toml"
TITLE_LIMIT = 200
TEXT_LIMIT = 256
URL_LIMIT = 2048
DETAIL_LIMIT = 160
MAX_ADDRESSES = 3
"""Addresses of one host tried before giving up on it."""
PER_ADDRESS = 4
"""Requests in flight to one address. Parking companies serve thousands of names from a few."""
REDIRECTS = frozenset({301, 302, 303, 307, 308})

_HOST = re.compile(
    r"^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$"
)
_LOGIN_WORDS = re.compile(
    r"log[\s_-]?in|log[\s_-]?on|sign[\s_-]?in|signin|auth|session|password", re.IGNORECASE
)


# --- pure readers ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tag:
    """One start tag: its lower-case name, its attributes (entities decoded), and where it ends."""

    name: str
    attrs: dict[str, str]
    end: int


_ANY_TAG = re.compile(r"<(?:!--|([A-Za-z][A-Za-z0-9:-]*))")
MAX_TOKENS = 20_000
"""Tags and comments looked at in one page: enough for any real page, a bound for a crafted one."""
_ATTR = re.compile(r"""([^\s"'=<>/`]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_SIGNAL_TAGS = frozenset({"input", "form", "meta", "script"})
RAW_TEXT = frozenset({"script", "style", "title", "textarea", "xmp"})
"""Elements whose content is text, not markup: a ``<title>`` inside a script is not a title."""
HIDDEN = frozenset({"script", "style", "title", "noscript", "template"})
"""Elements whose content a visitor (with script on) does not see as page text."""
VISIBLE_LIMIT = 10_000
"""Visible characters counted at most: enough to tell a page of text from a blank one."""
SCRIPT_LIMIT = 64 * 1024
"""Characters of one inline script searched for a redirect."""


@cache
def _tokens(names: frozenset[str]) -> re.Pattern[str]:
    alternatives = "|".join(sorted(re.escape(n) for n in names | RAW_TEXT))
    return re.compile(rf"<(?:!--|({alternatives})(?=[\s/>]))", re.IGNORECASE)


@cache
def _closing(name: str) -> re.Pattern[str]:
    return re.compile(rf"</{name}(?=[\s/>])", re.IGNORECASE)


def start_tags(page: str, names: Collection[str] | None = None) -> Iterator[Tag]:
    """The start tags of ``page`` (only those in ``names``, when given) in order, skipping comments
    and the content of raw-text elements.

    A small tokenizer rather than ``html.parser``: the page is hostile, and every step here moves
    forward through the text (each character is looked at a bounded number of times), so a crafted
    page cannot make it slow. It stops at the first tag that never closes. A ``>`` inside a quoted
    attribute value ends the tag early; for the signals read here that does not matter.
    """
    # With names given, only those tags, the raw-text ones and comments are tokens: the regex
    # skips every other tag at C speed.
    pattern = _ANY_TAG if names is None else _tokens(frozenset(names))
    pos = count = 0
    while count < MAX_TOKENS:
        token = pattern.search(page, pos)
        if token is None:
            return
        count += 1
        if token.group(0) == "<!--":
            end = page.find("-->", token.end())
            if end < 0:
                return
            pos = end + 3
            continue
        name = token.group(1).lower()
        gt = page.find(">", token.end())
        if gt < 0:
            return
        if names is None or name in names:
            yield Tag(name, _attributes(page[token.end() : gt]), gt + 1)
        pos = gt + 1
        if name in RAW_TEXT:
            close = _closing(name).search(page, pos)
            if close is None:
                return
            pos = close.end()


def _attributes(text: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR.finditer(text[:4096]):
        name = match.group(1).lower()
        value = next((v for v in match.group(2, 3, 4) if v is not None), "")
        attrs.setdefault(name, html.unescape(value))
    return attrs


def extract_title(page: str, limit: int = TITLE_LIMIT) -> str:
    """The text of the first ``<title>``: entities decoded, whitespace collapsed, cut to ``limit``.

    A title is raw text in HTML: ``<title><script>x</script></title>`` means the literal characters,
    and that is what comes back (as text; nothing here runs). Titles inside comments, scripts and
    styles do not count.
    """
    for tag in start_tags(page, ("title",)):
        if tag.name == "title":
            close = _closing("title").search(page, tag.end)
            raw = page[tag.end : close.start() if close else len(page)]
            return clean(html.unescape(raw[: limit * 8]), limit)
    return ""


@dataclass(frozen=True, slots=True)
class PageSignals:
    """What the tags of one page say."""

    login_form: bool = False
    refresh: str | None = None
    """Where a ``<meta http-equiv="refresh">`` sends the visitor, as written (maybe relative)."""
    scripts: int = 0
    """``<script>`` elements, inline or not."""
    script_redirect: str | None = None
    """The first literal redirect in an inline script (``script_redirect``), as written."""


def page_signals(page: str) -> PageSignals:
    """Password inputs, login forms, meta refresh and scripts, in one pass over the page's tags."""
    login, refresh, scripts, redirect = False, None, 0, None
    for tag in start_tags(page, _SIGNAL_TAGS):
        attr = tag.attrs.get
        if tag.name == "input":
            login = login or attr("type", "").strip().lower() == "password"
        elif tag.name == "form":
            login = login or any(_LOGIN_WORDS.search(attr(n, "")) for n in ("action", "id", "name", "class"))
        elif tag.name == "meta" and refresh is None and attr("http-equiv", "").strip().lower() == "refresh":
            refresh = _refresh_url(attr("content", ""))
        elif tag.name == "script":
            scripts += 1
            if redirect is None and "src" not in tag.attrs:
                close = _closing("script").search(page, tag.end, tag.end + SCRIPT_LIMIT)
                redirect = script_redirect(page[tag.end : close.start() if close else tag.end + SCRIPT_LIMIT])
    return PageSignals(login, refresh, scripts, redirect)


# A string literal: what a redirect's target must be for us to read it without running anything.
_JS_STRING = r"""(["'])((?:[^"'\\\r\n]|\\/){1,2048})\1"""
# ``location`` itself, or a property of window/self/top/parent/document: not ``foo.location``.
_JS_LOCATION = (
    r"(?<![\w$.])(?<!var )(?<!let )(?<!const )(?:(?:window|self|top|parent|document)\s*\.\s*)?location"
)
_JS_ASSIGN = re.compile(
    _JS_LOCATION + r"(?:\s*\.\s*href)?\s*=(?!=)\s*" + _JS_STRING + r"(?=\s*(?:[;,)}\r\n]|$))"
)
_JS_CALL = re.compile(_JS_LOCATION + r"\s*\.\s*(?:replace|assign)\s*\(\s*" + _JS_STRING + r"\s*\)")


def script_redirect(script: str) -> str | None:
    """Where a script sends the visitor when that is a literal: ``location.href = "/x"``,
    ``window.location = 'https://y/'``, ``location.replace("...")`` or ``location.assign("...")``.

    Only a whole string literal counts (``"/s?q=" + q`` does not); ``\\/`` is read as ``/``. The
    first such redirect in the text, as written (maybe relative); None when there is none.
    """
    found = [m for m in (_JS_ASSIGN.search(script), _JS_CALL.search(script)) if m is not None]
    if not found:
        return None
    target = min(found, key=lambda m: m.start()).group(2).replace("\\/", "/").strip()
    return target or None


_MARKUP = re.compile(r"<(?:!--|[A-Za-z/!?])")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9:-]*")


def visible_text(page: str, limit: int = VISIBLE_LIMIT) -> int:
    """How many characters of text a visitor would see: outside tags and comments, and outside the
    ``HIDDEN`` elements (scripts, styles, the title, ``noscript``, templates); entities decoded,
    whitespace and invisible characters not counted. Stops counting at ``limit``.

    Forward-only like ``start_tags``: a crafted page cannot make it slow.
    """
    count = pos = tokens = 0
    while pos < len(page) and count < limit and tokens < MAX_TOKENS:
        markup = _MARKUP.search(page, pos)
        end = len(page) if markup is None else markup.start()
        count += _seen(page[pos : min(end, pos + limit * 8)])
        if markup is None:
            break
        tokens += 1
        if page.startswith("<!--", end):
            comment_end = page.find("-->", end + 4)
            pos = len(page) if comment_end < 0 else comment_end + 3
            continue
        gt = page.find(">", end + 1)
        if gt < 0:
            break
        pos = gt + 1
        name = _NAME.match(page, end + 1)
        if name is None or name.group(0).lower() not in RAW_TEXT | HIDDEN:
            continue
        tag = name.group(0).lower()
        close = _closing(tag).search(page, pos)
        stop = len(page) if close is None else close.start()
        if tag not in HIDDEN:  # textarea, xmp: raw text, but shown
            count += _seen(page[pos : min(stop, pos + limit * 8)])
        after = -1 if close is None else page.find(">", close.end())
        pos = len(page) if after < 0 else after + 1
    return min(count, limit)


def _seen(text: str) -> int:
    if not text or text.isspace():
        return 0
    return sum(1 for ch in html.unescape(text) if unicodedata.category(ch)[0] not in "CZ")


def _refresh_url(content: str) -> str | None:
    """The URL in a meta refresh's ``content`` (``"0; url=https://x/"``), or None when it only reloads."""
    _, sep, rest = content.partition(";")
    if not sep:
        _, sep, rest = content.partition(",")
    rest = rest.strip()
    if rest[:3].lower() == "url":
        rest = rest[3:].lstrip()
        if rest.startswith("="):
            rest = rest[1:].lstrip()
    rest = rest.strip("'\" \t")
    return rest or None


def has_login_form(page: str) -> bool:
    """True when the page has a password input, or a form whose action or name says log in / sign in."""
    return page_signals(page).login_form


def meta_refresh(page: str) -> str | None:
    """Where a ``<meta http-equiv="refresh">`` sends the visitor, as written (maybe relative); or None."""
    return page_signals(page).refresh


@dataclass(frozen=True, slots=True)
class Parking:
    """The parking signs from ``data/parking.toml``."""

    nameservers: tuple[str, ...]
    markers: tuple[str, ...]
    hosts: tuple[str, ...]


@cache
def parking() -> Parking:
    """The parking signs, loaded once (a refreshed copy in the user data dir wins over the snapshot)."""
    data = tomllib.loads(data_path(PARKING).read_text("utf-8"))
    return Parking(
        nameservers=tuple(str(n).lower().strip(".") for n in data.get("nameservers", ())),
        markers=tuple(str(m).lower() for m in data.get("markers", ())),
        hosts=tuple(str(h).lower().strip(".") for h in data.get("hosts", ())),
    )


def _under(name: str, suffixes: Iterable[str]) -> str | None:
    name = name.lower().rstrip(".")
    return next((s for s in suffixes if name == s or name.endswith("." + s)), None)


def parking_nameserver(nameservers: Iterable[str]) -> str | None:
    """The first name server that belongs to a known parking service, or None."""
    signs = parking().nameservers
    return next((ns for ns in nameservers if _under(ns, signs)), None)


def parking_marker(page: str) -> str | None:
    """The first known parked-page marker in ``page`` (case-insensitive), or None."""
    lowered = page.lower()
    return next((m for m in parking().markers if m in lowered), None)


def parking_host(host: str) -> bool:
    """True when ``host`` is a domain marketplace or parking lander (a redirect there means parked)."""
    return _under(host, parking().hosts) is not None


def on_protected(host: str, protected: Collection[str]) -> bool:
    """True when ``host`` is one of the ``protected`` domains or a subdomain of one."""
    return _under(host, [p.lower().rstrip(".") for p in protected if p]) is not None


def tls_facts(der: bytes) -> TlsFacts:
    """Subject, issuer, validity and SAN names of a DER certificate, as plain text. Never raises."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return TlsFacts(subject="(unreadable certificate)")
    names: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [
            *san.get_values_for_type(x509.DNSName),
            *(str(ip) for ip in san.get_values_for_type(x509.IPAddress)),
        ]
    except (x509.ExtensionNotFound, ValueError):
        pass
    return TlsFacts(
        subject=_name_text(cert.subject.rfc4514_string),
        issuer=_name_text(cert.issuer.rfc4514_string),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        names=tuple(clean(n, TEXT_LIMIT) for n in names[:100]),
    )


def _name_text(render: Callable[[], str]) -> str:
    try:
        return clean(render(), 512)
    except ValueError:
        return "(unreadable name)"


def tls_notes(tls: TlsFacts, host: str, now: datetime | None = None) -> list[str]:
    """What a browser would object to in a certificate: expiry, a name that does not match, self-signing."""
    now = now or datetime.now(UTC)
    notes: list[str] = []
    if tls.not_after is not None and tls.not_after < now:
        notes.append(f"certificate expired {tls.not_after:%Y-%m-%d}")
    if tls.not_before is not None and tls.not_before > now:
        notes.append(f"certificate not valid before {tls.not_before:%Y-%m-%d}")
    if not any(_name_matches(pattern, host) for pattern in tls.names):
        notes.append(f"certificate does not name {host}")
    if tls.subject and tls.subject == tls.issuer:
        notes.append("certificate is self-signed")
    return notes


def _name_matches(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == host


def decode_body(body: bytes, content_type: str | None) -> str:
    """Page bytes as text: the charset the server named, else UTF-8; undecodable bytes replaced."""
    charset = "utf-8"
    if content_type:
        match = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type)
        if match:
            charset = match.group(1)
    try:
        return body.decode(charset, "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


# --- the probe -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Page:
    """One response, as far as we read it."""

    status: int
    server: str = ""
    location: str | None = None
    text: str = ""
    body_bytes: int = 0
    tls: TlsFacts | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Failure:
    status: Status
    detail: str
    connected: bool = True
    """False when no connection was made: another address of the same host may do better."""


class _Chain:
    """One scheme's walk from the candidate's start URL to wherever it ends."""

    def __init__(self, url: httpx.URL) -> None:
        self.url = url
        self.final = url
        self.hops: list[str] = []
        self.notes: list[str] = []
        self.status: int | None = None
        self.server = ""
        self.title = ""
        self.body_bytes = 0
        self.parked = False
        self.login = False
        self.protected = False
        self.tls: TlsFacts | None = None
        self.visible: int | None = None
        self.script_redirect = ""

    def facts(self) -> WebFacts:
        return WebFacts(
            url=str(self.url),
            final_url=_url_text(self.final),
            status=self.status,
            redirects=tuple(self.hops),
            title=self.title,
            server=self.server,
            body_bytes=self.body_bytes,
            parked=self.parked,
            login_form=self.login,
            redirects_to_protected=self.protected,
            tls=self.tls,
            visible_text=self.visible,
            script_redirect=self.script_redirect,
        )


class WebProber:
    """Probes lookalikes' web servers; one instance per scan shares its clients and limits.

    Use as an async context manager: it owns its httpx clients.
    """

    def __init__(
        self,
        *,
        http_port: int = 80,
        https_port: int = 443,
        limits: Limits,
        resolve: Resolve,
        allow_private: bool = False,
        user_agent: str,
        max_redirects: int = 10,
        max_body: int = 512 * 1024,
        verify: bool | ssl.SSLContext = False,
        per_address: int = PER_ADDRESS,
    ) -> None:
        if not user_agent.isascii() or not user_agent.isprintable():
            raise LookalikeError(f"the user agent {user_agent!r} must be printable ASCII on one line")
        self.ports = {"http": http_port, "https": https_port}
        self.timeout = limits.probe_timeout
        self.resolve = resolve
        self.allow_private = allow_private
        self.user_agent = user_agent
        self.max_redirects = max_redirects
        self.max_body = max_body
        self.verify = verify
        self._global = asyncio.Semaphore(max(1, limits.probe_concurrency))
        self._per_address = PerKeyLimits(per_address, 0.0)
        self._plain: httpx.AsyncClient | None = None
        self._verifying: httpx.AsyncClient | None = None

    async def __aenter__(self) -> WebProber:
        self._plain = self._client(_unverified_context())
        if self.verify is not False:
            self._verifying = self._client(self.verify)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in (self._plain, self._verifying):
            if client is not None:
                await client.aclose()
        self._plain = self._verifying = None

    def _client(self, verify: bool | ssl.SSLContext) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            verify=verify,
            trust_env=False,  # no proxies, netrc or CA paths from the environment
            follow_redirects=False,  # we follow ourselves, checking every address
            timeout=httpx.Timeout(self.timeout),
            # No keep-alive: a pooled connection to an address would be reused for the next
            # name's request with the previous name's SNI and certificate.
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
            headers={"User-Agent": self.user_agent},
        )

    async def probe(
        self, domain: str, dns: DnsFacts, protected: Collection[str]
    ) -> Outcome[tuple[WebFacts, ...]]:
        """What ``domain`` serves over https and http. Never raises."""
        addresses = dns.a + dns.aaaa
        if not addresses:
            return Outcome(Status.SKIPPED, None, "no address to connect to")
        allowed = usable(addresses, host=domain, source="an address record", allow_private=self.allow_private)
        if allowed.value is None:
            return Outcome(Status.SKIPPED, None, allowed.detail)
        parked_ns = parking_nameserver(dns.ns)

        results: list[WebFacts] = []
        failures: list[Status] = []
        notes: list[str] = []
        for scheme in ("https", "http"):
            chain = await self._walk(scheme, domain, allowed.value, protected)
            if isinstance(chain, _Failure):
                failures.append(chain.status)
                notes.append(f"{scheme}: {chain.detail}")
                continue
            if parked_ns is not None:
                chain.parked = True
            results.append(chain.facts())
            if chain.notes:
                notes.append(f"{scheme}: " + "; ".join(chain.notes))
        if parked_ns is not None:
            notes.append(f"name server {clean(parked_ns, 100)} parks domains")
        if results:
            return Outcome(Status.OK, tuple(results), "; ".join(notes))
        # Nobody answered: a timeout says more than a refusal, a refusal more than garbage.
        status = next(s for s in (Status.TIMEOUT, Status.REFUSED, Status.ERROR) if s in failures)
        return Outcome(status, None, "; ".join(notes))

    async def _walk(
        self, scheme: str, domain: str, addresses: Sequence[str], protected: Collection[str]
    ) -> _Chain | _Failure:
        """Fetch ``scheme://domain/`` and follow where it leads."""
        try:
            chain = _Chain(httpx.URL(f"{scheme}://{domain}/"))
        except httpx.InvalidURL:
            return _Failure(Status.ERROR, f"{clean(domain, 100)!r} is not a usable host name")
        url = chain.url
        seen = {_key(url)}
        while True:
            page = await self._fetch(url, addresses, want_tls=chain.status is None)
            if isinstance(page, _Failure):
                if chain.status is None:
                    return page
                chain.notes.append(f"{_url_text(url, 200)}: {page.detail}")
                return chain
            chain.final = url
            chain.status = page.status
            chain.server = page.server
            chain.body_bytes = page.body_bytes
            chain.notes.extend(page.notes)
            if page.tls is not None and chain.tls is None:
                chain.tls = page.tls
            if page.location is None:
                self._read_page(chain, url, page, protected)
            if page.location is None:
                return chain

            try:
                target = url.join(page.location.strip())
                host = target.raw_host.decode("ascii").lower().rstrip(".")
            except (httpx.InvalidURL, UnicodeError, ValueError):
                chain.notes.append(f"unusable redirect {clean(page.location, 200)!r}")
                return chain
            chain.hops.append(_url_text(target))
            chain.final = target
            if target.scheme not in ("http", "https"):
                chain.notes.append(f"redirect to a {clean(target.scheme, 20)}: URL, not followed")
                return chain
            if on_protected(host, protected):
                # The question is answered, and our own site need not hear from us.
                chain.protected = True
                return chain
            if parking_host(host):
                chain.parked = True
            if _key(target) in seen:
                chain.notes.append(f"redirect loop at {_url_text(target, 200)}")
                return chain
            if len(chain.hops) > self.max_redirects:
                chain.notes.append(f"more than {self.max_redirects} redirects, stopped")
                return chain
            seen.add(_key(target))
            if target.raw_host != url.raw_host:
                found = await self._addresses(host)
                if isinstance(found, str):
                    chain.notes.append(found)
                    return chain
                addresses = found
            url = target

    def _read_page(self, chain: _Chain, url: httpx.URL, page: _Page, protected: Collection[str]) -> None:
        """What a fetched page (not an HTTP redirect) says; sets ``page.location`` when it sends the
        visitor on: a meta refresh, or a literal script redirect on a page with nothing else to show."""
        title = extract_title(page.text)
        chain.title = title or chain.title
        scan = page_signals(page.text)
        chain.login = chain.login or scan.login_form
        chain.parked = chain.parked or parking_marker(page.text) is not None
        chain.visible = visible_text(page.text)
        empty = not title and chain.visible == 0
        if scan.refresh is not None:
            page.location = scan.refresh
        elif scan.script_redirect is not None:
            try:
                target = url.join(scan.script_redirect)
                host = target.raw_host.decode("ascii").lower().rstrip(".")
            except (httpx.InvalidURL, UnicodeError, ValueError):
                chain.notes.append(f"unusable script redirect {clean(scan.script_redirect, 200)!r}")
                target = None
            if target is not None:
                chain.script_redirect = _url_text(target)
                if empty:
                    page.location = scan.script_redirect  # what a browser would do next: follow it
                    return
                if target.scheme in ("http", "https"):
                    # Not followed (the page has content of its own), but where it points counts.
                    chain.protected = chain.protected or on_protected(host, protected)
                    chain.parked = chain.parked or parking_host(host)
        if empty and scan.scripts and page.location is None:
            # Nothing to read and nowhere it sends us: the script builds the page. Parking landers do.
            chain.parked = True
            chain.notes.append("a page of script only, with no text or title: read as a parking lander")

    async def _addresses(self, host: str) -> Sequence[str] | str:
        """The addresses to use for a redirect's host, or why there are none: the one guard for
        addresses an answer chose (``addresses.guard``), whose refusal is the note."""
        if not is_ip(host.strip("[]")) and not _HOST.match(host):
            return f"redirect to an unusable host name {clean(host, 100)!r}"
        found = await guard(host, resolve=self.resolve, source="a redirect", allow_private=self.allow_private)
        if found.value is None:
            return f"redirect not followed: {clean(found.detail, 200)}"
        return found.value

    async def _fetch(self, url: httpx.URL, addresses: Sequence[str], *, want_tls: bool) -> _Page | _Failure:
        """GET ``url`` from the first of ``addresses`` that takes a connection."""
        failure = _Failure(Status.ERROR, "no address tried")
        for address in addresses[:MAX_ADDRESSES]:
            async with self._per_address.semaphore(address), self._global:
                result = await self._get(url, address, want_tls=want_tls)
            if isinstance(result, _Page):
                return result
            failure = result
            if result.connected:
                break  # it connected and then failed: another address of the same host will not help
        return failure

    async def _get(self, url: httpx.URL, address: str, *, want_tls: bool) -> _Page | _Failure:
        scheme = url.scheme
        host = url.raw_host.decode("ascii")
        port = url.port or self.ports[scheme]
        target = url.copy_with(host=address, port=port, fragment=None)
        host_header = f"[{host}]" if ":" in host else host
        if url.port is not None:
            host_header += f":{url.port}"
        headers = {"Host": host_header, "Accept": "text/html,*/*;q=0.5", "Accept-Encoding": "identity"}
        sni = host if scheme == "https" and _HOST.match(host) and not is_ip(host) else None
        extensions = {"sni_hostname": sni} if sni else {}
        notes: list[str] = []
        client = self._verifying if scheme == "https" and self._verifying is not None else self._plain
        assert client is not None, "use WebProber as an async context manager"
        while True:
            try:
                async with asyncio.timeout(self.timeout):
                    request = client.build_request("GET", target, headers=headers, extensions=extensions)
                    return await self._read(client, request, host, want_tls=want_tls, notes=notes)
            except httpx.ConnectError as exc:
                reason = _verify_failure(exc)
                if reason is not None and client is not self._plain and self._plain is not None:
                    # Verification failed: note it, and look at what is served anyway.
                    notes.append(f"certificate verification failed: {clean(reason, DETAIL_LIMIT)}")
                    client = self._plain
                    continue
                return _connect_failure(exc)
            except httpx.ConnectTimeout:
                return _Failure(Status.TIMEOUT, f"no connection within {self.timeout:g}s", connected=False)
            except (TimeoutError, httpx.TimeoutException):
                return _Failure(Status.TIMEOUT, f"no answer within {self.timeout:g}s")
            except httpx.RemoteProtocolError as exc:
                return _Failure(Status.ERROR, f"not HTTP: {clean(str(exc), DETAIL_LIMIT)}")
            except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
                why = clean(str(exc) or type(exc).__name__, DETAIL_LIMIT)
                return _Failure(Status.REFUSED, f"connection lost: {why}")

    async def _read(
        self,
        client: httpx.AsyncClient,
        request: httpx.Request,
        host: str,
        *,
        want_tls: bool,
        notes: list[str],
    ) -> _Page:
        response = await client.send(request, stream=True)
        try:
            page = _Page(response.status_code, clean(response.headers.get("server", ""), TEXT_LIMIT))
            page.notes.extend(notes)
            if want_tls and request.url.scheme == "https":
                page.tls = _peer_certificate(response)
                if page.tls is not None:
                    page.notes.extend(tls_notes(page.tls, host))
            if response.status_code in REDIRECTS and "location" in response.headers:
                page.location = response.headers["location"]
                return page
            body, wire, why = await self._body(response)
            page.body_bytes = wire
            if why:
                page.notes.append(why)
            page.text = decode_body(body, response.headers.get("content-type"))
            return page
        finally:
            await response.aclose()

    async def _body(self, response: httpx.Response) -> tuple[bytes, int, str]:
        """(body up to max_body, bytes read off the wire, why reading stopped early or "").

        We ask for an uncompressed body; a server that compresses anyway is inflated here, bounded,
        so a small compressed bomb cannot grow past ``max_body``.
        """
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        inflate = zlib.decompressobj(47) if encoding in ("gzip", "x-gzip", "deflate") else None
        chunks: list[bytes] = []
        size = wire = 0
        async for raw in response.aiter_raw():
            wire += len(raw)
            data = raw
            if inflate is not None:
                try:
                    data = inflate.decompress(raw, self.max_body - size)
                except zlib.error:
                    return b"".join(chunks), wire, f"{encoding} body could not be inflated"
            data = data[: self.max_body - size]
            chunks.append(data)
            size += len(data)
            if size >= self.max_body or wire >= self.max_body * 4:
                return b"".join(chunks), wire, f"body cut at {self.max_body} bytes"
        return b"".join(chunks), wire, ""


def _unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _peer_certificate(response: httpx.Response) -> TlsFacts | None:
    stream = response.extensions.get("network_stream")
    sslobj = stream.get_extra_info("ssl_object") if stream is not None else None
    der = sslobj.getpeercert(binary_form=True) if isinstance(sslobj, ssl.SSLObject) else None
    return tls_facts(der) if der else None


def _causes(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _verify_failure(exc: BaseException) -> str | None:
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return cause.verify_message or str(cause)
    return None


def _connect_failure(exc: httpx.ConnectError) -> _Failure:
    for cause in _causes(exc):
        if isinstance(cause, ConnectionRefusedError):
            return _Failure(Status.REFUSED, "connection refused", connected=False)
        if isinstance(cause, ssl.SSLError):
            why = clean(cause.reason or str(cause), DETAIL_LIMIT)
            return _Failure(Status.ERROR, f"TLS handshake failed: {why}")
    why = clean(str(exc) or "connection failed", DETAIL_LIMIT)
    return _Failure(Status.REFUSED, f"cannot connect: {why}", connected=False)


def _key(url: httpx.URL) -> tuple[str, bytes, int | None, bytes]:
    return (url.scheme, url.raw_host, url.port, url.raw_path)


def _url_text(url: httpx.URL, limit: int = URL_LIMIT) -> str:
    return clean(str(url.copy_with(fragment=None)), limit)
