"""SMTP probe: would a lookalike's mail host take mail for anyone? Asked without sending any.

Holds ``SmtpProber``. For each mail host in preference order it connects, reads the banner, says
EHLO (HELO when EHLO is refused), notes STARTTLS and SIZE, then gives ``MAIL FROM:<>`` and
``RCPT TO:`` a random local part at the candidate. 2xx means the host accepts any recipient (a
catch-all: someone collects whatever is sent there), 5xx means it rejects unknown recipients, 4xx is
a temporary failure. Then QUIT.

Must not: send DATA or BDAT (no message body ever leaves here), relay, resolve a name (addresses come
from ``DnsFacts``), connect to a non-public address unless told ``allow_private``, raise for a
network failure (an ``Outcome`` says what happened), or let a server's text out as anything but
trimmed, printable text.

    one host's dialogue                      its result
    connect refused / reset / closed   ->    REFUSED
    no answer within probe_timeout     ->    TIMEOUT
    banner other than 220 (421, 554)   ->    REFUSED      (the facts keep the banner)
    a reply that is not SMTP           ->    ERROR
    RCPT answered (2xx / 4xx / 5xx)    ->    OK, accepts_any_recipient True / None / False
    EHLO+HELO or MAIL FROM refused     ->    OK, accepts_any_recipient None

The probe as a whole is OK when any host got as far as an answer; it stops at the first host whose
RCPT answer is definitive (2xx or 5xx) and moves on after a failure or a 4xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from dataclasses import dataclass, field, replace
from typing import Any

from lookalike.addresses import is_public, private_reason
from lookalike.endpoints import Limits
from lookalike.errors import LookalikeError
from lookalike.model import DnsFacts, MailRoute, Outcome, SmtpFacts, Status
from lookalike.ratelimit import PerKeyLimits
from lookalike.text import clean

LINE_LIMIT = 512
"""Characters kept of one line a server says (RFC 5321 caps a reply line at 512 octets)."""
REPLY_LINES = 20
"""Lines kept of one multi-line reply."""
READ_LIMIT = 8192
"""A reply line longer than this is not SMTP."""
MAX_REPLY_LINES = 100
"""A reply with more lines than this is not SMTP."""
MAX_ATTEMPTS = 6
"""Addresses tried for one domain: enough for a primary and backups, not a crawl of a big MX set."""
GOODBYE_TIMEOUT = 2.0
"""How long QUIT may take: the answer is known by then, so a slow goodbye is not worth waiting for."""

_HELO = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[(?:IPv6:)?[0-9A-Fa-f:.]{2,45}\]")
_REPLY = re.compile(r"([2-5][0-9][0-9])(?:([ -])(.*))?", re.DOTALL)


class _Closed(Exception):
    """The server closed the connection."""


class _NotSmtp(Exception):
    """The server said something that is not an SMTP reply."""


def random_local_part() -> str:
    """A local part nobody has: a clearly made-up word and 48 random bits."""
    return f"nosuchuser-{secrets.token_hex(6)}"


@dataclass(slots=True)
class _Session:
    """One connection to one mail host: its streams, what was said, and what we learned so far."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    facts: SmtpFacts
    timeout: float
    lines: list[str] = field(default_factory=list)

    def said(self, command: str) -> None:
        self.lines.append(clean(f"C: {command}", LINE_LIMIT))

    def heard(self, lines: list[str]) -> None:
        for line in lines[:REPLY_LINES]:
            self.lines.append(clean(f"S: {line}", LINE_LIMIT))
        if len(lines) > REPLY_LINES:
            self.lines.append(f"S: … {len(lines) - REPLY_LINES} more lines")

    def learn(self, **changes: Any) -> None:
        self.facts = replace(self.facts, **changes)

    def result(self, status: Status, detail: str = "", *, definitive: bool = False) -> _HostResult:
        if status is not Status.OK:
            self.lines.append(clean(f"-- {detail}", LINE_LIMIT))
        facts = replace(self.facts, transcript=tuple(self.lines))
        # A host that never said a word leaves no facts: an empty entry tells a reader nothing.
        return _HostResult(status, facts if self.facts.banner else None, detail, definitive)

    async def command(self, command: str, *, timed: bool = True) -> tuple[int, list[str]]:
        """Send one command line and read its reply, each step within the timeout."""
        self.said(command)
        self.writer.write(command.encode("ascii", "replace") + b"\r\n")
        async with asyncio.timeout(self.timeout if timed else None):
            await self.writer.drain()
        return await self.reply(timed=timed)

    async def reply(self, *, timed: bool = True) -> tuple[int, list[str]]:
        lines: list[str] = []
        try:
            async with asyncio.timeout(self.timeout if timed else None):
                return await _read_reply(self.reader, lines)
        finally:
            self.heard(lines)

    async def goodbye(self) -> None:
        """QUIT, and read the 221 if it comes quickly. Failures here change nothing we learned."""
        with contextlib.suppress(OSError, TimeoutError, _Closed, _NotSmtp):
            async with asyncio.timeout(min(self.timeout, GOODBYE_TIMEOUT)):
                await self.command("QUIT", timed=False)


