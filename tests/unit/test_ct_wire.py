"""CT wire formats, Merkle proofs and checkpoints: recorded real data from public logs (provenance in
tests/data/ct/PROVENANCE.md) and fresh trees of any size."""

from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookalike.demo.ct_server import TestCA
from lookalike.feeds import merkle
from lookalike.feeds.certnames import cert_facts, tbs_of_certificate
from lookalike.feeds.ctwire import (
    leaf_index_extension,
    leaf_index_extensions,
    log_id,
    parse_data_tile,
    parse_leaf,
    timestamped_entry,
    tree_head_input,
    verify_signature,
)
from lookalike.feeds.merkle import CompactRange, ProofError
from lookalike.feeds.notes import origin_of, parse_checkpoint

LUCT = Path(__file__).resolve().parent.parent / "data" / "ct" / "luct"


def load(name: str) -> Any:
    return json.loads((LUCT / name).read_text())


def logs() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = load("logs.json")
    return data


def test_a_real_sth_verifies_with_the_logs_key_and_a_changed_one_does_not() -> None:
    key = base64.b64decode(logs()["argon2025h1"]["key"])
    assert base64.b64encode(log_id(key)).decode() == logs()["argon2025h1"]["log_id"]
    sth = load("argon2025h1-sth-2806.json")
    root = base64.b64decode(sth["sha256_root_hash"])
    signature = base64.b64decode(sth["tree_head_signature"])
    verify_signature(key, tree_head_input(sth["timestamp"], sth["tree_size"], root), signature)
    with pytest.raises(ValueError, match="does not verify"):
        verify_signature(key, tree_head_input(sth["timestamp"], sth["tree_size"] - 1, root), signature)
    other = base64.b64decode(logs()["argon2025h2"]["key"])
    with pytest.raises(ValueError, match="does not verify"):
        verify_signature(other, tree_head_input(sth["timestamp"], sth["tree_size"], root), signature)


def test_a_real_consistency_proof_between_two_real_heads() -> None:
    old, new = load("argon2025h1-sth-2806.json"), load("argon2025h1-sth-2906.json")
    proof = [base64.b64decode(h) for h in load("sth-consistency-proof.json")["consistency"]]
    args = (old["tree_size"], new["tree_size"], base64.b64decode(old["sha256_root_hash"]))
    merkle.verify_consistency(*args, base64.b64decode(new["sha256_root_hash"]), proof)
    with pytest.raises(ProofError):
        merkle.verify_consistency(*args, base64.b64decode(old["sha256_root_hash"]), proof)
    with pytest.raises(ProofError):
        merkle.verify_consistency(*args, base64.b64decode(new["sha256_root_hash"]), proof[:-1])


def test_a_real_precertificate_entry_parses_and_is_included_in_a_real_head() -> None:
    entry = load("google-entry.json")["entries"][0]
    leaf = parse_leaf(base64.b64decode(entry["leaf_input"]))
    proof = load("google-precert-audit-proof.json")
    facts = leaf.entry(proof["leaf_index"])
    assert facts.precert and "*.google.com" in facts.names and len(facts.names) == 137
    assert facts.issuer == "C=US, O=Google Trust Services, CN=WR2"
    assert facts.not_before is not None and facts.not_before.year == 2025
    sth = load("argon2025h2-sth-0506.json")
    merkle.verify_inclusion(
        proof["leaf_index"],
        sth["tree_size"],
        merkle.leaf_hash(leaf.merkle_leaf),
        [base64.b64decode(h) for h in proof["audit_path"]],
        base64.b64decode(sth["sha256_root_hash"]),
    )


