"""What to do about the lookalikes: register, fix, block.

Three builders over facts a scan already gathered, and their renderers:

* ``plan`` (``registration.py``)  the absent candidates worth registering defensively, ranked by
  plausibility weighted by what the name could do (a mail typo first), each with its availability
  as far as the registry could say, and whether the TLD is open to us (``tld_policy``).
* ``audit`` (``hygiene.py``)  for every lookalike the organisation holds: does it refuse mail (null
  MX), is it unable to send (SPF ``-all``, DMARC ``p=reject``) and does its web redirect home or
  serve nothing? Each gap comes with the exact zone-file record to publish.
* ``blocklist`` (``outbound.py``)  the lookalikes that can receive mail and are not ours, and whole
  TLDs where a TLD slip is the risk (``.ml`` for a ``.mil`` organisation), as maps mail gateways load.
* ``render_plan``, ``render_audit``, ``render_blocklist`` (``render.py``)  each output as text, CSV,
  JSON, a zone file or a Postfix map, with one format enum per output (``PlanFormat``,
  ``AuditFormat``, ``BlocklistFormat``) that the CLI reuses.

Pure: no network, no clock, no printing. Nothing here asks the DNS or a registry: the callers
(``lookalike.advice``, which the scan and the CLI share) pass in what they learnt, so the same
facts always give the same advice. Whose a lookalike is and whether it receives mail are the model's
judgements (``Finding.ours``, ``Evidence.receives_mail``); nothing here decides them again.
"""

from lookalike.choices import AuditFormat, BlocklistFormat, PlanFormat
from lookalike.plan.hygiene import (
    TTL,
    audit,
    dkim_revocation_record,
    dmarc_record,
    null_mx_record,
    parked_records,
    spf_record,
)
from lookalike.plan.outbound import blocklist
from lookalike.plan.registration import (
    IMPACT,
    TIER,
    Impact,
    plan,
    plan_candidates_to_confirm,
    plannable,
    priority,
    rank,
    scan_existence,
)
from lookalike.plan.render import render_audit, render_blocklist, render_plan
from lookalike.tldpolicy import TLD_POLICY_FILE, TldPolicy, WholeTld, policy_for, tld_policy, whole_tld_slips

__all__ = [
    "IMPACT",
    "TIER",
    "TLD_POLICY_FILE",
    "TTL",
    "AuditFormat",
    "BlocklistFormat",
    "Impact",
    "PlanFormat",
    "TldPolicy",
    "WholeTld",
    "audit",
    "blocklist",
    "dkim_revocation_record",
    "dmarc_record",
    "null_mx_record",
    "parked_records",
    "plan",
    "plan_candidates_to_confirm",
    "plannable",
    "policy_for",
    "priority",
    "rank",
    "render_audit",
    "render_blocklist",
    "render_plan",
    "scan_existence",
    "spf_record",
    "tld_policy",
    "whole_tld_slips",
]
