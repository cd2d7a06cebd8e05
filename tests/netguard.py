"""The loopback guard: while the test suite runs, any connection, datagram or name lookup aimed
off this machine raises ``OffBoxTraffic`` instead of leaving it.

It wraps the socket calls that every library here ends in (``connect``, ``connect_ex``,
``sendto``, ``sendmsg``, ``getaddrinfo``), so asyncio, httpx, dnspython and aiosmtpd are all
covered. Subprocesses (unbound, chromium) are kept on loopback by their own configuration.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

ALLOWED_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


class OffBoxTrafficError(AssertionError):
    """A test tried to reach a non-loopback address."""


def is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host in ALLOWED_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


_log: list[str] = []
"""Where to append each blocked attempt (a file path), when set by ``install(log=...)``."""


def _blocked(what: str) -> OffBoxTrafficError:
    if _log:
        with open(_log[0], "a", encoding="utf-8") as handle:
            handle.write(what + "\n")
    return OffBoxTrafficError(f"blocked {what}: tests may only use loopback")


def check_address(address: object) -> None:
    """Raise unless ``address`` is a Unix socket path or a loopback (host, port, ...) tuple."""
    if isinstance(address, str | bytes):
        return  # AF_UNIX path
    if isinstance(address, tuple) and address and is_loopback(address[0]):
        return
    raise _blocked(f"a connection to {address!r}")


_installed: dict[str, Any] = {}


def install(log: str | None = None) -> None:
    """Wrap the socket calls. Idempotent. ``log``: also append every blocked attempt to this file
    (for subprocesses, whose code under test might swallow the exception)."""
    if log:
        _log[:] = [log]
    if _installed:
        return
    cls = socket.socket
    _installed.update(
        connect=cls.connect,
        connect_ex=cls.connect_ex,
        sendto=cls.sendto,
        sendmsg=cls.sendmsg,
        getaddrinfo=socket.getaddrinfo,
    )

    def connect(self: socket.socket, address: Any) -> None:
        check_address(address)
        _installed["connect"](self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check_address(address)
        result: int = _installed["connect_ex"](self, address)
        return result

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        check_address(args[-1])
        result: int = _installed["sendto"](self, data, *args)
        return result

    def sendmsg(self: socket.socket, buffers: Any, *args: Any) -> int:
        if len(args) >= 3 and args[2] is not None:
            check_address(args[2])
        result: int = _installed["sendmsg"](self, buffers, *args)
        return result

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not is_loopback(host):
            raise _blocked(f"a name lookup of {host!r}")
        return _installed["getaddrinfo"](host, *args, **kwargs)

    replacements: dict[str, Callable[..., Any]] = {
        "connect": connect,
        "connect_ex": connect_ex,
        "sendto": sendto,
        "sendmsg": sendmsg,
    }
    for name, func in replacements.items():
        setattr(cls, name, func)
    socket.getaddrinfo = getaddrinfo


def uninstall() -> None:
    if not _installed:
        return
    for name in ("connect", "connect_ex", "sendto", "sendmsg"):
        setattr(socket.socket, name, _installed[name])
    socket.getaddrinfo = _installed["getaddrinfo"]
    _installed.clear()