@pytest.mark.parametrize("name", ["sycamore2026h1", "arche2026h1"])
def test_real_checkpoints_verify_and_tampered_ones_do_not(name: str) -> None:
    log = logs()[name]
    key = base64.b64decode(log["key"])
    note = (LUCT / f"{name}-signed-note.txt").read_bytes()
    head = parse_checkpoint(note, origin_of(log["submission_url"]), key, log_id(key))
    assert head.size > 800_000_000
    lines = note.split(b"\n")
    lines[1] = str(head.size + 1).encode()
    with pytest.raises(ValueError, match="does not verify"):
        parse_checkpoint(b"\n".join(lines), origin_of(log["submission_url"]), key, log_id(key))
    with pytest.raises(ValueError, match="origin"):
        parse_checkpoint(note, "elsewhere.example/log", key, log_id(key))
    body, _, signatures = note.partition(b"\n\n")
    mine = "\u2014 ".encode() + lines[0] + b" "
    others = [x for x in signatures.split(b"\n") if x and not x.startswith(mine)]
    stripped = body + b"\n\n" + b"".join(x + b"\n" for x in others)
    with pytest.raises(ValueError, match="no signature"):
        parse_checkpoint(stripped, origin_of(log["submission_url"]), key, log_id(key))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 600), st.data())
def test_proofs_of_fresh_trees_verify_and_wrong_ones_do_not(size: int, data: st.DataObject) -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    whole = CompactRange().append(leaves)
    assert whole.root() == merkle.root_of(leaves)

    def mth(a: int, b: int) -> bytes:
        return merkle.root_of(leaves[a:b])

    first = data.draw(st.integers(0, size))
    proof = merkle.prove_consistency(first, size, mth)
    merkle.verify_consistency(first, size, mth(0, first), whole.root(), proof)
    if 0 < first < size:
        with pytest.raises(ProofError):
            merkle.verify_consistency(first, size, mth(0, first), mth(0, first), proof)
    index = data.draw(st.integers(0, size - 1))
    path = merkle.prove_inclusion(index, size, mth)
    assert merkle.range_at(index, size, leaves[index], path, whole.root()) == CompactRange().append(
        leaves[: index + 1]
    )
    with pytest.raises(ProofError):
        merkle.verify_inclusion(index, size, merkle.leaf_hash(b"other"), path, whole.root())
    start = CompactRange().append(leaves[:first])
    nodes = [(h, mth(i << h, (i + 1) << h)) for h, i in merkle.subtrees(first, size)]
    assert start.extend(nodes).root() == whole.root()


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.from_regex(r"(\*\.)?[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?\.(com|net|example)", fullmatch=True),
        min_size=1,
        max_size=20,
        unique=True,
    ),
    st.booleans(),
)
def test_names_come_back_from_fresh_certificates_and_tiles(names: list[str], precert: bool) -> None:
    issued = ca().issue(names, precert=precert)
    facts = cert_facts(issued.tbs if precert else tbs_of_certificate(issued.certificate))
    assert facts.names == tuple(dict.fromkeys(n.lower() for n in names))
    assert facts.issuer == "C=ZZ, CN=Lookalike Test CA"
    entry = timestamped_entry(
        7,
        issued.tbs if precert else issued.certificate,
        precert=precert,
        issuer_key_hash=b"k" * 32 if precert else b"",
        extensions=leaf_index_extensions(5),
    )
    tile_leaf = entry + (
        (len(issued.certificate).to_bytes(3, "big") + issued.certificate) if precert else b""
    )
    tile_leaf += (32).to_bytes(2, "big") + b"f" * 32
    (leaf,) = parse_data_tile(tile_leaf, 1)
    assert leaf.merkle_leaf == b"\x00\x00" + entry
    assert leaf_index_extension(leaf.extensions) == 5
    assert leaf.entry(5).names == facts.names
    with pytest.raises(ValueError):
        parse_data_tile(tile_leaf[:-1], 1)


_CA: list[TestCA] = []


def ca() -> TestCA:
    if not _CA:
        _CA.append(TestCA())
    return _CA[0]


@given(st.binary(max_size=300))
def test_garbage_is_a_value_error_never_a_crash(data: bytes) -> None:
    for parse in (parse_leaf, lambda d: parse_data_tile(d, 1), cert_facts):
        with contextlib.suppress(ValueError):
            parse(data)
