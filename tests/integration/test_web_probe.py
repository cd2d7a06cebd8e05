"""The web probe against a real HTTP/HTTPS server on loopback: redirects, parking, logins, loops, caps."""

from __future__ import annotations

import ssl
import time
from collections.abc import AsyncIterator, Collection

import pytest
import trustme

from lookalike.demo.http_server import HttpServer, Site
from lookalike.endpoints import Limits
from lookalike.errors import LookalikeError
from lookalike.model import DnsFacts, Outcome, Status, WebFacts
from lookalike.web import WebProber
from tests.fixtures.probes import PROTECTED, WEB_ADDRESS, resolve, web_facts

FAST = Limits(probe_timeout=1.0)
OURS: Collection[str] = (PROTECTED, "kestrel.example")


def prober(server: HttpServer, **kwargs: object) -> WebProber:
    options: dict[str, object] = {
        "http_port": server.http_port,
        "https_port": server.https_port,
        "limits": FAST,
        "resolve": resolve,
        "allow_private": True,
        "user_agent": "lookalike-test",
    }
    options.update(kwargs)
    return WebProber(**options)  # type: ignore[arg-type]


async def probe(
    server: HttpServer, domain: str, dns: DnsFacts | None = None, **kwargs: object
) -> Outcome[tuple[WebFacts, ...]]:
    async with prober(server, **kwargs) as p:
        return await p.probe(domain, dns or web_facts(WEB_ADDRESS), OURS)


def https_of(outcome: Outcome[tuple[WebFacts, ...]]) -> WebFacts:
    assert outcome.value is not None, outcome.detail
    facts = outcome.value[0]
    assert facts.url.startswith("https://")
    return facts


async def test_both_schemes_are_probed_https_first(http_server: HttpServer) -> None:
    outcome = await probe(http_server, "kestrelsystems.co")
    assert outcome.status is Status.OK
    assert outcome.value is not None
    https, http = outcome.value
    assert https.url == "https://kestrelsystems.co/"
    assert http.url == "http://kestrelsystems.co/"
    for facts in (https, http):
        assert facts.status == 200
        assert facts.title == "Welcome"
        assert facts.server == "demo-httpd/1.0"
        assert facts.final_url == facts.url
        assert facts.redirects == ()
        assert not facts.parked
        assert not facts.login_form
        assert not facts.redirects_to_protected
        assert 0 < facts.body_bytes < 1000
    assert https.tls is not None
    assert http.tls is None


async def test_connects_to_the_dns_address_with_host_and_sni(http_server: HttpServer) -> None:
    await probe(http_server, "kestrel-systems.com")
    seen = {(r.scheme, r.local, r.host, r.sni) for r in http_server.requests}
    assert seen == {
        ("https", WEB_ADDRESS, "kestrel-systems.com", "kestrel-systems.com"),
        ("http", WEB_ADDRESS, "kestrel-systems.com", None),
    }


async def test_tls_certificate_is_recorded(http_server: HttpServer) -> None:
    facts = https_of(await probe(http_server, "kestrel-systems.com"))
    assert facts.tls is not None
    assert facts.tls.names == ("kestrel-systems.com", "www.kestrel-systems.com")
    assert "trustme" in facts.tls.issuer
    assert facts.tls.subject != facts.tls.issuer
    assert facts.tls.not_before is not None
    assert facts.tls.not_after is not None
    assert facts.tls.not_before < facts.tls.not_after


async def test_unverified_by_default_and_verification_failure_is_only_noted(http_server: HttpServer) -> None:
    untrusting = ssl.create_default_context()  # the system CAs: the test CA is not among them
    outcome = await probe(http_server, "kestrel-systems.com", verify=untrusting)
    facts = https_of(outcome)
    assert facts.status == 200
    assert facts.tls is not None
    assert "https: certificate verification failed" in outcome.detail


async def test_verifying_with_the_right_ca_notes_nothing(
    http_server: HttpServer, probe_ca: trustme.CA
) -> None:
    trusting = ssl.create_default_context()
    probe_ca.configure_trust(trusting)
    outcome = await probe(http_server, "kestrel-systems.com", verify=trusting)
    assert https_of(outcome).status == 200
    assert "certificate" not in outcome.detail


async def test_redirect_to_the_protected_domain(http_server: HttpServer) -> None:
    outcome = await probe(http_server, "kestrelsystem.com")
    facts = https_of(outcome)
    assert facts.redirects_to_protected
    assert facts.status == 301
    assert facts.redirects == (f"https://www.{PROTECTED}/",)
    assert facts.final_url == f"https://www.{PROTECTED}/"
    # The chain stops there: our own site is not asked (it would not even resolve here).
    assert {r.host for r in http_server.requests} == {"kestrelsystem.com"}


