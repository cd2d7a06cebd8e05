"""Where every network question goes, and how hard we may ask it.

Every network function in lookalike takes one of these as a parameter; nothing reads a global
default. That single rule is what lets every test and the demo run against loopback servers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from lookalike.errors import LookalikeError


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
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise LookalikeError(f"{text!r}: the port must be a number from 1 to 65535")
    return int(port_text)


def system_resolvers(path: Path = Path("/etc/resolv.conf")) -> tuple[HostPort, ...]:
    """The nameservers the system uses, read from resolv.conf. Used only when the user names none."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise LookalikeError(f"no --resolver given and {path} is unreadable: {exc.strerror}") from exc
    servers = tuple(
        HostPort(parts[1].split("%", 1)[0], 53)
        for parts in (line.split() for line in lines)
        if len(parts) >= 2 and parts[0] == "nameserver"
    )
    if not servers:
        raise LookalikeError(f"no --resolver given and {path} lists no nameserver")
    return servers


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Every remote server lookalike may talk to."""

    resolvers: tuple[HostPort, ...] = ()
    """DNS resolvers (recursive). Empty means: read the system's resolv.conf when a scan starts."""
    rdap_bootstrap: Path | None = None
    """An IANA RDAP bootstrap file (RFC 9224); None means the snapshot shipped in the package."""
    whois_servers: Mapping[str, HostPort] = field(default_factory=lambda: MappingProxyType({}))
    """WHOIS server per TLD (``"ml" -> HostPort("whois.example", 43)``); overrides the IANA referral."""
    whois_iana: HostPort | None = HostPort("whois.iana.org", 43)
    """Where to ask which WHOIS server a TLD has; None disables referrals (tests, offline runs)."""
    smtp_port: int = 25
    http_port: int = 80
    https_port: int = 443
    helo_name: str = "lookalike.invalid"
    """The name we give in EHLO; the probe never sends mail, but servers log it."""
    user_agent: str = "lookalike (+https://github.com/lookalike/lookalike)"


@dataclass(frozen=True, slots=True)
class Limits:
    """Concurrency, rates, timeouts and retries. One semaphore per stage and per remote server."""

    concurrency: int = 4096
    """DNS queries in flight at once, over all resolvers: the ceiling of each resolver's window."""
    fixed_window: bool = False
    """Keep every resolver's window at ``concurrency`` instead of adapting it to how the resolver
    answers (the behaviour before the adaptive window)."""
    qps: float = 0.0
    """Queries per second per resolver; 0 means no limit beyond ``concurrency``."""
    timeout: float = 2.0
    """Seconds to wait for one DNS answer before retrying."""
    retries: int = 2
    """Extra attempts after a timeout or SERVFAIL, with exponential backoff."""
    registry_per_server: int = 2
    """RDAP/WHOIS questions in flight to one server."""
    registry_qps: float = 1.0
    """RDAP/WHOIS questions per second to one server."""
    registry_timeout: float = 10.0
    """Seconds to wait for one RDAP/WHOIS answer."""
    registry_deadline: float = 300.0
    """Seconds one name's registration lookup may take in all: requests, referrals, the queue for a
    busy server and every wait (rate limits, Retry-After) included. Past it the answer is unknown."""
    registry_scan_deadline: float = 21600.0
    """Seconds of registration lookups in one scan, from its first: past it every lookup is unknown."""
    probe_concurrency: int = 32
    """SMTP and HTTP probes in flight at once (one per host at a time)."""
    probe_timeout: float = 10.0
    screenshot_pages: int = 4
    """Pages headless Chromium renders at once (``--screenshot``)."""
    screenshot_timeout: float = 15.0
    """Seconds one page may take to render, its favicon included: past it the page is a timeout."""
