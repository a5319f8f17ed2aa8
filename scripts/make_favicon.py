"""Write ``static/favicon.ico`` from ``static/favicon.svg``: the icon at 16,
32 and 48 pixels, each drawn by Chromium and stored as PNG inside one ICO
file (the format every browser and bookmark tool reads from /favicon.ico,
also those that read no SVG). Run it after changing the SVG; needs the test
extra (Playwright) and Debian's chromium::

    python scripts/make_favicon.py
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIZES = (16, 32, 48)


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file holding one PNG image per size (``{pixels: png}``).

    The header is reserved 0, type 1 (icon) and the count; each directory
    entry gives width and height (0 means 256), no palette, one colour plane,
    32 bits per pixel, the image's length and where it starts.
    """
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, images = b"", b""
    for size, png in sorted(pngs.items()):
        side = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset)
        images += png
        offset += len(png)
    return header + entries + images


def render(svg: Path, sizes: tuple[int, ...] = SIZES) -> dict[int, bytes]:
    """``svg`` drawn by Chromium at each of ``sizes``, as PNG with transparency."""
    from playwright.sync_api import sync_playwright

    from tests.browser_support import CHROMIUM_FLAGS

    markup = svg.read_text(encoding="utf-8")
    pngs = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"),
                                     args=CHROMIUM_FLAGS)
        for size in sizes:
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content("<style>html,body{margin:0;background:transparent}"
                             f"svg{{display:block;width:{size}px;height:{size}px}}</style>{markup}")
            pngs[size] = page.screenshot(omit_background=True)
            page.close()
        browser.close()
    return pngs


def main() -> None:
    static = REPO / "static"
    (static / "favicon.ico").write_bytes(ico(render(static / "favicon.svg")))


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(REPO))
    main()
