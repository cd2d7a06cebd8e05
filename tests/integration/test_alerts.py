"""Sending alerts for real: a loopback HTTP server receives the webhook, a loopback aiosmtpd relay
receives the mail."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from lookalike.alerts import alert_payload, alert_subject, alert_text, post_webhook, send_mail
from lookalike.diff import compare
from lookalike.endpoints import HostPort
from lookalike.errors import LookalikeError
from lookalike.model import Level, ScanResult, Status
from tests.fixtures.store import SmtpRelay, WebhookServer, finding, scan

REPORT = "/var/lib/lookalike/reports/today.html"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as c:
        yield c


def _scans() -> tuple[ScanResult, ScanResult]:
    """Yesterday and today: kestrel.ga got an MX and a catch-all and rose to high, kestrel.ml
    appeared, kestrel.tk went away."""
    previous = scan([finding("kestrel.ga", catch_all=False), finding("kestrel.tk")], scan_id=1)
    current = scan(
        [
            finding("kestrel.ga", mx=("mx1.kestrel.ga",), catch_all=True, level=Level.HIGH),
            finding("kestrel.ml", mx=("mx1.kestrel.ml",), level=Level.CRITICAL),
        ],
        scan_id=2,
        day=1,
    )
    return previous, current


def _payload() -> dict[str, Any]:
    previous, current = _scans()
    return alert_payload(compare(previous, current), scan=current.info, report=REPORT)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# --- webhook ----------------------------------------------------------------------------------------


async def test_the_webhook_receives_the_payload(
    webhook_server: WebhookServer, client: httpx.AsyncClient
) -> None:
    payload = _payload()
    outcome = await post_webhook(webhook_server.url, payload, client=client)
    assert outcome.status is Status.OK
    assert outcome.value == 200
    (request,) = webhook_server.requests
    assert request.method == "POST"
    assert request.path == "/hooks/lookalike"
    assert request.headers["content-type"].startswith("application/json")
    body = request.json()
    assert body == payload
    assert body["counts"] == {"new": 1, "escalated": 1, "changed": 0, "gone": 1, "suppressed": 0}
    assert [(c["kind"], c["domain"]) for c in body["changes"]] == [
        ("new", "kestrel.ml"),
        ("escalated", "kestrel.ga"),
        ("gone", "kestrel.tk"),
    ]
    assert body["changes"][1]["what"] == [
        "MX added: mx1.kestrel.ga",
        "mail route implicit -> mx",
        "catch-all started: accepts mail for any address at kestrel.ga",
        "level medium -> high",
    ]
    assert body["text"].endswith(f"Report: {REPORT}")


async def test_a_busy_webhook_is_tried_again(
    webhook_server: WebhookServer, client: httpx.AsyncClient
) -> None:
    webhook_server.statuses = [503, 200]
    outcome = await post_webhook(webhook_server.url, {"text": "x"}, client=client, backoff=0.01)
    assert (outcome.status, outcome.value) == (Status.OK, 200)
    assert len(webhook_server.requests) == 2


async def test_a_webhook_that_stays_busy_is_refused(
    webhook_server: WebhookServer, client: httpx.AsyncClient
) -> None:
    webhook_server.statuses = [429]
    outcome = await post_webhook(webhook_server.url, {"text": "x"}, client=client, retries=2, backoff=0.01)
    assert (outcome.status, outcome.value) == (Status.REFUSED, 429)
    assert len(webhook_server.requests) == 3


async def test_a_webhook_that_says_no_is_an_error_not_retried(
    webhook_server: WebhookServer, client: httpx.AsyncClient
) -> None:
    webhook_server.statuses = [404]
    webhook_server.body = b"no_service\x1b[31m"
    outcome = await post_webhook(webhook_server.url, {"text": "x"}, client=client, backoff=0.01)
    assert outcome.status is Status.ERROR
    assert outcome.value == 404
    assert outcome.detail == "HTTP 404: no_service [31m"
    assert len(webhook_server.requests) == 1


async def test_a_redirecting_webhook_is_not_followed(
    webhook_server: WebhookServer, client: httpx.AsyncClient
) -> None:
    webhook_server.statuses = [301]
    webhook_server.headers = {"Location": "http://127.0.0.1:9/elsewhere"}
    outcome = await post_webhook(webhook_server.url, {"text": "x"}, client=client)
    assert outcome.status is Status.ERROR
    assert "redirects to http://127.0.0.1:9/elsewhere" in outcome.detail
    assert len(webhook_server.requests) == 1


async def test_a_slow_webhook_times_out(webhook_server: WebhookServer, client: httpx.AsyncClient) -> None:
    webhook_server.delay = 2.0
    outcome = await post_webhook(webhook_server.url, {"text": "x"}, client=client, timeout=0.2, retries=0)
    assert outcome.status is Status.TIMEOUT


async def test_a_closed_port_is_refused(client: httpx.AsyncClient) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/hook"
    outcome = await post_webhook(url, {"text": "x"}, client=client, retries=1, backoff=0.01)
    assert outcome.status is Status.REFUSED


async def test_a_bad_url_is_an_error(client: httpx.AsyncClient) -> None:
    outcome = await post_webhook("ftp://127.0.0.1/x", {"text": "x"}, client=client)
    assert outcome.status is Status.ERROR


# --- mail -------------------------------------------------------------------------------------------


async def test_the_relay_receives_the_alert_mail(smtp_relay: SmtpRelay) -> None:
    previous, current = _scans()
    changes = compare(previous, current)
    subject = alert_subject(changes, scan=current.info)
    body = alert_text(changes, scan=current.info, report=REPORT)
    outcome = await send_mail(
        smtp_relay.address,
        sender="lookalike@kestrel.mil",
        recipients=["soc@kestrel.mil", "cert@kestrel.mil"],
        subject=subject,
        body=body,
        helo="scanner.kestrel.mil",
    )
    assert outcome.status is Status.OK, outcome.detail
    assert outcome.value == "250 2.0.0 Ok: queued as TEST1"
    (envelope,) = smtp_relay.envelopes
    assert envelope.mail_from == "lookalike@kestrel.mil"
    assert envelope.rcpt_tos == ["soc@kestrel.mil", "cert@kestrel.mil"]
    (message,) = smtp_relay.messages
    assert message["Subject"] == "lookalike: 1 new, 1 escalated, 1 gone (scan 2)"
    assert message["To"] == "soc@kestrel.mil, cert@kestrel.mil"
    text = message.get_content()
    assert text == body
    assert "  kestrel.ml  (lookalike of kestrel.mil, critical)" in text
    assert "    - catch-all started: accepts mail for any address at kestrel.ga" in text
    assert f"Report: {REPORT}" in text


async def test_a_line_with_a_lone_dot_survives(smtp_relay: SmtpRelay) -> None:
    body = "first\n.\nlast line with ünïcode\n"
    outcome = await send_mail(
        smtp_relay.address, sender="a@kestrel.mil", recipients=["b@kestrel.mil"], subject="s", body=body
    )
    assert outcome.status is Status.OK
    assert smtp_relay.messages[0].get_content() == body


async def test_some_recipients_refused_is_ok_with_a_note(smtp_relay: SmtpRelay) -> None:
    outcome = await send_mail(
        smtp_relay.address,
        sender="a@kestrel.mil",
        recipients=["gone@refused.example", "soc@kestrel.mil"],
        subject="s",
        body="b",
    )
    assert outcome.status is Status.OK
    assert "gone@refused.example (550" in outcome.detail
    assert smtp_relay.envelopes[0].rcpt_tos == ["soc@kestrel.mil"]


async def test_all_recipients_refused_is_an_error(smtp_relay: SmtpRelay) -> None:
    outcome = await send_mail(
        smtp_relay.address, sender="a@kestrel.mil", recipients=["x@refused.example"], subject="s", body="b"
    )
    assert outcome.status is Status.ERROR
    assert "refused every recipient" in outcome.detail
    assert smtp_relay.envelopes == []


async def test_a_relay_that_refuses_the_message(smtp_relay: SmtpRelay) -> None:
    smtp_relay.refuse = "451 4.3.0 try again later"
    temporary = await send_mail(
        smtp_relay.address, sender="a@kestrel.mil", recipients=["b@kestrel.mil"], subject="s", body="b"
    )
    assert temporary.status is Status.REFUSED
    assert "451" in temporary.detail
    smtp_relay.refuse = "554 5.7.1 spam"
    permanent = await send_mail(
        smtp_relay.address, sender="a@kestrel.mil", recipients=["b@kestrel.mil"], subject="s", body="b"
    )
    assert permanent.status is Status.ERROR
    assert "554 5.7.1 spam" in permanent.detail


async def test_an_unreachable_relay_is_refused() -> None:
    outcome = await send_mail(
        HostPort("127.0.0.1", _closed_port()), sender="a@x.mil", recipients=["b@x.mil"], subject="s", body="b"
    )
    assert outcome.status is Status.REFUSED


async def test_starttls_and_login(smtp_relay_tls: SmtpRelay) -> None:
    outcome = await send_mail(
        smtp_relay_tls.address,
        sender="a@kestrel.mil",
        recipients=["b@kestrel.mil"],
        subject="over TLS",
        body="b",
        starttls=True,
        username="lookalike",
        password="s3cret",
        tls_context=smtp_relay_tls.client_context,
    )
    assert outcome.status is Status.OK, outcome.detail
    assert smtp_relay_tls.logins == [("lookalike", "s3cret")]
    assert smtp_relay_tls.messages[0]["Subject"] == "over TLS"


async def test_a_wrong_password_is_an_error(smtp_relay_tls: SmtpRelay) -> None:
    outcome = await send_mail(
        smtp_relay_tls.address,
        sender="a@kestrel.mil",
        recipients=["b@kestrel.mil"],
        subject="s",
        body="b",
        starttls=True,
        username="lookalike",
        password="wrong",
        tls_context=smtp_relay_tls.client_context,
    )
    assert outcome.status is Status.ERROR
    assert "refused the login: 535" in outcome.detail
    assert smtp_relay_tls.envelopes == []


async def test_an_untrusted_certificate_is_an_error(smtp_relay_tls: SmtpRelay) -> None:
    outcome = await send_mail(
        smtp_relay_tls.address, sender="a@k.mil", recipients=["b@k.mil"], subject="s", body="b", starttls=True
    )
    assert outcome.status is Status.ERROR
    assert "TLS" in outcome.detail
    assert smtp_relay_tls.envelopes == []


async def test_starttls_required_but_not_offered(smtp_relay: SmtpRelay) -> None:
    outcome = await send_mail(
        smtp_relay.address, sender="a@k.mil", recipients=["b@k.mil"], subject="s", body="b", starttls=True
    )
    assert outcome.status is Status.ERROR
    assert "does not offer STARTTLS" in outcome.detail


async def test_a_password_is_never_sent_in_clear_off_loopback() -> None:
    with pytest.raises(LookalikeError, match="clear text"):
        await send_mail(
            HostPort("192.0.2.1", 587),
            sender="a@k.mil",
            recipients=["b@k.mil"],
            subject="s",
            body="b",
            username="u",
            password="p",
        )


async def test_addresses_that_could_forge_headers_are_refused() -> None:
    with pytest.raises(LookalikeError, match="not a mail address"):
        await send_mail(
            HostPort("127.0.0.1", 25),
            sender="a@k.mil\r\nBcc: x@evil",
            recipients=["b@k.mil"],
            subject="s",
            body="b",
        )