@dataclass(frozen=True, slots=True)
class _HostResult:
    status: Status
    facts: SmtpFacts | None
    detail: str = ""
    definitive: bool = False


class SmtpProber:
    """Probes the mail hosts of lookalikes; one instance per scan shares its concurrency limits."""

    def __init__(self, *, port: int = 25, helo: str, limits: Limits, allow_private: bool = False) -> None:
        if not _HELO.fullmatch(helo):
            raise LookalikeError(f"the HELO name {helo!r} is not a host name or an address literal")
        self.port = port
        self.helo = helo
        self.timeout = limits.probe_timeout
        self.allow_private = allow_private
        self._global = asyncio.Semaphore(max(1, limits.probe_concurrency))
        # One connection per mail host at a time: a lookalike farm often shares one MX, and a
        # burst of parallel probes is how a scanner gets itself blocklisted.
        self._per_host = PerKeyLimits(1, 0.0)

    async def probe(self, domain: str, dns: DnsFacts) -> Outcome[tuple[SmtpFacts, ...]]:
        """Ask ``domain``'s mail hosts whether they accept a made-up recipient. Never raises."""
        route = dns.mail_route
        if route is MailRoute.NULL_MX:
            return Outcome(Status.SKIPPED, None, "null MX: the domain says it accepts no mail")
        if route is MailRoute.NONE:
            return Outcome(Status.SKIPPED, None, "no mail route: no MX and no address")
        if route is MailRoute.UNKNOWN:
            return Outcome(Status.SKIPPED, None, "mail route unknown: the MX question was not answered")

        targets, notes = self._targets(domain, dns)
        if not targets:
            return Outcome(Status.SKIPPED, None, "; ".join(notes) or "no mail host has an address")

        facts: list[SmtpFacts] = []
        results: list[_HostResult] = []
        for host, address in targets[:MAX_ATTEMPTS]:
            result = await self._talk(domain, host, address)
            results.append(result)
            if result.facts is not None:
                facts.append(result.facts)
            if result.detail:
                notes.append(f"{host} [{address}]: {result.detail}")
            if result.definitive:
                break
        if len(targets) > MAX_ATTEMPTS and not any(r.definitive for r in results):
            notes.append(f"{len(targets) - MAX_ATTEMPTS} more addresses not tried")

        answered = any(r.status is Status.OK for r in results)
        # When nobody answered, the most preferred host's failure is the one to report.
        status = Status.OK if answered else results[0].status
        return Outcome(status, tuple(facts), "; ".join(notes))

    def _targets(self, domain: str, dns: DnsFacts) -> tuple[list[tuple[str, str]], list[str]]:
        """(host, address) pairs in preference order, each address once, and notes on what was left out."""
        if dns.mail_route is MailRoute.IMPLICIT:
            hosts = [(domain, dns.a + dns.aaaa)]
        else:
            hosts = [(mx.host, mx.addresses) for mx in dns.mx if mx.host]
        targets: list[tuple[str, str]] = []
        notes: list[str] = []
        seen: set[str] = set()
        for host, addresses in hosts:
            if not addresses:
                notes.append(f"{host}: no address")
            for address in addresses:
                if address in seen:
                    continue
                seen.add(address)
                if self.allow_private or is_public(address):
                    targets.append((host, address))
                else:
                    notes.append(f"{host}: {private_reason(address)}")
        return targets, notes

    async def _talk(self, domain: str, host: str, address: str) -> _HostResult:
        """One connection to one address, limited per host and globally."""
        # Per-host first: waiting for a busy host must not hold one of the global slots.
        async with self._per_host.semaphore(address), self._global:
            try:
                async with asyncio.timeout(self.timeout):
                    reader, writer = await asyncio.open_connection(address, self.port, limit=READ_LIMIT)
            except TimeoutError:
                return _HostResult(Status.TIMEOUT, None, f"no connection within {self.timeout:g}s")
            except ConnectionRefusedError:
                return _HostResult(Status.REFUSED, None, "connection refused")
            except OSError as exc:
                return _HostResult(Status.REFUSED, None, f"cannot connect: {exc.strerror or exc}")
            session = _Session(
                reader, writer, SmtpFacts(host=host, address=address, port=self.port), self.timeout
            )
            try:
                return await self._dialogue(domain, session)
            except TimeoutError:
                return session.result(Status.TIMEOUT, f"no answer within {self.timeout:g}s")
            except _Closed:
                return session.result(Status.REFUSED, "closed the connection")
            except _NotSmtp as exc:
                return session.result(Status.ERROR, f"not SMTP: {clean(str(exc), 80)}")
            except OSError as exc:
                return session.result(Status.REFUSED, f"connection lost: {exc.strerror or exc}")
            finally:
                writer.close()
                with contextlib.suppress(OSError, TimeoutError):
                    async with asyncio.timeout(GOODBYE_TIMEOUT):
                        await writer.wait_closed()

    async def _dialogue(self, domain: str, session: _Session) -> _HostResult:
        code, lines = await session.reply()
        session.learn(banner="\n".join(clean(line, LINE_LIMIT) for line in lines[:REPLY_LINES]))
        if code != 220:
            # 421 "busy" or 554 "no SMTP service here": the host refused to talk.
            await session.goodbye()
            return session.result(Status.REFUSED, f"banner {code}: {clean(lines[0], 120)}")

        code, lines = await session.command(f"EHLO {self.helo}")
        extended = code == 250
        if 500 <= code < 600:
            code, lines = await session.command(f"HELO {self.helo}")
        if code != 250:
            # It talked, but ended the dialogue before RCPT: the question stays open.
            await session.goodbye()
            return session.result(Status.OK, f"greeting refused with {code}")
        if extended:
            starttls, size_limit = _extensions(lines[1:])
            session.learn(starttls=starttls, size_limit=size_limit)

        code, _ = await session.command("MAIL FROM:<>")
        if code // 100 != 2:
            await session.goodbye()
            return session.result(Status.OK, f"MAIL FROM refused with {code}")

        code, _ = await session.command(f"RCPT TO:<{random_local_part()}@{domain}>")
        accepts = True if code // 100 == 2 else False if code // 100 == 5 else None
        session.learn(accepts_any_recipient=accepts, code=code)
        await session.goodbye()
        if accepts is None:
            return session.result(Status.OK, f"RCPT answered {code}: temporary failure")
        return session.result(Status.OK, definitive=True)


