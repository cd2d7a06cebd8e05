"""Draw the corpus's binary files: each brand's favicon as PNG and, the same picture in another
file, as ICO; and the download's payload. Run from the repository root after changing a picture:

    .venv/bin/python tests/data/pages/draw.py

The pictures are simple shapes drawn here for lookalike; nothing is copied from a real site.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
SIZE = 32


def kestrel(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 0, 31, 31), fill="#fff7ed")
    draw.polygon([(2, 24), (12, 6), (17, 15), (25, 3), (22, 24)], fill="#c2410c")
    draw.rectangle((2, 26, 22, 29), fill="#7c2d12")


def northwind(draw: ImageDraw.ImageDraw) -> None:
    draw.ellipse((1, 1, 30, 30), fill="#14532d")
    draw.polygon([(16, 3), (19, 16), (16, 29), (13, 16)], fill="#fef9c3")
    draw.polygon([(3, 16), (16, 13), (29, 16), (16, 19)], fill="#86efac")


def harbor(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 0, 31, 31), fill="#1d4ed8")
    draw.rectangle((3, 9, 19, 22), fill="#facc15")
    draw.rectangle((20, 13, 28, 22), fill="#fde68a")
    draw.ellipse((5, 21, 11, 27), fill="#0f172a")
    draw.ellipse((20, 21, 26, 27), fill="#0f172a")


def quill(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 0, 31, 31), fill="#ffffff")
    draw.polygon([(28, 2), (6, 22), (4, 28), (10, 26), (30, 6)], fill="#7c3aed")
    draw.line((4, 28, 16, 16), fill="#2e1065", width=2)


def icon(painter: Callable[[ImageDraw.ImageDraw], None]) -> Image.Image:
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    painter(ImageDraw.Draw(image))
    return image


def main() -> None:
    for name, painter, ico in (
        ("kestrel", kestrel, True),
        ("northwind", northwind, True),
        ("harbor", harbor, True),
        ("other", quill, False),
    ):
        image = icon(painter)
        folder = HERE / "assets" / name
        folder.mkdir(parents=True, exist_ok=True)
        image.save(folder / ("quill.png" if name == "other" else "favicon.png"), optimize=True)
        if ico:
            image.save(folder / "favicon.ico", sizes=[(SIZE, SIZE)])
    payload = io.BytesIO()
    with zipfile.ZipFile(payload, "w") as archive:
        archive.writestr("invoice.txt", "Not an invoice: the corpus's download test.\n")
    (HERE / "hostile" / "payload.zip").write_bytes(payload.getvalue())


if __name__ == "__main__":
    main()
