"""The web probe and the score against Debian's real nginx on loopback (issue 13).

One nginx serves the lookalikes by Host name (``tests/fixtures/nginx.py``): a 301 to the protected
site, a 301 to its own path, a meta refresh home, a login form, a page made only of script, a parked
page; two more serve a site over TLS with a self-signed and with an expired certificate. Each test
probes one name the way a scan does (the address from the DNS facts, ``Host:`` and SNI for the name)
and scores the evidence against the protected domain, then reads nginx's own access log to show
what was asked. Redirects to the protected site are never followed: our own site hears nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lookalike import scoring
from lookalike.endpoints import Limits
from lookalike.model import (
    DnsFacts,
    Evidence,
    Existence,
    Level,
    MailRoute,
    Outcome,
    Owner,
    Score,
    Status,
    WebFacts,
    skipped,
)
from lookalike.web import WebProber
from tests import factories as fx
from tests.fixtures.nginx import Nginx, start_nginx

pytestmark = pytest.mark.nginx

PROTECTED = fx.PROTECTED
LIMITS = Limits(probe_timeout=5.0)

PAGES = {
    "meta.test": f'<html><head><meta http-equiv="refresh" content="0; url=https://{PROTECTED}/"></head></html>',
    "login.test": (
        "<html><head><title>Kestrel Systems - Sign in</title></head><body><h1>Sign in</h1>"
        '<form action="/session" method="post"><input name="user"><input type="password" name="pw">'
        "</form></body></html>"
    ),
    # A parking lander: one script builds the page; there is no text and no title to read.
    "lander.test": (
        '<!doctype html><html><head><script src="/js/lander.js"></script></head><body></body></html>'
    ),
    "parked.test": (
        "<html><head><title>kestrelsystem.com</title></head><body><p>This domain is for sale! "
        "Make an offer today.</p></body></html>"
    ),
    "site.test": (
        "<html><head><title>Kestrel Systems Ltd</title></head><body><p>Engineering.</p></body></html>"
    ),
}
REDIRECTS = {"home301.test": f"https://{PROTECTED}/", "self301.test": "/home/"}
"""Names whose every request nginx answers with a 301 to the value (a map in nginx.conf)."""


@dataclass(frozen=True, slots=True)
class World:
    sites: Nginx
    self_signed: Nginx
    expired: Nginx


def _certificate(host: str, *, days: tuple[int, int]) -> tuple[bytes, bytes]:
    """A self-signed certificate for ``host`` valid from ``days[0]`` to ``days[1]`` days from now."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days[0]))
        .not_valid_after(now + dt.timedelta(days=days[1]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _root(base: Path, name: str, page: str) -> Path:
    root = base / "www" / name
    root.mkdir(parents=True)
    (root / "index.html").write_text(page, "utf-8")
    return root


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("nginx")
    redirect_map = "".join(f"    {host} {target};\n" for host, target in REDIRECTS.items())
    with (
        start_nginx(
            base / "sites",
            _root(base, "default", "<html><body>default</body></html>"),
            tls=True,
            sites={host: _root(base, host, page) for host, page in PAGES.items()},
            extra_http=f'  map $host $lookalike_redirect {{\n    default "";\n{redirect_map}  }}',
            extra_server="    if ($lookalike_redirect) { return 301 $lookalike_redirect; }",
        ) as sites,
        start_nginx(
            base / "self-signed",
            _root(base, "self-signed", PAGES["site.test"]),
            tls=True,
            certificate=_certificate("selfsigned.test", days=(-10, 300)),
        ) as self_signed,
        start_nginx(
            base / "expired",
            _root(base, "expired", PAGES["site.test"]),
            tls=True,
            certificate=_certificate("expired.test", days=(-400, -35)),
        ) as expired,
    ):
        yield World(sites, self_signed, expired)


async def _nowhere(host: str) -> Outcome[tuple[str, ...]]:
    return Outcome(Status.ABSENT, None, f"{host}: NXDOMAIN (no other host exists in these tests)")


async def probe(server: Nginx, name: str) -> tuple[Outcome[tuple[WebFacts, ...]], Score]:
    """Probe ``name`` at ``server`` as a scan does, and score what came back."""
    dns = DnsFacts(Existence.EXISTS, a=(server.address,), mail_route=MailRoute.NONE)
    async with WebProber(
        http_port=server.http_port,
        https_port=server.https_port or 443,
        limits=LIMITS,
        resolve=_nowhere,
        allow_private=True,
        user_agent="lookalike-test",
    ) as prober:
        outcome = await prober.probe(name, dns, [PROTECTED])
    evidence = Evidence(dns=Outcome(Status.OK, dns), registration=skipped("not asked"), web=outcome)
    cand = fx.candidate(name)
    return outcome, scoring.score(cand, evidence, fx.reference(), now=fx.NOW)


def first(outcome: Outcome[tuple[WebFacts, ...]]) -> WebFacts:
    assert outcome.status is Status.OK, outcome
    assert outcome.value
    return outcome.value[0]


def requested(server: Nginx, host: str) -> list[str]:
    return [line for line in server.requests() if line.startswith(f"{host} ")]


async def test_a_301_home_is_a_redirect_to_us_and_never_followed(world: World) -> None:
    outcome, score = await probe(world.sites, "home301.test")
    https = first(outcome)
    assert (https.status, https.redirects_to_protected) == (301, True)
    assert https.final_url == f"https://{PROTECTED}/"
    # A third party's redirect home: a hint, said, never proof and no reassurance.
    assert score.owner is Owner.THIRD_PARTY
    assert any(f"its website redirects to {PROTECTED}, but" in r for r in score.owner_reasons)
    assert not any("redirects to the protected domain" in r for r in score.reasons)
    # nginx saw the start of each chain and nothing else: the hop to our own site is not taken.
    assert sorted(requested(world.sites, "home301.test")) == [
        'home301.test "GET / HTTP/1.1" 301',
        'home301.test "GET / HTTP/1.1" 301',
    ]


async def test_a_301_to_its_own_path_is_followed_and_is_no_redirect_to_us(world: World) -> None:
    outcome, _ = await probe(world.sites, "self301.test")
    for facts in outcome.value or ():
        assert facts.status == 301  # nginx answers every path of this name with the 301
        assert not facts.redirects_to_protected
    assert "redirect loop" in outcome.detail


async def test_a_meta_refresh_home_counts_as_a_redirect_to_us(world: World) -> None:
    outcome, score = await probe(world.sites, "meta.test")
    https = first(outcome)
    assert https.status == 200
    assert https.redirects_to_protected
    assert https.final_url == f"https://{PROTECTED}/"
    assert score.owner is Owner.THIRD_PARTY
    assert not any("live website" in r for r in score.reasons)


async def test_a_login_form_is_seen(world: World) -> None:
    outcome, score = await probe(world.sites, "login.test")
    https = first(outcome)
    assert (https.status, https.login_form, https.parked) == (200, True, False)
    assert https.title == "Kestrel Systems - Sign in"
    assert "its website shows a login form (+20)" in score.reasons
    assert "a live website with content of its own (+5)" in score.reasons


async def test_a_page_of_script_only_is_a_parking_lander(world: World) -> None:
    outcome, score = await probe(world.sites, "lander.test")
    https = first(outcome)
    assert (https.status, https.title, https.visible_text, https.parked) == (200, "", 0, True)
    assert "a page of script only" in outcome.detail
    assert any(r.startswith("a parked page") for r in score.reasons)
    assert not any("live website" in r for r in score.reasons)
    # The script was never fetched, let alone run.
    assert not any("lander.js" in line for line in requested(world.sites, "lander.test"))


async def test_a_parked_page_is_parked(world: World) -> None:
    outcome, score = await probe(world.sites, "parked.test")
    https = first(outcome)
    assert (https.status, https.parked) == (200, True)
    assert any(r.startswith("a parked page") for r in score.reasons)
    assert score.level is Level.LOW


@pytest.mark.parametrize(
    ("which", "name", "notes"),
    [
        ("self_signed", "selfsigned.test", ("certificate is self-signed",)),
        ("expired", "expired.test", ("certificate expired", "certificate is self-signed")),
    ],
)
async def test_a_bad_certificate_is_recorded_and_the_page_still_read(
    world: World, which: str, name: str, notes: tuple[str, ...]
) -> None:
    server: Nginx = getattr(world, which)
    outcome, score = await probe(server, name)
    https = first(outcome)
    assert https.url == f"https://{name}/"
    assert https.status == 200
    assert https.title == "Kestrel Systems Ltd"
    assert https.tls is not None
    assert https.tls.subject == https.tls.issuer == f"CN={name}"
    assert https.tls.names == (name,)
    assert outcome.detail.startswith("https: ")
    for note in notes:
        assert note in outcome.detail
    if which == "expired":
        assert https.tls.not_after is not None and https.tls.not_after < dt.datetime.now(dt.UTC)
    assert "a live website with content of its own (+5)" in score.reasons
