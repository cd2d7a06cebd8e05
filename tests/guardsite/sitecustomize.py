"""Installs the loopback guard in every Python subprocess a test starts (the CLI under test).

Tests put this directory first on PYTHONPATH and set LOOKALIKE_NETGUARD_LOG to a file: any attempt
to reach a non-loopback address is refused and appended to that file, which the test then checks is
empty (the refusal alone could be swallowed as "unknown" by the code under test).
"""

import os

if os.environ.get("LOOKALIKE_NETGUARD_LOG"):
    from tests import netguard

    netguard.install(log=os.environ["LOOKALIKE_NETGUARD_LOG"])
