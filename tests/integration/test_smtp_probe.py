"""The SMTP probe against real aiosmtpd servers on loopback: every behaviour, and never a DATA."""

from __future__ import annotations

import asyncio
import time

import pytest

from lookalike.demo.smtp_server import SmtpServer
from lookalike.endpoints import Limits
from lookalike.errors import LookalikeError
from lookalike.model import DnsFacts, Existence, MailRoute, MxHost, Status
from lookalike.smtp import SmtpProber
from tests.fixtures.probes import NOBODY, SMTP_HOSTS, mx_facts

DOMAIN = "kestrelsytems.com"
FAST = Limits(probe_timeout=0.5)


def prober(server: SmtpServer, *, limits: Limits = FAST, allow_private: bool = True) -> SmtpProber:
    return SmtpProber(
        port=server.port, helo="probe.lookalike.invalid", limits=limits, allow_private=allow_private
    )


def one_mx(behaviour: str) -> DnsFacts:
    return mx_facts((f"mx.{behaviour}.invalid", (SMTP_HOSTS[behaviour],)))


def no_data(server: SmtpServer) -> None:
    assert server.received_data == 0
    for record in server.transcripts:
        for command in record.commands:
            assert not command.upper().startswith(("DATA", "BDAT"))


async def test_accept_all_is_a_catch_all(smtp_server: SmtpServer) -> None:
    outcome = await prober(smtp_server).probe(DOMAIN, one_mx("accept-all"))
    assert outcome.status is Status.OK, outcome.detail
    assert outcome.value is not None
    (facts,) = outcome.value
    assert facts.accepts_any_recipient is True
    assert facts.code == 250
    assert facts.host == "mx.accept-all.invalid"
    assert facts.address == SMTP_HOSTS["accept-all"]
    assert facts.port == smtp_server.port
    assert facts.banner.startswith("220 mx.demo.invalid")
    assert facts.starttls is True
    assert facts.size_limit == 33554432  # aiosmtpd's default, announced in EHLO
    assert facts.transcript[0].startswith("S: 220")
    assert any(line.startswith("C: RCPT TO:<nosuchuser-") for line in facts.transcript)
    assert facts.transcript[-2:] == ("C: QUIT", "S: 221 Bye")
    no_data(smtp_server)


async def test_the_dialogue_is_exactly_ehlo_mail_rcpt_quit(smtp_server: SmtpServer) -> None:
    await prober(smtp_server).probe(DOMAIN, one_mx("accept-all"))
    (record,) = smtp_server.transcripts
    commands = record.commands
    assert commands[0] == "EHLO probe.lookalike.invalid"
    assert commands[1] == "MAIL FROM:<>"
    assert commands[2].startswith("RCPT TO:<nosuchuser-")
    assert commands[2].endswith(f"@{DOMAIN}>")
    assert commands[3:] == ["QUIT"]


async def test_random_local_part_differs_each_time(smtp_server: SmtpServer) -> None:
    p = prober(smtp_server)
    await p.probe(DOMAIN, one_mx("accept-all"))
    await p.probe(DOMAIN, one_mx("accept-all"))
    rcpts = {c for r in smtp_server.transcripts for c in r.commands if c.startswith("RCPT")}
    assert len(rcpts) == 2


async def test_reject_all_rejects(smtp_server: SmtpServer) -> None:
    outcome = await prober(smtp_server).probe(DOMAIN, one_mx("reject-all"))
    assert outcome.status is Status.OK
    assert outcome.value is not None
    assert outcome.value[0].accepts_any_recipient is False
    assert outcome.value[0].code == 550
    no_data(smtp_server)


async def test_tempfail_is_unknown_and_the_next_host_is_asked(smtp_server: SmtpServer) -> None:
    dns = mx_facts(
        ("mx1.invalid", (SMTP_HOSTS["tempfail"],)),
        ("mx2.invalid", (SMTP_HOSTS["reject-all"],)),
        ("mx3.invalid", (SMTP_HOSTS["accept-all"],)),
    )
    outcome = await prober(smtp_server).probe(DOMAIN, dns)
    assert outcome.status is Status.OK
    assert outcome.value is not None
    first, second = outcome.value  # stops at the first definitive answer: mx3 is never asked
    assert (first.host, first.accepts_any_recipient, first.code) == ("mx1.invalid", None, 451)
    assert (second.host, second.accepts_any_recipient, second.code) == ("mx2.invalid", False, 550)
    assert smtp_server.connections[SMTP_HOSTS["accept-all"]] == 0
    assert "temporary" in outcome.detail