async def test_redirect_to_another_host_is_followed_via_resolve(http_server: HttpServer) -> None:
    facts = https_of(await probe(http_server, "kestrelsystems.io"))
    assert facts.redirects == ("http://kestrelsystems.co/welcome",)
    assert facts.final_url == "http://kestrelsystems.co/welcome"
    assert facts.status == 200
    assert facts.title == "Welcome"
    assert not facts.redirects_to_protected
    assert ("http", "kestrelsystems.co", "/welcome") in {
        (r.scheme, r.host, r.path) for r in http_server.requests
    }


async def test_redirect_to_a_private_address_is_not_followed(http_server: HttpServer) -> None:
    # The start is allowed (it is the test server); the hop's address is checked on its own.
    async with prober(http_server, allow_private=False) as p:
        # The one guard for addresses an answer chose (addresses.guard): its refusal is the note.
        assert await p._addresses("intranet.kestrelsystems.xyz") == (
            "redirect not followed: a redirect points at a private address "
            "(intranet.kestrelsystems.xyz is at 10.1.2.3), use --allow-private"
        )
        assert "cannot find the address of nowhere.invalid (a redirect)" in str(
            await p._addresses("nowhere.invalid")
        )
        assert "unusable host name" in str(await p._addresses("bad%5bhost"))
        assert await p._addresses("192.0.2.1") == (
            "redirect not followed: a redirect points at a private address (192.0.2.1), use --allow-private"
        )
        assert await p._addresses("8.8.8.8") == ("8.8.8.8",)  # a literal public address needs no lookup


async def test_redirect_to_unresolvable_host_keeps_the_first_answer(http_server: HttpServer) -> None:
    async with HttpServer(
        {"a.example": Site.redirect("https://gone.invalid/x")}, addresses=(WEB_ADDRESS,)
    ) as srv:
        outcome = await probe(srv, "a.example")
    facts = https_of(outcome)
    assert facts.status == 301
    assert facts.final_url == "https://gone.invalid/x"
    assert "redirect not followed: cannot find the address of gone.invalid (a redirect)" in outcome.detail


async def test_parked_page_by_marker(http_server: HttpServer) -> None:
    facts = https_of(await probe(http_server, "kestrelsystems.net"))
    assert facts.parked
    assert facts.title == "kestrelsystems.net"
    assert not facts.login_form


async def test_parked_by_name_server(http_server: HttpServer) -> None:
    outcome = await probe(
        http_server, "kestrelsystems.co", web_facts(WEB_ADDRESS, ns=("NS1.SedoParking.com.",))
    )
    assert https_of(outcome).parked
    assert "parks domains" in outcome.detail


async def test_login_page(http_server: HttpServer) -> None:
    facts = https_of(await probe(http_server, "kestrel-systems.com"))
    assert facts.login_form
    assert facts.title == "Kestrel Systems - Sign in"
    assert not facts.parked


async def test_redirect_loop_to_itself_ends_with_a_note(http_server: HttpServer) -> None:
    outcome = await probe(http_server, "kestrelsytems.com")
    facts = https_of(outcome)
    assert facts.status == 302
    assert facts.redirects == ("https://kestrelsytems.com/",)
    assert "https: redirect loop at https://kestrelsytems.com/" in outcome.detail


async def test_redirect_loop_between_two_names(http_server: HttpServer) -> None:
    outcome = await probe(http_server, "kestrelsystems.org")
    facts = https_of(outcome)
    # https://a -> http://www.a -> http://a -> http://www.a again: the loop is seen, not fetched.
    assert facts.redirects == (
        "http://www.kestrelsystems.org/",
        "http://kestrelsystems.org/",
        "http://www.kestrelsystems.org/",
    )
    assert "https: redirect loop at http://www.kestrelsystems.org/" in outcome.detail
    assert "http: redirect loop at http://kestrelsystems.org/" in outcome.detail
    assert len(http_server.requests) == 5  # 3 for the https chain, 2 for the http one


async def test_redirect_cap(http_server: HttpServer) -> None:
    outcome = await probe(http_server, "kestrelsystems.io", max_redirects=0)
    assert "more than 0 redirects, stopped" in outcome.detail
    assert {r.host for r in http_server.requests} == {"kestrelsystems.io"}


async def test_huge_body_is_capped_and_fast(http_server: HttpServer) -> None:
    started = time.monotonic()
    outcome = await probe(http_server, "kestrelsystens.com", max_body=64 * 1024)
    assert time.monotonic() - started < 2.0
    facts = https_of(outcome)
    assert facts.status == 200
    assert 64 * 1024 <= facts.body_bytes < 64 * 1024 * 4
    assert facts.title == "A very large page"
    assert "body cut at 65536 bytes" in outcome.detail


