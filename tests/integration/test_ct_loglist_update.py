"""update-data refreshes the CT log list from a loopback server: Google's recorded list and signature
install; a list whose signature does not verify installs nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from lookalike.cli import app
from lookalike.demo.background import in_background
from lookalike.demo.rdap_server import RdapResponse, RdapServer
from lookalike.errors import LookalikeError
from lookalike.feeds import loglist

DATA = Path(__file__).resolve().parent.parent.parent / "lookalike" / "data"


def files(tamper: bool = False) -> dict[str, RdapResponse]:
    data = (DATA / "ct-log-list.json").read_bytes()
    if tamper:
        data = data.replace(b"Argon2026h2", b"Argon2026h3")
    return {
        "/v3/all_logs_list.json": RdapResponse(body=data, content_type="application/json"),
        "/v3/all_logs_list.sig": RdapResponse(body=(DATA / "ct-log-list.sig").read_bytes(), content_type="x"),
    }


async def test_a_signed_list_installs_and_a_tampered_one_does_not(tmp_path: Path) -> None:
    async with RdapServer(files(tamper=True)) as server, httpx.AsyncClient(trust_env=False) as client:
        url = f"{server.base_url}v3/all_logs_list.json"
        with pytest.raises(LookalikeError, match="signature does not verify"):
            await loglist.update_log_list(url=url, dest=tmp_path, client=client, resolve=None, timeout=10)
        assert not list(tmp_path.iterdir())
        server.update(files())
        line = await loglist.update_log_list(url=url, dest=tmp_path, client=client, resolve=None, timeout=10)
    assert "static-ct-api" in line and "89.25" in line
    assert len(loglist.load(tmp_path / loglist.LOG_LIST)) == len(loglist.load())


def test_update_data_cli_refreshes_the_log_list(tmp_path: Path) -> None:
    with in_background(lambda: RdapServer(files())) as server:
        result = CliRunner().invoke(
            app,
            [
                "update-data",
                "--rdap-url",
                f"{server.base_url}missing.json",
                "--ct-log-list-url",
                f"{server.base_url}v3/all_logs_list.json",
                "--dest",
                str(tmp_path),
            ],
        )
    assert result.exit_code == 2  # the RDAP bootstrap is missing: nothing is written at all
    assert not (tmp_path / loglist.LOG_LIST).exists()
