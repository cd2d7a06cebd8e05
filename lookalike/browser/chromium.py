"""Debian's Chromium as a child process: how it is started, watched and stopped.

One ``Chromium`` is one browser process (and its renderers) with a fresh, empty profile in a
temporary directory, spoken to over the DevTools pipe (``devtools.Connection``), in a process
session of its own so that stopping it stops every process it started. ``memory()`` reads each of
those processes' resident memory from ``/proc``; the renderer kills the one that outgrows its bound.

The flags keep the browser from calling home or doing anything by itself: no background networking,
component updates, sync, field trials, crash reports, safe-browsing or autofill lookups, translation,
media routing, QUIC, WebRTC outside the proxy, notifications, permission prompts or new windows. It
resolves no name itself (every page's traffic goes through its gate). ``--no-sandbox`` only when
running as root, where Chromium refuses to start with its sandbox.

Must not: download a browser, keep a profile between runs, open a debugging port, or leave a
process behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
from pathlib import Path

from lookalike.browser.devtools import Connection, DevToolsError
from lookalike.errors import LookalikeError

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's package ``chromium``; the only browser lookalike drives."""
VIEWPORT = (1280, 800)
"""CSS pixels of the window a page is shown in."""
START_TIMEOUT = 30.0

_DISABLED_FEATURES = (
    "AutofillServerCommunication",  # asks Google about every form with a password field
    "CertificateTransparencyComponentUpdater",
    "DialMediaRouteProvider",
    "HttpsUpgrades",  # would turn our http:// visit into an https:// one by itself
    "InterestFeedContentSuggestions",
    "MediaRouter",
    "OptimizationHints",
    "PrivacySandboxSettings4",
    "Translate",
)


def flags(profile: Path, *, user_agent: str | None = None) -> list[str]:
    """Chromium's command line (without the program) for a headless, silent, pipe-driven browser."""
    width, height = VIEWPORT
    args = [
        "--headless",
        "--remote-debugging-pipe",
        f"--user-data-dir={profile}",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        # calling home
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-component-extensions-with-background-pages",
        "--disable-client-side-phishing-detection",
        "--disable-domain-reliability",
        "--disable-breakpad",
        "--disable-field-trial-config",
        "--metrics-recording-only",
        "--safebrowsing-disable-auto-update",
        "--no-pings",
        "--password-store=basic",
        "--use-mock-keychain",
        f"--disable-features={','.join(_DISABLED_FEATURES)}",
        # the network: nothing resolved here, nothing outside the gate
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--disable-quic",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--ignore-certificate-errors",  # we want to see what is served, as the HTTP probe does
        # what a page may ask for
        "--deny-permission-prompts",
        "--disable-notifications",
        "--block-new-web-contents",
        "--mute-audio",
        "--autoplay-policy=user-gesture-required",
        # steady, comparable pictures, and no page slowed down for being in the background
        "--hide-scrollbars",
        "--force-color-profile=srgb",
        "--force-device-scale-factor=1",
        f"--window-size={width},{height}",
        "--disable-background-timer-throttling",
        "--disable-backgrounding-occluded-windows",
        "--disable-renderer-backgrounding",
        "--js-flags=--max-old-space-size=512",
    ]
    if user_agent:
        args.append(f"--user-agent={user_agent}")
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium will not start its sandbox as root
    args.append("about:blank")
    return args


def require(executable: Path = CHROMIUM) -> Path:
    """``executable`` when it can run; else one line saying how to get it."""
    if not executable.is_file() or not os.access(executable, os.X_OK):
        raise LookalikeError(f"screenshots need Chromium at {executable} (Debian: apt-get install chromium)")
    return executable


class Chromium:
    """A running browser. ``await Chromium.start()``; ``await close()`` (or ``kill()``) ends it."""

    def __init__(self, process: asyncio.subprocess.Process, connection: Connection, profile: Path) -> None:
        self.process = process
        self.connection = connection
        self.profile = profile

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    async def start(cls, executable: Path = CHROMIUM, *, user_agent: str | None = None) -> Chromium:
        """Start Chromium with a fresh profile and wait until it answers on its pipe."""
        require(executable)
        profile = Path(tempfile.mkdtemp(prefix="lookalike-chromium-"))
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        try:
            with open(profile / "stderr.log", "wb") as stderr:
                # The pipe must be the browser's descriptors 3 and 4: the shell puts them there.
                process = await asyncio.create_subprocess_exec(
                    "/bin/sh",
                    "-c",
                    'exec 3<&0 4>&1 </dev/null >/dev/null; exec "$0" "$@"',
                    str(executable),
                    *flags(profile, user_agent=user_agent),
                    stdin=to_browser_r,
                    stdout=from_browser_w,
                    stderr=stderr,
                    start_new_session=True,
                )
        except OSError as exc:
            for fd in (to_browser_r, to_browser_w, from_browser_r, from_browser_w):
                os.close(fd)
            shutil.rmtree(profile, ignore_errors=True)
            raise LookalikeError(f"cannot start Chromium at {executable}: {exc.strerror}") from exc
        finally:
            with contextlib.suppress(OSError):
                os.close(to_browser_r)
                os.close(from_browser_w)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(from_browser_r, "rb", 0)
        )
        writer, _ = await loop.connect_write_pipe(asyncio.BaseProtocol, os.fdopen(to_browser_w, "wb", 0))
        browser = cls(process, Connection(reader, writer), profile)
        try:
            await browser.connection.send("Browser.getVersion", timeout=START_TIMEOUT)
        except DevToolsError as exc:
            tail = browser.stderr_tail()
            await browser.close()
            raise LookalikeError(f"Chromium at {executable} did not start: {exc}. {tail}".strip()) from exc
        return browser

    def stderr_tail(self, limit: int = 300) -> str:
        """The last line of what Chromium wrote to stderr that is not D-Bus noise, for an error message."""
        try:
            text = (self.profile / "stderr.log").read_bytes()[-16384:].decode("utf-8", "replace")
        except OSError:
            return ""
        lines = [line for line in text.splitlines() if line.strip() and "dbus" not in line]
        return lines[-1][:limit] if lines else ""

    def processes(self) -> list[int]:
        """The browser's process and every process it started (they share its session)."""
        found: list[int] = []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_bytes()
            except OSError:
                continue
            fields = stat[stat.rfind(b")") + 2 :].split()
            if len(fields) > 3 and int(fields[3]) == self.pid:  # field 6 of stat: the session id
                found.append(int(entry.name))
        return found

    def memory(self) -> dict[int, int]:
        """Bytes of memory of each of the browser's processes: the proportional set size (shared
        pages split between the processes that share them, so the sizes add up), else resident."""
        sizes: dict[int, int] = {}
        for pid in self.processes():
            size = _pss(pid)
            if size is not None:
                sizes[pid] = size
        return sizes

    def kill(self) -> None:
        """Stop the browser and everything it started, at once."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)

    async def close(self) -> None:
        """Ask the browser to quit, kill it if it does not, and remove its profile."""
        if self.process.returncode is None:
            with contextlib.suppress(DevToolsError):
                await self.connection.send("Browser.close", timeout=3)
            try:
                async with asyncio.timeout(3):
                    await self.process.wait()
            except TimeoutError:
                pass
        self.kill()  # renderers may outlive the browser process for a moment
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await self.process.wait()
        await self.connection.close()
        shutil.rmtree(self.profile, ignore_errors=True)


def _pss(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return None
