"""Which IP addresses are public, and the one guard for every connection whose address came from a
server's answer.

A lookalike that resolves to 10.0.0.5 or 127.0.0.1 must not turn the scanner against the network it
runs in, and neither may a registry's text: a WHOIS referral, an RDAP redirect or ``related`` link, an
HTTP redirect, an MX or A target are all chosen by whoever answers. ``guard`` (and ``usable``, for
addresses already in hand) lets lookalike connect only to public addresses unless the user says
``--allow-private``, and says why when it refuses; the refusal is the outcome's reason. Addresses the
user configured (``--resolver``, ``--whois-server``, the RDAP bootstrap) are configuration, not
answers, and do not pass here.

``is_public`` and ``usable`` are pure. ``guard`` resolves a name only through the ``Resolve`` its caller
gives (lookalike's own resolver), never the system's, and never connects anywhere.

The ranges come from the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and its
updates: RFC 6598 shared address space, RFC 5737/3849/9637 documentation, RFC 2544 benchmarking,
RFC 7526 the retired 6to4 relay anycast). They are spelt out here rather than taken from
``ipaddress.is_global`` because that property's answer has changed between Python releases; a
security check should not. A range whose registry entry says "globally reachable" but exists only
for a protocol's own plumbing (AS112, AMT, the PCP/TURN anycast addresses in 192.0.0.0/24) is
treated as not public too: no lookalike has a reason to point there.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Sequence
from functools import lru_cache

from lookalike.model import Outcome, Status

Resolve = Callable[[str], Awaitable[Outcome[tuple[str, ...]]]]
"""The addresses of a host name, found through lookalike's own resolvers (never the system's).
``Resolver.addresses`` fits; ``registry.ServerAddresses`` is a small stand-alone one."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4_NOT_PUBLIC = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # private use
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link local
        "172.16.0.0/12",  # private use
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.31.196.0/24",  # AS112-v4
        "192.52.193.0/24",  # AMT
        "192.88.99.0/24",  # retired 6to4 relay anycast
        "192.168.0.0/16",  # private use
        "192.175.48.0/24",  # direct delegation AS112 service
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the limited broadcast address
    )
)

_V6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
"""Everything outside 2000::/3 is loopback, link-local, unique-local, multicast or not yet allocated."""

_V6_NOT_PUBLIC = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "2001::/23",  # IETF protocol assignments (benchmarking, ORCHID, AMT ...); Teredo is checked first
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation (RFC 9637)
    )
)

_V4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
"""RFC 6052: the last 32 bits are an IPv4 address, reached through a translator."""
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
"""RFC 8215: a network's own translation prefix; never public."""


def parse(text: str) -> IPAddress | None:
    """The address in ``text`` (an IPv6 zone index such as ``%eth0`` is dropped), or None."""
    try:
        return ipaddress.ip_address(text.strip().split("%", 1)[0])
    except ValueError:
        return None


def is_ip(text: str) -> bool:
    """True when ``text`` is an IP address rather than a host name."""
    return parse(text) is not None


@lru_cache(maxsize=4096)
def is_public(ip: str) -> bool:
    """True when ``ip`` is a globally reachable unicast address we may probe.

    Anything unparseable is not public. IPv6 addresses that carry an IPv4 address (IPv4-mapped,
    NAT64, 6to4, Teredo) are public only when the IPv4 address they carry is.
    """
    address = parse(ip)
    if address is None:
        return False
    return _public(address)


def _public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv4Address):
        return not any(address in net for net in _V4_NOT_PUBLIC)
    if address in _V4_MAPPED or address in _NAT64_WELL_KNOWN:
        return _public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address in _NAT64_LOCAL:
        return False
    if address.sixtofour is not None:
        return _public(address.sixtofour)
    if address.teredo is not None:
        server, client = address.teredo
        return _public(server) and _public(client)
    if address not in _V6_GLOBAL_UNICAST:
        return False
    return not any(address in net for net in _V6_NOT_PUBLIC)


def private_reason(ip: str) -> str:
    """One line saying why the probes skipped ``ip``, naming the flag that lifts the rule."""
    return f"private address {ip}, use --allow-private"


def usable(
    addresses: Sequence[str], *, host: str, source: str, allow_private: bool = False
) -> Outcome[tuple[str, ...]]:
    """The addresses of ``host`` lookalike may connect to: OK with the public ones (all of them when
    ``allow_private``), in order; SKIPPED with the reason when none is left. ``source`` says where the
    host came from ("a WHOIS referral", "an RDAP redirect", "an MX record") for that reason. Pure."""
    found = tuple(a.strip() for a in addresses if parse(a) is not None)
    if not found:
        return Outcome(Status.SKIPPED, None, f"{host[:120]} ({source}) has no usable address")
    kept = found if allow_private else tuple(a for a in found if is_public(a))
    if kept:
        return Outcome(Status.OK, kept)
    shown = ", ".join(found[:3]) + (" ..." if len(found) > 3 else "")
    where = "" if parse(host) is not None else f"{host[:120]} is at "
    return Outcome(
        Status.SKIPPED, None, f"{source} points at a private address ({where}{shown}), use --allow-private"
    )


async def guard(
    host: str, *, resolve: Resolve | None, source: str, allow_private: bool = False
) -> Outcome[tuple[str, ...]]:
    """Where lookalike may connect for ``host``, a name or an address a server's answer chose.

    An address is checked as it is; ``localhost`` is 127.0.0.1; a name is resolved with ``resolve``
    (never the system's resolver) and its addresses checked with ``usable``. OK with the usable
    addresses; SKIPPED with the refusal (it names ``source`` and ``--allow-private``); the resolver's
    unknown (TIMEOUT, REFUSED, ERROR) or ABSENT with the reason when the name has no address.
    """
    name = host.strip().strip("[]").rstrip(".")
    if parse(name) is not None:
        return usable((name,), host=name, source=source, allow_private=allow_private)
    if name.lower() == "localhost":
        return usable(("127.0.0.1",), host=name, source=source, allow_private=allow_private)
    if resolve is None:
        return Outcome(Status.ERROR, None, f"no resolver to find the address of {name[:120]} ({source})")
    found = await resolve(name)
    if not found.value:
        status = found.status if found.status.unknown or found.status is Status.ABSENT else Status.ERROR
        why = found.detail or found.status.value
        return Outcome(status, None, f"cannot find the address of {name[:120]} ({source}): {why}")
    return usable(found.value, host=name, source=source, allow_private=allow_private)
