"""Reading SMTP replies by their RFC 3463 enhanced status codes (``smtp.read_reply``), pure.

Real replies from Postfix, Exim, Sendmail, qmail, Exchange and Gmail, as their documentation and
bounce messages show them, and properties over made-up ones.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookalike.errors import LookalikeError
from lookalike.model import SmtpVerdict
from lookalike.smtp import check_helo, enhanced_code, read_reply

V = SmtpVerdict


@pytest.mark.parametrize(
    ("lines", "verdict", "accepts", "enhanced"),
    [
        (["250 2.1.5 Ok"], V.CATCH_ALL, True, "2.1.5"),
        (["250 Accepted"], V.CATCH_ALL, True, None),  # Exim: no enhanced codes
        (["251 2.1.5 User not local; will forward"], V.CATCH_ALL, True, "2.1.5"),
        (
            ["550 5.1.1 <x@kestrelsytems.com>: Recipient address rejected: User unknown in virtual mailbox"],
            V.REJECTS_UNKNOWN,
            False,
            "5.1.1",
        ),
        (
            [
                "550-5.1.1 The email account that you tried to reach does not exist. Please try",
                "550-5.1.1 double-checking the recipient's email address for typos or",
                "550 5.1.1 unnecessary spaces.",
            ],
            V.REJECTS_UNKNOWN,
            False,
            "5.1.1",
        ),  # Gmail
        (["550 Unrouteable address"], V.REJECTS_UNKNOWN, False, None),  # bare 5xx: read as before
        (["554 5.7.1 <x@kestrel-systems.com>: Relay access denied"], V.NOT_SERVED, None, "5.7.1"),
        (["454 4.7.1 <x@kestrel-systems.com>: Relay access denied"], V.NOT_SERVED, None, "4.7.1"),
        (["550 relay not permitted"], V.NOT_SERVED, None, None),  # Exim's default configuration
        (["550 5.7.1 <x@kestrel-systems.com>... Relaying denied"], V.NOT_SERVED, None, "5.7.1"),  # Sendmail
        (
            ["553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"],
            V.NOT_SERVED,
            None,
            "5.7.1",
        ),
        (["550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"], V.NOT_SERVED, None, "5.7.54"),
        (
            ["550 5.1.2 Host unknown (Name server: kestrel-systems.com: host not found)"],
            V.NOT_SERVED,
            None,
            "5.1.2",
        ),
        (["556 5.1.10 Recipient address has null MX"], V.NOT_SERVED, None, "5.1.10"),
        (
            ["554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org"],
            V.REFUSED,
            None,
            "5.7.1",
        ),
        (["550 5.4.1 Recipient address rejected: Access denied"], V.REFUSED, None, "5.4.1"),
        (["552 5.2.2 Mailbox full"], V.REFUSED, None, "5.2.2"),
        (
            ["450 4.2.0 <x@kestrelsytems.com>: Recipient address rejected: Greylisted"],
            V.DEFERRED,
            None,
            "4.2.0",
        ),
        (["451 Temporary local problem - please try later"], V.DEFERRED, None, None),
        (["421 4.7.0 mx Error: too many errors"], V.DEFERRED, None, "4.7.0"),
        (
            ["450 4.7.1 <probe.lookalike.invalid>: Helo command rejected: Host not found"],
            V.HELO_REFUSED,
            None,
            "4.7.1",
        ),
        (
            ["504 5.5.2 <probe>: Helo command rejected: need fully-qualified hostname"],
            V.HELO_REFUSED,
            None,
            "5.5.2",
        ),
        (["550 4.1.1 a class that does not match the code"], V.REJECTS_UNKNOWN, False, None),
        # A sender refusal that Postfix delays to RCPT (smtpd_delay_reject): not about the recipient.
        (["550 5.1.8 <>: Sender address rejected: Domain not found"], V.REFUSED, None, "5.1.8"),
        (["553 5.1.7 <x>: Sender address rejected: bad syntax"], V.REFUSED, None, "5.1.7"),
    ],
)
def test_rcpt_replies(
    lines: list[str], verdict: SmtpVerdict, accepts: bool | None, enhanced: str | None
) -> None:
    code = int(lines[0][:3])
    reading = read_reply("RCPT", code, lines, domain="kestrel-systems.com", helo="probe.lookalike.invalid")
    assert (reading.verdict, reading.accepts, reading.enhanced) == (verdict, accepts, enhanced)
    assert reading.definitive is (accepts is not None)
    assert f'"{lines[0]}' in reading.reason  # the server's own words, quoted


def test_the_reason_says_what_was_decided() -> None:
    read = read_reply(
        "RCPT", 554, ["554 5.7.1 <x@kestrel-systems.com>: Relay access denied"], domain="kestrel-systems.com"
    )
    assert read.reason == (
        "does not serve kestrel-systems.com (554 5.7.1): "
        '"554 5.7.1 <x@kestrel-systems.com>: Relay access denied"'
    )
    read = read_reply("RCPT", 554, ["554 5.7.1 Client host blocked using dnsbl.invalid"])
    assert read.reason.startswith("refused the recipient (554 5.7.1: policy), not because of the address")
    read = read_reply("RCPT", 550, ["550 No such user"])
    assert "no enhanced status code: read as an unknown recipient" in read.reason


@pytest.mark.parametrize(
    ("stage", "code", "line", "verdict"),
    [
        ("EHLO", 550, "550 5.7.1 <x>: Helo command rejected: Host not found", V.HELO_REFUSED),
        ("HELO", 501, "501 Syntactically invalid HELO argument(s)", V.HELO_REFUSED),  # Exim
        ("EHLO", 450, "450 4.7.1 Client host rejected: cannot find your hostname", V.HELO_REFUSED),
        ("HELO", 421, "421 4.3.2 Service shutting down", V.UNFINISHED),
        ("MAIL", 553, "553 5.1.8 <>: Sender address rejected: Domain not found", V.REFUSED),
        ("MAIL", 550, "550 Null sender not accepted", V.REFUSED),
        ("MAIL", 451, "451 4.3.0 Temporary failure", V.DEFERRED),
    ],
)
def test_greeting_and_mail_replies_never_decide(
    stage: str, code: int, line: str, verdict: SmtpVerdict
) -> None:
    reading = read_reply(stage, code, [line], helo="probe.lookalike.invalid")
    assert reading.verdict is verdict
    assert reading.accepts is None  # neither says anything about the recipient


def test_enhanced_code_forms() -> None:
    assert enhanced_code(550, "5.1.1 User unknown") == "5.1.1"
    assert enhanced_code(550, " 5.1.1 User unknown") == "5.1.1"
    assert enhanced_code(250, "2.1.5 Ok") == "2.1.5"
    assert enhanced_code(553, "sorry, no (#5.7.1)") == "5.7.1"  # qmail, at the end
    assert enhanced_code(550, "4.1.1 class differs") is None
    assert enhanced_code(550, "5.1.1.1 too many parts") is None
    assert enhanced_code(550, "5.1234.1 too long") is None
    assert enhanced_code(550, "User 5.1.1 in the middle") is None
    assert enhanced_code(550, "") is None


codes = st.integers(200, 599)
words = st.text(max_size=300)


@settings(deadline=None)  # a loaded machine's first call is slow; speed is not the point
@given(code=codes, text=words, stage=st.sampled_from(["EHLO", "HELO", "MAIL", "RCPT"]))
def test_any_reply_is_read_and_quoted_as_printable_text(code: int, text: str, stage: str) -> None:
    line = f"{code} {text}"
    reading = read_reply(stage, code, [line], domain="kestrel-systems.com", helo="probe.lookalike.invalid")
    assert not any(unicodedata.category(ch).startswith("C") for ch in reading.reason)
    assert len(reading.reason) < 600
    if reading.accepts is not None:
        assert stage == "RCPT"


@settings(deadline=None)  # a loaded machine's first call is slow; speed is not the point
@given(
    code=st.integers(400, 499), detail=st.from_regex(r"4\.[0-9]{1,3}\.[0-9]{1,3}", fullmatch=True), text=words
)
def test_no_temporary_reply_decides(code: int, detail: str, text: str) -> None:
    reading = read_reply("RCPT", code, [f"{code} {detail} {text}"])
    assert reading.accepts is None


@settings(deadline=None)  # a loaded machine's first call is slow; speed is not the point
@given(code=st.integers(500, 599), detail=st.from_regex(r"5\.7\.[0-9]{1,3}", fullmatch=True), text=words)
def test_no_policy_refusal_decides(code: int, detail: str, text: str) -> None:
    reading = read_reply("RCPT", code, [f"{code} {detail} {text}"])
    assert reading.accepts is None
    assert reading.enhanced == detail


@settings(deadline=None)  # a loaded machine's first call is slow; speed is not the point
@given(code=st.integers(500, 599), sub=st.integers(0, 999).filter(lambda n: n not in (2, 7, 8, 10)))
def test_an_address_status_rejects_the_recipient(code: int, sub: int) -> None:
    reading = read_reply("RCPT", code, [f"{code} 5.1.{sub} No such mailbox"])
    assert (reading.verdict, reading.accepts) == (SmtpVerdict.REJECTS_UNKNOWN, False)


@settings(deadline=None)  # a loaded machine's first call is slow; speed is not the point
@given(code=st.integers(200, 299), text=words)
def test_any_2xx_at_rcpt_is_a_catch_all(code: int, text: str) -> None:
    assert read_reply("RCPT", code, [f"{code} {text}"]).accepts is True


@pytest.mark.parametrize(
    "name", ["probe.kestrel.test", "lookalike.invalid", "localhost", "[192.0.2.1]", "[IPv6:2001:db8::1]"]
)
def test_a_helo_name_is_a_host_name_or_an_address_literal(name: str) -> None:
    assert check_helo(name) == name


@pytest.mark.parametrize(
    "name", ["", "bad name", "-x.example", "x-.example", "a..b", "x.", ".x", "[192.0.2.1", "a" * 64 + ".com"]
)
def test_any_other_helo_name_is_refused_in_one_line(name: str) -> None:
    with pytest.raises(LookalikeError, match="is not a host name or an address literal"):
        check_helo(name)
