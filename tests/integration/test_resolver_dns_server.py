"""The loopback DNS server the resolver tests (and the demo) rely on: loading zones and faults, answering
like a resolver that knows only those zones, and swapping its universe between two scans."""

from __future__ import annotations

import functools
from pathlib import Path

import dns.asyncquery
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookalike.demo.dns_server import DnsServer, Fault, load_faults, load_zones, zone_origin
from lookalike.endpoints import Limits
from lookalike.errors import LookalikeError
from lookalike.model import Status
from lookalike.resolver import Resolver
from tests.fixtures.dns import ZONES, DnsServerFactory


async def ask(server: DnsServer, name: str, rdtype: str, *, tcp: bool = False) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, use_edns=0)
    if tcp:
        return await dns.asyncquery.tcp(query, server.address.host, port=server.address.port, timeout=2)
    return await dns.asyncquery.udp(query, server.address.host, port=server.address.port, timeout=2)


def test_zone_origin_comes_from_origin_line_or_file_name(tmp_path: Path) -> None:
    assert zone_origin(ZONES / "kestrelsys.ml.zone").to_text() == "kestrelsys.ml."  # file name
    assert zone_origin(ZONES / "ml.zone").to_text() == "ml."  # $ORIGIN
    other = tmp_path / "whatever.zone"
    other.write_text("; comment\n$TTL 60\n$ORIGIN example.ml.\n@ SOA a. b. 1 2 3 4 5\n@ NS a.\n")
    assert zone_origin(other).to_text() == "example.ml."
    root = tmp_path / "root.zone"
    root.write_text("@ SOA a. b. 1 2 3 4 5\n@ NS a.\n")
    assert zone_origin(root).to_text() == "."


def test_load_zones_reads_every_zone_file() -> None:
    origins = sorted(z.origin.to_text() for z in load_zones(ZONES) if z.origin is not None)
    assert origins == sorted(
        [
            "cm.",
            "kestrel-deadmx.ml.",
            "kestrel-implicit.ml.",
            "kestrel-nomail.ml.",
            "kestrel-nullmx.ml.",
            "kestrel-wild.ml.",
            "kestrelsys.ml.",
            "ml.",
            "ooo.",
        ]
    )


def test_load_zones_explains_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(LookalikeError, match="holds no"):
        load_zones(tmp_path)
    with pytest.raises(LookalikeError, match="not a directory"):
        load_zones(tmp_path / "missing")
    (tmp_path / "bad.ml.zone").write_text("@ IN A not-an-address\n")
    with pytest.raises(LookalikeError, match=r"bad\.ml\.zone is not valid"):
        load_zones(tmp_path)


def test_load_faults() -> None:
    faults = load_faults(ZONES / "faults.toml")
    assert faults == {
        "broken.kestrel.ml.": Fault("servfail"),
        "*.slowzone.ml.": Fault("slow", seconds=0.5),
        "kestrelsys.ml": Fault("drop", times=1, qtype="MX"),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[faults]\n"a.ml." = "explode"\n', "unknown fault"),
        ('[faults]\n"a.ml." = { seconds = 1 }\n', "needs 'kind'"),
        ('[faults]\n"a.ml." = 3\n', "must be a kind or a table"),
        ("[faults\n", "not valid TOML"),
    ],
)
def test_load_faults_explains_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "faults.toml"
    path.write_text(text)
    with pytest.raises(LookalikeError, match=message):
        load_faults(path)


async def test_answers_like_a_resolver_knowing_only_its_zones(dns_server: DnsServerFactory) -> None:
    server = await dns_server()
    answer = await ask(server, "kestrelsys.ml", "MX")
    assert answer.rcode() == dns.rcode.NOERROR
    assert answer.flags & dns.flags.RA
    assert answer.flags & dns.flags.AA
    assert sorted(r.to_text() for rr in answer.answer for r in rr) == [
        "10 mx1.kestrelsys.ml.",
        "20 mx2.kestrelsys.ml.",
    ]
    nodata = await ask(server, "kestrel-implicit.ml", "MX")
    assert (nodata.rcode(), nodata.answer) == (dns.rcode.NOERROR, [])
    assert nodata.authority[0].rdtype == dns.rdatatype.SOA
    missing = await ask(server, "nope.kestrelsys.ml", "A")
    assert missing.rcode() == dns.rcode.NXDOMAIN
    assert missing.authority[0].rdtype == dns.rdatatype.SOA
    outside = await ask(server, "example.org", "A")
    assert outside.rcode() == dns.rcode.NXDOMAIN


async def test_delegations_wildcards_and_cnames(dns_server: DnsServerFactory) -> None:
    server = await dns_server()
    cut = await ask(server, "kestrel.ml", "NS")
    assert [rr.rdtype for rr in cut.answer] == [dns.rdatatype.NS]
    assert {rr.name.to_text() for rr in cut.additional} == {"ns1.kestrel.ml.", "ns2.kestrel.ml."}
    referral = await ask(server, "www.kestrel.ml", "A")
    assert referral.rcode() == dns.rcode.NOERROR
    assert referral.answer == []
    assert referral.authority[0].rdtype == dns.rdatatype.NS
    assert not referral.flags & dns.flags.AA
    wild = await ask(server, "Anything.CM", "A")
    assert wild.answer[0].name.to_text() == "Anything.CM."
    assert wild.answer[0][0].to_text() == "203.0.113.80"
    chain = await ask(server, "login.kestrelsys.ml", "A")
    assert [rr.rdtype for rr in chain.answer] == [dns.rdatatype.CNAME, dns.rdatatype.CNAME, dns.rdatatype.A]
    dangling = await ask(server, "dangling.ml", "A")
    assert dangling.rcode() == dns.rcode.NXDOMAIN
    assert [rr.rdtype for rr in dangling.answer] == [dns.rdatatype.CNAME]
    ent = await ask(server, "ent.kestrelsys.ml", "A")
    assert (ent.rcode(), ent.answer) == (dns.rcode.NOERROR, [])


