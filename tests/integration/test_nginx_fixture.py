"""The nginx fixture itself: it serves a directory over HTTP and HTTPS with its throwaway CA, picks a
server by Host, takes extra configuration, logs each request, and leaves nothing running."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from tests.fixtures.nginx import start_nginx


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "www"
    root.mkdir()
    (root / "index.html").write_text("<title>default</title>", "utf-8")
    (root / "payload.zip").write_bytes(b"PK\x03\x04" + bytes(100))
    return root


def test_serves_http_and_https_by_host_with_extra_config(tmp_path: Path, site: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "index.html").write_text("<title>other</title>", "utf-8")
    with start_nginx(
        tmp_path / "nginx",
        site,
        tls=True,
        sites={"other.test": other},
        extra_server="location = /old { return 301 /index.html; }",
    ) as web:
        assert web.ca is not None
        context = ssl.create_default_context()
        web.ca.configure_trust(context)
        with httpx.Client(verify=context, trust_env=False) as client:
            assert "default" in client.get(web.url("/")).text
            assert "other" in client.get(web.url("/"), headers={"Host": "other.test"}).text
            secure = client.get(web.url("/", tls=True), headers={"Host": "other.test"})
            assert secure.status_code == 200
            assert "other" in secure.text
            moved = client.get(web.url("/old"))
            assert moved.status_code == 301
            assert moved.headers["location"].endswith("/index.html")
            download = client.get(web.url("/payload.zip"))
            assert download.headers["content-type"] == "application/zip"
            assert client.get(web.url("/missing")).status_code == 404
        log = web.requests()
        assert log[0] == '127.0.0.1 "GET / HTTP/1.1" 200'
        assert 'other.test "GET / HTTP/1.1" 200' in log
        assert any('"GET /missing HTTP/1.1" 404' in line for line in log)
        process = web.process
    assert process.poll() is not None, "nginx is stopped when the block ends"


def test_two_servers_side_by_side(tmp_path: Path, site: Path) -> None:
    with (
        start_nginx(tmp_path / "a", site) as first,
        start_nginx(tmp_path / "b", site, address="127.0.0.2") as second,
    ):
        assert first.http_port != second.http_port or first.address != second.address
        for web in (first, second):
            assert httpx.get(web.url("/"), trust_env=False).status_code == 200
