"""Where every network question goes, and how hard we may ask it.

Every network function in lookalike takes one of these as a parameter; nothing reads a global
default. That single rule is what lets every test and the demo run against loopback servers.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from lookalike.bounds import DAY, HOUR, bounded, check_fields, count, port, rate, seconds
from lookalike.errors import LookalikeError
from lookalike.inputs import read_bytes

MAX_RESOLV_CONF = 64 << 10
"""Bytes read of resolv.conf (a few hundred in practice)."""


@dataclass(frozen=True, slots=True, order=True)
class HostPort:
    """A server address: an IP address or host name, and a port."""

    host: str
    port: int

    @classmethod
    def parse(cls, text: str, default_port: int) -> HostPort:
        """Parse ``ADDR``, ``ADDR:PORT``, ``[V6]:PORT`` or a bare IPv6 address."""
        text = text.strip()
        if not text:
            raise LookalikeError("an empty server address was given")
        host, port = text, default_port
        if text.startswith("["):
            end = text.find("]")
            if end < 0:
                raise LookalikeError(f"{text!r}: missing ']' in the IPv6 address")
            host, rest = text[1:end], text[end + 1 :]
            if rest:
                if not rest.startswith(":"):
                    raise LookalikeError(f"{text!r}: expected ':PORT' after ']'")
                port = _port(text, rest[1:])
        elif text.count(":") == 1:
            host, port_text = text.split(":")
            port = _port(text, port_text)
        if not host:
            raise LookalikeError(f"{text!r}: no host before the port")
        return cls(host, port)

    @property
    def is_ip(self) -> bool:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return True

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def _port(text: str, port_text: str) -> int:
    if (
        not (port_text.isascii() and port_text.isdigit() and len(port_text) <= 5)
        or not 0 < int(port_text) < 65536
    ):
        raise LookalikeError(f"{text!r}: the port must be a number from 1 to 65535")
    return int(port_text)


def system_resolvers(path: Path = Path("/etc/resolv.conf")) -> tuple[HostPort, ...]:
    """The nameservers the system uses, read from resolv.conf. Used only when the user names none."""
    try:
        lines = read_bytes(path, MAX_RESOLV_CONF).decode("utf-8", "replace").splitlines()
    except LookalikeError as exc:
        raise LookalikeError(f"no --resolver given, and {exc}") from exc
    servers = tuple(
        HostPort(parts[1].split("%", 1)[0], 53)
        for parts in (line.split() for line in lines)
        if len(parts) >= 2 and parts[0] == "nameserver"
    )
    if not servers:
        raise LookalikeError(f"no --resolver given and {path} lists no nameserver")
    return servers


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HELO_NAME = re.compile(rf"(?=[^\[]{{1,253}}$){_LABEL}(?:\.{_LABEL})*|\[(?:IPv6:)?[0-9A-Fa-f:.]{{2,45}}\]")
"""What EHLO may name (RFC 5321 4.1.2): a domain of letter-digit-hyphen labels, or an address literal
such as ``[192.0.2.1]``."""
MAX_USER_AGENT = 512


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Every remote server lookalike may talk to.

    Checked when built: every port from 1 to 65535, the EHLO name a host name or an address literal,
    the user agent one line of printable ASCII. A value out of bounds raises ``LookalikeError``.
    """

    resolvers: tuple[HostPort, ...] = ()
    """DNS resolvers (recursive). Empty means: read the system's resolv.conf when a scan starts."""
    rdap_bootstrap: Path | None = None
    """An IANA RDAP bootstrap file (RFC 9224); None means the snapshot shipped in the package."""
    whois_servers: Mapping[str, HostPort] = field(default_factory=lambda: MappingProxyType({}))
    """WHOIS server per TLD (``"ml" -> HostPort("whois.example", 43)``); overrides the IANA referral."""
    whois_iana: HostPort | None = HostPort("whois.iana.org", 43)
    """Where to ask which WHOIS server a TLD has; None disables referrals (tests, offline runs)."""
    smtp_port: int = bounded(25, port())
    http_port: int = bounded(80, port())
    https_port: int = bounded(443, port())
    helo_name: str = "lookalike.invalid"
    """The name we give in EHLO; the probe never sends mail, but servers log it."""
    user_agent: str = "lookalike (+https://github.com/lookalike/lookalike)"

    def __post_init__(self) -> None:
        check_fields(self)
        servers = [("resolvers", s) for s in self.resolvers]
        servers += [(f"whois_servers[{tld!r}]", s) for tld, s in self.whois_servers.items()]
        if self.whois_iana is not None:
            servers.append(("whois_iana", self.whois_iana))
        for name, server in servers:
            check_server(name, server)
        check_helo(self.helo_name)
        agent = self.user_agent
        if (
            not isinstance(agent, str)
            or not (agent.isascii() and agent.isprintable())
            or len(agent) > MAX_USER_AGENT
        ):
            raise LookalikeError(f"user_agent must be one line of printable ASCII, not {_quoted(agent)}")