async def test_tempfail_alone_leaves_the_answer_open(smtp_server: SmtpServer) -> None:
    outcome = await prober(smtp_server).probe(DOMAIN, one_mx("tempfail"))
    assert outcome.status is Status.OK
    assert outcome.value is not None
    assert outcome.value[0].accepts_any_recipient is None
    assert outcome.value[0].code == 451


async def test_no_starttls_is_noted(smtp_server: SmtpServer) -> None:
    outcome = await prober(smtp_server).probe(DOMAIN, one_mx("no-starttls"))
    assert outcome.value is not None
    assert outcome.value[0].starttls is False
    assert outcome.value[0].accepts_any_recipient is True


async def test_helo_fallback_when_ehlo_is_refused(smtp_server: SmtpServer) -> None:
    outcome = await prober(smtp_server).probe(DOMAIN, one_mx("helo-only"))
    assert outcome.status is Status.OK
    assert outcome.value is not None
    facts = outcome.value[0]
    assert facts.accepts_any_recipient is True
    assert facts.starttls is False
    assert facts.size_limit is None
    assert "C: HELO probe.lookalike.invalid" in facts.transcript


async def test_hang_after_banner_times_out(smtp_server: SmtpServer) -> None:
    started = time.monotonic()
    outcome = await prober(smtp_server).probe(DOMAIN, one_mx("hang"))
    assert time.monotonic() - started < 3
    assert outcome.status is Status.TIMEOUT
    assert "no answer within 0.5s" in outcome.detail
    assert outcome.value is not None  # the banner was heard and is kept
    assert outcome.value[0].banner.startswith("220")
    assert outcome.value[0].accepts_any_recipient is None
    no_data(smtp_server)


async def test_drop_is_refused(smtp_server: SmtpServer) -> None:
    outcome = await prober(smtp_server).probe(DOMAIN, one_mx("drop"))
    assert outcome.status is Status.REFUSED
    assert "closed the connection" in outcome.detail
    assert outcome.value == ()


async def test_banner_421_is_refused(smtp_server: SmtpServer) -> None:
    outcome = await prober(smtp_server).probe(DOMAIN, one_mx("banner-421"))
    assert outcome.status is Status.REFUSED
    assert "banner 421" in outcome.detail
    assert outcome.value is not None
    assert outcome.value[0].banner.startswith("421")


async def test_garbage_is_an_error_and_stays_printable(smtp_server: SmtpServer) -> None:
    outcome = await prober(smtp_server).probe(DOMAIN, one_mx("garbage"))
    assert outcome.status is Status.ERROR
    assert outcome.detail.startswith("mx.garbage.invalid [127.0.25.9]: not SMTP: SSH-2.0")
    assert "\x1b" not in outcome.detail
    assert smtp_server.transcripts[0].commands == []  # nothing was said to it


async def test_connection_refused(smtp_server: SmtpServer) -> None:
    outcome = await prober(smtp_server).probe(DOMAIN, mx_facts(("mx.invalid", (NOBODY,))))
    assert outcome.status is Status.REFUSED
    assert "connection refused" in outcome.detail


async def test_failure_then_success_is_ok(smtp_server: SmtpServer) -> None:
    dns = mx_facts(
        ("mx1.invalid", (NOBODY, SMTP_HOSTS["drop"])),
        ("mx2.invalid", (SMTP_HOSTS["hang"],)),
        ("mx3.invalid", (SMTP_HOSTS["accept-all"],)),
    )
    outcome = await prober(smtp_server).probe(DOMAIN, dns)
    assert outcome.status is Status.OK
    assert outcome.value is not None
    assert [f.host for f in outcome.value] == ["mx2.invalid", "mx3.invalid"]
    assert outcome.value[-1].accepts_any_recipient is True
    assert "connection refused" in outcome.detail
    no_data(smtp_server)


