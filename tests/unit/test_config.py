"""lookalike.toml: the example `init` writes loads; flags override the file; mistakes are one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookalike import config
from lookalike.endpoints import HostPort
from lookalike.errors import LookalikeError
from lookalike.model import Technique


def test_the_init_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "lookalike.toml"
    path.write_text(config.EXAMPLE, encoding="utf-8")
    settings = config.load(path)
    assert [p.name.ascii for p in settings.protected] == ["example.com"]
    assert settings.endpoints.resolvers == (HostPort("127.0.0.1", 53),)
    assert settings.fail_on == ("new",)
    assert settings.db == tmp_path / "lookalike.db"
    assert settings.limits.timeout == 2.0
    assert settings.limits.concurrency == 4096 and settings.limits.fixed_window is False
    assert settings.alert_min_level == "high"


def test_a_full_config(tmp_path: Path) -> None:
    path = tmp_path / "l.toml"
    path.write_text(
        """
[scan]
resolvers = ["127.0.0.1:5353", "[::1]:53"]
techniques = ["omission", "tld-typo"]
smtp = true
allow_private = true
fail_on = ["new", "high"]

[endpoints]
whois_iana = ""
whois_servers = { ml = "127.0.0.1:4343" }
smtp_port = 2525

[limits]
qps = 50
timeout = 0.5

[alerts]
webhook = "http://127.0.0.1:9/hook"
mail_relay = "127.0.0.1:2526"
mail_to = ["soc@example.org"]

[[domains]]
name = "Kestrel.MIL"
keywords = ["careers"]
owned = ["kestrel-mil.com"]
techniques = ["tld-swap"]
""",
        encoding="utf-8",
    )
    s = config.load(path)
    assert s.endpoints.resolvers == (HostPort("127.0.0.1", 5353), HostPort("::1", 53))
    assert s.generate.techniques == frozenset({Technique.OMISSION, Technique.TLD_TYPO})
    assert s.smtp and s.allow_private and not s.http
    assert s.endpoints.whois_iana is None
    assert s.endpoints.whois_servers["ml"] == HostPort("127.0.0.1", 4343)
    assert s.endpoints.smtp_port == 2525
    assert s.limits.qps == 50.0 and s.limits.timeout == 0.5
    assert s.alerts.any and s.alerts.mail_relay == HostPort("127.0.0.1", 2526)
    domain = s.protected[0]
    assert domain.name.ascii == "kestrel.mil"
    assert domain.owned == ("kestrel-mil.com",)
    options = config.domain_options(s, domain)
    assert options.techniques == frozenset({Technique.TLD_SWAP})
    assert "careers" in options.keywords


def test_the_window_can_be_fixed_in_the_file_and_on_the_command_line() -> None:
    s = config.from_mapping({"limits": {"fixed_window": True, "concurrency": 256}})
    assert s.limits.fixed_window is True and s.limits.concurrency == 256
    assert config.override(s, limits__fixed_window=False).limits.fixed_window is False
    assert config.override(s, limits__fixed_window=None).limits.fixed_window is True


def test_flags_override_the_file() -> None:
    s = config.from_mapping({"scan": {"registry": True}, "limits": {"timeout": 3.0}})
    s2 = config.override(s, registry=False, limits__timeout=None, limits__qps=10.0)
    assert s2.registry is False
    assert s2.limits.timeout == 3.0
    assert s2.limits.qps == 10.0


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[scan]\nbogus = 1\n", "unknown setting 'bogus'"),
        ("[scan]\ntimeout = 1\n", "unknown setting 'timeout'"),
        ("[limits]\ntimeout = 'soon'\n", "wrong type"),
        ("[limits]\nretries = true\n", "must be a number"),
        ("[limits]\nfixed_window = 1\n", "wrong type"),
        ("[[domains]]\nkeywords = []\n", "needs name"),
        ("[[domains]]\nname = 'bad..name.com'\n", "empty label"),
        ("[scan]\ntechniques = ['teleport']\n", "unknown technique"),
        ("[scan]\nfail_on = ['sometimes']\n", "--fail-on 'sometimes'"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_mistakes_are_one_line(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LookalikeError) as info:
        config.load(path)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(LookalikeError, match="cannot read the config file"):
        config.load(tmp_path / "nope.toml")
