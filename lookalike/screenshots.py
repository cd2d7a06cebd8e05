"""Screenshots kept as files, and how a document shows them.

A scan with ``--screenshot`` puts every picture it takes on a ``Shelf``: a directory (``screenshots/``
next to the report) of PNG files named by their SHA-256, ``<sha256>.png``, each with its small
picture for a report's table, ``<sha256>.thumb.webp``, made once when the picture is taken.
``VisualFacts.screenshot`` (and ``.reference``, the protected site's) is that SHA-256, so the
facts the store keeps hold no bytes and a picture taken twice is kept once.

``Pictures`` is how one set of documents refers to the pictures: the HTML report inlines them as
``data:`` URIs (its Content-Security-Policy allows no other image), small ones always and the large
ones with ``inline``; the scan JSON names each file relative to itself, or carries the PNG as a
``data:`` URI with ``inline`` (then no file need be written at all).

Must not: keep a file that is not a PNG or is larger than ``MAX_PNG``, read a name that is not a
SHA-256 (a JSON file names the pictures: nothing else may be read through it), or decode a picture
itself (``visual.thumbnail`` does, bounded).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from lookalike.errors import LookalikeError

DIRECTORY = "screenshots"
"""The shelf's directory name, next to the report (or the JSON file) it belongs to."""
MAX_PNG = 4 * 1024 * 1024
"""The largest screenshot kept (Chromium's 640x400 PNG of one screen is well under 1 MiB)."""
MAX_THUMB = 256 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_SHA = re.compile(r"[0-9a-f]{64}")
_DATA_PNG = "data:image/png;base64,"


def is_sha(text: str) -> bool:
    """True for a lower-case hex SHA-256: the only names a shelf reads."""
    return bool(_SHA.fullmatch(text))


def is_png(data: bytes) -> bool:
    """True for bytes that start like a PNG and are no larger than ``MAX_PNG``."""
    return data.startswith(PNG_MAGIC) and len(data) <= MAX_PNG


