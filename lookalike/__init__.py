"""lookalike: find the domains one slip away from yours, and who can receive your mail there.

The library never prints. The public API::

    from lookalike import GenerateOptions, Settings, generate, parse, run_scan

    candidates = generate(parse("army.mil"))                 # pure, offline
    run = asyncio.run(run_scan(settings))                    # every endpoint comes from settings

``run_scan`` is ``lookalike.scan.run`` (the module ``lookalike.scan`` holds the orchestrator).
``lookalike.scan.run_sync(run_scan(settings))`` does what ``asyncio.run`` does without Python 3.11
and 3.12 formatting the whole result as text when the loop ends (a large scan's peak memory).

Every name is loaded when first used (``__getattr__``, PEP 562): ``import lookalike``, and the command
line that starts with it, imports none of the library until then.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lookalike.config import Protected, Settings
    from lookalike.endpoints import Endpoints, HostPort, Limits
    from lookalike.errors import LookalikeError
    from lookalike.model import (
        Availability,
        BlockEntry,
        Candidate,
        Change,
        ChangeKind,
        Changes,
        Contact,
        DnsFacts,
        Evidence,
        Existence,
        Finding,
        Holding,
        HygieneAudit,
        HygieneFix,
        Level,
        MailRoute,
        MxHost,
        Outcome,
        Owner,
        PlanItem,
        Reference,
        Registration,
        ScanInfo,
        ScanResult,
        Score,
        SmtpFacts,
        SmtpVerdict,
        Status,
        Technique,
        TlsFacts,
        Triage,
        TriageMark,
        WebFacts,
    )
    from lookalike.names import Name, parse
    from lookalike.permute import GenerateOptions, generate, generate_many
    from lookalike.scan import ScanRun, lookup
    from lookalike.scan import run as run_scan

__version__ = "0.1.0"

_HOMES = {
    "lookalike.config": ("Protected", "Settings"),
    "lookalike.endpoints": ("Endpoints", "HostPort", "Limits"),
    "lookalike.errors": ("LookalikeError",),
    "lookalike.model": (
        "Availability",
        "BlockEntry",
        "Candidate",
        "Change",
        "ChangeKind",
        "Changes",
        "Contact",
        "DnsFacts",
        "Evidence",
        "Existence",
        "Finding",
        "Holding",
        "HygieneAudit",
        "HygieneFix",
        "Level",
        "MailRoute",
        "MxHost",
        "Outcome",
        "Owner",
        "PlanItem",
        "Reference",
        "Registration",
        "ScanInfo",
        "ScanResult",
        "Score",
        "SmtpFacts",
        "SmtpVerdict",
        "Status",
        "Technique",
        "TlsFacts",
        "Triage",
        "TriageMark",
        "WebFacts",
    ),
    "lookalike.names": ("Name", "parse"),
    "lookalike.permute": ("GenerateOptions", "generate", "generate_many"),
    "lookalike.scan": ("ScanRun", "lookup"),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> object:
    # Each public name comes from its module on first use; the scan machinery pulls in every
    # protocol module, and even the model takes longer to import than the bare command line.
    if name == "run_scan":
        value: object = import_module("lookalike.scan").run
    elif name in _HOME:
        value = getattr(import_module(_HOME[name]), name)
    else:
        raise AttributeError(f"module 'lookalike' has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = [
    "Availability",
    "BlockEntry",
    "Candidate",
    "Change",
    "ChangeKind",
    "Changes",
    "Contact",
    "DnsFacts",
    "Endpoints",
    "Evidence",
    "Existence",
    "Finding",
    "GenerateOptions",
    "Holding",
    "HostPort",
    "HygieneAudit",
    "HygieneFix",
    "Level",
    "Limits",
    "LookalikeError",
    "MailRoute",
    "MxHost",
    "Name",
    "Outcome",
    "Owner",
    "PlanItem",
    "Protected",
    "Reference",
    "Registration",
    "ScanInfo",
    "ScanResult",
    "ScanRun",
    "Score",
    "Settings",
    "SmtpFacts",
    "SmtpVerdict",
    "Status",
    "Technique",
    "TlsFacts",
    "Triage",
    "TriageMark",
    "WebFacts",
    "__version__",
    "generate",
    "generate_many",
    "lookup",
    "parse",
    "run_scan",
]
