"""The fast stage-2 reader against dnspython: the same ``Parsed`` for generated well-formed replies
(compressed names, mixed case, duplicates, repeated CNAMEs and SOAs, CNAME chains and loops, glue and
an OPT record), and, for mutated ones, either a decline or dnspython's own reading; never a crash."""

from __future__ import annotations

import dns.exception
import dns.name
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lookalike import dnswire
from lookalike.resolver import replies
from lookalike.resolver.replies import Parsed

QTYPES = [dnswire.A, dnswire.AAAA, dnswire.NS, dnswire.SOA, dnswire.MX, dnswire.TXT, dnswire.CNAME]
LABELS = st.sampled_from(["a", "B", "mx", "Mx", "ns1", "kestrel", "x-y", "_dmarc", "*", "0"])
NAMES = st.lists(LABELS, min_size=0, max_size=4).map(".".join)
QNAMES = st.lists(LABELS, min_size=1, max_size=3).map(lambda labels: ".".join(labels).lower())


class Wire:
    """A reply written by hand, with name compression as a server does it (any suffix written
    before is pointed to), so that the readers see pointers, mixed case and repeats."""

    def __init__(self, qid: int = 0x1234) -> None:
        self.out = bytearray(qid.to_bytes(2, "big") + b"\x81\x80" + bytes(8))
        self.suffixes: dict[str, int] = {}

    def name(self, text: str, *, compress: bool = True) -> None:
        labels = [label for label in text.split(".") if label]
        for i in range(len(labels)):
            suffix = ".".join(labels[i:]).lower()
            if compress and suffix in self.suffixes:
                self.out += (0xC000 | self.suffixes[suffix]).to_bytes(2, "big")
                return
            if len(self.out) < 0x3FFF:
                self.suffixes.setdefault(suffix, len(self.out))
            self.out.append(len(labels[i]))
            self.out += labels[i].encode()
        self.out.append(0)

    def record(self, owner: str, rtype: int, rdata: tuple[object, ...], *, rclass: int = 1) -> None:
        self.name(owner)
        self.out += rtype.to_bytes(2, "big") + rclass.to_bytes(2, "big") + (300).to_bytes(4, "big")
        length_at = len(self.out)
        self.out += b"\x00\x00"
        for part in rdata:
            if isinstance(part, str):
                self.name(part)
            elif isinstance(part, bytes):
                self.out += part
            else:
                raise TypeError(part)
        self.out[length_at : length_at + 2] = (len(self.out) - length_at - 2).to_bytes(2, "big")


def rdata_for(rtype: int, draw: st.DrawFn) -> tuple[object, ...]:
    if rtype == dnswire.A:
        return (draw(st.sampled_from([b"\xc0\x00\x02\x01", b"\xc6\x33\x64\x0a", b"\x7f\x00\x35\x35"])),)
    if rtype == dnswire.AAAA:
        return (
            draw(
                st.sampled_from(
                    [
                        bytes.fromhex("20010db8000000000000000000000010"),
                        bytes.fromhex("00000000000000000000ffffc0000201"),
                        bytes.fromhex("00000000000000000000000000000001"),
                        bytes(16),
                    ]
                )
            ),
        )
    if rtype in (dnswire.NS, dnswire.CNAME):
        return (draw(NAMES),)
    if rtype == dnswire.MX:
        return (draw(st.sampled_from([0, 10, 20])).to_bytes(2, "big"), draw(NAMES))
    if rtype == dnswire.SOA:
        return (draw(NAMES), draw(NAMES), bytes(range(20)))
    strings = draw(
        st.lists(
            st.sampled_from([b"v=spf1", b" -all", b"", b"v=DMARC1; p=reject", b"\xff\x00"]),
            min_size=1,
            max_size=3,
        )
    )
    return (b"".join(len(s).to_bytes(1, "big") + s for s in strings),)


@st.composite
def replies_to(draw: st.DrawFn) -> tuple[bytes, bytes, int]:
    """A well-formed reply (wire), the question's name (wire) and type."""
    qname_text = draw(QNAMES)
    qtype = draw(st.sampled_from(QTYPES))
    owners = [qname_text, qname_text.upper(), *draw(st.lists(NAMES, max_size=3))]
    wire = Wire()
    wire.name(qname_text, compress=False)
    wire.out += qtype.to_bytes(2, "big") + b"\x00\x01"
    counts = []
    for section in range(3):
        records = draw(
            st.lists(
                st.tuples(st.sampled_from(owners), st.sampled_from(QTYPES)), max_size=6 if section == 0 else 3
            )
        )
        for owner, rtype in records:
            wire.record(owner, rtype, rdata_for(rtype, draw))
        counts.append(len(records))
    if draw(st.booleans()):
        wire.out += b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"  # OPT, no options
        counts[2] += 1
    wire.out[4:12] = b"\x00\x01" + b"".join(count.to_bytes(2, "big") for count in counts)
    return bytes(wire.out), dnswire.encode_name(qname_text), qtype