async def test_nobody_answers_reports_the_first_hosts_failure(smtp_server: SmtpServer) -> None:
    dns = mx_facts(("mx1.invalid", (SMTP_HOSTS["hang"],)), ("mx2.invalid", (NOBODY,)))
    outcome = await prober(smtp_server).probe(DOMAIN, dns)
    assert outcome.status is Status.TIMEOUT
    assert "mx2.invalid [127.0.25.200]: connection refused" in outcome.detail


async def test_implicit_mx_uses_the_domains_own_address(smtp_server: SmtpServer) -> None:
    dns = DnsFacts(Existence.EXISTS, a=(SMTP_HOSTS["accept-all"],), mail_route=MailRoute.IMPLICIT)
    outcome = await prober(smtp_server).probe(DOMAIN, dns)
    assert outcome.value is not None
    assert outcome.value[0].host == DOMAIN
    assert outcome.value[0].accepts_any_recipient is True


@pytest.mark.parametrize(
    ("route", "reason"),
    [(MailRoute.NULL_MX, "null MX"), (MailRoute.NONE, "no mail route"), (MailRoute.UNKNOWN, "unknown")],
)
async def test_routes_without_a_host_are_skipped(
    smtp_server: SmtpServer, route: MailRoute, reason: str
) -> None:
    # Even with an address at hand, a null MX is never probed.
    dns = DnsFacts(
        Existence.EXISTS,
        a=(SMTP_HOSTS["accept-all"],),
        mx=(MxHost(0, "", ()),) if route is MailRoute.NULL_MX else (),
        mail_route=route,
    )
    outcome = await prober(smtp_server).probe(DOMAIN, dns)
    assert outcome.status is Status.SKIPPED
    assert reason in outcome.detail
    assert sum(smtp_server.connections.values()) == 0


async def test_private_addresses_are_not_contacted_by_default(smtp_server: SmtpServer) -> None:
    dns = mx_facts(("mx.invalid", (SMTP_HOSTS["accept-all"], "10.0.0.5", "::1", "169.254.1.1", "100.64.0.1")))
    outcome = await prober(smtp_server, allow_private=False).probe(DOMAIN, dns)
    assert outcome.status is Status.SKIPPED
    # The one guard for addresses an answer chose (addresses.usable): its refusal is the reason.
    assert (
        "an MX record points at a private address "
        f"(mx.invalid is at {SMTP_HOSTS['accept-all']}, 10.0.0.5, ::1 ...), use --allow-private"
    ) in outcome.detail
    assert sum(smtp_server.connections.values()) == 0


async def test_mx_without_address_is_noted(smtp_server: SmtpServer) -> None:
    outcome = await prober(smtp_server).probe(DOMAIN, mx_facts(("mx.invalid", ())))
    assert outcome.status is Status.SKIPPED
    assert "mx.invalid (an MX record) has no usable address" in outcome.detail


async def test_one_connection_per_host_at_a_time(smtp_server: SmtpServer) -> None:
    p = prober(smtp_server, limits=Limits(probe_timeout=2.0, probe_concurrency=32))
    dns = one_mx("accept-all")
    outcomes = await asyncio.gather(*(p.probe(f"c{i}.{DOMAIN}", dns) for i in range(20)))
    assert all(o.status is Status.OK for o in outcomes)
    assert smtp_server.connections[SMTP_HOSTS["accept-all"]] == 20
    assert smtp_server.max_concurrent[SMTP_HOSTS["accept-all"]] == 1
    no_data(smtp_server)


async def test_the_per_host_limit_holds_back_only_that_host(smtp_server: SmtpServer) -> None:
    p = prober(smtp_server, limits=Limits(probe_timeout=2.0, probe_concurrency=8))
    hang = asyncio.create_task(p.probe("a.invalid", one_mx("hang")))
    queued = asyncio.create_task(p.probe("b.invalid", one_mx("hang")))  # waits behind the first
    other = await p.probe("c.invalid", one_mx("accept-all"))  # another host: not held back
    assert other.value is not None
    assert other.value[0].accepts_any_recipient is True
    assert not hang.done()
    assert not queued.done()
    first, second = await asyncio.gather(hang, queued)
    assert first.status is Status.TIMEOUT
    assert second.status is Status.TIMEOUT
    assert smtp_server.max_concurrent[SMTP_HOSTS["hang"]] == 1