class Shelf:
    """A directory of screenshots named by their SHA-256 (created when the first one is put)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __repr__(self) -> str:
        return f"Shelf({str(self.directory)!r})"

    def path(self, sha: str) -> Path:
        return self.directory / f"{sha}.png"

    def thumb_path(self, sha: str) -> Path:
        return self.directory / f"{sha}.thumb.webp"

    def put(self, png: bytes) -> str:
        """Keep a screenshot (and its thumbnail) unless it is already here; return its SHA-256.

        Raises ``LookalikeError`` when the directory cannot be written (a full disk, no permission):
        a scan asked to keep screenshots must not silently keep none."""
        if not is_png(png):
            raise ValueError("not a PNG screenshot of a bounded size")
        sha = hashlib.sha256(png).hexdigest()
        if self.path(sha).is_file():
            return sha
        from lookalike.visual import thumbnail

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            small = thumbnail(png)
            if small:
                _write(self.thumb_path(sha), small)
            _write(self.path(sha), png)  # last: a PNG on the shelf has its thumbnail
        except OSError as exc:
            why = exc.strerror or exc
            raise LookalikeError(f"cannot keep a screenshot in {self.directory}: {why}") from exc
        return sha

    def png(self, sha: str) -> bytes | None:
        """The screenshot named ``sha``, or None when it is not here (or not what its name says)."""
        data = _read(self.path(sha), MAX_PNG) if is_sha(sha) else None
        if data is None or not is_png(data) or hashlib.sha256(data).hexdigest() != sha:
            return None
        return data

    def thumb(self, sha: str) -> bytes | None:
        """The small picture of screenshot ``sha``: the one kept with it, else made from it now."""
        if not is_sha(sha):
            return None
        kept = _read(self.thumb_path(sha), MAX_THUMB)
        if kept and kept.startswith(b"RIFF") and self.path(sha).is_file():
            return kept
        png = self.png(sha)
        if png is None:
            return None
        from lookalike.visual import thumbnail

        return thumbnail(png) or None


def _write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read(path: Path, limit: int) -> bytes | None:
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        return None
    return data if len(data) <= limit else None


def data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def png_from_data_uri(text: str) -> bytes | None:
    """The PNG a scan JSON carries inline (``--inline-images``), or None for anything else."""
    if not text.startswith(_DATA_PNG) or len(text) > len(_DATA_PNG) + MAX_PNG * 4 // 3 + 4:
        return None
    try:
        data = base64.b64decode(text[len(_DATA_PNG) :], validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if is_png(data) else None


class Pictures:
    """Where a set of documents finds the screenshots, and how each document refers to one.

    ``shelves`` are searched in order; ``loose`` holds pictures that came inline (a scan JSON written
    with ``inline``), by SHA-256. Pictures the documents name but nobody has are simply not shown."""

    def __init__(
        self,
        shelves: Iterable[Shelf] = (),
        *,
        inline: bool = False,
        loose: Mapping[str, bytes] | None = None,
    ) -> None:
        self.shelves = tuple(shelves)
        self.inline = inline
        self.loose = {sha: png for sha, png in (loose or {}).items() if is_sha(sha) and is_png(png)}
        self._thumb = lru_cache(maxsize=64)(self._make_thumb)
        self._large = lru_cache(maxsize=16)(self._make_large)

    def png(self, sha: str) -> bytes | None:
        if sha in self.loose:
            return self.loose[sha]
        for shelf in self.shelves:
            found = shelf.png(sha)
            if found is not None:
                return found
        return None

    def file(self, sha: str) -> Path | None:
        """The file of screenshot ``sha`` on the first shelf that has it."""
        if not is_sha(sha):
            return None
        return next((s.path(sha) for s in self.shelves if s.path(sha).is_file()), None)

    def thumbnail(self, sha: str) -> str | None:
        """The small picture as a ``data:`` URI (what a report's table shows), or None."""
        return self._thumb(sha) if sha else None

    def picture(self, sha: str) -> str | None:
        """The picture at its own size, as a WebP ``data:`` URI (what an opened thumbnail shows)."""
        return self._large(sha) if sha else None

    def _make_thumb(self, sha: str) -> str | None:
        if sha in self.loose:
            from lookalike.visual import thumbnail

            small = thumbnail(self.loose[sha])
            return data_uri("image/webp", small) if small else None
        for shelf in self.shelves:
            found = shelf.thumb(sha)
            if found is not None:
                return data_uri("image/webp", found)
        return None

    def _make_large(self, sha: str) -> str | None:
        png = self.png(sha)
        if png is None:
            return None
        from lookalike.visual import PICTURE, thumbnail

        large = thumbnail(png, PICTURE, 75)
        return data_uri("image/webp", large) if large else None

    def link(self, sha: str, document: Path | None) -> str | None:
        """How a scan JSON at ``document`` names screenshot ``sha``: the PNG itself as a ``data:`` URI
        with ``inline``, else its file's path relative to the document (absolute without one); None
        when no shelf has it."""
        if not sha:
            return None
        if self.inline:
            png = self.png(sha)
            return data_uri("image/png", png) if png is not None else None
        path = self.file(sha)
        if path is None:
            return None
        if document is None:
            return str(path.resolve())
        return os.path.relpath(path.resolve(), document.resolve().parent)


def shelf_for(document: Path) -> Shelf:
    """The shelf that belongs next to a report or JSON file: ``screenshots/`` in its directory."""
    return Shelf(document.parent / DIRECTORY)


def saved_pictures(
    links: Mapping[str, str], source: Path | None, near: Iterable[Path] = (), *, inline: bool = False
) -> Pictures:
    """The pictures of a saved scan: those its scan JSON (``source``) carries inline or names as files
    (``links``, by SHA-256), and those on the shelves next to the documents in ``near``. A scan JSON
    that carried its pictures inline is re-rendered with them inline too: there are no files."""
    loose: dict[str, bytes] = {}
    directories: dict[Path, None] = {}
    for sha, link in links.items():
        png = png_from_data_uri(link)
        if png is not None:
            loose[sha] = png
        elif source is not None and not link.startswith("data:"):
            directories[(source.parent / link).parent] = None
    for document in near:
        directories[document.parent / DIRECTORY] = None
    return Pictures([Shelf(d) for d in directories], inline=inline or bool(loose), loose=loose)
