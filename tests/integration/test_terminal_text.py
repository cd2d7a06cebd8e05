"""No control character from a server reaches the terminal (issue 11, "text for the terminal").

A lookalike whose TXT record, SMTP banner and web page title carry ESC, BEL and a C1 CSI is looked
up through the command line against loopback servers: whatever the CLI prints shows those
characters marked (``⟨U+001B⟩``) or not at all, in text and in JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import dns.zone
import pytest
from typer.testing import CliRunner, Result

from lookalike.cli import app
from lookalike.demo.background import in_background
from lookalike.demo.dns_server import DnsServer
from lookalike.demo.http_server import HttpServer, Site
from lookalike.demo.smtp_server import SmtpServer
from lookalike.endpoints import HostPort

NAME = "kestrel-hostile.com"
MAIL = "127.0.26.1"
WEB = "127.0.26.2"
CONTROLS = ("\x1b", "\x07", "\x9b")

# ESC ]0; sets a terminal's title, ESC [2J clears the screen, BEL rings, CSI (U+009B) starts a sequence.
ZONE = rf"""
$ORIGIN {NAME}.
$TTL 300
@    SOA  ns1 hostmaster 1 7200 3600 1209600 300
@    NS   ns1
ns1  A    {WEB}
@    A    {WEB}
@    MX   10 mx
mx   A    {MAIL}
@    TXT  "v=spf1 \027]0;owned\007\027[2J\194\155 +all"
"""
TITLE = "Sign in\x1b[2J\x07\u009b31m now"


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[HostPort, int, int, int]]:
    zone = dns.zone.from_text(ZONE, origin=NAME + ".", relativize=False)
    page = f"<html><head><title>{TITLE}</title></head><body>x</body></html>".encode()
    with (
        in_background(lambda: DnsServer([zone])) as dns_server,
        in_background(lambda: SmtpServer({MAIL: "accept-all"}, hostname="mx\x1b[2J\x07.invalid")) as smtp,
        in_background(lambda: HttpServer({NAME: Site.page(body=page)}, addresses=(WEB,))) as web,
    ):
        yield dns_server.address, smtp.port, web.http_port, web.https_port


def lookup(world: tuple[HostPort, int, int, int], *extra: str) -> Result:
    resolver, smtp_port, http_port, https_port = world
    args = [
        "lookup", NAME, "--resolver", str(resolver), "--no-registry", "--smtp", "--http",
        "--allow-private", "--smtp-port", str(smtp_port), "--http-port", str(http_port),
        "--https-port", str(https_port), "--timeout", "2", *extra,
    ]  # fmt: skip
    return CliRunner().invoke(app, args, env={"COLUMNS": "300", "NO_COLOR": "1"})


def test_lookup_text_marks_every_control_character(world: tuple[HostPort, int, int, int]) -> None:
    result = lookup(world)
    assert result.exit_code == 0, result.output
    assert not any(c in result.output for c in CONTROLS), repr(result.output)
    assert "⟨U+001B⟩]0;owned⟨U+0007⟩⟨U+001B⟩[2J⟨U+009B⟩ +all" in result.output  # the TXT record, verbatim
    assert "Sign in [2J 31m now" in result.output  # the title, as stored (text.clean)
    assert "mx [2J .invalid" in result.output  # the banner, as stored


def test_lookup_json_escapes_every_control_character(world: tuple[HostPort, int, int, int]) -> None:
    result = lookup(world, "--format", "json")
    assert result.exit_code == 0, result.output
    assert not any(c in result.output for c in CONTROLS), repr(result.output)
    record = json.loads(result.output)
    assert record["spf"] == "v=spf1 \x1b]0;owned\x07\x1b[2J\x9b +all"  # the same data, escaped
