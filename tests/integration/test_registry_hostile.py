"""Hostile registries on loopback (issue 11): nobody sets our clock, nobody steers us to a private
address, no answer fills memory, no file is read without a bound.

The same cases run through the command line in tests/e2e/test_cli_registry_hostile.py; here they run
through the library, where the counters (requests per server, peak memory) can be read.
"""

from __future__ import annotations

import asyncio
import os
import threading
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from types import MappingProxyType

import pytest

from lookalike.addresses import guard, usable
from lookalike.demo.rdap_server import RdapResponse, RdapServer
from lookalike.demo.whois_server import WhoisServer
from lookalike.endpoints import Endpoints, Limits
from lookalike.errors import LookalikeError
from lookalike.model import Outcome, Status
from lookalike.ratelimit import MAX_DEFER, PerKeyLimits
from lookalike.rdap import MAX_DOCUMENT, Bootstrap
from lookalike.registry import Registry

REGISTRY_DOC = Path(__file__).resolve().parent.parent / "data" / "registry" / "rdap" / "registry"
THIN = (REGISTRY_DOC / "kestrelsytems.com.json").read_bytes()
ANSWER = RdapResponse(body=THIN)


def strict(**changes: float) -> Limits:
    """A registry rate that holds (the bug needs one): 20 requests a second per server."""
    base = {
        "registry_per_server": 2,
        "registry_qps": 20.0,
        "registry_timeout": 2.0,
        "registry_deadline": 20.0,
    }
    return Limits(**{**base, **changes})  # type: ignore[arg-type]


@pytest.fixture
async def hostile() -> AsyncIterator[RdapServer]:
    async with RdapServer({}) as server:
        yield server