def check_helo(name: object) -> str:
    """``name`` when it can follow EHLO: a host name or an address literal (``[192.0.2.1]``); raises
    ``LookalikeError`` otherwise. Whether it resolves is for the servers to find out (README: the HELO
    name). ``--helo``, ``helo_name`` in the config and ``Endpoints(helo_name=...)`` all come here."""
    if not isinstance(name, str) or not HELO_NAME.fullmatch(name):
        raise LookalikeError(f"the HELO name {_quoted(name, 100)} is not a host name or an address literal")
    return name


def _quoted(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_server(name: str, server: object) -> None:
    """Raise ``LookalikeError`` unless ``server`` is a ``HostPort`` with a host and a port from 1 to
    65535 (``name`` says which setting it is)."""
    if not isinstance(server, HostPort) or not isinstance(server.host, str) or not server.host:
        raise LookalikeError(f"{name} must be a server address (HOST[:PORT]), not {_quoted(server)}")
    port().check(f"the port of {name} {server.host}", server.port)


@dataclass(frozen=True, slots=True)
class Limits:
    """Concurrency, rates, timeouts and retries. One semaphore per stage and per remote server.

    Every field is bounded (``lookalike.bounds``) and checked when a ``Limits`` is built: a value out
    of bounds raises ``LookalikeError`` naming the field, whoever gave it.
    """

    concurrency: int = bounded(4096, count(1, 65_536))
    """DNS queries in flight at once, over all resolvers: the ceiling of each resolver's window."""
    fixed_window: bool = False
    """Keep every resolver's window at ``concurrency`` instead of adapting it to how the resolver
    answers (the behaviour before the adaptive window)."""
    qps: float = bounded(0.0, rate())
    """Queries per second per resolver; 0 means no limit beyond ``concurrency``."""
    timeout: float = bounded(2.0, seconds(HOUR))
    """Seconds to wait for one DNS answer before retrying."""
    retries: int = bounded(2, count(0, 10))
    """Extra attempts after a timeout or SERVFAIL, with exponential backoff."""
    registry_per_server: int = bounded(2, count(1, 100))
    """RDAP/WHOIS questions in flight to one server."""
    registry_qps: float = bounded(1.0, rate())
    """RDAP/WHOIS questions per second to one server; 0 means no limit."""
    registry_timeout: float = bounded(10.0, seconds(HOUR))
    """Seconds to wait for one RDAP/WHOIS answer."""
    registry_deadline: float = bounded(300.0, seconds(DAY))
    """Seconds one name's registration lookup may take in all: requests, referrals, the queue for a
    busy server and every wait (rate limits, Retry-After) included. Past it the answer is unknown."""
    registry_scan_deadline: float = bounded(21600.0, seconds(30 * DAY))
    """Seconds of registration lookups in one scan, from its first: past it every lookup is unknown."""
    probe_concurrency: int = bounded(32, count(1, 10_000))
    """SMTP and HTTP probes in flight at once (one per host at a time)."""
    probe_timeout: float = bounded(10.0, seconds(HOUR))
    """Seconds to wait for one step of an SMTP or HTTP probe."""
    screenshot_pages: int = bounded(4, count(1, 64))
    """Pages headless Chromium renders at once (``--screenshot``)."""
    screenshot_timeout: float = bounded(15.0, seconds(HOUR))
    """Seconds one page may take to render, its favicon included: past it the page is a timeout."""

    def __post_init__(self) -> None:
        check_fields(self)
