"""Screenshots of lookalikes' pages through Debian's headless Chromium (I/O).

``Browser`` (in ``renderer``) renders pages behind a per-page gate (``gate``) in a pipe-driven
Chromium (``chromium``, ``devtools``); ``visit`` is one page's visit. What a page is, and how alike
two are, lives in ``lookalike.visual`` (pure).

Must not: download a browser, call the system resolver, or act on a page (no clicks, no typing,
no form submission).
"""

from lookalike.addresses import Resolve
from lookalike.browser.chromium import CHROMIUM, VIEWPORT
from lookalike.browser.gate import GatePolicy
from lookalike.browser.renderer import Browser, BrowserLimits, Usage
from lookalike.browser.visit import PageLimits

__all__ = ["CHROMIUM", "VIEWPORT", "Browser", "BrowserLimits", "GatePolicy", "PageLimits", "Resolve", "Usage"]