async def test_slow_server_times_out(http_server: HttpServer) -> None:
    started = time.monotonic()
    outcome = await probe(http_server, "kestrelsysterns.com", limits=Limits(probe_timeout=0.3))
    assert time.monotonic() - started < 2.0
    assert outcome.status is Status.TIMEOUT
    assert outcome.value is None
    assert "https: no answer within 0.3s" in outcome.detail


async def test_script_in_title_stays_text(http_server: HttpServer) -> None:
    facts = https_of(await probe(http_server, "kestre1systems.com"))
    assert facts.title == 'Account & <script>alert("title")</script> verification'
    assert not facts.login_form


async def test_no_address_is_skipped(http_server: HttpServer) -> None:
    outcome = await probe(http_server, "kestrelsystems.co", web_facts())
    assert outcome.status is Status.SKIPPED
    assert outcome.detail == "no address to connect to"


@pytest.mark.parametrize(
    "address", [WEB_ADDRESS, "10.0.0.5", "::1", "169.254.1.1", "100.64.0.1", "192.168.1.1"]
)
async def test_private_addresses_are_not_contacted_by_default(http_server: HttpServer, address: str) -> None:
    outcome = await probe(http_server, "kestrelsystems.co", web_facts(address), allow_private=False)
    assert outcome.status is Status.SKIPPED
    assert outcome.detail == (
        "an address record points at a private address "
        f"(kestrelsystems.co is at {address}), use --allow-private"
    )
    assert sum(http_server.connections.values()) == 0
    assert http_server.requests == []


async def test_connection_refused(http_server: HttpServer) -> None:
    outcome = await probe(http_server, "kestrelsystems.co", web_facts("127.0.80.250"))
    assert outcome.status is Status.REFUSED
    assert outcome.detail == "https: connection refused; http: connection refused"


async def test_next_address_after_a_refusal(http_server: HttpServer) -> None:
    outcome = await probe(http_server, "kestrelsystems.co", web_facts("127.0.80.250", WEB_ADDRESS))
    assert https_of(outcome).status == 200


async def test_unknown_host_gets_the_servers_404(http_server: HttpServer) -> None:
    facts = https_of(await probe(http_server, "unknown.example"))
    assert facts.status == 404
    assert facts.title == "No such site"


async def test_not_http_is_an_error() -> None:
    # An SMTP server where a web server should be: the answer is not HTTP.
    from lookalike.demo.smtp_server import SmtpServer

    async with SmtpServer({WEB_ADDRESS: "garbage"}) as smtp:
        web = WebProber(
            http_port=smtp.port,
            https_port=smtp.port,
            limits=FAST,
            resolve=resolve,
            allow_private=True,
            user_agent="t",
        )
        async with web as p:
            outcome = await p.probe("kestrelsystems.co", web_facts(WEB_ADDRESS), OURS)
    assert outcome.status is Status.ERROR
    assert outcome.detail.startswith("https: TLS handshake failed: ")
    assert "; http: not HTTP: " in outcome.detail


async def test_meta_refresh_to_the_protected_domain_counts() -> None:
    body = f'<html><head><meta http-equiv="Refresh" content="0; URL=\'https://{PROTECTED}/\'"><title>Moving</title>'
    async with HttpServer({"a.example": Site.page(body=body.encode())}, addresses=(WEB_ADDRESS,)) as srv:
        facts = https_of(await probe(srv, "a.example"))
    assert facts.redirects_to_protected
    assert facts.status == 200
    assert facts.title == "Moving"
    assert facts.redirects == (f"https://{PROTECTED}/",)


async def test_parking_lander_redirect_counts_as_parked() -> None:
    sites = {"a.example": Site.redirect("https://sedo.com/search/details/?domain=a.example")}
    async with HttpServer(sites, addresses=(WEB_ADDRESS,)) as srv:

        async def nowhere(name: str) -> Outcome[tuple[str, ...]]:
            return Outcome(Status.ABSENT, None, "NXDOMAIN")

        async with prober(srv, resolve=nowhere) as p:
            outcome = await p.probe("a.example", web_facts(WEB_ADDRESS), OURS)
    assert https_of(outcome).parked


async def test_hostile_headers_stay_printable() -> None:
    headers = (("Server", "evil\x9b[2J\xadserver"),)  # C1 CSI and a soft hyphen (a format char)
    async with HttpServer({"a.example": Site("page", headers=headers)}, addresses=(WEB_ADDRESS,)) as srv:
        facts = https_of(await probe(srv, "a.example"))
    assert facts.server == "evil [2Jserver"  # CSI a space, the soft hyphen removed (text.clean)


@pytest.fixture
async def many_sites() -> AsyncIterator[HttpServer]:
    async with HttpServer({"*": Site.page()}, addresses=("127.0.81.1", "127.0.81.2")) as server:
        yield server


