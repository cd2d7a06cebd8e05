"""Which addresses the probes may connect to."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookalike.addresses import is_public, parse, private_reason

NOT_PUBLIC = [
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.5",
    "10.255.255.255",
    "100.64.0.1",  # carrier-grade NAT
    "100.127.255.254",
    "127.0.0.1",
    "127.0.53.53",  # ICANN's name-collision address
    "169.254.169.254",  # cloud metadata, link local
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.9",
    "192.0.2.10",  # TEST-NET-1
    "192.88.99.1",
    "192.168.1.1",
    "198.18.0.1",  # benchmarking
    "198.51.100.7",  # TEST-NET-2
    "203.0.113.9",  # TEST-NET-3
    "224.0.0.251",  # multicast
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",  # unique local
    "ff02::1",  # multicast
    "2001:db8::1",  # documentation
    "3fff::1",  # documentation (RFC 9637)
    "2001:2::1",  # benchmarking
    "64:ff9b:1::1",  # local-use NAT64
    "100::1",  # discard-only
    "::ffff:10.0.0.1",  # IPv4-mapped private
    "::ffff:127.0.0.1",
    "::ffff:169.254.1.1",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo whose client is 10.0.0.1
    "::10.0.0.1",  # IPv4-compatible (deprecated)
    "not an address",
    "",
    "example.com",
    "1.2.3",
]

PUBLIC = [
    "1.1.1.1",
    "8.8.8.8",
    "93.184.215.14",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above
    "172.15.255.255",
    "172.32.0.0",
    "192.0.3.1",
    "223.255.255.254",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",  # IPv4-mapped public
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "2001:0:4136:e378:8000:63bf:f7f7:f7f7",  # Teredo, server 65.54.227.120 and client 8.8.8.8
    " 8.8.8.8 ",
]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_not_public(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public(address: str) -> None:
    assert is_public(address)


PRIVATE_V4 = st.one_of(
    st.integers(int(ipaddress.IPv4Address("10.0.0.0")), int(ipaddress.IPv4Address("10.255.255.255"))),
    st.integers(int(ipaddress.IPv4Address("127.0.0.0")), int(ipaddress.IPv4Address("127.255.255.255"))),
    st.integers(int(ipaddress.IPv4Address("100.64.0.0")), int(ipaddress.IPv4Address("100.127.255.255"))),
    st.integers(int(ipaddress.IPv4Address("169.254.0.0")), int(ipaddress.IPv4Address("169.254.255.255"))),
    st.integers(int(ipaddress.IPv4Address("192.168.0.0")), int(ipaddress.IPv4Address("192.168.255.255"))),
).map(ipaddress.IPv4Address)


@given(PRIVATE_V4)
def test_private_v4_is_not_public_however_it_is_wrapped(v4: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(0xFFFF_0000_0000 | int(v4))
    nat64 = ipaddress.IPv6Address((0x64FF9B << 96) | int(v4))
    sixtofour = ipaddress.IPv6Address((0x2002 << 112) | (int(v4) << 80) | 1)
    teredo = ipaddress.IPv6Address(
        (0x2001_0000 << 96) | (int(ipaddress.IPv4Address("65.54.227.120")) << 64) | (~int(v4) & 0xFFFFFFFF)
    )
    for address in (v4, mapped, nat64, sixtofour, teredo):
        assert not is_public(str(address)), address


@given(st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address))
def test_wrapping_never_changes_the_answer(v4: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(0xFFFF_0000_0000 | int(v4))
    assert is_public(str(mapped)) == is_public(str(v4))


@given(st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address))
def test_v6_outside_global_unicast_is_never_public(v6: ipaddress.IPv6Address) -> None:
    if (
        v6 not in ipaddress.IPv6Network("2000::/3")
        and v6.ipv4_mapped is None
        and v6 not in ipaddress.IPv6Network("64:ff9b::/96")
    ):
        assert not is_public(str(v6))


def test_parse_drops_the_zone() -> None:
    assert parse("fe80::1%eth0") == ipaddress.IPv6Address("fe80::1")
    assert parse("nonsense") is None


def test_private_reason_names_the_flag() -> None:
    assert private_reason("10.0.0.5") == "private address 10.0.0.5, use --allow-private"
