"""The fixed sets of words the command line offers as choices: ``triage --as`` and the ``--format`` of
``plan``, ``audit`` and ``blocklist``.

Plain string enums with no dependencies, kept apart from the modules that use them (``model`` re-exports
``Triage``, ``plan.render`` the formats) so that registering the commands, which needs each option's
choices, loads neither: ``lookalike --help`` and ``lookalike version`` start without the library.
Must not: import anything of lookalike.
"""

from __future__ import annotations

from enum import StrEnum


class Triage(StrEnum):
    """What an analyst decided about a lookalike."""

    OWNED = "owned"
    BENIGN = "benign"
    MALICIOUS = "malicious"
    WATCH = "watch"


class PlanFormat(StrEnum):
    """How ``render_plan`` writes the plan."""

    TEXT = "text"
    CSV = "csv"
    JSON = "json"


class AuditFormat(StrEnum):
    """How ``render_audit`` writes the audit."""

    TEXT = "text"
    ZONE = "zone"
    JSON = "json"


class BlocklistFormat(StrEnum):
    """How ``render_blocklist`` writes the blocklist."""

    PLAIN = "plain"
    POSTFIX_TRANSPORT = "postfix-transport"
    POSTFIX_ACCESS = "postfix-access"
    JSON = "json"