async def test_many_probes_share_one_prober(many_sites: HttpServer) -> None:
    import asyncio

    async with prober(many_sites, limits=Limits(probe_timeout=5.0, probe_concurrency=8)) as p:
        outcomes = await asyncio.gather(
            *(p.probe(f"c{i}.example", web_facts(f"127.0.81.{i % 2 + 1}"), OURS) for i in range(40))
        )
    assert all(o.status is Status.OK for o in outcomes)
    assert len(many_sites.requests) == 80
    # No keep-alive: every request is its own connection, so SNI and certificate always match the name.
    assert sum(many_sites.connections.values()) == 80
    assert all(r.sni == r.host for r in many_sites.requests if r.scheme == "https")


def test_a_user_agent_that_could_inject_is_refused() -> None:
    with pytest.raises(LookalikeError, match="user agent"):
        WebProber(limits=FAST, resolve=resolve, user_agent="x\r\nX-Evil: 1")


async def test_a_script_only_lander_is_parked_and_shows_nothing() -> None:
    async with HttpServer({"a.example": Site.script_only()}, addresses=(WEB_ADDRESS,)) as srv:
        outcome = await probe(srv, "a.example")
    facts = https_of(outcome)
    assert (facts.status, facts.title, facts.visible_text) == (200, "", 0)
    assert facts.parked
    assert not facts.has_content
    assert facts.script_redirect == ""
    assert "a page of script only, with no text or title: read as a parking lander" in outcome.detail


async def test_a_script_redirect_to_the_protected_domain_counts_like_an_http_one() -> None:
    target = f"https://www.{PROTECTED}/welcome"
    async with HttpServer({"a.example": Site.script_only(target)}, addresses=(WEB_ADDRESS,)) as srv:
        facts = https_of(await probe(srv, "a.example"))
        hosts = {r.host for r in srv.requests}
    assert facts.redirects_to_protected
    assert facts.script_redirect == target
    assert facts.redirects == (target,)
    assert facts.final_url == target
    assert not facts.parked  # a one-line redirect in script is a redirect, like a 301
    assert hosts == {"a.example"}  # our own site never heard from the probe


async def test_a_script_redirect_on_a_blank_page_is_followed() -> None:
    lander = "https://kestrelsystems.net/lander?d=a.example"  # resolve() knows kestrelsystems.net
    sites = {"a.example": Site.script_only(lander), "kestrelsystems.net": Site.parked()}
    async with HttpServer(sites, addresses=(WEB_ADDRESS,)) as srv:
        facts = https_of(await probe(srv, "a.example"))
        fetched = [(r.scheme, r.host, r.path) for r in srv.requests]
    # Each scheme's chain: the blank page, then the lander its script sends a browser to.
    assert fetched.count(("https", "kestrelsystems.net", "/lander?d=a.example")) == 2
    assert {("https", "a.example", "/"), ("http", "a.example", "/")} < set(fetched)
    assert facts.redirects == (lander,)
    assert facts.script_redirect == lander
    assert facts.final_url == lander
    assert facts.title == "kestrelsystems.net"
    assert facts.visible_text is not None and facts.visible_text > 0  # the lander it reached has text
    assert facts.parked


async def test_a_script_redirect_on_a_page_with_content_is_recorded_not_followed() -> None:
    body = (
        "<html><head><title>Kestrel Systems</title></head><body><p>Did you mean kestrelsystems.com?</p>"
        f"<script>setTimeout(function () {{ window.location = 'https://{PROTECTED}/'; }}, 5000);</script>"
        "</body></html>"
    )
    async with HttpServer({"a.example": Site.page(body=body.encode())}, addresses=(WEB_ADDRESS,)) as srv:
        facts = https_of(await probe(srv, "a.example"))
        requests = len([r for r in srv.requests if r.scheme == "https"])
    assert requests == 1
    assert facts.script_redirect == f"https://{PROTECTED}/"
    assert facts.redirects_to_protected  # where it points counts, as for an HTTP redirect
    assert facts.redirects == ()
    assert facts.title == "Kestrel Systems"
    assert facts.visible_text == len("Didyoumeankestrelsystems.com?")
    assert not facts.parked


async def test_a_blank_page_has_no_content_of_its_own() -> None:
    sites = {"a.example": Site.page(body=b"<!doctype html><html><head></head><body>\n</body></html>")}
    async with HttpServer(sites, addresses=(WEB_ADDRESS,)) as srv:
        facts = https_of(await probe(srv, "a.example"))
    assert (facts.status, facts.title, facts.visible_text) == (200, "", 0)
    assert not facts.has_content
    assert not facts.parked  # no script either: nothing says lander, it is just empty
