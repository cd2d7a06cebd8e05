"""Following loopback CT logs of both kinds (lookalike.demo.ct_server): every entry once, in order,
verified; resume from a kept position, also after kill -9; forks, corrupted tiles and entries, bad
signatures and outages reported, never trusted."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from lookalike.demo.background import in_background
from lookalike.demo.ct_server import CtLog, CtLogServer, TestCA
from lookalike.feeds.ct import Follower, Position, Step, Verdict
from lookalike.feeds.loglist import LogKind

KINDS = [LogKind.RFC6962, LogKind.TILED]
_CA: list[TestCA] = []


def ca() -> TestCA:
    if not _CA:
        _CA.append(TestCA())
    return _CA[0]


def fill(log: CtLog, start: int, count: int) -> None:
    log.add(
        ca().issue([f"host{i}.example.com", f"www.host{i}.example.com"], precert=i % 3 == 0)
        for i in range(start, start + count)
    )
    log.publish()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as c:
        yield c


async def drain(follower: Follower, position: Position) -> tuple[list[str], Step]:
    names: list[str] = []
    while True:
        step = await follower.step(position)
        if step.verdict is not Verdict.OK or not step.entries:
            return names, step
        assert [e.index for e in step.entries] == list(
            range(position.next, position.next + len(step.entries))
        )
        names += [e.names[0] for e in step.entries]
        assert step.position is not None
        position = step.position


@pytest.mark.parametrize("kind", KINDS)
async def test_every_entry_once_then_new_ones_across_a_new_head(
    kind: LogKind, client: httpx.AsyncClient
) -> None:
    log = CtLog(kind)
    fill(log, 0, 600)
    async with CtLogServer(log) as server:
        follower = Follower(server.log_entry(), client, batch=250)
        start = await follower.start(0)
        assert start.verdict is Verdict.OK and start.position is not None
        names, last = await drain(follower, start.position)
        assert names == [f"host{i}.example.com" for i in range(600)]
        assert last.verdict is Verdict.OK and last.position is not None
        entries = (await Follower(server.log_entry(), client).start(-5)).position
        assert entries is not None and entries.next == 595

        fill(log, 600, 300)
        more, final = await drain(follower, last.position)
        assert more == [f"host{i}.example.com" for i in range(600, 900)]
        assert final.position is not None and final.position.next == 900
        first = (await follower.step(start.position)).entries[0]
        assert first.precert and first.names == ("host0.example.com", "www.host0.example.com")
        assert first.issuer == "C=ZZ, CN=Lookalike Test CA" and first.not_before is not None


@pytest.mark.parametrize("kind", KINDS)
async def test_starting_at_the_head_reads_only_what_comes_after(
    kind: LogKind, client: httpx.AsyncClient
) -> None:
    log = CtLog(kind)
    fill(log, 0, 300)
    async with CtLogServer(log) as server:
        follower = Follower(server.log_entry(), client)
        start = await follower.start()
        assert start.position is not None and start.position.next == 300
        fill(log, 300, 5)
        names, _ = await drain(follower, start.position)
        assert names == [f"host{i}.example.com" for i in range(300, 305)]


@pytest.mark.parametrize("kind", KINDS)
async def test_a_kept_position_resumes_exactly_where_it_was(kind: LogKind, client: httpx.AsyncClient) -> None:
    log = CtLog(kind)
    fill(log, 0, 700)
    async with CtLogServer(log) as server:
        follower = Follower(server.log_entry(), client, batch=256)
        start = await follower.start(0)
        assert start.position is not None
        step = await follower.step(start.position)
        assert step.position is not None
        kept = step.position.to_json()
        # A new process: a new follower, the position from what was kept.
        again = Follower(server.log_entry(), client, batch=256)
        names, _ = await drain(again, Position.from_json(kept))
        assert names == [f"host{i}.example.com" for i in range(256, 700)]
        with pytest.raises(ValueError, match="position"):
            Position.from_json('{"log": "x"}')


@pytest.mark.parametrize("kind", KINDS)
async def test_a_forked_head_is_untrusted(kind: LogKind, client: httpx.AsyncClient) -> None:
    log = CtLog(kind)
    fill(log, 0, 300)
    async with CtLogServer(log) as server:
        follower = Follower(server.log_entry(), client)
        start = await follower.start(0)
        assert start.position is not None
        _, caught_up = await drain(follower, start.position)
        assert caught_up.position is not None
        # Same size, another root: a split view.
        log.fork(10, ca().issue(["evil.example"]))
        step = await follower.step(caught_up.position)
        assert step.verdict is Verdict.UNTRUSTED and "fork" in step.detail
        assert step.position == caught_up.position and not step.entries
        # A bigger tree that does not extend the one we saw.
        fill(log, 300, 10)
        step = await follower.step(caught_up.position)
        assert step.verdict is Verdict.UNTRUSTED and "300" in step.detail


@pytest.mark.parametrize("kind", KINDS)
async def test_corrupted_entries_and_tiles_are_untrusted(kind: LogKind, client: httpx.AsyncClient) -> None:
    log = CtLog(kind)
    fill(log, 0, 600)
    async with CtLogServer(log) as server:
        follower = Follower(server.log_entry(), client, batch=256)
        start = await follower.start(0)
        assert start.position is not None
        if kind is LogKind.TILED:
            log.corrupt_data.add(0)
        else:
            log.corrupt_entries.add(3)
        step = await follower.step(start.position)
        assert step.verdict is Verdict.UNTRUSTED and not step.entries, step.detail
        log.corrupt_data.clear()
        log.corrupt_entries.clear()
        if kind is LogKind.TILED:
            log.corrupt_tiles.add((1, 0))  # the level-1 tile: the hash of entries 256-511 is in it
            step = await Follower(server.log_entry(), client, batch=256).step(start.position)
            assert step.verdict is Verdict.UNTRUSTED and "tile" in step.detail
            log.corrupt_tiles.clear()
        step = await Follower(server.log_entry(), client, batch=256).step(start.position)
        assert step.verdict is Verdict.OK and len(step.entries) == 256


@pytest.mark.parametrize("kind", KINDS)
async def test_a_head_signed_with_another_key_is_untrusted(kind: LogKind, client: httpx.AsyncClient) -> None:
    log = CtLog(kind)
    fill(log, 0, 10)
    log.publish(key=ec.generate_private_key(ec.SECP256R1()))
    async with CtLogServer(log) as server:
        step = await Follower(server.log_entry(), client).start(0)
        assert step.verdict is Verdict.UNTRUSTED and "signature" in step.detail and step.position is None


@pytest.mark.parametrize("kind", KINDS)
async def test_an_outage_is_unreachable_and_the_same_position_works_after(
    kind: LogKind, client: httpx.AsyncClient
) -> None:
    log = CtLog(kind)
    fill(log, 0, 20)
    async with CtLogServer(log) as server:
        follower = Follower(server.log_entry(), client)
        start = await follower.start(0)
        assert start.position is not None
        log.fail_next = 1
        step = await follower.step(start.position)
        assert step.verdict is Verdict.UNREACHABLE and step.position == start.position
        names, _ = await drain(follower, start.position)
        assert len(names) == 20


FOLLOW_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from pathlib import Path
    import httpx
    from lookalike.feeds.ct import Follower, Position, Verdict
    from lookalike.feeds.loglist import parse_log_list

    async def main():
        work = Path(sys.argv[1])
        (log,) = parse_log_list((work / "list.json").read_bytes())
        state, out = work / "position.json", work / "names.txt"
        async with httpx.AsyncClient(trust_env=False) as client:
            follower = Follower(log, client, batch=int(sys.argv[2]))
            if state.exists():
                position = Position.from_json(state.read_text())
            else:
                position = (await follower.start(0)).position
            while True:
                step = await follower.step(position)
                if step.verdict is not Verdict.OK or not step.entries:
                    return
                # What the entries gave and the position after them, written together and renamed
                # into place: the store does the same in one transaction.
                tmp = work / "commit.tmp"
                done = out.read_text() if out.exists() else ""
                tmp.write_text(json.dumps({"names": done + "".join(e.names[0] + "\\n" for e in step.entries),
                                           "position": step.position.to_json()}))
                os.replace(tmp, work / "commit.json")
                commit = json.loads((work / "commit.json").read_text())
                out.write_text(commit["names"])
                state.write_text(commit["position"])
                position = step.position
                await asyncio.sleep(float(sys.argv[3]))

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("kind", KINDS)
def test_kill_9_loses_and_repeats_nothing(kind: LogKind, tmp_path: Path) -> None:
    from lookalike.demo.ct_server import log_list_document

    log = CtLog(kind)
    fill(log, 0, 1200)
    with in_background(lambda: CtLogServer(log)) as server:
        (tmp_path / "list.json").write_text(json.dumps(log_list_document([server])))
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent.parent)}
        first = subprocess.Popen([sys.executable, "-c", FOLLOW_SCRIPT, str(tmp_path), "100", "0.2"], env=env)
        deadline = time.monotonic() + 60
        while not (tmp_path / "position.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        seen_before = (tmp_path / "names.txt").read_text().count("\n")
        assert 0 < seen_before < 1200
        subprocess.run(
            [sys.executable, "-c", FOLLOW_SCRIPT, str(tmp_path), "500", "0"], env=env, check=True, timeout=120
        )
    names = (tmp_path / "names.txt").read_text().splitlines()
    assert names == [f"host{i}.example.com" for i in range(1200)]


def test_tile_paths() -> None:
    from lookalike.feeds.ct import tile_path

    assert tile_path(0) == "000"
    assert tile_path(1234067) == "x001/x234/067"
    assert tile_path(1000) == "x001/000"


async def test_many_logs_at_once(client: httpx.AsyncClient) -> None:
    logs = [CtLog(kind) for kind in KINDS]
    for log in logs:
        fill(log, 0, 50)
    async with CtLogServer(logs[0]) as a, CtLogServer(logs[1]) as b:
        followers = [Follower(s.log_entry(), client) for s in (a, b)]
        starts = await asyncio.gather(*(f.start(0) for f in followers))
        steps = await asyncio.gather(
            *(f.step(s.position) for f, s in zip(followers, starts, strict=True) if s.position)
        )
        assert [len(s.entries) for s in steps] == [50, 50]