def endpoints_for(server: RdapServer, tmp_path: Path, **changes: object) -> Endpoints:
    bootstrap = server.bootstrap_file(["com"], tmp_path / "dns.json")
    return Endpoints(rdap_bootstrap=bootstrap, whois_iana=None, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_of_days_sets_nobody_s_clock(
    hostile: RdapServer, tmp_path: Path, status: int
) -> None:
    """A server answering every request with Retry-After: 9999999. Before: the next request slept in the
    rate limiter for days, outside every timeout. Now each lookup is unknown with the reason, at once."""
    names = [f"kestrel{n}.com" for n in range(6)]
    hostile.update({n: RdapResponse(status=status, retry_after="9999999") for n in names})
    async with Registry(endpoints_for(hostile, tmp_path), strict()) as registry:
        gate = registry.rdap._gate
        assert isinstance(gate, PerKeyLimits)  # the process's own limits (no shared budgets)
        bucket = gate.bucket(f"127.0.0.1:{hostile.address.port}")
        async with asyncio.timeout(60):  # a hang check, not a speed check: the deadline is 20 s
            outcomes = await asyncio.gather(*(registry.lookup(n) for n in names))
    assert all(o.status.unknown for o in outcomes), outcomes
    assert f"HTTP {status} from 127.0.0.1:{hostile.address.port}" in outcomes[0].detail
    assert "9999999" in outcomes[0].detail
    held = [o for o in outcomes if "(Retry-After); not waiting" in o.detail]
    assert held, [o.detail for o in outcomes]  # the others were told at once, not after a sleep
    assert len(hostile.requests) < len(names)
    assert bucket.wait() <= MAX_DEFER


async def test_every_wait_counts_against_the_lookup_deadline(hostile: RdapServer, tmp_path: Path) -> None:
    hostile.update({"kestrel-slow.com": RdapResponse(body=THIN, delay=30.0)})
    limits = strict(registry_timeout=10.0, registry_deadline=0.5)
    async with Registry(endpoints_for(hostile, tmp_path), limits) as registry:
        async with asyncio.timeout(20):
            outcome = await registry.lookup("kestrel-slow.com")
    assert outcome.status is Status.TIMEOUT
    assert "0.5 s" in outcome.detail


async def test_the_scan_deadline_ends_every_later_lookup(hostile: RdapServer, tmp_path: Path) -> None:
    hostile.update({"kestrel-slow.com": RdapResponse(body=THIN, delay=30.0), "kestrel.com": ANSWER})
    limits = strict(registry_timeout=10.0, registry_scan_deadline=0.5)
    async with Registry(endpoints_for(hostile, tmp_path), limits) as registry:
        async with asyncio.timeout(20):
            slow = await registry.lookup("kestrel-slow.com")
            later = await registry.lookup("kestrel.com")
    assert slow.status is Status.TIMEOUT
    assert later.status is Status.TIMEOUT
    assert "the scan's registry time (0.5 s) is spent" in later.detail
    assert hostile.count("kestrel.com") == 0


async def test_a_gzip_bomb_is_cut_as_it_inflates(hostile: RdapServer, tmp_path: Path) -> None:
    """128 MiB of white space in about half a MiB of gzip. Before: each read was inflated whole before
    the 2 MB check (194 MB at the peak). Now decompression stops at the limit."""
    hostile.update(
        {
            "kestrel-bomb.com": RdapResponse(body=b'{"objectClassName": "domain", "x": "', bomb=128 << 20),
            "kestrel-gzip.com": RdapResponse(body=THIN, gzip=True),
        }
    )
    async with Registry(endpoints_for(hostile, tmp_path), strict()) as registry:
        zipped = await registry.lookup("kestrel-gzip.com")
        tracemalloc.start()
        try:
            bomb = await registry.lookup("kestrel-bomb.com")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert zipped.status is Status.OK  # an honest compressed answer still reads
    assert bomb.status is Status.ERROR
    assert f"sent more than {MAX_DOCUMENT:,} bytes" in bomb.detail
    assert peak < 8 * MAX_DOCUMENT


async def test_rdap_redirect_to_another_loopback_server(hostile: RdapServer, tmp_path: Path) -> None:
    async with RdapServer({"kestrel.com": ANSWER}) as elsewhere:
        target = f"{elsewhere.base_url}domain/kestrel.com"
        hostile.update({"kestrel.com": RdapResponse(status=302, headers={"Location": target})})
        endpoints = endpoints_for(hostile, tmp_path)
        async with Registry(endpoints, strict()) as registry:
            refused = await registry.lookup("kestrel.com")
        async with Registry(endpoints, strict(), allow_private=True) as registry:
            followed = await registry.lookup("kestrel.com")
        assert elsewhere.count("kestrel.com") == 1  # only with allow_private
    assert refused.status is Status.SKIPPED
    assert "an RDAP redirect to 127.0.0.1 points at a private address" in refused.detail
    assert "--allow-private" in refused.detail
    assert followed.status is Status.OK


async def test_rdap_related_link_to_another_loopback_server(hostile: RdapServer, tmp_path: Path) -> None:
    async with RdapServer({"/registrar/domain/kestrel.com": ANSWER}) as registrar:
        link = f"{registrar.base_url}registrar/domain/kestrel.com"
        doc = THIN.replace(b'"links": [', b'"links": [{"rel": "related", "type": "application/rdap+json", '
                           b'"href": "' + link.encode() + b'"},', 1)  # fmt: skip
        assert link.encode() in doc
        hostile.update({"kestrel.com": RdapResponse(body=doc)})
        async with Registry(endpoints_for(hostile, tmp_path), strict()) as registry:
            outcome = await registry.lookup("kestrel.com")
        assert registrar.requests == []
    assert outcome.status is Status.OK  # the registry's own answer stands
    assert "the registry's RDAP related link to 127.0.0.1 points at a private address" in outcome.detail


async def test_whois_referral_to_a_private_address(tmp_path: Path) -> None:
    """A registry referring to 10.0.0.1: never connected to (the loopback guard would fail the test)."""
    answer = (REGISTRY_DOC.parent.parent / "whois" / "verisign-thin.txt").read_text("utf-8")
    answer = answer.replace("whois.harrier-domains.example", "10.0.0.1")
    bootstrap = tmp_path / "org-only.json"  # .com has no RDAP here: WHOIS is asked
    bootstrap.write_text('{"services": [[["org"], ["http://127.0.0.1:9/"]]]}', "utf-8")
    async with WhoisServer({"kestrelsystems.com": answer}) as registry_server:
        servers = MappingProxyType({"com": registry_server.address})
        endpoints = Endpoints(rdap_bootstrap=bootstrap, whois_servers=servers, whois_iana=None)
        async with Registry(endpoints, strict()) as registry:
            outcome = await registry.lookup("kestrelsystems.com")
    assert outcome.status is Status.OK
    assert "referral 10.0.0.1:43: skipped" in outcome.detail
    assert "a WHOIS referral from" in outcome.detail
    assert "private address (10.0.0.1)" in outcome.detail


async def test_the_guard() -> None:
    async def resolve(host: str) -> Outcome[tuple[str, ...]]:
        table = {
            "mixed.example": ("10.0.0.1", "192.0.2.10", "8.8.8.8"),
            "inside.example": ("10.1.2.3", "::1"),
        }
        return Outcome(Status.OK, table[host]) if host in table else Outcome(Status.ABSENT, None, "NXDOMAIN")

    mixed = await guard("mixed.example", resolve=resolve, source="an MX record")
    assert mixed == Outcome(Status.OK, ("8.8.8.8",))
    inside = await guard("inside.example.", resolve=resolve, source="an HTTP redirect")
    assert inside.status is Status.SKIPPED
    assert inside.detail == (
        "an HTTP redirect points at a private address (inside.example is at 10.1.2.3, ::1), "
        "use --allow-private"
    )
    allowed = await guard("inside.example", resolve=resolve, source="x", allow_private=True)
    assert allowed.value == ("10.1.2.3", "::1")
    assert (await guard("[::1]", resolve=None, source="x")).status is Status.SKIPPED
    assert (await guard("localhost", resolve=None, source="x")).status is Status.SKIPPED
    assert (await guard("8.8.4.4", resolve=None, source="x")).value == ("8.8.4.4",)
    assert (await guard("nowhere.example", resolve=resolve, source="x")).status is Status.ABSENT
    assert (await guard("name.example", resolve=None, source="x")).status is Status.ERROR
    assert usable(["not an address"], host="h", source="an A record").status is Status.SKIPPED
    assert usable(["127.0.0.1"], host="127.0.0.1", source="y", allow_private=True).value == ("127.0.0.1",)


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom"])
def test_a_bootstrap_that_never_ends_is_refused(special: str) -> None:
    with pytest.raises(LookalikeError, match="larger than"):
        Bootstrap.load(Path(special))


def test_a_bootstrap_on_a_pipe_is_read_with_a_bound(tmp_path: Path) -> None:
    fifo = tmp_path / "bootstrap.fifo"
    os.mkfifo(fifo)

    def write() -> None:
        with fifo.open("wb") as pipe:
            try:
                while True:
                    pipe.write(b" " * 65536)
            except BrokenPipeError:
                return

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    with pytest.raises(LookalikeError, match="larger than"):
        Bootstrap.load(fifo)
    writer.join(timeout=10)
