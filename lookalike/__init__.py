"""lookalike: find the domains one slip away from yours, and who can receive your mail there."""

from lookalike.errors import LookalikeError
from lookalike.model import (
    Candidate,
    DnsFacts,
    Evidence,
    Existence,
    Finding,
    Level,
    MailRoute,
    Outcome,
    Owner,
    Reference,
    Registration,
    ScanResult,
    Score,
    SmtpFacts,
    Status,
    Technique,
    WebFacts,
)

__version__ = "0.1.0"

__all__ = [
    "Candidate",
    "DnsFacts",
    "Evidence",
    "Existence",
    "Finding",
    "Level",
    "LookalikeError",
    "MailRoute",
    "Outcome",
    "Owner",
    "Reference",
    "Registration",
    "ScanResult",
    "Score",
    "SmtpFacts",
    "Status",
    "Technique",
    "WebFacts",
    "__version__",
]
