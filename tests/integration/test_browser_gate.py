"""The gate between a page and the network, spoken to as Chromium does (SOCKS5, RFC 1928), with an
echo server on loopback standing in for a web server. No browser needed: these are the rules."""

from __future__ import annotations

import asyncio
import ipaddress
import struct
from collections.abc import AsyncIterator

import pytest

from lookalike.browser.gate import Gate, GatePolicy
from lookalike.model import Outcome, Status

NAMES = {"other.test": ("127.0.0.1",), "private.test": ("10.1.2.3",), "far.test": ("127.0.0.1",)}


async def resolve(name: str) -> Outcome[tuple[str, ...]]:
    found = NAMES.get(name)
    return Outcome(Status.OK, found) if found else Outcome(Status.ABSENT, None, "NXDOMAIN")


@pytest.fixture
async def echo() -> AsyncIterator[int]:
    """A server that echoes what it gets, or sends 1 MB when asked ``BIG``."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(4096):
                writer.write(b"x" * 1_000_000 if data.startswith(b"BIG") else data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def socks(
    port: int, host: str, target: int, *, command: int = 1
) -> tuple[int, asyncio.StreamReader, asyncio.StreamWriter]:
    """Open a SOCKS5 connection to ``host:target`` through the gate; (reply code, streams)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"\x05\x01\x00")
    assert await reader.readexactly(2) == b"\x05\x00"
    try:
        address = ipaddress.ip_address(host)
        kind = 1 if address.version == 4 else 4
        encoded = address.packed
    except ValueError:
        kind, encoded = 3, bytes((len(host),)) + host.encode()
    writer.write(bytes((5, command, 0, kind)) + encoded + struct.pack("!H", target))
    reply = await reader.readexactly(10)
    return reply[1], reader, writer


def gate(echo: int, **policy: object) -> Gate:
    return Gate(
        {"page.test": ("127.0.0.1",)},
        resolve,
        GatePolicy(allow_private=True, http_port=echo, https_port=echo, **policy),  # type: ignore[arg-type]
    )


async def test_the_pages_host_and_resolved_names_go_through(echo: int) -> None:
    g = gate(echo)
    port = await g.start()
    try:
        for host, web_port in (("page.test", 80), ("PAGE.test.", 443), ("other.test", 80)):
            code, reader, writer = await socks(port, host, web_port)
            assert code == 0, host
            writer.write(b"hello")
            assert await reader.readexactly(5) == b"hello"
            writer.close()
        assert [(a.host, a.address, a.refused) for a in g.attempts][-1] == ("other.test", "127.0.0.1", "")
        assert g.bytes >= 30
    finally:
        await g.close()


@pytest.mark.parametrize(
    ("host", "port", "why"),
    [
        ("missing.test", 80, "does not resolve"),
        ("page.test", 8080, "not a web port"),
        ("page.test", 25, "not a web port"),
        ("127.0.0.2", 80, "did not resolve"),
        ("10.0.0.1", 80, "did not resolve"),
        ("::1", 80, "did not resolve"),
        ("8.8.8.8", 443, "did not resolve"),
        ("bad name!", 80, "not a host name"),
    ],
)
async def test_everything_else_is_refused_before_any_connection(
    echo: int, host: str, port: int, why: str
) -> None:
    g = gate(echo)
    try:
        code, _, writer = await socks(await g.start(), host, port)
        writer.close()
        assert code == 2
        assert why in g.attempts[-1].refused
        assert g.attempts[-1].address == ""
    finally:
        await g.close()


async def test_private_addresses_need_allow_private(echo: int) -> None:
    """Without allow_private, a name that resolves to a private address is refused, the page's own
    host included; nothing is connected to (the loopback guard would fail the test)."""
    g = Gate({"page.test": ("127.0.0.1",)}, resolve, GatePolicy(http_port=echo))
    try:
        port = await g.start()
        for host in ("page.test", "private.test"):
            code, _, writer = await socks(port, host, 80)
            writer.close()
            assert code == 2
        assert all("private address" in a.refused for a in g.attempts)
    finally:
        await g.close()


async def test_udp_and_bind_are_refused(echo: int) -> None:
    g = gate(echo)
    try:
        port = await g.start()
        for command in (2, 3):  # BIND, UDP ASSOCIATE
            code, _, writer = await socks(port, "page.test", 80, command=command)
            writer.close()
            assert code == 7
    finally:
        await g.close()


async def test_the_byte_budget_cuts_every_connection(echo: int) -> None:
    g = gate(echo, max_bytes=64 * 1024)
    try:
        port = await g.start()
        _, idle_reader, idle = await socks(port, "page.test", 80)
        code, reader, writer = await socks(port, "page.test", 80)
        assert code == 0
        writer.write(b"BIG")
        received = 0
        while data := await reader.read(65536):
            received += len(data)
        assert received <= 64 * 1024
        assert "bytes" in g.exhausted
        assert await idle_reader.read() == b"", "the other connection is cut too"
        idle.close()
        writer.close()
    finally:
        await g.close()


async def test_host_and_connection_limits(echo: int) -> None:
    opened: list[asyncio.StreamWriter] = []

    async def code(port: int, host: str) -> int:
        answer, _, writer = await socks(port, host, 80)
        opened.append(writer)
        return answer

    g = gate(echo, max_hosts=2)
    try:
        port = await g.start()
        assert await code(port, "other.test") == 0
        assert await code(port, "far.test") == 2
        assert "more than 2 host names" in g.attempts[-1].refused
    finally:
        await g.close()
    g = gate(echo, max_connections=3)
    try:
        port = await g.start()
        for _ in range(3):
            assert await code(port, "page.test") == 0
        with pytest.raises((asyncio.IncompleteReadError, ConnectionError)):
            await code(port, "page.test")
        assert "connections" in g.exhausted
    finally:
        await g.close()
        for writer in opened:
            writer.close()


async def test_a_silent_client_is_dropped(echo: int) -> None:
    g = gate(echo, connect_timeout=0.1)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", await g.start())
        async with asyncio.timeout(10):
            assert await reader.read() == b""
        writer.close()
    finally:
        await g.close()
