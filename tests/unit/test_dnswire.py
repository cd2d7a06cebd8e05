"""The triage fast path's wire format: queries dnspython accepts, replies matched only when they answer
exactly what was asked, and sections checked against their counts."""

from __future__ import annotations

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookalike import dnswire

LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=63)
NAMES = st.lists(LABEL, min_size=1, max_size=4).map(".".join)
QTYPES = st.sampled_from(
    [dnswire.A, dnswire.NS, dnswire.CNAME, dnswire.SOA, dnswire.MX, dnswire.TXT, dnswire.AAAA]
)


def query_for(name: str, qtype: int, qid: int = 0x1234) -> bytes:
    return dnswire.build_query(qid, dnswire.encode_name(name), qtype)


def response_to(wire: bytes, *records: str, rcode: dns.rcode.Rcode = dns.rcode.NOERROR) -> bytes:
    """A real response, made by dnspython, to the query ``wire``."""
    query = dns.message.from_wire(wire)
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    for text in records:
        name, ttl, rdclass, rdtype, *data = text.split()
        response.answer.append(dns.rrset.from_text(name, int(ttl), rdclass, rdtype, " ".join(data)))
    return response.to_wire()


def test_encode_name() -> None:
    assert dnswire.encode_name("Kestrel.ML.") == b"\x07kestrel\x02ml\x00"
    assert dnswire.encode_name(".") == b"\x00"
    assert dnswire.decode_name(b"\x07kestrel\x02ml\x00") == "kestrel.ml"


@pytest.mark.parametrize(
    "bad",
    ["a..ml", "x" * 64 + ".ml", ".".join(["a" * 60] * 5), "ármy.ml", "a.ml.."],
)
def test_encode_name_refuses_what_cannot_be_a_question(bad: str) -> None:
    with pytest.raises(dnswire.WireError):
        dnswire.encode_name(bad)


@given(name=NAMES, qtype=QTYPES, qid=st.integers(0, 0xFFFF), edns=st.sampled_from([0, 512, 1232, 4096]))
def test_query_bytes_are_what_dnspython_reads(name: str, qtype: int, qid: int, edns: int) -> None:
    wire = dnswire.build_query(qid, dnswire.encode_name(name), qtype, edns_payload=edns)
    message = dns.message.from_wire(wire)
    assert message.id == qid
    assert message.flags == dns.flags.RD
    assert len(message.question) == 1
    question = message.question[0]
    assert question.name == dns.name.from_text(name)
    assert question.rdtype == qtype
    assert (message.edns, message.payload) == ((0, edns) if edns else (-1, message.payload))
    assert dnswire.decode_name(dnswire.encode_name(name)) == name.lower()


@given(name=NAMES, qtype=QTYPES, qid=st.integers(0, 0xFFFF))
def test_a_real_response_matches_its_query(name: str, qtype: int, qid: int) -> None:
    qname = dnswire.encode_name(name)
    reply = response_to(dnswire.build_query(qid, qname, qtype), rcode=dns.rcode.NXDOMAIN)
    assert dnswire.match(reply, qid, qname, qtype)
    assert dnswire.well_formed(reply, qname)
    assert dnswire.rcode_of(reply) == dns.rcode.NXDOMAIN


def test_match_accepts_mixed_case_echo() -> None:
    qname = dnswire.encode_name("kestrel.ml")
    reply = bytearray(response_to(dnswire.build_query(7, qname, dnswire.NS)))
    reply[13:20] = b"KeStReL"
    assert dnswire.match(bytes(reply), 7, qname, dnswire.NS)


def test_match_rejects_a_reply_with_another_id() -> None:
    qname = dnswire.encode_name("kestrel.ml")
    reply = response_to(dnswire.build_query(7, qname, dnswire.NS))
    assert not dnswire.match(reply, 8, qname, dnswire.NS)


@pytest.mark.parametrize(
    ("asked", "answered", "qtype"),
    [
        ("kestrel.ml", "kestrel.mk", dnswire.NS),
        ("kestrel.ml", "kestrel.ml.ml", dnswire.NS),
        ("kestrel.ml", "kestre.ml", dnswire.NS),
        ("kestrel.ml", "spoofed.kestrel.ml", dnswire.NS),
        ("kestrel.ml", "kestrel.ml", dnswire.A),
    ],
)
def test_match_rejects_a_reply_to_another_question(asked: str, answered: str, qtype: int) -> None:
    reply = response_to(query_for(answered, qtype, qid=9))
    assert not dnswire.match(reply, 9, dnswire.encode_name(asked), dnswire.NS)


def test_match_rejects_queries_and_odd_headers() -> None:
    qname = dnswire.encode_name("kestrel.ml")
    query = dnswire.build_query(5, qname, dnswire.NS)
    assert not dnswire.match(query, 5, qname, dnswire.NS)  # QR clear: a query, not a reply
    reply = bytearray(response_to(query))
    assert dnswire.match(bytes(reply), 5, qname, dnswire.NS)
    no_question = bytes(reply[:4]) + b"\x00\x00" + bytes(reply[6:])
    assert not dnswire.match(no_question, 5, qname, dnswire.NS)
    notify = bytearray(reply)
    notify[2] |= 4 << 3  # opcode NOTIFY
    assert not dnswire.match(bytes(notify), 5, qname, dnswire.NS)
    assert not dnswire.match(bytes(reply[:11]), 5, qname, dnswire.NS)
    assert dnswire.reply_id(bytes(reply[:11])) is None
    assert dnswire.reply_id(bytes(reply)) == 5


