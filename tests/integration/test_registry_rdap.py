"""RdapClient against the loopback RDAP server: answers, refusals, timeouts and broken documents."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import trustme

from lookalike.demo.rdap_server import RdapResponse, RdapServer
from lookalike.endpoints import Limits
from lookalike.model import Contact, Outcome, Status
from lookalike.rdap import Bootstrap, RdapClient, http_get


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as client:
        yield client


def client_for(
    server: RdapServer, tmp_path: Path, http: httpx.AsyncClient, limits: Limits, **kwargs: object
) -> RdapClient:
    bootstrap = Bootstrap.load(server.bootstrap_file(["com", "org", "fr"], tmp_path / "dns.json"))
    return RdapClient(bootstrap, limits, http, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def rdap(
    rdap_server: RdapServer, tmp_path: Path, http: httpx.AsyncClient, registry_limits: Limits
) -> RdapClient:
    """A client whose bootstrap sends .com, .org and .fr to the loopback server."""
    return client_for(rdap_server, tmp_path, http, registry_limits)


async def test_registry_then_registrar(
    rdap_server: RdapServer, tmp_path: Path, http: httpx.AsyncClient, registry_limits: Limits
) -> None:
    rdap = client_for(rdap_server, tmp_path, http, registry_limits)
    outcome = await rdap.lookup("kestrelsystems.com")
    assert outcome.status is Status.OK, outcome.detail
    reg = outcome.value
    assert reg is not None
    assert reg.server == f"{rdap_server.base_url}domain/kestrelsystems.com"
    assert reg.registrar == "Harrier Domains, Inc."
    assert reg.expires == datetime(2028, 9, 14, 4, 0, tzinfo=UTC)  # the registry's date wins
    assert reg.registrant == Contact(organization="Kestrel Systems Ltd", country="GB")  # the registrar's
    assert reg.abuse == Contact(email="abuse@harrier-domains.example", phone="+1.5555550142")
    assert [r.path for r in rdap_server.requests] == [
        "/domain/kestrelsystems.com",
        "/registrar/domain/KESTRELSYSTEMS.COM",
    ]
    assert "Kestrel Systems Ltd" in reg.raw
    assert "KESTRELSYSTEMS.COM" in reg.raw
    assert rdap.requests == {str(rdap_server.address): 2}


async def test_request_is_plain_and_addressed(
    rdap_server: RdapServer, tmp_path: Path, http: httpx.AsyncClient, registry_limits: Limits
) -> None:
    rdap = client_for(rdap_server, tmp_path, http, registry_limits)
    assert (await rdap.lookup("KestrelSytems.COM.")).status is Status.OK
    request = rdap_server.requests[0]
    assert request.method == "GET"
    assert request.domain == "kestrelsytems.com"
    assert request.host == str(rdap_server.address)


@pytest.mark.parametrize(
    ("domain", "status", "detail"),
    [
        ("kestrel-unknown.com", Status.ABSENT, "HTTP 404"),
        ("kestrel-gone.com", Status.ABSENT, "HTTP 404"),
        ("kestrel-throttled.com", Status.REFUSED, "Retry-After 3600 s"),
        ("kestrel-broken.com", Status.REFUSED, "HTTP 500"),
        ("kestrel-down.com", Status.REFUSED, "HTTP 503"),
        ("kestrel-malformed.com", Status.ERROR, "malformed JSON"),
        ("kestrel-entity.com", Status.ERROR, "not an RDAP domain object"),
        ("kestrel-endless.com", Status.ERROR, "more than"),
        ("kestrel-systeme.de", Status.SKIPPED, "lists no server for .de"),
    ],
)
async def test_outcomes(rdap: RdapClient, domain: str, status: Status, detail: str) -> None:
    outcome = await rdap.lookup(domain)
    assert outcome.status is status
    assert detail in outcome.detail
    assert outcome.value is None


async def test_endless_body_is_cut_quickly(
    rdap_server: RdapServer, tmp_path: Path, http: httpx.AsyncClient, registry_limits: Limits
) -> None:
    rdap = client_for(rdap_server, tmp_path, http, registry_limits, max_bytes=256 * 1024)
    started = time.monotonic()
    outcome = await rdap.lookup("kestrel-endless.com")
    assert outcome.status is Status.ERROR
    assert "262,144 bytes" in outcome.detail
    assert time.monotonic() - started < 0.9


async def test_slow_server_times_out(
    rdap_server: RdapServer, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    rdap = client_for(rdap_server, tmp_path, http, Limits(registry_timeout=0.3, registry_qps=0))
    started = time.monotonic()
    outcome = await rdap.lookup("kestrel-slow.com")
    assert outcome.status is Status.TIMEOUT
    assert time.monotonic() - started < 1.0


async def test_429_retry_after_is_honoured_once(
    rdap_server: RdapServer, tmp_path: Path, http: httpx.AsyncClient, registry_limits: Limits
) -> None:
    rdap = client_for(rdap_server, tmp_path, http, registry_limits)
    outcome = await rdap.lookup("kestrel-busy.com")
    assert outcome.status is Status.OK, outcome.detail
    first, second = rdap_server.requests
    assert second.at - first.at >= 0.95  # Retry-After: 1
    assert rdap.rate_limited == 1


async def test_429_with_a_long_wait_is_refused_at_once(
    rdap_server: RdapServer, tmp_path: Path, http: httpx.AsyncClient, registry_limits: Limits
) -> None:
    rdap = client_for(rdap_server, tmp_path, http, registry_limits, retry_after_cap=2.0)
    rdap_server.update({"kestrel-busy.com": RdapResponse(status=429, retry_after="3")})
    started = time.monotonic()
    outcome = await rdap.lookup("kestrel-busy.com")
    assert outcome.status is Status.REFUSED
    assert "Retry-After 3 s" in outcome.detail
    assert rdap_server.count("kestrel-busy.com") == 1
    assert time.monotonic() - started < 1.0


async def test_429_without_retry_after(
    rdap_server: RdapServer, tmp_path: Path, http: httpx.AsyncClient, registry_limits: Limits
) -> None:
    rdap_server.update({"kestrel-busy.com": RdapResponse(status=429)})
    rdap = client_for(rdap_server, tmp_path, http, registry_limits)
    outcome = await rdap.lookup("kestrel-busy.com")
    assert outcome.status is Status.REFUSED
    assert "no Retry-After" in outcome.detail


async def test_registrar_failure_keeps_the_registry_answer(
    rdap_server: RdapServer, tmp_path: Path, http: httpx.AsyncClient, registry_limits: Limits
) -> None:
    rdap_server.update({"/registrar/domain/kestrelsystems.com": RdapResponse(status=503)})
    rdap = client_for(rdap_server, tmp_path, http, registry_limits)
    outcome = await rdap.lookup("kestrelsystems.com")
    assert outcome.status is Status.OK
    assert outcome.value is not None
    assert outcome.value.registrar == "Harrier Domains, Inc."
    assert outcome.value.registrant is None
    assert "registrar RDAP" in outcome.detail
    assert "HTTP 503" in outcome.detail


async def test_redirect_is_followed(
    rdap_server: RdapServer, tmp_path: Path, http: httpx.AsyncClient, registry_limits: Limits
) -> None:
    rdap_server.update(
        {"kestrel-moved.com": RdapResponse(status=302, headers={"Location": "/domain/kestrelsytems.com"})}
    )
    rdap = client_for(rdap_server, tmp_path, http, registry_limits)
    outcome = await rdap.lookup("kestrel-moved.com")
    assert outcome.status is Status.OK
    assert [r.path for r in rdap_server.requests] == [
        "/domain/kestrel-moved.com",
        "/domain/kestrelsytems.com",
    ]


async def test_redirect_loop_is_an_error(
    rdap_server: RdapServer, tmp_path: Path, http: httpx.AsyncClient, registry_limits: Limits
) -> None:
    rdap_server.update(
        {"kestrel-loop.com": RdapResponse(status=301, headers={"Location": "/domain/kestrel-loop.com"})}
    )
    rdap = client_for(rdap_server, tmp_path, http, registry_limits)
    outcome = await rdap.lookup("kestrel-loop.com")
    assert outcome.status is Status.ERROR
    assert "redirects" in outcome.detail


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_connection_refused(tmp_path: Path, http: httpx.AsyncClient, registry_limits: Limits) -> None:
    path = tmp_path / "dns.json"
    path.write_text(
        f'{{"services": [[["com"], ["http://127.0.0.1:{closed_port()}/"]]], "publication": ""}}', "utf-8"
    )
    rdap = RdapClient(Bootstrap.load(path), registry_limits, http)
    outcome = await rdap.lookup("kestrelsystems.com")
    assert outcome.status is Status.REFUSED
    assert "cannot connect" in outcome.detail


async def test_second_base_url_is_tried(
    rdap_server: RdapServer, tmp_path: Path, http: httpx.AsyncClient, registry_limits: Limits
) -> None:
    path = tmp_path / "dns.json"
    dead = f"http://127.0.0.1:{closed_port()}/"
    path.write_text(f'{{"services": [[["com"], ["{dead}", "{rdap_server.base_url}"]]]}}', "utf-8")
    rdap = RdapClient(Bootstrap.load(path), registry_limits, http)
    assert (await rdap.lookup("kestrelsytems.com")).status is Status.OK


async def test_host_names_go_through_the_given_resolver(
    rdap_server: RdapServer, tmp_path: Path, http: httpx.AsyncClient, registry_limits: Limits
) -> None:
    asked: list[str] = []

    async def resolve(host: str) -> Outcome[tuple[str, ...]]:
        asked.append(host)
        if host == "rdap.kestrel-registry.example":
            return Outcome(Status.OK, ("127.0.0.1",))
        return Outcome(Status.ABSENT, None, "NXDOMAIN")

    port = rdap_server.address.port
    path = tmp_path / "dns.json"
    path.write_text(
        f'{{"services": [[["com", "org"], ["http://rdap.kestrel-registry.example:{port}/"]],'
        f' [["fr"], ["http://rdap.nowhere.example:{port}/"]]]}}',
        "utf-8",
    )
    rdap = RdapClient(Bootstrap.load(path), registry_limits, http, resolve=resolve)
    outcome = await rdap.lookup("kestrelsytems.com")
    assert outcome.status is Status.OK
    assert rdap_server.requests[0].host == f"rdap.kestrel-registry.example:{port}"
    missing = await rdap.lookup("kestrelsystemes.fr")
    assert missing.status is Status.ERROR  # never ABSENT: the name of the *server* did not resolve
    assert "rdap.nowhere.example" in missing.detail
    assert asked == ["rdap.kestrel-registry.example", "rdap.nowhere.example"]
    no_resolver = RdapClient(Bootstrap.load(path), registry_limits, http)
    refused = await no_resolver.lookup("kestrelsytems.com")
    assert refused.status is Status.ERROR
    assert "no resolver" in refused.detail


async def test_http_get_refuses_other_schemes(http: httpx.AsyncClient) -> None:
    outcome = await http_get(http, "ftp://127.0.0.1/x", resolve=None, max_bytes=10)
    assert outcome.status is Status.ERROR


async def test_https_by_name_checks_the_certificate_against_the_name(
    registry_data: Path, tmp_path: Path, registry_limits: Limits
) -> None:
    """The request goes to the address our resolver gave, and TLS still verifies the server's *name*."""
    ca = trustme.CA()
    name = "rdap.kestrel-registry.example"
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)

    async def resolve(host: str) -> Outcome[tuple[str, ...]]:
        return Outcome(Status.OK, ("127.0.0.1",))

    async with (
        RdapServer(registry_data / "rdap", ssl=server_context, name=name) as server,
        httpx.AsyncClient(verify=client_context, trust_env=False) as http,
    ):
        bootstrap = Bootstrap.load(server.bootstrap_file(["com"], tmp_path / "dns.json"))
        assert bootstrap.urls("kestrelsystems.com") == (f"https://{name}:{server.address.port}/",)
        rdap = RdapClient(bootstrap, registry_limits, http, resolve=resolve)
        outcome = await rdap.lookup("kestrelsystems.com")
        assert outcome.status is Status.OK, outcome.detail
        assert outcome.value is not None
        assert outcome.value.registrant is not None  # the registrar link (https, same name) was followed
        assert server.requests[0].host == f"{name}:{server.address.port}"

    impostor = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("rdap.someone-else.example").configure_cert(impostor)
    async with (
        RdapServer(registry_data / "rdap", ssl=impostor, name=name) as server,
        httpx.AsyncClient(verify=client_context, trust_env=False) as http,
    ):
        bootstrap = Bootstrap.load(server.bootstrap_file(["com"], tmp_path / "dns.json"))
        outcome = await RdapClient(bootstrap, registry_limits, http, resolve=resolve).lookup(
            "kestrelsystems.com"
        )
        assert outcome.status is Status.REFUSED
        assert "CERTIFICATE_VERIFY_FAILED" in outcome.detail


async def test_non_utf8_json_is_an_error(rdap_server: RdapServer, rdap: RdapClient) -> None:
    rdap_server.update(
        {"kestrel-latin.com": RdapResponse(body='{"ldhName": "kestrel-séance.com"}'.encode("latin-1"))}
    )
    outcome = await rdap.lookup("kestrel-latin.com")
    assert outcome.status is Status.ERROR
    assert "malformed JSON" in outcome.detail
