"""Telling people what changed: the alert text, the webhook JSON, and the two ways to send them
(an HTTP POST with httpx, a mail through an SMTP relay the user configures).

The text builders are pure. The senders take their endpoint (a URL and a client, a relay address)
as parameters, never raise for network trouble and return an ``Outcome``; a relay or webhook that
cannot be reached is ``TIMEOUT``/``REFUSED``, one that says no is ``ERROR`` with its reason. This
module decides nothing about *whether* to alert: the orchestrator does.

Everything a change line carries came from the outside world (registrar names, SPF records, page
hosts): the alert shows it through ``text.shown`` (one line, control and bidi characters marked),
escaped for Slack in the webhook text, where ``<...>`` would otherwise become a link or a mention.
What a relay or a webhook answers is kept in an outcome's detail through ``text.clean``.
"""

from __future__ import annotations

import asyncio
import email.policy
import ipaddress
import json
import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any, Final

from lookalike import codec
from lookalike.endpoints import HostPort
from lookalike.errors import LookalikeError
from lookalike.model import Change, ChangeKind, Changes, Outcome, ScanInfo, Status
from lookalike.names import to_unicode
from lookalike.text import clean, shown

if TYPE_CHECKING:
    import httpx

NAMES_IN_SUMMARY: Final = 10
"""Names listed per kind in the one-paragraph summary before "and N more"."""

MAX_LINE: Final = 300
"""A line of hostile text in an alert is cut to this many characters."""

RESPONSE_SNIPPET: Final = 200
"""Characters of a webhook's error response quoted in the outcome's detail."""

_HEADINGS: Final = (
    (ChangeKind.NEW, "New"),
    (ChangeKind.ESCALATED, "Escalated"),
    (ChangeKind.CHANGED, "Changed"),
    (ChangeKind.GONE, "Gone"),
)


# --- text -----------------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Slack's three control characters (``&``, ``<``, ``>``) escaped, so hostile text cannot
    make a link or an ``<!channel>`` mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def display_name(domain: str) -> str:
    """``xn--80ak6aa92e.com (аррӏе.com)`` for an IDN, the name itself otherwise: both forms, so
    a reader sees what a browser would show and what it really is."""
    unicode = to_unicode(domain)
    return shown(domain) if unicode == domain else f"{shown(domain)} ({shown(unicode, 100)})"


def _by_kind(changes: Changes) -> list[tuple[str, tuple[Change, ...]]]:
    groups = {
        ChangeKind.NEW: changes.new,
        ChangeKind.ESCALATED: changes.escalated,
        ChangeKind.CHANGED: changes.changed,
        ChangeKind.GONE: changes.gone,
    }
    return [(heading, groups[kind]) for kind, heading in _HEADINGS]


def _counts(changes: Changes) -> str:
    parts = [f"{len(group)} {heading.lower()}" for heading, group in _by_kind(changes) if group]
    return ", ".join(parts) if parts else "nothing changed"


def _since(changes: Changes, scan: ScanInfo) -> str:
    this = f"scan {scan.id}" if scan.id is not None else "this scan"
    started = _utc(scan.started).strftime("%Y-%m-%d %H:%M UTC")
    if scan.of_feeds:
        sources = dict(scan.settings).get("source", "")
        before = f" in names seen in {sources}" if sources else " in names the feeds showed"
    elif changes.previous_id is not None:
        before = f" since scan {changes.previous_id}"
    else:
        before = " (first scan)"
    partial = "; the scan was interrupted, so this is partial" if scan.interrupted else ""
    return f"{before} ({this}, started {started}{partial})"


def _level(change: Change) -> str:
    if change.kind is ChangeKind.ESCALATED and change.before is not None and change.after is not None:
        return f"{change.before} -> {change.after}"
    level = change.after or change.before
    return str(level) if level is not None else ""


