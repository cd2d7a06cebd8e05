"""lookalike: find the domains one slip away from yours, and who can receive your mail there.

The library never prints. The public API::

    from lookalike import GenerateOptions, Settings, generate, parse, run_scan

    candidates = generate(parse("army.mil"))                 # pure, offline
    run = asyncio.run(run_scan(settings))                    # every endpoint comes from settings

``run_scan`` is ``lookalike.scan.run`` (the module ``lookalike.scan`` holds the orchestrator).
``lookalike.scan.run_sync(run_scan(settings))`` does what ``asyncio.run`` does without Python 3.11
and 3.12 formatting the whole result as text when the loop ends (a large scan's peak memory).
"""

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

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # The scan machinery pulls in every protocol module; load it only when asked for.
    if name in ("run_scan", "lookup", "ScanRun"):
        from lookalike import scan

        return {"run_scan": scan.run, "lookup": scan.lookup, "ScanRun": scan.ScanRun}[name]
    raise AttributeError(f"module 'lookalike' has no attribute {name!r}")


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