async def _read_reply(reader: asyncio.StreamReader, lines: list[str]) -> tuple[int, list[str]]:
    """One (possibly multi-line) SMTP reply: its code and its lines, as sent (decoded, CRLF removed).

    Raises ``_Closed`` when the connection ends first and ``_NotSmtp`` for anything that is not a
    reply: a line without a code, lines whose codes differ, too many or too long lines. ``lines``
    fills as lines arrive, so the caller still has what was said when a reply breaks off.
    """
    code = 0
    try:
        while True:
            raw = await reader.readline()
            if not raw.endswith(b"\n"):
                if raw:
                    lines.append(raw.decode("utf-8", "replace"))
                raise _Closed
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line)
            match = _REPLY.fullmatch(line)
            if match is None:
                raise _NotSmtp(line)
            if lines[1:] and int(match.group(1)) != code:
                raise _NotSmtp(f"reply codes differ: {line}")
            code = int(match.group(1))
            if len(lines) > MAX_REPLY_LINES:
                raise _NotSmtp(f"a reply of more than {MAX_REPLY_LINES} lines")
            if match.group(2) != "-":
                return code, lines
    except ValueError as exc:  # StreamReader: a line longer than READ_LIMIT
        raise _NotSmtp(f"a line longer than {READ_LIMIT} bytes") from exc


def _extensions(lines: list[str]) -> tuple[bool, int | None]:
    """STARTTLS and the SIZE limit from the lines of an EHLO reply after the first (RFC 3207, 1870).

    ``SIZE 0`` (or SIZE without a number) means the server announces no fixed limit: None.
    """
    starttls, size_limit = False, None
    for line in lines:
        words = line[4:].split()
        if not words:
            continue
        keyword = words[0].upper()
        if keyword == "STARTTLS":
            starttls = True
        elif keyword == "SIZE" and len(words) > 1 and words[1].isdigit() and len(words[1]) <= 15:
            size_limit = int(words[1]) or None
    return starttls, size_limit