async def test_a_stalling_host_costs_the_scan_one_timeout(smtp_server: SmtpServer) -> None:
    """Six names sharing a mail host that stalls after its banner: one connection, one timeout."""
    p = prober(smtp_server, limits=Limits(probe_timeout=0.5, probe_concurrency=8))
    dns = one_mx("hang")
    outcomes = await asyncio.gather(*(p.probe(f"n{i}.{DOMAIN}", dns) for i in range(6)))
    assert [o.status for o in outcomes] == [Status.TIMEOUT] * 6
    assert smtp_server.connections[SMTP_HOSTS["hang"]] == 1
    first, *later = sorted(outcomes, key=lambda o: "earlier in the scan" in o.detail)
    assert "no answer within 0.5s" in first.detail
    for outcome in later:
        assert outcome.detail == (
            "mx.hang.invalid [127.0.25.5]: this host stalled earlier in the scan "
            "(no answer within 0.5s): not asked again"
        )
        assert outcome.value == ()  # nothing was said this time
    # Later names are unknown at once; a new scan (a new prober) asks again.
    again = await prober(smtp_server).probe(DOMAIN, dns)
    assert again.status is Status.TIMEOUT
    assert "earlier" not in again.detail
    assert smtp_server.connections[SMTP_HOSTS["hang"]] == 2


async def test_a_dropping_host_is_remembered_and_a_busy_one_is_not(smtp_server: SmtpServer) -> None:
    p = prober(smtp_server)
    for name in ("a", "b", "c"):
        dropped = await p.probe(f"{name}.{DOMAIN}", one_mx("drop"))
        busy = await p.probe(f"{name}.{DOMAIN}", one_mx("banner-421"))
        assert dropped.status is Status.REFUSED
        assert busy.status is Status.REFUSED
    assert dropped.detail == (
        "mx.drop.invalid [127.0.25.6]: this host broke off the dialogue earlier in the scan "
        "(closed the connection): not asked again"
    )
    assert smtp_server.connections[SMTP_HOSTS["drop"]] == 1
    # "421 busy" asks us to come back: each name asks again.
    assert smtp_server.connections[SMTP_HOSTS["banner-421"]] == 3


async def test_a_remembered_host_does_not_stop_the_next_mx(smtp_server: SmtpServer) -> None:
    p = prober(smtp_server)
    dns = mx_facts(("mx1.invalid", (SMTP_HOSTS["drop"],)), ("mx2.invalid", (SMTP_HOSTS["accept-all"],)))
    for name in ("a", "b"):
        outcome = await p.probe(f"{name}.{DOMAIN}", dns)
        assert outcome.status is Status.OK
        assert outcome.value is not None
        assert outcome.value[-1].accepts_any_recipient is True
    assert "earlier in the scan" in outcome.detail
    assert smtp_server.connections[SMTP_HOSTS["drop"]] == 1
    assert smtp_server.connections[SMTP_HOSTS["accept-all"]] == 2


async def test_global_limit_bounds_connections(probe_ca: object) -> None:
    addresses = [f"127.0.26.{i}" for i in range(1, 9)]
    async with SmtpServer(dict.fromkeys(addresses, "hang")) as server:
        limits = Limits(probe_timeout=0.3, probe_concurrency=2)
        p = SmtpProber(port=server.port, helo="x.invalid", limits=limits, allow_private=True)
        started = time.monotonic()
        await asyncio.gather(
            *(p.probe(f"{i}.invalid", mx_facts(("mx", (a,)))) for i, a in enumerate(addresses))
        )
        # 8 hosts, 2 at a time, each holding its slot for one 0.3 s timeout: at least 4 rounds.
        assert time.monotonic() - started >= 1.2
        assert sum(server.connections.values()) == 8


@pytest.mark.parametrize("helo", ["", "bad name", "x\r\nDATA", "-lead.example", "[not-an-ip]"])
def test_a_helo_that_could_inject_is_refused(helo: str) -> None:
    with pytest.raises(LookalikeError, match="HELO name"):
        SmtpProber(helo=helo, limits=FAST)


def test_helo_forms_accepted() -> None:  # RFC 5321 §4.1.3: a domain or an address literal
    for helo in ("lookalike.invalid", "mx1.example.com", "[192.0.2.1]", "[IPv6:2001:db8::1]"):
        SmtpProber(helo=helo, limits=FAST)