def reference(data: bytes, qname: bytes, qtype: int) -> Parsed | None:
    try:
        return replies.parse(data, qname, qtype)
    except dns.exception.DNSException:
        return None


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(replies_to())
def test_the_fast_reader_reads_what_dnspython_reads(case: tuple[bytes, bytes, int]) -> None:
    data, qname, qtype = case
    fast = replies.read(data, qname, qtype)
    assert fast is not None, "a plain, well-formed reply must not be declined"
    assert fast == replies.parse(data, qname, qtype)


MUTATIONS = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10_000), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.integers(0, 10_000), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.integers(0, 255)),
    st.tuples(st.just("delete"), st.integers(0, 10_000), st.just(0)),
)


def mutate(data: bytes, mutations: list[tuple[str, int, int]]) -> bytes:
    out = bytearray(data)
    for kind, where, value in mutations:
        if not out:
            break
        at = where % len(out)
        if kind == "flip":
            out[at] ^= value
        elif kind == "cut":
            del out[at:]
        elif kind == "insert":
            out.insert(at, value)
        else:
            del out[at]
    return bytes(out)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(replies_to(), st.lists(MUTATIONS, min_size=1, max_size=3))
def test_a_mutated_reply_is_declined_or_read_as_dnspython_reads_it(
    case: tuple[bytes, bytes, int], mutations: list[tuple[str, int, int]]
) -> None:
    data, qname, qtype = case
    mutated = mutate(data, mutations)
    fast = replies.read(mutated, qname, qtype)
    if fast is not None:
        # Accepting means dnspython accepts too, and reads the same records.
        assert fast == reference(mutated, qname, qtype)


@given(st.binary(max_size=600), QNAMES, st.sampled_from(QTYPES))
def test_any_bytes_are_declined_or_read_as_dnspython_reads_them(data: bytes, qname: str, qtype: int) -> None:
    wire = dnswire.encode_name(qname)
    fast = replies.read(data, wire, qtype)
    if fast is not None:
        assert fast == reference(data, wire, qtype)


def test_compression_loops_and_forward_pointers_are_declined() -> None:
    qname = dnswire.encode_name("kestrel.ml")
    header = b"\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + qname + b"\x00\x01\x00\x01"
    a = b"\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\xc0\x00\x02\x01"
    here = len(header)
    for owner in (
        (0xC000 | here).to_bytes(2, "big"),  # points at itself
        (0xC000 | (here + 2)).to_bytes(2, "big"),  # points forward
        b"\x40" + b"x" * 64,  # a reserved label type
    ):
        assert replies.read(header + owner + a, qname, dnswire.A) is None
    # The same reply, its owner pointing back at the question, is read.
    parsed = replies.read(header + b"\xc0\x0c" + a, qname, dnswire.A)
    assert parsed == Parsed(records=("192.0.2.1",))


def test_a_pointer_forward_to_a_good_name_is_declined_as_dnspython_refuses_it() -> None:
    qname = dnswire.encode_name("kestrel.ml")
    header = b"\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + qname + b"\x00\x05\x00\x01"
    here = len(header)
    target = b"\x01a\xc0\x0c"  # a.kestrel.ml, at here + 12
    fixed = b"\x00\x05\x00\x01\x00\x00\x01\x2c" + len(target).to_bytes(2, "big")
    forward = header + (0xC000 | (here + 12)).to_bytes(2, "big") + fixed + target
    assert reference(forward, qname, dnswire.CNAME) is None
    assert replies.read(forward, qname, dnswire.CNAME) is None
    backward = header + b"\xc0\x0c" + fixed + target
    assert replies.read(backward, qname, dnswire.CNAME) == Parsed(records=("a.kestrel.ml",))


def test_the_pointer_limit_is_dnspython_s() -> None:
    assert dns.name.MAX_COMPRESSION_POINTER_CHAIN == replies.MAX_POINTER_HOPS


def test_names_dnspython_escapes_are_left_to_it() -> None:
    qname = dnswire.encode_name("kestrel.ml")
    header = b"\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + qname + b"\x00\x05\x00\x01"
    target = b"\x04a.b\x00" + b"\x02ml\x00"
    cname = b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x01\x2c" + len(target).to_bytes(2, "big") + target
    data = header + cname
    assert replies.read(data, qname, dnswire.CNAME) is None
    assert replies.parse(data, qname, dnswire.CNAME).records == ("a\\.b\\000.ml",)