def test_header_fields() -> None:
    qname = dnswire.encode_name("kestrelsys.ml")
    reply = response_to(
        dnswire.build_query(1, qname, dnswire.MX),
        "kestrelsys.ml. 300 IN MX 10 mx1.kestrelsys.ml.",
        "kestrelsys.ml. 300 IN MX 20 mx2.kestrelsys.ml.",
    )
    header = dnswire.header(reply)
    counts = (header.ancount, header.nscount, header.arcount)
    assert (header.rcode, header.truncated, counts) == (0, False, (2, 0, 0))
    assert dnswire.ancount_of(reply) == 2
    assert dnswire.well_formed(reply, qname)


RECORDS = st.lists(
    st.sampled_from(
        [
            "{n} 300 IN A 192.0.2.1",
            "{n} 300 IN AAAA 2001:db8::1",
            "{n} 300 IN MX 10 mx.{n}",
            "{n} 300 IN CNAME other.{n}",
            '{n} 300 IN TXT "v=spf1 -all" "second string"',
            "{n} 300 IN NS ns1.{n}",
            "{n} 300 IN SOA ns1.{n} hostmaster.{n} 1 2 3 4 5",
        ]
    ),
    max_size=6,
)


@given(name=NAMES, records=RECORDS, cut=st.integers(min_value=1, max_value=400))
def test_sections_are_checked_against_their_counts(name: str, records: list[str], cut: int) -> None:
    qname = dnswire.encode_name(name)
    reply = response_to(dnswire.build_query(3, qname, dnswire.A), *(r.format(n=name + ".") for r in records))
    assert dnswire.well_formed(reply, qname)
    # Any reply cut short, or with bytes left over, holds other than what its header counts.
    if cut < len(reply) - dnswire.HEADER_LEN - len(qname) - 4:
        assert not dnswire.well_formed(reply[:-cut], qname)
    assert not dnswire.well_formed(reply + b"\x00" * (cut % 7 + 1), qname)


def test_a_count_promising_records_that_are_not_there_is_malformed() -> None:
    qname = dnswire.encode_name("kestrel.ml")
    reply = bytearray(response_to(dnswire.build_query(3, qname, dnswire.A)))
    reply[7] = 3  # ANCOUNT 3, no records
    assert not dnswire.well_formed(bytes(reply), qname)
    assert not dnswire.well_formed(bytes(reply) + b"\xc0\x0c\xff\xee\xdd", qname)


def test_skip_name() -> None:
    data = b"\x07kestrel\x02ml\x00" + b"\xc0\x00" + b"\x40x" + b"\x05abc"
    assert dnswire.skip_name(data, 0) == 12
    assert dnswire.skip_name(data, 12) == 14  # a pointer ends the name
    assert dnswire.skip_name(data, 14) == -1  # extended label type
    assert dnswire.skip_name(data, 16) == -1  # runs off the end
    assert dnswire.skip_name(b"\xc0", 0) == -1


# -- the whole RCODE ---------------------------------------------------------------------------------


def _reply(rcode: int, *, ext: int | None, extra_opt: bool = False) -> tuple[bytes, int]:
    query = dns.message.make_query("kestrel.ml", "A")
    response = dns.message.make_response(query)
    if ext is not None:
        response.use_edns(0, 0, 1232)
    response.set_rcode(dns.rcode.Rcode.make(rcode if ext is None else (ext << 4) | rcode))
    wire = response.to_wire()
    if extra_opt:
        opt = b"\x00\x00\x29\x04\xd0\x01\x00\x00\x00\x00\x00"
        wire = wire[:10] + (int.from_bytes(wire[10:12], "big") + 1).to_bytes(2, "big") + wire[12:] + opt
    return wire, dnswire.HEADER_LEN + len(dnswire.encode_name("kestrel.ml")) + 4


@pytest.mark.parametrize(
    ("rcode", "ext", "whole"),
    [(0, None, 0), (3, None, 3), (0, 0, 0), (3, 0, 3), (0, 1, dnswire.BADVERS), (2, 1, 18), (5, 0xFF, 0xFF5)],
)
def test_full_rcode_adds_the_opt_records_bits(rcode: int, ext: int | None, whole: int) -> None:
    wire, offset = _reply(rcode, ext=ext)
    assert dnswire.rcode_of(wire) == rcode  # the header alone would say this
    assert dnswire.full_rcode(wire, offset) == whole


def test_two_opt_records_or_a_short_body_are_malformed() -> None:
    wire, offset = _reply(0, ext=0, extra_opt=True)
    assert dnswire.full_rcode(wire, offset) == -1
    wire, offset = _reply(0, ext=1)
    assert dnswire.full_rcode(wire[:-1], offset) == -1
    assert dnswire.full_rcode(wire + b"\x00", offset) == -1


@given(st.integers(min_value=0, max_value=0xFFF))
def test_full_rcode_reads_back_any_rcode_dnspython_writes(whole: int) -> None:
    query = dns.message.make_query("kestrel.ml", "A")
    response = dns.message.make_response(query)
    response.use_edns(0, 0, 1232)
    response.set_rcode(dns.rcode.Rcode.make(whole))
    offset = dnswire.HEADER_LEN + len(dnswire.encode_name("kestrel.ml")) + 4
    assert dnswire.full_rcode(response.to_wire(), offset) == whole
