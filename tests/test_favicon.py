"""The site's icon: /favicon.ico is a real ICO file (the SVG drawn at 16, 32
and 48 pixels), every page names it and the SVG, and no page logs an error
to the console while it loads."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from scripts.make_favicon import ico

STATIC = Path(__file__).resolve().parents[1] / "static"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def ico_images(data: bytes) -> dict[int, bytes]:
    """The images of an ICO file by size, checking its header and directory."""
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1), "not an icon file"
    images = {}
    for i in range(count):
        width, height, colours, zero, planes, bits, length, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * i)
        assert (width, colours, zero, planes, bits) == (height, 0, 0, 1, 32)
        assert offset + length <= len(data)
        images[width or 256] = data[offset:offset + length]
    return images


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE) and png[12:16] == b"IHDR"
    return struct.unpack_from(">II", png, 16)


def test_favicon_ico_is_an_icon_file_at_three_sizes(client):
    with client.get("/favicon.ico") as answer:
        assert answer.status_code == 200
        assert answer.mimetype == "image/vnd.microsoft.icon"
        images = ico_images(answer.data)
    assert sorted(images) == [16, 32, 48]
    for size, png in images.items():
        assert png_size(png) == (size, size)


def test_ico_writes_what_a_reader_reads_back():
    pngs = {16: PNG_SIGNATURE + b"sixteen", 48: PNG_SIGNATURE + b"forty-eight", 256: b"big"}
    assert ico_images(ico(pngs)) == pngs


PAGES = ["/", "/watch/clip", "/watch/clip/transcript", "/watch/song", "/search?q=clip",
         "/embed/clip", "/embed/clip?transcript=1", "/publish/login"]


@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES)
def test_no_page_logs_a_console_error_and_its_icons_load(page, live_server, path):
    said: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and said.append(m.text))
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")
    icons = page.eval_on_selector_all("link[rel=icon]", "links => links.map(l => l.href)")
    assert icons == [live_server.url + "/favicon.ico", live_server.url + "/static/favicon.svg"]
    for url in icons:
        assert page.request.get(url).status == 200
    assert failed == [] and said == [] and page.js_errors == []


@pytest.mark.browser
def test_chromium_reads_the_ico_as_the_icon(page, live_server):
    """Decoded by the browser: the blue square with the white play mark."""
    page.goto(live_server.url + "/")
    pixels = page.evaluate("""async () => {
        const img = new Image();
        img.src = '/favicon.ico';
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 48;
        const g = canvas.getContext('2d');
        g.drawImage(img, 0, 0, 48, 48);
        const at = (x, y) => [...g.getImageData(x, y, 1, 1).data];
        return {size: img.naturalWidth, corner: at(0, 0), edge: at(24, 4), centre: at(26, 24)};
    }""")
    assert pixels["size"] in (16, 32, 48)
    assert pixels["corner"][3] < 128  # the rounded corner is transparent
    *rgb, alpha = pixels["edge"]
    blue = (0x0B, 0x57, 0xD0)
    assert alpha == 255 and all(abs(a - b) < 24 for a, b in zip(rgb, blue, strict=True))
    assert min(pixels["centre"][:3]) > 220
