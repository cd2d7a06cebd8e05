"""Loopback web servers for the tests and the demo: HTTP and HTTPS, many sites, picked by Host.

One ``HttpServer`` listens for HTTP on one port and HTTPS on another, on each of the addresses it is
given, and serves the ``Site`` named by the request's Host header. HTTPS presents a certificate for
the name the client asked for in SNI, issued by a throwaway ``trustme`` CA (``server.ca``), so a test
can read the certificate's subject and names, or verify it.

A deliberately small HTTP/1.1 server on asyncio streams: one request per connection, GET and HEAD,
``Connection: close``. It exists to be probed, not to be a web server.

Must not: listen anywhere but the addresses given, read more of a request than its head, or fetch
anything itself. The pages are fictional and small; the names in them are the demo's.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import html
import ssl
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import trustme

KINDS = frozenset({"page", "redirect", "parked", "login", "loop", "huge", "slow", "script-title", "files"})
HEAD_LIMIT = 16 * 1024
CHUNK = 64 * 1024


PLAIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1>
<p>Welcome. This site is being set up; there is nothing to see here yet.</p>
</body></html>
"""

PARKED_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{host}</title>
<style>body{{font-family:sans-serif;text-align:center}} .links a{{display:block;margin:.5em}}</style>
</head><body>
<h1>{host}</h1>
<p>This domain may be for sale. Make an offer today!</p>
<div class="links"><h2>Related Links</h2>
<a href="/?q=cloud+storage">Cloud Storage</a><a href="/?q=business+email">Business Email</a>
<a href="/?q=systems+integration">Systems Integration</a></div>
<p><small>Parking page served by the lookalike demo. All names are fictional.</small></p>
</body></html>
"""

LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><div class="card">
<h1>Kestrel Systems</h1><p>Sign in to continue to your mailbox.</p>
<form id="login" method="post" action="/session">
<label>Email <input type="email" name="username" autocomplete="username"></label>
<label>Password <input type="password" name="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form></div></body></html>
"""

REDIRECT_PAGE = """<!doctype html>
<html><head><title>Moved</title></head><body><a href="{target}">Moved here</a></body></html>
"""

SCRIPT_TITLE_PAGE = """<!doctype html>
<html><head><title>Account &amp; <script>alert("title")</script> verification</title></head>
<body><p>Verify your account.</p><script>document.title = "changed by script";</script></body></html>
"""

SCRIPT_ONLY_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><script src="/js/lander.js"></script><script>{script}</script></head>
<body></body></html>
"""

NOT_FOUND_PAGE = "<!doctype html><title>No such site</title><p>This server has no site for {host}.</p>\n"
NO_FILE_PAGE = b"<!doctype html><title>404 Not Found</title><h1>404 Not Found</h1>\n"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
MAX_FILES = 64
MAX_FILE = 256 * 1024


@dataclass(frozen=True, slots=True)
class Site:
    """What one host name serves. Use the class methods for the usual kinds."""

    kind: str = "page"
    """``page``, ``redirect``, ``parked``, ``login``, ``loop``, ``huge``, ``slow`` or ``script-title``."""
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    """Extra response headers; a ``Server`` header here replaces the default one."""
    body: bytes | None = None
    """The body as served; None means the kind's built-in page."""
    target: str = ""
    """``redirect``: the Location. ``loop``: the Location, or empty to redirect to the same URL."""
    size: int = 0
    """``huge``: how many bytes to stream."""
    delay: float = 0.0
    """``slow``: seconds to wait before answering."""
    title: str = "Welcome"
    files: tuple[tuple[str, bytes], ...] = ()
    """``files``: the site's files by path (``/index.html``, ``/static/logo.svg``)."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown site kind {self.kind!r}")

    @classmethod
    def page(cls, title: str = "Welcome", *, body: bytes | None = None, status: int = 200) -> Site:
        return cls("page", status=status, body=body, title=title)

    @classmethod
    def redirect(cls, url: str, status: int = 301) -> Site:
        return cls("redirect", status=status, target=url)

    @classmethod
    def parked(cls) -> Site:
        return cls("parked")

    @classmethod
    def login(cls, title: str = "Kestrel Systems - Sign in") -> Site:
        return cls("login", title=title)

    @classmethod
    def loop(cls, target: str = "") -> Site:
        return cls("loop", status=302, target=target)

    @classmethod
    def huge(cls, size: int = 64 * 1024 * 1024) -> Site:
        return cls("huge", size=size, title="A very large page")

    @classmethod
    def slow(cls, delay: float = 30.0) -> Site:
        return cls("slow", delay=delay, title="Finally")

    @classmethod
    def script_only(cls, target: str = "") -> Site:
        """A parking lander made of script alone: no title, no text; with ``target``, the script's
        one job is ``window.location.href = target``."""
        script = f"window.location.href = {_js_string(target)};" if target else "var lander = 1;"
        return cls("page", body=SCRIPT_ONLY_PAGE.format(script=script).encode("utf-8"))

    @classmethod
    def script_title(cls) -> Site:
        return cls("script-title")

    @classmethod
    def directory(cls, *roots: Path) -> Site:
        """A site made of the files under ``roots`` (read once, now; the first root that has a path
        serves it): ``index.html`` answers ``/`` and every path that names no file and has no
        extension (``/owa/``), others get a 404."""
        found: dict[str, bytes] = {}
        for root in roots:
            for path in sorted(root.rglob("*")):
                name = "/" + path.relative_to(root).as_posix()
                if path.is_file() and path.suffix in CONTENT_TYPES and name not in found:
                    found[name] = path.read_bytes()[:MAX_FILE]
        return cls("files", files=tuple(sorted(found.items()))[:MAX_FILES])

    def file(self, path: str) -> tuple[str, bytes] | None:
        """(content type, body) of the file a request's path names, for a ``files`` site."""
        wanted = path.split("?", 1)[0].split("#", 1)[0] or "/"
        files = dict(self.files)
        if wanted in files:
            return CONTENT_TYPES[PurePosixPath(wanted).suffix], files[wanted]
        if not PurePosixPath(wanted).suffix and "/index.html" in files:
            return CONTENT_TYPES[".html"], files["/index.html"]
        return None


