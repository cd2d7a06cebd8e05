"""Stage 2 against the loopback DNS server: NS, SOA, addresses, CNAME chains, MX and the mail route,
SPF and DMARC, wildcards, name collisions, TCP fallback, and failed sub-questions left empty."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from lookalike.demo.dns_server import DnsServer, Fault
from lookalike.endpoints import Limits
from lookalike.model import DnsFacts, Existence, MailRoute, MxHost, Status
from lookalike.resolver import Resolver
from tests.fixtures.dns import DnsServerFactory

QUICK = Limits(concurrency=32, timeout=0.3, retries=1)


@contextlib.asynccontextmanager
async def resolving(server: DnsServer) -> AsyncIterator[Resolver]:
    async with Resolver([server.address], QUICK) as resolver:
        yield resolver


async def facts_of(server: DnsServer, name: str, apex: str) -> DnsFacts:
    async with resolving(server) as resolver:
        outcome = await resolver.detail(name, apex=apex)
    assert outcome.status is Status.OK, outcome
    assert outcome.value is not None
    return outcome.value


async def test_everything_about_a_full_lookalike(dns_server: DnsServerFactory) -> None:
    facts = await facts_of(await dns_server(), "kestrelsys.ml", "kestrelsys.ml")
    assert facts == DnsFacts(
        existence=Existence.EXISTS,
        ns=("ns1.kestrelsys.ml",),
        soa="ns1.kestrelsys.ml",
        a=("198.51.100.10",),
        aaaa=("2001:db8::10",),
        cname=(),
        mx=(
            MxHost(10, "mx1.kestrelsys.ml", ("198.51.100.25",)),
            MxHost(20, "mx2.kestrelsys.ml", ("2001:db8::25",)),
        ),
        mail_route=MailRoute.MX,
        # One TXT record's character-strings are joined without a space (RFC 7208 §3.3).
        spf="v=spf1 ip4:198.51.100.0/24 include:_spf.kestrelsys.ml -all",
        dmarc="v=DMARC1; p=reject; rua=mailto:dmarc@kestrelsys.ml",
        wildcard=False,
        name_collision=False,
        problems=(),
    )


@pytest.mark.parametrize(
    ("name", "route", "mx"),
    [
        ("kestrel-implicit.ml", MailRoute.IMPLICIT, ()),  # RFC 5321 §5.1: no MX, an address
        ("kestrel-nullmx.ml", MailRoute.NULL_MX, (MxHost(0, "", ()),)),  # RFC 7505
        ("kestrel-nomail.ml", MailRoute.NONE, ()),
        ("dangling.ml", MailRoute.NONE, ()),
        (  # every MX host looked up, none has an address: mail bounces today
            "kestrel-deadmx.ml",
            MailRoute.DANGLING_MX,
            (MxHost(10, "mail.kestrel-deadmx.ml", ()), MxHost(20, "mx.gone.com", ())),
        ),
    ],
)
async def test_mail_routes(
    dns_server: DnsServerFactory, name: str, route: MailRoute, mx: tuple[MxHost, ...]
) -> None:
    facts = await facts_of(await dns_server(), name, name)
    assert facts.mail_route is route
    assert facts.mx == mx
    assert facts.problems == ()


async def test_null_mx_domain_says_it_sends_no_mail(dns_server: DnsServerFactory) -> None:
    facts = await facts_of(await dns_server(), "kestrel-nullmx.ml", "kestrel-nullmx.ml")
    assert facts.spf == "v=spf1 -all"
    assert facts.dmarc == "v=DMARC1; p=reject"


async def test_a_cname_chain_is_followed_and_recorded(dns_server: DnsServerFactory) -> None:
    facts = await facts_of(await dns_server(), "login.kestrelsys.ml", "kestrelsys.ml")
    assert facts.cname == ("portal.kestrelsys.ml", "host.kestrelsys.ml")
    assert facts.a == ("198.51.100.30",)
    assert facts.mail_route is MailRoute.IMPLICIT
    assert facts.ns == ("ns1.kestrelsys.ml",)  # NS is asked at the apex


async def test_a_cname_into_nothing_exists_without_addresses(dns_server: DnsServerFactory) -> None:
    facts = await facts_of(await dns_server(), "dangling.ml", "dangling.ml")
    assert facts.existence is Existence.EXISTS
    assert facts.cname == ("gone.nowhere.com",)
    assert facts.a == facts.aaaa == ()


async def test_dmarc_falls_back_to_the_organisational_domain(dns_server: DnsServerFactory) -> None:
    facts = await facts_of(await dns_server(), "shop.kestrelsys.ml", "kestrelsys.ml")
    assert facts.dmarc == "v=DMARC1; p=reject; rua=mailto:dmarc@kestrelsys.ml"
    assert facts.spf is None


async def test_a_delegation_without_its_zone_has_ns_and_nothing_else(dns_server: DnsServerFactory) -> None:
    facts = await facts_of(await dns_server(), "kestrel.ml", "kestrel.ml")
    assert facts.ns == ("ns1.kestrel.ml", "ns2.kestrel.ml")
    assert facts.a == facts.aaaa == ()
    assert facts.mx == ()
    assert facts.mail_route is MailRoute.NONE
    assert not facts.wildcard


@pytest.mark.parametrize(
    ("name", "apex", "wildcard", "collision"),
    [
        ("sub.kestrel-wild.ml", "kestrel-wild.ml", True, False),  # *.kestrel-wild.ml
        ("deeper.sub.kestrel-wild.ml", "kestrel-wild.ml", True, False),
        ("kestrel-wild.ml", "kestrel-wild.ml", False, False),  # its own A and NS
        ("anything.cm", "anything.cm", True, False),  # a wildcard TLD
        ("kestrelsys.cm", "kestrelsys.cm", False, False),  # really delegated under that TLD
        ("x.ooo", "x.ooo", True, True),  # ICANN controlled interruption
        ("kestrelsys.ml", "kestrelsys.ml", False, False),
        ("shop.kestrelsys.ml", "kestrelsys.ml", False, False),
    ],
)
async def test_wildcards_and_name_collisions(
    dns_server: DnsServerFactory, name: str, apex: str, wildcard: bool, collision: bool
) -> None:
    facts = await facts_of(await dns_server(), name, apex)
    assert facts.wildcard is wildcard
    assert facts.name_collision is collision
    assert facts.problems == ()


async def test_wildcard_probes_are_asked_once_per_zone(dns_server: DnsServerFactory) -> None:
    server = await dns_server()
    async with resolving(server) as resolver:
        for name in ("a.cm", "b.cm", "c.cm"):
            outcome = await resolver.detail(name, apex=name)
            assert outcome.value is not None
            assert outcome.value.wildcard
    probes = {q.qname for q in server.log if q.qname.startswith("lkwc-")}
    assert len(probes) == 1


async def test_a_name_that_is_gone_is_absent(dns_server: DnsServerFactory) -> None:
    async with resolving(await dns_server()) as resolver:
        outcome = await resolver.detail("kestrell.ml", apex="kestrell.ml")
    assert outcome.status is Status.ABSENT
    assert outcome.value is None


async def test_a_name_nobody_answers_for_is_unknown(dns_server: DnsServerFactory) -> None:
    server = await dns_server(faults={"kestrel-implicit.ml.": Fault("servfail")})
    async with resolving(server) as resolver:
        outcome = await resolver.detail("kestrel-implicit.ml", apex="kestrel-implicit.ml")
    assert outcome.status is Status.REFUSED
    assert outcome.value is None
    assert "SERVFAIL" in outcome.detail


async def test_an_extended_rcode_is_not_noerror(dns_server: DnsServerFactory) -> None:
    """A NOERROR header with an OPT record saying BADVERS (RFC 6891: the RCODE is 12 bits) answers
    nothing: a name whose every reply says so is unknown, and one such sub-question is a problem."""
    server = await dns_server(faults={"kestrel-implicit.ml.": Fault("badvers")})
    async with resolving(server) as resolver:
        outcome = await resolver.detail("kestrel-implicit.ml", apex="kestrel-implicit.ml")
        addresses = await resolver.addresses("kestrel-implicit.ml")
    assert outcome.status is Status.ERROR
    assert outcome.value is None
    assert "BADVERS from" in outcome.detail
    assert addresses.status is Status.ERROR
    server = await dns_server(faults={"kestrelsys.ml.": Fault("badvers", qtype="MX")})
    facts = await facts_of(server, "kestrelsys.ml", "kestrelsys.ml")
    assert facts.mail_route is MailRoute.UNKNOWN
    assert facts.mx == ()
    assert any(p.startswith("MX: error (BADVERS from") for p in facts.problems)


async def test_a_failed_mx_question_leaves_the_route_unknown(dns_server: DnsServerFactory) -> None:
    server = await dns_server(faults={"kestrelsys.ml.": Fault("servfail", qtype="MX")})
    facts = await facts_of(server, "kestrelsys.ml", "kestrelsys.ml")
    assert facts.mail_route is MailRoute.UNKNOWN
    assert facts.mx == ()
    assert facts.a == ("198.51.100.10",)  # the rest is still known
    assert [p.split(" ", 2)[:2] for p in facts.problems] == [["MX:", "refused"]]


async def test_a_failed_address_question_is_not_an_implicit_route(dns_server: DnsServerFactory) -> None:
    server = await dns_server(faults={"kestrel-nomail.ml.": Fault("drop", qtype="A")})
    facts = await facts_of(server, "kestrel-nomail.ml", "kestrel-nomail.ml")
    assert facts.mail_route is MailRoute.UNKNOWN  # no MX, and A unanswered: never guess "none"
    assert facts.problems[0].startswith("A: timeout")


async def test_an_mx_target_that_does_not_answer_is_a_problem(dns_server: DnsServerFactory) -> None:
    server = await dns_server(faults={"mx1.kestrelsys.ml.": Fault("drop")})
    facts = await facts_of(server, "kestrelsys.ml", "kestrelsys.ml")
    assert facts.mail_route is MailRoute.MX
    assert facts.mx[0] == MxHost(10, "mx1.kestrelsys.ml", ())
    assert facts.mx[1].addresses == ("2001:db8::25",)
    assert all(p.startswith("MX mx1.kestrelsys.ml: timeout") for p in facts.problems)
    assert facts.problems


@pytest.mark.parametrize("kind", ["drop", "servfail"])
async def test_an_mx_host_nobody_answers_for_is_not_dangling(dns_server: DnsServerFactory, kind: str) -> None:
    # One MX host without an address, the other unanswered (AAAA only): mail may still go there, so
    # the route stays "mx"; "dangling-mx" needs every host's lookup answered, and empty.
    server = await dns_server(faults={"mail.kestrel-deadmx.ml.": Fault(kind, qtype="AAAA")})
    facts = await facts_of(server, "kestrel-deadmx.ml", "kestrel-deadmx.ml")
    assert facts.mail_route is MailRoute.MX
    assert [mx.addresses for mx in facts.mx] == [(), ()]


async def test_a_failed_txt_question_leaves_spf_and_dmarc_unknown(dns_server: DnsServerFactory) -> None:
    server = await dns_server(
        faults={"kestrelsys.ml.": Fault("refused", qtype="TXT"), "_dmarc.kestrelsys.ml.": Fault("drop")}
    )
    facts = await facts_of(server, "kestrelsys.ml", "kestrelsys.ml")
    assert facts.spf is None
    assert facts.dmarc is None
    assert any(p.startswith("TXT: refused") for p in facts.problems)
    assert any(p.startswith("DMARC: timeout") for p in facts.problems)


async def test_truncated_answers_are_asked_again_over_tcp(dns_server: DnsServerFactory) -> None:
    server = await dns_server(faults={"kestrelsys.ml.": Fault("truncate", qtype="TXT")})
    async with resolving(server) as resolver:
        outcome = await resolver.detail("kestrelsys.ml", apex="kestrelsys.ml")
        assert resolver.stats.tcp_fallbacks == 1
    assert outcome.value is not None
    assert outcome.value.spf == "v=spf1 ip4:198.51.100.0/24 include:_spf.kestrelsys.ml -all"


async def test_an_answer_too_big_for_a_datagram_comes_over_tcp(dns_server: DnsServerFactory) -> None:
    server = await dns_server()
    async with resolving(server) as resolver:
        outcome = await resolver.txt("big.kestrelsys.ml")
        assert resolver.stats.tcp_fallbacks == 1
    assert outcome.status is Status.OK
    assert outcome.value is not None
    assert len(outcome.value) == 12
    assert {q.transport for q in server.log} == {"udp", "tcp"}


async def test_addresses(dns_server: DnsServerFactory) -> None:
    server = await dns_server(faults={"mx1.kestrelsys.ml.": Fault("drop")})
    async with resolving(server) as resolver:
        both = await resolver.addresses("kestrelsys.ml")
        chained = await resolver.addresses("login.kestrelsys.ml.")
        none = await resolver.addresses("mail.kestrel-deadmx.ml")
        gone = await resolver.addresses("nope.kestrelsys.ml")
        silent = await resolver.addresses("mx1.kestrelsys.ml")
    assert (both.status, both.value) == (Status.OK, ("198.51.100.10", "2001:db8::10"))
    assert (chained.status, chained.value) == (Status.OK, ("198.51.100.30",))
    assert (none.status, none.value) == (Status.OK, ())
    assert gone.status is Status.ABSENT
    assert silent.status is Status.TIMEOUT
    assert silent.value is None


async def test_txt(dns_server: DnsServerFactory) -> None:
    async with resolving(await dns_server()) as resolver:
        found = await resolver.txt("kestrelsys.ml")
        dmarc = await resolver.txt("_dmarc.kestrel-nullmx.ml")
        gone = await resolver.txt("nope.kestrelsys.ml")
    assert found.value is not None
    assert sorted(found.value) == [
        "site-verification=abc123",
        "v=spf1 ip4:198.51.100.0/24 include:_spf.kestrelsys.ml -all",
    ]
    assert dmarc.value == ("v=DMARC1; p=reject",)
    assert gone.status is Status.ABSENT


async def test_hostile_txt_is_text_not_bytes(dns_server: DnsServerFactory, test_zones: list) -> None:  # type: ignore[type-arg]
    import dns.rdataclass
    import dns.rdatatype
    import dns.rdtypes.ANY.TXT

    zone = next(z for z in test_zones if z.origin is not None and z.origin.to_text() == "kestrel-nomail.ml.")
    rdataset = zone.find_rdataset("kestrel-nomail.ml.", dns.rdatatype.TXT, create=True)
    rdataset.add(
        dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, [b"v=spf1 \xff\x00<script> -all"]), 300
    )
    server = await dns_server(zones=test_zones)
    facts = await facts_of(server, "kestrel-nomail.ml", "kestrel-nomail.ml")
    assert facts.spf == "v=spf1 \ufffd\x00<script> -all"


async def test_mail_hosts_are_asked_once_and_an_unanswered_one_again(dns_server: DnsServerFactory) -> None:
    # mx1 drops its first two questions (its A or AAAA: unknown), then answers; mx2 always answers.
    server = await dns_server(faults={"mx1.kestrelsys.ml.": Fault("drop", times=2)})
    async with Resolver([server.address], Limits(concurrency=32, timeout=0.3, retries=0)) as resolver:
        first = await resolver.detail("kestrelsys.ml", apex="kestrelsys.ml")
        second = await resolver.detail("kestrelsys.ml", apex="kestrelsys.ml")
        third = await resolver.detail("kestrelsys.ml", apex="kestrelsys.ml")
    assert first.value is not None and second.value is not None and third.value is not None
    assert first.value.problems and first.value.mx[0].addresses == ()  # shared answers are never unknown ones
    assert second.value == third.value
    assert second.value.mx[0] == MxHost(10, "mx1.kestrelsys.ml", ("198.51.100.25",))
    asked = [q.qname for q in server.log if q.qname.startswith(("mx1.", "mx2."))]
    # mx2: A and AAAA once for all three names; mx1: twice unanswered, then once more answered.
    assert sorted(asked) == ["mx1.kestrelsys.ml."] * 4 + ["mx2.kestrelsys.ml."] * 2