async def test_truncates_over_udp_and_answers_fully_over_tcp(dns_server: DnsServerFactory) -> None:
    server = await dns_server(faults={"*.kestrelsys.ml.": Fault("truncate")})
    udp = await ask(server, "shop.kestrelsys.ml", "A")
    assert udp.flags & dns.flags.TC
    assert udp.answer == []
    tcp = await ask(server, "shop.kestrelsys.ml", "A", tcp=True)
    assert not tcp.flags & dns.flags.TC
    assert tcp.answer[0][0].to_text() == "198.51.100.40"
    apex = await ask(server, "kestrelsys.ml", "A")  # "*.zone." does not cover the zone itself
    assert not apex.flags & dns.flags.TC


async def test_faults_can_be_limited_to_a_type_and_a_count(dns_server: DnsServerFactory) -> None:
    server = await dns_server(faults={"kestrelsys.ml": Fault("servfail", qtype="MX", times=2)})
    assert (await ask(server, "kestrelsys.ml", "A")).rcode() == dns.rcode.NOERROR
    assert (await ask(server, "kestrelsys.ml", "MX")).rcode() == dns.rcode.SERVFAIL
    assert (await ask(server, "kestrelsys.ml", "MX")).rcode() == dns.rcode.SERVFAIL
    assert (await ask(server, "kestrelsys.ml", "MX")).rcode() == dns.rcode.NOERROR
    assert server.count("kestrelsys.ml", "MX") == 3


async def test_update_swaps_the_universe_between_scans(dns_server: DnsServerFactory) -> None:
    server = await dns_server(faults={"kestrel.ml.": Fault("servfail")})
    async with Resolver([server.address], Limits(timeout=0.3, retries=0)) as resolver:
        assert (await resolver.triage("kestrel.ml", apex=True)).status is Status.REFUSED
        server.update(faults={})
        assert (await resolver.triage("kestrel.ml", apex=True)).status is Status.OK
        without_ml = [z for z in load_zones(ZONES) if z.origin is not None and z.origin.to_text() != "ml."]
        server.update(zones=without_ml)
        assert (await resolver.triage("kestrel.ml", apex=True)).status is Status.ABSENT
        assert (await resolver.triage("kestrelsys.ml", apex=True)).status is Status.OK  # its own zone


async def test_from_directory(tmp_path: Path) -> None:
    async with DnsServer.from_directory(ZONES, ZONES / "faults.toml") as server:
        answer = await ask(server, "broken.kestrel.ml", "A")
        assert answer.rcode() == dns.rcode.SERVFAIL
        assert server.queries == 1


def test_loading_a_zone_twice_is_refused() -> None:
    zones = load_zones(ZONES)
    with pytest.raises(LookalikeError, match="loaded twice"):
        DnsServer([zones[0], zones[0]])


@functools.cache
def quiet_server() -> DnsServer:
    """A server that is never started: its answering logic, called directly."""
    return DnsServer(load_zones(ZONES))


@pytest.mark.parametrize(
    ("name", "fast"),
    [
        ("nothere.ml.", True),  # absent from a loaded zone
        ("x.y.com.", True),  # in no loaded zone
        ("nope.kestrelsys.ml.", True),
        ("kestrel.ml.", False),  # exists
        ("www.kestrel.ml.", False),  # below a delegation: a referral
        ("ent.kestrelsys.ml.", False),  # an empty non-terminal
        ("a.cm.", False),  # a wildcard answers
        ("Nothere.ML.", True),
        (r"we\(ird.ml.", False),  # anything unusual takes the full path
    ],
)
def test_which_questions_skip_dnspython(name: str, fast: bool) -> None:
    wire = dns.message.make_query(name, "A").to_wire()
    assert (quiet_server()._fast_nxdomain("udp", wire) is not None) is fast


LABELS = st.text(alphabet="abckestrlwy0-", min_size=1, max_size=8).filter(
    lambda label: not label.startswith("-") and not label.endswith("-")
)
SUFFIXES = st.sampled_from(
    ["ml", "kestrelsys.ml", "kestrel.ml", "kestrel-wild.ml", "cm", "ooo", "com", "ent.kestrelsys.ml", "mil"]
)


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.lists(LABELS, max_size=2),
    suffix=SUFFIXES,
    rdtype=st.sampled_from(["A", "NS", "MX", "TXT"]),
    edns=st.booleans(),
)
def test_the_byte_level_nxdomain_says_what_dnspython_would(
    prefix: list[str], suffix: str, rdtype: str, edns: bool
) -> None:
    """Names in no zone, or certainly absent from theirs, skip dnspython; the answer must not change."""
    server = quiet_server()
    name = ".".join([*prefix, suffix]) + "."
    query = dns.message.make_query(name, rdtype, use_edns=0 if edns else False)
    query.id = 4242
    fast = server._fast_nxdomain("udp", query.to_wire())
    full = server.answer(query)
    if fast is None:
        assert full.rcode() != dns.rcode.NXDOMAIN or full.answer, name  # only certain NXDOMAINs skip
        return
    quick = dns.message.from_wire(fast)
    assert quick.id == 4242
    assert quick.rcode() == full.rcode() == dns.rcode.NXDOMAIN
    assert quick.flags == full.flags
    assert quick.question == full.question
    assert quick.answer == full.answer == []
    assert quick.authority == full.authority
    assert quick.edns == full.edns