@dataclass(frozen=True, slots=True)
class Request:
    """One request the server saw."""

    scheme: str
    local: str
    """The server address the client connected to."""
    host: str
    """The Host header, lower case, without a port."""
    path: str
    sni: str | None = None
    """The name the client sent in TLS SNI (https only)."""


@dataclass(slots=True)
class _Reply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: int = 0
    delay: float = 0.0


_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 303: "See Other", 307: "Temporary Redirect",
            308: "Permanent Redirect", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            500: "Internal Server Error", 503: "Service Unavailable"}  # fmt: skip


class HttpServer:
    """An async context manager serving ``sites`` (host name -> Site; ``"*"`` for any other name)."""

    def __init__(
        self,
        sites: Mapping[str, Site],
        *,
        addresses: Sequence[str] = ("127.0.0.1",),
        http_port: int = 0,
        https_port: int = 0,
        ca: trustme.CA | None = None,
        server_header: str = "demo-httpd/1.0",
    ) -> None:
        if not addresses:
            raise ValueError("an HttpServer needs at least one address")
        self.sites = {name.lower().rstrip("."): site for name, site in sites.items()}
        self.addresses = tuple(addresses)
        self.http_port = http_port
        self.https_port = https_port
        if ca is None:
            import trustme  # a test and demo dependency only: imported when a server is built

            ca = trustme.CA()
        self.ca = ca
        self.server_header = server_header
        self.requests: list[Request] = []
        self.connections: Counter[str] = Counter()
        """Connections accepted (HTTP and HTTPS), per local address."""
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._sni: dict[int, str] = {}
        self._tls = self._server_context()

    # --- TLS: one certificate per site name, chosen by SNI -------------------------------------------
    def _context_for(self, name: str) -> ssl.SSLContext:
        if name not in self._contexts:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            names = [name] if name.startswith("www.") else [name, f"www.{name}"]
            self.ca.issue_cert(*names).configure_cert(context)
            self._contexts[name] = context
        return self._contexts[name]

    def _server_context(self) -> ssl.SSLContext:
        # Names only the "*" site serves share this certificate, as on a catch-all host: it names
        # none of them, and issuing one per name would make the server, not the probe, the cost.
        default = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ca.issue_cert("unknown.demo.invalid").configure_cert(default)

        def choose(sslobj: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
            if name:
                self._sni[id(sslobj)] = name
                known = name.lower() in self.sites
                sslobj.context = self._context_for(name.lower()) if known else default

        default.sni_callback = choose
        return default

    # --- life cycle ----------------------------------------------------------------------------------
    async def __aenter__(self) -> HttpServer:
        for attempt in range(10):
            try:
                self.http_port = await self._bind_all("http", self.http_port)
                self.https_port = await self._bind_all("https", self.https_port)
                return self
            except OSError as exc:
                await self._close_servers()
                retry = exc.errno == errno.EADDRINUSE and attempt < 9
                if not retry:
                    raise
        return self  # pragma: no cover

    async def _bind_all(self, scheme: str, port: int) -> int:
        for local in self.addresses:
            server = await asyncio.start_server(
                partial(self._serve, scheme, local),
                host=local,
                port=port,
                ssl=self._tls if scheme == "https" else None,
                limit=HEAD_LIMIT,
            )
            self._servers.append(server)
            if port == 0:
                port = server.sockets[0].getsockname()[1]
        return port

    async def __aexit__(self, *exc: object) -> None:
        await self._close_servers()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _close_servers(self) -> None:
        for server in self._servers:
            server.close()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()

    # --- one connection ------------------------------------------------------------------------------
    async def _serve(
        self, scheme: str, local: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        self.connections[local] += 1
        try:
            await self._answer(scheme, local, reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass  # the client went away or sent nonsense: nothing to tell it
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _answer(
        self, scheme: str, local: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        sslobj = writer.get_extra_info("ssl_object")
        sni = self._sni.pop(id(sslobj), None) if sslobj is not None else None
        host = _strip_port(headers.get("host", "")).lower().rstrip(".")
        path = parts[1] if len(parts) == 3 else "/"
        self.requests.append(Request(scheme, local, host, path, sni))

        if len(parts) != 3 or not host:
            reply = _Reply(400, body=b"bad request\n")
        elif parts[0] not in ("GET", "HEAD"):
            reply = _Reply(405, body=b"method not allowed\n")
        else:
            reply = self._reply_for(scheme, host, path, headers.get("host", host))
        await self._send(writer, reply, head_only=parts[0] == "HEAD")

    def _reply_for(self, scheme: str, host: str, path: str, host_header: str) -> _Reply:
        site = self.sites.get(host) or self.sites.get("*")
        if site is None:
            return _Reply(404, body=NOT_FOUND_PAGE.format(host=html.escape(host)).encode())
        reply = _Reply(site.status)
        if site.kind == "page":
            reply.body = site.body if site.body is not None else _page(PLAIN_PAGE, title=site.title)
        elif site.kind in ("redirect", "loop"):
            target = site.target or f"{scheme}://{host_header}{path}"
            reply.headers.append(("Location", target))
            reply.body = site.body if site.body is not None else _page(REDIRECT_PAGE, target=target)
        elif site.kind == "parked":
            reply.body = site.body if site.body is not None else _page(PARKED_PAGE, host=host)
        elif site.kind == "login":
            reply.body = site.body if site.body is not None else _page(LOGIN_PAGE, title=site.title)
        elif site.kind == "files":
            found = site.file(path)
            if found is None:
                reply.status, reply.body = 404, NO_FILE_PAGE
            else:
                reply.headers.append(("Content-Type", found[0]))
                reply.body = found[1]
        elif site.kind == "script-title":
            reply.body = site.body if site.body is not None else SCRIPT_TITLE_PAGE.encode()
        elif site.kind == "huge":
            reply.body = _page(PLAIN_PAGE, title=site.title)
            reply.stream = max(site.size - len(reply.body), 0)
        elif site.kind == "slow":
            reply.body = _page(PLAIN_PAGE, title=site.title)
            reply.delay = site.delay
        reply.headers.extend(site.headers)
        return reply

    async def _send(self, writer: asyncio.StreamWriter, reply: _Reply, *, head_only: bool) -> None:
        if reply.delay:
            await asyncio.sleep(reply.delay)
        names = {name.lower() for name, _ in reply.headers}
        headers = list(reply.headers)
        if "server" not in names:
            headers.append(("Server", self.server_header))
        if "content-type" not in names:
            headers.append(("Content-Type", "text/html; charset=utf-8"))
        headers.append(("Content-Length", str(len(reply.body) + reply.stream)))
        headers.append(("Connection", "close"))
        status_line = f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}\r\n"
        head = status_line + "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
        writer.write(head.encode("latin-1", "replace"))
        if head_only:
            await writer.drain()
            return
        writer.write(reply.body)
        remaining = reply.stream
        filler = b"<!-- " + b"x" * (CHUNK - 9) + b" -->\n"
        while remaining > 0:
            piece = filler[:remaining]
            writer.write(piece)
            remaining -= len(piece)
            await writer.drain()
        await writer.drain()


def _page(template: str, **values: str) -> bytes:
    return template.format(**{k: html.escape(v) for k, v in values.items()}).encode("utf-8")


def _js_string(text: str) -> str:
    """``text`` as a double-quoted JavaScript string that cannot end the script element."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("</", "<\\/") + '"'


def _strip_port(host: str) -> str:
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