def alert_subject(changes: Changes, *, scan: ScanInfo, notes: Sequence[str] = ()) -> str:
    """A mail subject: ``lookalike: 2 new, 1 escalated (scan 12)``; with nothing changed and a
    feed's problem to tell (``notes``), the problem."""
    this = f" (scan {scan.id})" if scan.id is not None else ""
    if notes and not changes:
        more = f" (and {len(notes) - 1} more)" if len(notes) > 1 else ""
        return shown(f"lookalike: {notes[0]}{more}", 200)
    problems = f", {len(notes)} feed problem{'s' if len(notes) > 1 else ''}" if notes else ""
    return shown(f"lookalike: {_counts(changes)}{problems}{this}", 200)


def alert_text(changes: Changes, *, scan: ScanInfo, report: str | None, notes: Sequence[str] = ()) -> str:
    """The plain-text alert: a summary line, the report path, the feeds' problems (``notes``: a CT
    log skipped because it served a forked head ...), then every change with what changed."""
    lines = [f"lookalike: {_counts(changes)}{_since(changes, scan)}."]
    if report:
        lines.append(f"Report: {shown(report, 1000)}")
    if notes:
        lines += ["", "Feeds"]
        lines += [f"  - {shown(note, MAX_LINE)}" for note in notes]
    for heading, group in _by_kind(changes):
        if not group:
            continue
        lines += ["", heading]
        for change in group:
            level = _level(change)
            lines.append(
                f"  {display_name(change.domain)}  (lookalike of {change.protected}"
                f"{', ' + level if level else ''})"
            )
            lines += [f"    - {shown(what, MAX_LINE)}" for what in change.what]
    if changes.suppressed:
        names = shown(", ".join(changes.suppressed[:NAMES_IN_SUMMARY]))
        more = len(changes.suppressed) - NAMES_IN_SUMMARY
        lines += [
            "",
            f"Left out ({len(changes.suppressed)}: flapping, unconfirmed, or triaged and unchanged): "
            f"{names}{f' and {more} more' if more > 0 else ''}",
        ]
    return "\n".join(lines) + "\n"


def _slack_summary(changes: Changes, *, scan: ScanInfo, report: str | None, notes: Sequence[str] = ()) -> str:
    """One paragraph, Slack-escaped: counts, the feeds' problems, the names per kind, the report path."""
    parts = [f"lookalike: {_counts(changes)}{_since(changes, scan)}."]
    parts += [f"{shown(note, MAX_LINE)}." for note in notes]
    for heading, group in _by_kind(changes):
        if not group:
            continue
        items = []
        for change in group[:NAMES_IN_SUMMARY]:
            level = _level(change)
            items.append(f"{display_name(change.domain)}{f' ({level})' if level else ''}")
        more = len(group) - NAMES_IN_SUMMARY
        parts.append(f"{heading}: {', '.join(items)}{f' and {more} more' if more > 0 else ''}.")
    if report:
        parts.append(f"Report: {shown(report, 1000)}")
    return slack_escape(" ".join(parts))


def alert_payload(
    changes: Changes, *, scan: ScanInfo, report: str | None, notes: Sequence[str] = ()
) -> dict[str, Any]:
    """The webhook's JSON: ``text`` (a Slack-compatible one-paragraph summary with the report
    path), then the scan, the counts, the feeds' problems (``notes``), and every change in full for
    programs."""
    return {
        "text": _slack_summary(changes, scan=scan, report=report, notes=notes),
        "notes": [shown(note, MAX_LINE) for note in notes],
        "scan": {
            "id": scan.id,
            "previous_id": changes.previous_id,
            "started": codec.encode(scan.started),
            "finished": codec.encode(scan.finished),
            "interrupted": scan.interrupted,
            "version": scan.version,
            "protected": [p.domain for p in scan.protected],
            "source": dict(scan.settings).get("source", "generate"),
        },
        "report": report,
        "counts": {
            "new": len(changes.new),
            "escalated": len(changes.escalated),
            "changed": len(changes.changed),
            "gone": len(changes.gone),
            "suppressed": len(changes.suppressed),
        },
        "changes": [
            {
                "kind": change.kind.value,
                "domain": change.domain,
                "unicode": to_unicode(change.domain),
                "protected": change.protected,
                "before": codec.encode(change.before),
                "after": codec.encode(change.after),
                "what": [shown(w, MAX_LINE) for w in change.what],
            }
            for change in changes.all
        ],
        "suppressed": list(changes.suppressed),
    }


