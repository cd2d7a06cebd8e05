"""The guard itself must hold: off-box traffic fails, loopback passes."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from tests.netguard import OffBoxTrafficError


def test_tcp_connect_off_box_is_blocked() -> None:
    with socket.socket() as sock, pytest.raises(OffBoxTrafficError):
        sock.connect(("192.0.2.1", 53))


def test_udp_sendto_off_box_is_blocked() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, pytest.raises(OffBoxTrafficError):
        sock.sendto(b"x", ("10.255.255.53", 53))


def test_name_lookup_is_blocked() -> None:
    with pytest.raises(OffBoxTrafficError):
        socket.getaddrinfo("example.com", 80)


async def test_asyncio_connection_is_blocked() -> None:
    with pytest.raises(OffBoxTrafficError):
        await asyncio.open_connection("198.51.100.7", 25)


def _caused_by_guard(exc: BaseException) -> bool:
    """True when the guard's error is ``exc`` or inside it (httpx wraps it in an ExceptionGroup)."""
    if isinstance(exc, OffBoxTrafficError):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return any(_caused_by_guard(e) for e in exc.exceptions)
    return any(_caused_by_guard(e) for e in (exc.__cause__, exc.__context__) if e is not None)


async def test_httpx_is_blocked() -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(BaseException) as info:
            await client.get("http://203.0.113.9/")
    assert _caused_by_guard(info.value)


def test_loopback_passes() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
