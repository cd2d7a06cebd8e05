"""SMTP probe: would a lookalike's mail host take mail for anyone? Asked without sending any.

Holds ``SmtpProber`` and the pure reply reader it uses, ``read_reply``. For each mail host in
preference order it connects, reads the banner, says EHLO (HELO when EHLO is refused), notes STARTTLS
and SIZE, then gives ``MAIL FROM:<>`` and ``RCPT TO:`` a random local part at the candidate, and QUIT.

Replies are read by their RFC 3463 enhanced status codes first (``read_reply``; docs/probes.md has the
table): 2xx at RCPT means the host accepts any recipient (a catch-all: someone collects whatever is
sent there); 5.1.x rejects the recipient; a relay denial says the host does not serve the name; 5.7.x
(policy, blocklists), every other 5.x.x and every 4xx leave the question open, with the server's
words quoted in ``SmtpFacts.reason``. A bare 5xx without an enhanced code is read as before: the
recipient was rejected. The EHLO/HELO and MAIL replies are read the same way, so a server that refuses
our HELO name (at EHLO, or at RCPT under Postfix's ``smtpd_delay_reject``) is never "rejects".

Must not: send DATA or BDAT (no message body ever leaves here), relay, resolve a name (addresses come
from ``DnsFacts``), connect to an address ``addresses.usable`` refuses (a non-public one, unless told
``allow_private``), raise for a network failure (an ``Outcome`` says what happened), or let a
server's text out as anything but trimmed, printable text.

    one host's dialogue                      its result
    connect refused / reset / closed   ->    REFUSED
    no answer within probe_timeout     ->    TIMEOUT
    banner other than 220 (421, 554)   ->    REFUSED      (the facts keep the banner)
    a reply that is not SMTP           ->    ERROR
    RCPT answered                      ->    OK, accepts_any_recipient True / False / None (verdict says why)
    EHLO+HELO or MAIL FROM refused     ->    OK, accepts_any_recipient None

The probe as a whole is OK when any host got as far as an answer; it stops at the first host whose
RCPT answer is definitive (catch-all or rejects-unknown) and moves on after a failure or any other
reading. A host that stalled (a timeout) or dropped the connection mid-dialogue is remembered for the
rest of the scan (per ``SmtpProber``): later names with the same mail host get the same unknown
outcome at once, with the reason, instead of waiting out the timeout again.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from dataclasses import dataclass, field, replace
from typing import Any

from lookalike.addresses import usable
from lookalike.endpoints import Limits, check_helo
from lookalike.model import DnsFacts, MailRoute, Outcome, SmtpFacts, SmtpVerdict, Status
from lookalike.ratelimit import LOCAL, Budgets
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

QUOTE_LIMIT = 200
"""Characters of a server's reply quoted in a reading's reason."""

_REPLY = re.compile(r"([2-5][0-9][0-9])(?:([ -])(.*))?", re.DOTALL)
# RFC 3463: class.subject.detail, the subject and detail up to three digits each. RFC 2034 puts it
# first in the text; qmail writes it last, as "(#5.7.1)".
_ENHANCED = re.compile(r"\s*([245])\.([0-9]{1,3})\.([0-9]{1,3})(?![0-9.])")
_ENHANCED_QMAIL = re.compile(r"\(#([245])\.([0-9]{1,3})\.([0-9]{1,3})\)\s*$")
# The wording of relay denials: Postfix, Exim, Sendmail, qmail, Exchange and Microsoft 365.
_RELAY_DENIED = re.compile(
    r"relay(?:ing)?\s+(?:access\s+)?(?:denied|not\s+permitted|prohibited|not\s+allowed)"
    r"|(?:not\s+(?:permitted|allowed)|unable)\s+to\s+relay|isn't\s+in\s+my\s+list\s+of\s+allowed\s+rcpthosts",
    re.IGNORECASE,
)
_HELO_WORDS = re.compile(r"\b(?:helo|ehlo)\b", re.IGNORECASE)
_SUBJECTS = {
    "0": "other",
    "1": "address",
    "2": "mailbox",
    "3": "mail system",
    "4": "network or routing",
    "5": "protocol",
    "6": "message content",
    "7": "policy",
}
"""RFC 3463 §3: what the second number of an enhanced status code is about."""
_SENDER_CODES = frozenset({"5.1.7", "5.1.8"})
"""Address status about the sender, not the recipient: Postfix gives them at RCPT when it delays."""


class _Closed(Exception):
    """The server closed the connection."""


class _NotSmtp(Exception):
    """The server said something that is not an SMTP reply."""


def enhanced_code(code: int, text: str) -> str | None:
    """The RFC 3463 enhanced status code of a reply (``"5.1.1"``), or None when it has none.

    ``text`` is the reply's text after the code. The enhanced code opens it (RFC 2034), or closes it
    in qmail's ``(#5.7.1)``; one whose class differs from the reply code's first digit is no code.
    """
    match = _ENHANCED.match(text) or _ENHANCED_QMAIL.search(text)
    if match is None or match.group(1) != str(code)[0]:
        return None
    return ".".join(match.groups())


@dataclass(frozen=True, slots=True)
class Reading:
    """What one reply says about mail for the probed name."""

    verdict: SmtpVerdict
    accepts: bool | None
    """``SmtpFacts.accepts_any_recipient``: True, False, or None (unknown)."""
    enhanced: str | None
    reason: str

    @property
    def definitive(self) -> bool:
        """True when the question is answered and no other host need be asked."""
        return self.accepts is not None


def read_reply(stage: str, code: int, lines: list[str], *, domain: str = "", helo: str = "") -> Reading:
    """Read one reply to ``stage`` (``"EHLO"``, ``"HELO"``, ``"MAIL"`` or ``"RCPT"``). Pure.

    In order: 2xx at RCPT (a catch-all); 421 to EHLO/HELO (the server is closing); any other refusal
    of EHLO/HELO, or a reply that names HELO (our name refused: Postfix answers that at RCPT by
    default); a relay denial, 5.1.2 or 5.1.10 at RCPT (this host does not serve ``domain``); any 4xx
    (temporary); 5.1.x at RCPT (the recipient is rejected), except 5.1.7 and 5.1.8, which are about
    the sender; any other enhanced 5.x.x, and anything at
    MAIL (refused for another reason: unknown); and a bare 5xx at RCPT, read as before enhanced codes
    were: the recipient is rejected.
    """
    texts = [(m.group(3) or "") if (m := _REPLY.fullmatch(line)) else "" for line in lines]
    text = " ".join(t.strip() for t in texts)
    enhanced = enhanced_code(code, texts[0] if texts else "")
    said = f"{code} {enhanced}" if enhanced else str(code)
    quote = f'"{clean(" ".join(lines[:3]), QUOTE_LIMIT)}"'
    subject = enhanced.split(".")[1] if enhanced else None

    def reading(verdict: SmtpVerdict, accepts: bool | None, sentence: str) -> Reading:
        return Reading(verdict, accepts, enhanced, f"{sentence}: {quote}")

    greeting = stage in ("EHLO", "HELO")
    if code // 100 == 2:
        if stage == "RCPT":
            return reading(
                SmtpVerdict.CATCH_ALL,
                True,
                f"accepted a made-up recipient ({said}): it takes mail for any address",
            )
        return reading(SmtpVerdict.UNFINISHED, None, f"{stage} answered {said}")
    if greeting and code == 421:
        return reading(SmtpVerdict.UNFINISHED, None, f"closed the dialogue at {stage} ({said})")
    if greeting or _HELO_WORDS.search(text):
        return reading(
            SmtpVerdict.HELO_REFUSED,
            None,
            f"refused our HELO name {clean(helo, 100)} ({said}), so the recipient test went unanswered",
        )
    if stage == "RCPT" and (_RELAY_DENIED.search(text) or enhanced in ("5.1.2", "5.1.10")):
        return reading(
            SmtpVerdict.NOT_SERVED, None, f"does not serve {clean(domain, 100) or 'the name'} ({said})"
        )
    if code // 100 == 4:
        return reading(SmtpVerdict.DEFERRED, None, f"deferred {stage} ({said}): a temporary failure")
    if stage == "RCPT" and subject == "1" and enhanced not in _SENDER_CODES:
        return reading(
            SmtpVerdict.REJECTS_UNKNOWN,
            False,
            f"rejected a made-up recipient ({said}): it takes mail for real addresses only",
        )
    if subject is not None or stage != "RCPT":
        what = "the recipient" if stage == "RCPT" else f"{stage} FROM:<>" if stage == "MAIL" else stage
        about = "sender address" if enhanced in _SENDER_CODES else _SUBJECTS.get(subject or "", "other")
        why = f"{said}: {about}" if subject else said
        return reading(
            SmtpVerdict.REFUSED,
            None,
            f"refused {what} ({why}), not because of the address: whether it takes any recipient is unknown",
        )
    return reading(
        SmtpVerdict.REJECTS_UNKNOWN,
        False,
        f"rejected a made-up recipient ({said}, no enhanced status code: read as an unknown recipient)",
    )


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

    def result(
        self, status: Status, detail: str = "", *, definitive: bool = False, broke: str = ""
    ) -> _HostResult:
        if status is not Status.OK:
            self.lines.append(clean(f"-- {detail}", LINE_LIMIT))
            if self.facts.verdict is None and self.facts.banner:
                # It greeted us and then failed: say so in the facts, not only in the outcome.
                self.learn(verdict=SmtpVerdict.UNFINISHED, reason=f"the dialogue broke off: {detail}")
        facts = replace(self.facts, transcript=tuple(self.lines))
        # A host that never said a word leaves no facts: an empty entry tells a reader nothing.
        return _HostResult(status, facts if self.facts.banner else None, detail, definitive, broke)

    def read(self, stage: str, code: int, lines: list[str], domain: str, helo: str) -> Reading:
        """Read a reply with ``read_reply`` and keep the reading in the facts."""
        reading = read_reply(stage, code, lines, domain=domain, helo=helo)
        self.learn(verdict=reading.verdict, enhanced_code=reading.enhanced, reason=reading.reason)
        return reading

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
    broke: str = ""
    """How the host failed when that is worth remembering for the rest of the scan (a stall, a drop)."""


class SmtpProber:
    """Probes the mail hosts of lookalikes; one instance per scan shares its concurrency limits."""

    def __init__(
        self,
        *,
        port: int = 25,
        helo: str,
        limits: Limits,
        allow_private: bool = False,
        budgets: Budgets = LOCAL,
    ) -> None:
        self.port = port
        self.helo = check_helo(helo)
        self.timeout = limits.probe_timeout
        self.allow_private = allow_private
        self._global = asyncio.Semaphore(max(1, limits.probe_concurrency))
        # One connection per mail host at a time: a lookalike farm often shares one MX, and a
        # burst of parallel probes is how a scanner gets itself blocklisted.
        self._per_host = budgets.gate("smtp", 1, 0.0)
        # Hosts (addresses) that stalled or dropped the connection in this scan, and how: a farm's
        # shared MX that stalls must cost the scan one timeout, not one per name.
        self._broken: dict[str, _HostResult] = {}

    async def probe(self, domain: str, dns: DnsFacts) -> Outcome[tuple[SmtpFacts, ...]]:
        """Ask ``domain``'s mail hosts whether they accept a made-up recipient. Never raises."""
        route = dns.mail_route
        if route is MailRoute.NULL_MX:
            return Outcome(Status.SKIPPED, None, "null MX: the domain says it accepts no mail")
        if route is MailRoute.NONE:
            return Outcome(Status.SKIPPED, None, "no mail route: no MX and no address")
        if route is MailRoute.UNKNOWN:
            return Outcome(Status.SKIPPED, None, "mail route unknown: the MX question was not answered")
        if route is MailRoute.DANGLING_MX:
            return Outcome(Status.SKIPPED, None, "no MX host has an address: mail to it bounces today")

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
            source, hosts = "an address record", [(domain, dns.a + dns.aaaa)]
        else:
            source, hosts = "an MX record", [(mx.host, mx.addresses) for mx in dns.mx if mx.host]
        targets: list[tuple[str, str]] = []
        notes: list[str] = []
        seen: set[str] = set()
        for host, addresses in hosts:
            # The DNS chose these addresses: the one guard for such addresses decides, and its
            # refusal is what the outcome says.
            allowed = usable(addresses, host=host, source=source, allow_private=self.allow_private)
            if allowed.value is None:
                notes.append(allowed.detail)
                continue
            if len(allowed.value) < len(addresses):
                skipped = [a for a in addresses if a not in allowed.value]
                notes.append(usable(skipped, host=host, source=source).detail)
            for address in allowed.value:
                if address not in seen:
                    seen.add(address)
                    targets.append((host, address))
        return targets, notes

    async def _talk(self, domain: str, host: str, address: str) -> _HostResult:
        """One connection to one address, limited per host and globally."""
        # Per-host first: waiting for a busy host must not hold one of the global slots. The list of
        # broken hosts is read after the wait, so names queued behind a stalling host learn of it.
        async with self._per_host.semaphore(address):
            earlier = self._broken.get(address)
            if earlier is not None:
                return earlier
            async with self._global:
                result = await self._connect(domain, host, address)
            if result.broke:
                why = f"this host {result.broke} earlier in the scan ({result.detail}): not asked again"
                self._broken[address] = _HostResult(result.status, None, why)
            return result

    async def _connect(self, domain: str, host: str, address: str) -> _HostResult:
        try:
            async with asyncio.timeout(self.timeout):
                reader, writer = await asyncio.open_connection(address, self.port, limit=READ_LIMIT)
        except TimeoutError:
            return _HostResult(
                Status.TIMEOUT, None, f"no connection within {self.timeout:g}s", broke="stalled"
            )
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
            return session.result(Status.TIMEOUT, f"no answer within {self.timeout:g}s", broke="stalled")
        except _Closed:
            return session.result(Status.REFUSED, "closed the connection", broke="broke off the dialogue")
        except _NotSmtp as exc:
            return session.result(Status.ERROR, f"not SMTP: {clean(str(exc), 80)}")
        except OSError as exc:
            return session.result(
                Status.REFUSED, f"connection lost: {exc.strerror or exc}", broke="broke off the dialogue"
            )
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

        stage = "EHLO"
        code, lines = await session.command(f"EHLO {self.helo}")
        extended = code == 250
        if 500 <= code < 600:
            stage = "HELO"
            code, lines = await session.command(f"HELO {self.helo}")
        if code != 250:
            # It talked, but ended the dialogue before RCPT: the question stays open.
            reading = session.read(stage, code, lines, domain, self.helo)
            await session.goodbye()
            return session.result(Status.OK, reading.reason)
        if extended:
            starttls, size_limit = _extensions(lines[1:])
            session.learn(starttls=starttls, size_limit=size_limit)

        code, lines = await session.command("MAIL FROM:<>")
        if code // 100 != 2:
            reading = session.read("MAIL", code, lines, domain, self.helo)
            await session.goodbye()
            return session.result(Status.OK, reading.reason)

        code, lines = await session.command(f"RCPT TO:<{random_local_part()}@{domain}>")
        reading = session.read("RCPT", code, lines, domain, self.helo)
        session.learn(accepts_any_recipient=reading.accepts, code=code)
        await session.goodbye()
        if reading.definitive:
            return session.result(Status.OK, definitive=True)
        return session.result(Status.OK, reading.reason)


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