# --- webhook --------------------------------------------------------------------------------------


async def post_webhook(
    url: str,
    payload: Mapping[str, Any],
    *,
    client: httpx.AsyncClient,
    timeout: float = 10.0,
    retries: int = 1,
    backoff: float = 2.0,
) -> Outcome[int]:
    """POST ``payload`` as JSON to ``url``. OK with the HTTP status on 2xx. A timeout or a refusal
    (connection refused, 429, 5xx) is tried again ``retries`` times after ``backoff`` seconds
    (doubling); any other answer is an ERROR with the status and the start of the response.
    Redirects are not followed: a webhook URL should be the final one."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    attempt = 0
    while True:
        outcome = await _post_once(url, body, client=client, timeout=timeout)
        if outcome.status not in (Status.TIMEOUT, Status.REFUSED) or attempt >= retries:
            return outcome
        await asyncio.sleep(backoff * 2**attempt)
        attempt += 1


async def _post_once(url: str, body: bytes, *, client: httpx.AsyncClient, timeout: float) -> Outcome[int]:
    import httpx  # imported by the one function that posts: a scan without a webhook never loads it

    headers = {"Content-Type": "application/json; charset=utf-8"}
    try:
        async with asyncio.timeout(timeout):
            async with client.stream(
                "POST", url, content=body, headers=headers, timeout=timeout, follow_redirects=False
            ) as response:
                code = response.status_code
                snippet = b""
                async for chunk in response.aiter_bytes():
                    snippet += chunk
                    if len(snippet) >= RESPONSE_SNIPPET * 4:
                        break
    except (TimeoutError, httpx.TimeoutException):
        return Outcome(Status.TIMEOUT, None, f"the webhook did not answer within {timeout:g}s")
    except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        return Outcome(Status.REFUSED, None, f"the webhook connection failed: {clean(str(exc), 200)}")
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        return Outcome(Status.ERROR, None, f"the webhook URL is not usable: {clean(str(exc), 200)}")
    except httpx.HTTPError as exc:
        return Outcome(Status.ERROR, None, f"the webhook request failed: {clean(str(exc), 200)}")
    text = clean(snippet.decode("utf-8", "replace"), RESPONSE_SNIPPET)
    if 200 <= code < 300:
        return Outcome(Status.OK, code, text)
    if code == 429 or code >= 500:
        return Outcome(Status.REFUSED, code, f"HTTP {code}: {text}")
    if 300 <= code < 400:
        location = clean(response.headers.get("location", ""), 200)
        return Outcome(Status.ERROR, code, f"HTTP {code}: the webhook redirects to {location}; give that URL")
    return Outcome(Status.ERROR, code, f"HTTP {code}: {text}")


# --- mail -----------------------------------------------------------------------------------------


def build_message(
    *, sender: str, recipients: Sequence[str], subject: str, body: str, when: datetime | None = None
) -> EmailMessage:
    """The alert mail: plain UTF-8 text. Raises ``LookalikeError`` for an address a header cannot
    hold (a line break in it would let it forge headers)."""
    for address in (sender, *recipients):
        if not address or any(ch in address for ch in "\r\n\0") or "@" not in address:
            raise LookalikeError(f"{address!r} is not a mail address lookalike can send from or to")
    if not recipients:
        raise LookalikeError("give at least one mail recipient")
    # CRLF line ends as RFC 5321 requires: smtplib sends a bytes message as it is, and bare LFs
    # are what SMTP smuggling is made of.
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = shown(subject, 250)
    message["Date"] = format_datetime(when or datetime.now(UTC))
    # make_msgid() would ask the resolver for this host's FQDN; the sender's domain needs no lookup.
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or "lookalike.invalid")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    message.set_content(body, charset="utf-8")
    return message


async def send_mail(
    relay: HostPort,
    *,
    sender: str,
    recipients: Sequence[str],
    subject: str,
    body: str,
    starttls: bool = False,
    username: str | None = None,
    password: str | None = None,
    timeout: float = 10.0,
    helo: str | None = None,
    tls_context: ssl.SSLContext | None = None,
) -> Outcome[str]:
    """Send one plain-text mail through ``relay``. OK with the relay's reply to the message (its
    queue id, usually); REFUSED when the relay cannot be reached or answers 4xx; TIMEOUT; ERROR
    for a 5xx, a TLS or login failure. ``starttls`` requires STARTTLS (verified against
    ``tls_context``, the system's CAs by default). A password is sent only over STARTTLS, or to a
    relay on loopback. ``helo`` defaults to this host's name (no DNS lookup). Configuration
    mistakes (a password without STARTTLS, an address with a line break) raise ``LookalikeError``
    before anything is sent."""
    message = build_message(sender=sender, recipients=recipients, subject=subject, body=body)
    if username is not None and not starttls and not _loopback(relay.host):
        raise LookalikeError(
            f"refusing to send the SMTP password to {relay} in clear text: enable STARTTLS for the relay"
        )
    return await asyncio.to_thread(
        _send_blocking,
        relay,
        message,
        sender=sender,
        recipients=list(recipients),
        starttls=starttls,
        username=username,
        password=password,
        timeout=timeout,
        helo=helo or socket.gethostname() or "localhost",
        tls_context=tls_context,
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _send_blocking(
    relay: HostPort,
    message: EmailMessage,
    *,
    sender: str,
    recipients: list[str],
    starttls: bool,
    username: str | None,
    password: str | None,
    timeout: float,
    helo: str,
    tls_context: ssl.SSLContext | None,
) -> Outcome[str]:
    try:
        with smtplib.SMTP(relay.host, relay.port, local_hostname=helo, timeout=timeout) as smtp:
            smtp.ehlo()
            if starttls:
                context = tls_context or ssl.create_default_context()
                smtp.starttls(context=context)
                smtp.ehlo()
            if username is not None:
                smtp.login(username, password or "")
            code, reply = smtp.mail(sender)
            if code != 250:
                return _smtp_refusal("MAIL FROM", code, reply)
            accepted, refused = [], []
            for rcpt in recipients:
                code, reply = smtp.rcpt(rcpt)
                if code in (250, 251):
                    accepted.append(rcpt)
                else:
                    refused.append(f"{rcpt} ({code} {_reply(reply)})")
            if not accepted:
                smtp.rset()
                return Outcome(
                    Status.REFUSED if code // 100 == 4 else Status.ERROR,
                    None,
                    f"the relay refused every recipient: {'; '.join(refused)}",
                )
            code, reply = smtp.data(message.as_bytes())
            if code != 250:
                return _smtp_refusal("DATA", code, reply)
    except smtplib.SMTPNotSupportedError:
        return Outcome(Status.ERROR, None, f"{relay} does not offer STARTTLS")
    except smtplib.SMTPAuthenticationError as exc:
        return Outcome(
            Status.ERROR, None, f"{relay} refused the login: {exc.smtp_code} {_reply(exc.smtp_error)}"
        )
    except smtplib.SMTPResponseException as exc:
        return _smtp_refusal("the dialogue", exc.smtp_code, exc.smtp_error)
    except ssl.SSLError as exc:
        return Outcome(Status.ERROR, None, f"TLS with {relay} failed: {clean(str(exc), 200)}")
    except TimeoutError:
        return Outcome(Status.TIMEOUT, None, f"{relay} did not answer within {timeout:g}s")
    except smtplib.SMTPServerDisconnected as exc:
        return Outcome(Status.REFUSED, None, f"{relay} hung up: {clean(str(exc), 200)}")
    except smtplib.SMTPException as exc:
        return Outcome(Status.ERROR, None, f"{relay}: {clean(str(exc), 200)}")
    except OSError as exc:
        return Outcome(Status.REFUSED, None, f"cannot reach {relay}: {exc.strerror or exc}")
    detail = f"refused: {'; '.join(refused)}" if refused else ""
    return Outcome(Status.OK, f"{code} {_reply(reply)}", detail)


def _reply(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return clean(text, 200)


def _smtp_refusal(step: str, code: int, reply: bytes | str) -> Outcome[str]:
    status = Status.REFUSED if 400 <= code < 500 else Status.ERROR
    return Outcome(status, None, f"the relay refused {step}: {code} {_reply(reply)}")


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
