"""update-data against a loopback HTTP server: the refreshed files are installed and then used."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from lookalike import names
from lookalike.cli import app
from lookalike.datafiles import RDAP_BOOTSTRAP, TLDS
from lookalike.demo.background import in_background
from lookalike.demo.rdap_server import RdapResponse, RdapServer
from lookalike.errors import LookalikeError
from lookalike.rdap import Bootstrap, update_data

SHIPPED = Path(__file__).resolve().parent.parent.parent / "lookalike" / "data"
PUBLICATION = "2031-01-02T03:04:05Z"


def fresh_bootstrap() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SHIPPED / RDAP_BOOTSTRAP).read_text("utf-8"))
    data["publication"] = PUBLICATION
    data["services"].append([["kestreltest"], ["https://rdap.nic.kestreltest.example/"]])
    return data


def fresh_tlds() -> str:
    return (SHIPPED / TLDS).read_text("ascii") + "KESTRELTEST\n"


def iana_files(bootstrap: object = None, tlds: str | None = None) -> dict[str, RdapResponse]:
    return {
        "/rdap/dns.json": RdapResponse(
            body=json.dumps(bootstrap if bootstrap is not None else fresh_bootstrap()),
            content_type="application/json",
        ),
        "/TLD/tlds-alpha-by-domain.txt": RdapResponse(
            body=tlds if tlds is not None else fresh_tlds(), content_type="text/plain"
        ),
    }


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """LOOKALIKE_DATA_DIR in a temporary directory; the TLD cache cleared before and after."""
    directory = tmp_path / "data"
    monkeypatch.setenv("LOOKALIKE_DATA_DIR", str(directory))
    names.tlds.cache_clear()
    yield directory
    names.tlds.cache_clear()


async def test_update_data_installs_files_the_loaders_use(data_dir: Path) -> None:
    assert "kestreltest" not in names.tlds()
    async with RdapServer(iana_files()) as server, httpx.AsyncClient(trust_env=False) as client:
        lines = await update_data(
            rdap_url=f"{server.base_url}rdap/dns.json",
            tlds_url=f"{server.base_url}TLD/tlds-alpha-by-domain.txt",
            dest=data_dir,
            client=client,
        )
    assert len(lines) == 2
    assert PUBLICATION in lines[0]
    assert (data_dir / RDAP_BOOTSTRAP).is_file()
    assert (data_dir / TLDS).is_file()
    assert not [p for p in data_dir.iterdir() if p.name.startswith(".")]  # no temporary files left
    bootstrap = Bootstrap.load()
    assert bootstrap.publication == PUBLICATION
    assert bootstrap.urls("nic.kestreltest") == ("https://rdap.nic.kestreltest.example/",)
    names.tlds.cache_clear()
    assert "kestreltest" in names.tlds()
    assert names.parse("kestrel.kestreltest").tld == "kestreltest"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (iana_files(tlds="# Version 1\nCOM\nNET\n"), "lists only 2 TLDs"),
        (iana_files(bootstrap={"services": []}), "lists no RDAP services"),
        (iana_files(bootstrap=[1]), "not an RDAP bootstrap"),
        ({"/TLD/tlds-alpha-by-domain.txt": RdapResponse(body=fresh_tlds())}, "HTTP 404"),
        (
            {**iana_files(), "/rdap/dns.json": RdapResponse(body="{", content_type="application/json")},
            "not valid JSON",
        ),
    ],
)
async def test_nothing_is_written_unless_both_files_look_right(
    data_dir: Path, files: dict[str, RdapResponse], message: str
) -> None:
    async with RdapServer(files) as server, httpx.AsyncClient(trust_env=False) as client:
        with pytest.raises(LookalikeError, match=message):
            await update_data(
                rdap_url=f"{server.base_url}rdap/dns.json",
                tlds_url=f"{server.base_url}TLD/tlds-alpha-by-domain.txt",
                dest=data_dir,
                client=client,
            )
    assert not data_dir.exists() or not list(data_dir.iterdir())


def test_cli(data_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    with in_background(lambda: RdapServer(iana_files())) as server:
        urls = [
            "--rdap-url",
            f"{server.base_url}rdap/dns.json",
            "--tlds-url",
            f"{server.base_url}TLD/tlds-alpha-by-domain.txt",
            "--ct-log-list-url",
            "",
        ]
        result = runner.invoke(app, ["update-data", *urls])
        assert result.exit_code == 0, result.output
        assert str(data_dir / RDAP_BOOTSTRAP) in result.output
        assert Bootstrap.load().publication == PUBLICATION

        elsewhere = tmp_path / "elsewhere"
        result = runner.invoke(app, ["update-data", *urls, "--dest", str(elsewhere)])
        assert result.exit_code == 0, result.output
        assert (elsewhere / TLDS).is_file()

        server.update({"/TLD/tlds-alpha-by-domain.txt": RdapResponse(status=503)})
        result = runner.invoke(app, ["update-data", *urls, "--dest", str(tmp_path / "never")])
        assert result.exit_code == 2
        assert "HTTP 503" in result.output
        assert not (tmp_path / "never").exists()

        result = runner.invoke(app, ["update-data", *urls, "--resolver", "dns.example"])
        assert result.exit_code == 2
