"""How many SMTP and HTTP probes per second, against the loopback servers, at the default limits.

    python -m bench.probes [--candidates 2000] [--hosts 8] [--concurrency 32] [--same-process]

Many candidates spread over several loopback addresses, one mail host or web server per address:
the per-host limit (one SMTP connection per host; ``PER_ADDRESS`` HTTP requests per address) and the
global ``probe_concurrency`` bound the rate. Each SMTP probe is a whole dialogue (banner, EHLO, MAIL,
RCPT, QUIT); each web probe is https then http (TLS handshake, certificate read, a parked page read
and parsed).

The servers run in a child process, so the figures are the prober's own cost, not the servers'
(``--same-process`` puts them in the prober's event loop, to compare). Figures to compare, not
pass/fail: real servers are far slower than loopback, so in a real scan the network and the
timeouts, not these rates, set the pace.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection

from lookalike.demo.http_server import HttpServer, Site
from lookalike.demo.smtp_server import SmtpServer
from lookalike.endpoints import Limits
from lookalike.model import DnsFacts, Existence, MailRoute, MxHost, Outcome, Status
from lookalike.smtp import SmtpProber
from lookalike.web import PER_ADDRESS, WebProber

PROTECTED = ("kestrelsystems.com",)


@dataclass(frozen=True, slots=True)
class Ports:
    smtp: int
    http: int
    https: int


def _addresses(hosts: int, third: int) -> list[str]:
    return [f"127.0.{third}.{i}" for i in range(1, hosts + 1)]


@asynccontextmanager
async def _servers(hosts: int) -> AsyncIterator[Ports]:
    async with (
        SmtpServer(dict.fromkeys(_addresses(hosts, 125), "accept-all")) as smtp,
        HttpServer({"*": Site.parked()}, addresses=_addresses(hosts, 180)) as web,
    ):
        yield Ports(smtp.port, web.http_port, web.https_port)


def _serve_child(hosts: int, conn: Connection) -> None:
    """The child process: start the servers, report their ports, serve until the parent says stop."""

    async def serve() -> None:
        async with _servers(hosts) as ports:
            conn.send(ports)
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)

    asyncio.run(serve())


@asynccontextmanager
async def _servers_elsewhere(hosts: int) -> AsyncIterator[Ports]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_serve_child, args=(hosts, child), daemon=True)
    process.start()
    try:
        loop = asyncio.get_running_loop()
        ports: Ports = await loop.run_in_executor(None, parent.recv)
        yield ports
    finally:
        parent.send("stop")
        await loop.run_in_executor(None, process.join, 10)


async def _timed(
    count: int, probe: Callable[[int], Awaitable[Status]]
) -> tuple[float, float, Counter[Status]]:
    """(wall seconds, CPU seconds of this process, statuses) for ``count`` probes run together."""
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    statuses = Counter(await asyncio.gather(*(probe(i) for i in range(count))))
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    return wall, (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime), statuses


async def bench_smtp(
    count: int, hosts: int, port: int, limits: Limits
) -> tuple[float, float, Counter[Status]]:
    addresses = _addresses(hosts, 125)
    prober = SmtpProber(port=port, helo="bench.lookalike.invalid", limits=limits, allow_private=True)

    async def probe(i: int) -> Status:
        mx = (MxHost(10, f"mx{i % hosts}.bench.invalid", (addresses[i % hosts],)),)
        dns = DnsFacts(Existence.EXISTS, mx=mx, mail_route=MailRoute.MX)
        return (await prober.probe(f"c{i}.bench.invalid", dns)).status

    return await _timed(count, probe)


async def bench_web(
    count: int, hosts: int, ports: Ports, limits: Limits
) -> tuple[float, float, Counter[Status]]:
    addresses = _addresses(hosts, 180)

    async def resolve(name: str) -> Outcome[tuple[str, ...]]:
        return Outcome(Status.ABSENT, None, "NXDOMAIN")

    web = WebProber(
        http_port=ports.http,
        https_port=ports.https,
        limits=limits,
        resolve=resolve,
        allow_private=True,
        user_agent="lookalike-bench",
    )
    async with web as prober:

        async def probe(i: int) -> Status:
            dns = DnsFacts(Existence.EXISTS, a=(addresses[i % hosts],))
            return (await prober.probe(f"c{i}.bench.invalid", dns, PROTECTED)).status

        return await _timed(count, probe)


def _row(name: str, count: int, result: tuple[float, float, Counter[Status]], note: str) -> str:
    wall, cpu, statuses = result
    ok = statuses.get(Status.OK, 0)
    return (
        f"{name:<5} {count:>6} {ok:>6} {wall:>8.2f} {count / wall:>9.0f} {1000 * cpu / count:>9.2f}  {note}"
    )


async def main(candidates: int, hosts: int, concurrency: int, same_process: bool) -> None:
    limits = Limits(probe_concurrency=concurrency)
    servers = _servers(hosts) if same_process else _servers_elsewhere(hosts)
    async with servers as ports:
        smtp = await bench_smtp(candidates, hosts, ports.smtp, limits)
        web = await bench_web(candidates, hosts, ports, limits)
    where = "in this process" if same_process else "in a child process"
    print(
        f"{candidates} candidates per probe over {hosts} loopback hosts (servers {where}), "
        f"probe_concurrency={concurrency}, probe_timeout={limits.probe_timeout:g}s"
    )
    print(f"{'probe':<5} {'count':>6} {'ok':>6} {'seconds':>8} {'probes/s':>9} {'cpu ms/p':>9}  one probe")
    print(_row("smtp", candidates, smtp, "banner, EHLO, MAIL, RCPT, QUIT; 1 connection per host"))
    print(_row("http", candidates, web, f"https + http, TLS cert, page parsed; {PER_ADDRESS} per address"))


def cli() -> None:
    parser = argparse.ArgumentParser(description="SMTP and HTTP probes per second against loopback servers.")
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=Limits().probe_concurrency)
    parser.add_argument("--same-process", action="store_true", help="run the servers in this event loop")
    args = parser.parse_args()
    asyncio.run(main(args.candidates, args.hosts, args.concurrency, args.same_process))


if __name__ == "__main__":
    cli()
