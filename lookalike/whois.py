"""WHOIS (RFC 3912): a small asyncio port-43 client, with referrals and caps.

The client asks the TLD's server (configured, or the one IANA names), then follows the referral chain
to the registrar; ``whoisparse.read_answer`` reads each answer (its docstring says how and what each
outcome means). How an exchange ends::

    connection refused, reset, unreachable ........ REFUSED
    no answer within Limits.registry_timeout ...... TIMEOUT
    the lookup's deadline passed .................. TIMEOUT   (the reason says which deadline)
    an empty answer ............................... REFUSED   (never a guess about the name)
    a referral to an address we may not reach ..... the registry's answer stands; the reason is kept
    otherwise ..................................... what ``whoisparse.read_answer`` says

Must not: resolve a name with the system resolver (a server's host name goes through the ``Resolve``
the caller gives), connect to an address a server's answer chose unless the address guard allows it
(``addresses.guard``), print, or raise across the I/O boundary: ``WhoisClient.lookup`` returns an
``Outcome`` for every network failure. Everything a server sends is hostile text: ``whoisparse`` and
``registrytext`` clean every field before it leaves.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, replace

from lookalike.addresses import Resolve, guard
from lookalike.endpoints import Endpoints, HostPort, Limits
from lookalike.errors import LookalikeError
from lookalike.model import Outcome, Registration, Status
from lookalike.ratelimit import Gate, PerKeyLimits
from lookalike.registrytext import clean_value, decode, merge_registrations
from lookalike.whoisparse import iana_referral, parse_whois, read_answer, referral, says_rate_limited

MAX_RESPONSE = 256 * 1024
"""Bytes read from one WHOIS server before we stop listening (a server may never stop sending)."""
MAX_REFERRALS = 2
"""Referrals followed after the first server: registry -> registrar -> (one more, for resellers)."""

__all__ = [
    "MAX_REFERRALS", "MAX_RESPONSE", "Answer", "Resolve", "WhoisClient", "clean_value", "decode",
    "parse_whois", "read_answer",
]  # fmt: skip


# ---------------------------------------------------------------------------------------------------
# The client


@dataclass(frozen=True, slots=True)
class Answer:
    """What one WHOIS server said, as text, and whether we stopped listening early."""

    server: str
    text: str
    truncated: bool = False


class WhoisClient:
    """Port-43 lookups: the TLD's server (configured, or IANA's referral, cached per TLD), then the
    referral chain to the registrar, each request under the per-server concurrency and rate limits.

    A server named in ``Endpoints.whois_servers`` (by TLD or by host name) is configuration; any other
    server an answer names (IANA's referral, a registry's ``Registrar WHOIS Server:``) passes the
    address guard first: public addresses only unless ``allow_private``."""

    def __init__(
        self,
        endpoints: Endpoints,
        limits: Limits,
        *,
        resolve: Resolve | None = None,
        gate: Gate | None = None,
        max_bytes: int = MAX_RESPONSE,
        max_referrals: int = MAX_REFERRALS,
        allow_private: bool = False,
    ) -> None:
        self._endpoints = endpoints
        self._limits = limits
        self._resolve = resolve
        self._gate = gate or PerKeyLimits(limits.registry_per_server, limits.registry_qps)
        self._max_bytes = max_bytes
        self._max_referrals = max_referrals
        self._allow_private = allow_private
        self._tld_servers: dict[str, _Server | None] = {}
        self._tld_locks: dict[str, asyncio.Lock] = {}
        self.requests: Counter[str] = Counter()
        """Requests sent, per server (``host:port``)."""
        self.rate_limited = 0
        """Answers that said we asked too often."""

    async def lookup(self, domain: str, *, deadline: float | None = None) -> Outcome[Registration]:
        """What the WHOIS servers say about ``domain`` (ASCII, lower case). ``deadline``
        (``time.monotonic()``) is when the lookup must have ended; a wait that would pass it is not
        started."""
        domain = domain.strip().lower().rstrip(".")
        start = await self._start(domain, deadline)
        if start.value is None:
            return Outcome(start.status, None, start.detail)
        server = start.value
        result: Registration | None = None
        notes: list[str] = []
        visited: set[HostPort] = set()
        for _hop in range(1 + self._max_referrals):
            visited.add(server.address)
            answer = await self.query(server.address, domain, source=server.source, deadline=deadline)
            outcome = self._read(answer, domain)
            if outcome.status is not Status.OK or outcome.value is None:
                if result is None:
                    return outcome
                shown = f"referral {server.address}: {outcome.status.value}: {outcome.detail}"
                notes.append(shown.rstrip(": "))
                break
            if outcome.detail:
                notes.append(outcome.detail)
            result = outcome.value if result is None else merge_registrations(result, outcome.value)
            answer_text = answer.value.text if answer.value is not None else ""
            source = f"a WHOIS referral from {server.address}"
            next_server = self._referral_target(referral(answer_text), source)
            if next_server is None or next_server.address in visited:
                break
            server = next_server
        return Outcome(Status.OK, result, "; ".join(notes))

    def _read(self, answer: Outcome[Answer], domain: str) -> Outcome[Registration]:
        """One server's answer as an outcome: facts, no match, a refusal, or something unreadable."""
        if answer.value is None:
            return Outcome(answer.status, None, answer.detail)
        got = answer.value
        outcome = read_answer(got.text, got.server, domain)
        if outcome.status is Status.REFUSED and got.text.strip():
            self.rate_limited += 1
        if outcome.status is Status.OK and got.truncated:
            return replace(outcome, detail=f"answer from {got.server} cut at {self._max_bytes:,} bytes")
        return outcome

    def _referral_target(self, target: str | None, source: str) -> _Server | None:
        """Where a referral points: the address configured for that host name (``--whois-server
        whois.registrar.example=127.0.0.1:4343``: configuration), else the host itself (an answer's
        choice, guarded when we connect)."""
        if target is None:
            return None
        try:
            named = HostPort.parse(target, 43)
        except LookalikeError:
            return None
        configured = self._endpoints.whois_servers.get(named.host.lower())
        if configured is not None:
            return _Server(configured, None)
        return _Server(named, source)

    async def server_for(self, domain: str) -> Outcome[HostPort]:
        """The WHOIS server for ``domain``'s TLD: configured (longest suffix wins), else IANA's referral
        (asked once per TLD and remembered). SKIPPED when there is none or referrals are off."""
        found = await self._start(domain, None)
        return Outcome(found.status, found.value.address if found.value else None, found.detail)

    async def _start(self, domain: str, deadline: float | None) -> Outcome[_Server]:
        labels = domain.split(".")
        for i in range(len(labels)):
            configured = self._endpoints.whois_servers.get(".".join(labels[i:]))
            if configured is not None:
                return Outcome(Status.OK, _Server(configured, None))
        tld = labels[-1]
        iana = self._endpoints.whois_iana
        if tld not in self._tld_servers:
            if iana is None:
                return Outcome(Status.SKIPPED, None, f"no WHOIS server configured for .{tld}")
            lock = self._tld_locks.setdefault(tld, asyncio.Lock())
            async with lock:
                if tld not in self._tld_servers:
                    answer = await self.query(iana, tld, deadline=deadline)
                    if answer.value is None:
                        return Outcome(answer.status, None, f"IANA WHOIS {iana}: {answer.detail}")
                    text = answer.value.text
                    target = iana_referral(text)
                    if not text.strip() or (target is None and says_rate_limited(text)):
                        return Outcome(Status.REFUSED, None, f"IANA WHOIS {iana} gave no usable answer")
                    self._tld_servers[tld] = self._referral_target(
                        target, f"IANA's WHOIS referral for .{tld}"
                    )
        server = self._tld_servers[tld]
        if server is None:
            return Outcome(Status.SKIPPED, None, f"IANA lists no WHOIS server for .{tld}")
        return Outcome(Status.OK, server)

    async def query(
        self, server: HostPort, query: str, *, source: str | None = None, deadline: float | None = None
    ) -> Outcome[Answer]:
        """Send one query line to ``server`` and read the answer (capped in size and time). ``source``
        says which answer named the server (then its address passes the guard); None: configuration."""
        address = await self._address(server, source)
        if address.value is None:
            return Outcome(address.status, None, address.detail)
        key = str(server)
        async with self._gate.turn(key, deadline=deadline) as refusal:
            if refusal:
                return Outcome(Status.REFUSED, None, refusal)
            self.requests[key] += 1
            limit = self._limits.registry_timeout
            if deadline is not None:
                limit = max(0.0, min(limit, deadline - time.monotonic()))
            try:
                async with asyncio.timeout(limit):
                    data, truncated = await self._exchange(address.value, server.port, query)
            except TimeoutError:
                return Outcome(Status.TIMEOUT, None, f"{key} did not answer in {limit:g} s")
            except ConnectionRefusedError:
                return Outcome(Status.REFUSED, None, f"{key} refused the connection")
            except OSError as exc:
                return Outcome(Status.REFUSED, None, f"{key}: {exc.strerror or exc}")
        return Outcome(Status.OK, Answer(key, decode(bytes(data)), truncated))

    async def _exchange(self, address: str, port: int, query: str) -> tuple[bytearray, bool]:
        reader, writer = await asyncio.open_connection(address, port, limit=self._max_bytes)
        data = bytearray()
        truncated = False
        try:
            writer.write(query.encode("ascii", "replace") + b"\r\n")
            await writer.drain()
            while chunk := await reader.read(65536):
                data += chunk
                if len(data) >= self._max_bytes:
                    truncated = True
                    del data[self._max_bytes :]
                    break
        finally:
            # abort(): never wait on a peer that keeps sending or has stopped reading.
            writer.transport.abort()
        return data, truncated

    async def _address(self, server: HostPort, source: str | None) -> Outcome[str]:
        if source is not None:
            found = await guard(
                server.host,
                resolve=self._resolve,
                source=f"{source} to {server}",
                allow_private=self._allow_private,
            )
            return (
                Outcome(Status.OK, found.value[0])
                if found.value
                else Outcome(found.status, None, found.detail)
            )
        if server.is_ip:
            return Outcome(Status.OK, server.host)
        if server.host.lower() in ("localhost", "localhost."):
            return Outcome(Status.OK, "127.0.0.1")
        if self._resolve is None:
            return Outcome(Status.ERROR, None, f"no resolver to find the address of {server.host}")
        found = await self._resolve(server.host)
        if found.value:
            return Outcome(Status.OK, found.value[0])
        status = found.status if found.status.unknown else Status.ERROR
        why = found.detail or found.status.value
        return Outcome(status, None, f"cannot find the address of {server.host}: {why}")


@dataclass(frozen=True, slots=True)
class _Server:
    """A WHOIS server to ask, and which answer named it (None: the user's configuration)."""

    address: HostPort
    source: str | None
