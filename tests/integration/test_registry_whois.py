"""WhoisClient against loopback WHOIS servers: referral chains, IANA referrals, caps and refusals."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from types import MappingProxyType

import pytest

from lookalike.demo.whois_server import WhoisResponse, WhoisServer
from lookalike.endpoints import Endpoints, HostPort, Limits
from lookalike.model import Contact, Outcome, Status
from lookalike.whois import WhoisClient
from tests.fixtures.registry import REGISTRAR_WHOIS


@pytest.fixture
def whois(registry_endpoints: Endpoints, registry_limits: Limits) -> WhoisClient:
    return WhoisClient(registry_endpoints, registry_limits)


async def test_thin_registry_refers_to_thick_registrar(
    whois: WhoisClient, whois_registry: WhoisServer, whois_registrar: WhoisServer
) -> None:
    outcome = await whois.lookup("kestrelsystems.com")
    assert outcome.status is Status.OK, outcome.detail
    reg = outcome.value
    assert reg is not None
    assert reg.server == str(whois_registry.address)
    assert reg.registrar == "Harrier Domains, Inc."
    assert reg.expires == datetime(2028, 9, 14, 4, 0, tzinfo=UTC)  # the registry's date wins
    assert reg.registrant == Contact(organization="Kestrel Systems Ltd", country="GB")  # the registrar's
    assert "Registry Expiry Date" in reg.raw
    assert "Registrar Registration Expiration Date" in reg.raw
    assert whois_registry.count("kestrelsystems.com") == 1
    # The registrar's answer names itself again: the loop is noticed, it is asked once.
    assert whois_registrar.count("kestrelsystems.com") == 1


async def test_registrar_that_does_not_answer(whois: WhoisClient, whois_registrar: WhoisServer) -> None:
    whois_registrar.update({"kestrelsystems.com": WhoisResponse(silent=True)})
    outcome = await whois.lookup("kestrelsystems.com")
    assert outcome.status is Status.OK
    assert outcome.value is not None
    assert outcome.value.registrar == "Harrier Domains, Inc."
    assert outcome.value.registrant is None
    assert "referral" in outcome.detail


@pytest.mark.parametrize(
    ("domain", "status", "detail"),
    [
        ("kestrelsytems-login.com", Status.ABSENT, "no match"),
        ("kestrelsysteme.de", Status.ABSENT, "no match"),
        ("kestrelsytems.co.uk", Status.ABSENT, "no match"),
        ("kestrelsytems.jp", Status.ABSENT, "no match"),
        ("kestrelsysteme.at", Status.ABSENT, "no match"),
        ("kestrel-gone.io", Status.ABSENT, "no match"),
        ("kestrel-limited.de", Status.REFUSED, "WHOIS LIMIT EXCEEDED"),
        ("kestrel-silent.de", Status.REFUSED, "without an answer"),
        ("kestrel-garbage.de", Status.ERROR, "unrecognised"),
        ("kestrel-systeme.ml", Status.SKIPPED, "no WHOIS server configured for .ml"),
    ],
)
async def test_outcomes(whois: WhoisClient, domain: str, status: Status, detail: str) -> None:
    outcome = await whois.lookup(domain)
    assert outcome.status is status
    assert detail in outcome.detail
    assert outcome.value is None


@pytest.mark.parametrize(
    ("domain", "registrar", "organization"),
    [
        ("kestrel-systeme.de", None, None),
        ("kestrelsystems.co.uk", "Harrier Domains Ltd", None),
        ("kestrelsystems.jp", None, "Kestrel Systems K.K."),
        ("kestrel-systeme.at", "Harrier Domains GmbH", "Kestrel Systeme Österreich GmbH"),
        # ESC kept as a space (text.clean), the markup kept as text: escaping is the renderer's job.
        ("kestrel-evil.io", 'Osprey Names LLC [2J [31m<img src=x onerror="window.__pwned=1">', None),
    ],
)
async def test_registries(
    whois: WhoisClient, domain: str, registrar: str | None, organization: str | None
) -> None:
    outcome = await whois.lookup(domain)
    assert outcome.status is Status.OK, outcome.detail
    reg = outcome.value
    assert reg is not None
    assert reg.source == "whois"
    assert reg.registrar == registrar
    if organization is not None:
        assert reg.registrant is not None
        assert reg.registrant.organization == organization
    assert reg.nameservers


async def test_slow_server_times_out(registry_endpoints: Endpoints) -> None:
    whois = WhoisClient(registry_endpoints, Limits(registry_timeout=0.3, registry_qps=0))
    started = time.monotonic()
    outcome = await whois.lookup("kestrel-slow.de")
    assert outcome.status is Status.TIMEOUT
    assert time.monotonic() - started < 1.0


async def test_trickling_server_times_out(registry_endpoints: Endpoints) -> None:
    whois = WhoisClient(registry_endpoints, Limits(registry_timeout=0.5, registry_qps=0))
    outcome = await whois.lookup("kestrel-drip.de")
    assert outcome.status is Status.TIMEOUT


async def test_endless_answer_is_cut_and_kept(registry_endpoints: Endpoints, registry_limits: Limits) -> None:
    whois = WhoisClient(registry_endpoints, registry_limits, max_bytes=64 * 1024)
    started = time.monotonic()
    outcome = await whois.lookup("kestrel-endless.de")
    assert time.monotonic() - started < 0.9
    assert outcome.status is Status.OK
    assert "cut at 65,536 bytes" in outcome.detail
    assert outcome.value is not None
    assert outcome.value.nameservers == ("ns1.kestrel-systeme.de", "ns2.kestrel-systeme.de")
    assert len(outcome.value.raw) < 70 * 1024


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_connection_refused(registry_limits: Limits) -> None:
    endpoints = Endpoints(whois_servers={"de": HostPort("127.0.0.1", closed_port())}, whois_iana=None)
    outcome = await WhoisClient(endpoints, registry_limits).lookup("kestrel-systeme.de")
    assert outcome.status is Status.REFUSED
    assert "refused" in outcome.detail


async def test_iana_referral_is_asked_once_per_tld(
    whois_iana: WhoisServer, whois_registry: WhoisServer, registry_limits: Limits
) -> None:
    endpoints = Endpoints(whois_iana=whois_iana.address)
    # IANA's referral names a loopback server: an answer's choice, so only with allow_private.
    refused = await WhoisClient(endpoints, registry_limits).lookup("kestrel-systeme.de")
    assert refused.status is Status.SKIPPED
    assert "IANA's WHOIS referral for .de" in refused.detail
    assert "use --allow-private" in refused.detail
    assert whois_registry.count("kestrel-systeme.de") == 0  # refused before any connection
    whois = WhoisClient(endpoints, registry_limits, allow_private=True)
    first = await whois.lookup("kestrel-systeme.de")
    second = await whois.lookup("kestrelsysteme.de")
    assert first.status is Status.OK
    assert second.status is Status.ABSENT
    assert [q.query for q in whois_iana.queries] == ["de", "de"]  # once per client, once per TLD
    assert whois_registry.count("kestrel-systeme.de") == 1
    skipped = await whois.lookup("kestrel.kestrel")
    assert skipped.status is Status.SKIPPED
    assert "IANA lists no WHOIS server for .kestrel" in skipped.detail


async def test_iana_not_answering_is_unknown(registry_limits: Limits) -> None:
    endpoints = Endpoints(whois_iana=HostPort("127.0.0.1", closed_port()))
    outcome = await WhoisClient(endpoints, registry_limits).lookup("kestrel-systeme.de")
    assert outcome.status is Status.REFUSED
    assert "IANA WHOIS" in outcome.detail


async def test_configured_suffix_beats_the_tld(
    whois_registry: WhoisServer, whois_registrar: WhoisServer, registry_limits: Limits
) -> None:
    endpoints = Endpoints(
        whois_servers=MappingProxyType({"uk": whois_registrar.address, "co.uk": whois_registry.address}),
        whois_iana=None,
    )
    outcome = await WhoisClient(endpoints, registry_limits).lookup("kestrelsystems.co.uk")
    assert outcome.status is Status.OK
    assert whois_registry.count("kestrelsystems.co.uk") == 1


async def test_referral_host_names_go_through_the_given_resolver(
    whois_registry: WhoisServer, whois_registrar: WhoisServer, registry_limits: Limits
) -> None:
    asked: list[str] = []

    async def resolve(host: str) -> Outcome[tuple[str, ...]]:
        asked.append(host)
        return Outcome(Status.OK, ("127.0.0.1",))

    # The registrar is known only by name and port 43, which nothing listens on here: the referral is
    # resolved through `resolve` (never the system), the connection is refused, the registry's answer stays.
    endpoints = Endpoints(whois_servers=MappingProxyType({"com": whois_registry.address}), whois_iana=None)
    client = WhoisClient(endpoints, registry_limits, resolve=resolve, allow_private=True)
    outcome = await client.lookup("kestrelsystems.com")
    assert asked == [REGISTRAR_WHOIS]
    assert outcome.status is Status.OK
    assert outcome.value is not None
    assert outcome.value.registrant is None
    assert f"referral {REGISTRAR_WHOIS}:43: refused" in outcome.detail

    # Without allow_private the referral's loopback address is refused before any connection.
    guarded = await WhoisClient(endpoints, registry_limits, resolve=resolve).lookup("kestrelsystems.com")
    assert guarded.status is Status.OK
    assert f"referral {REGISTRAR_WHOIS}:43: skipped" in guarded.detail
    assert "private address (whois.harrier-domains.example is at 127.0.0.1)" in guarded.detail

    without = await WhoisClient(endpoints, registry_limits, allow_private=True).lookup("kestrelsystems.com")
    assert without.status is Status.OK
    assert "no resolver" in without.detail


async def test_server_sees_one_query_line(whois: WhoisClient, whois_registry: WhoisServer) -> None:
    await whois.lookup("KESTREL-SYSTEME.DE.")
    assert [q.query for q in whois_registry.queries] == ["kestrel-systeme.de"]
