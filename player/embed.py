"""The player on other sites: the iframe page ``/embed/<id>`` and oEmbed.

Embed parameters follow what people already know from YouTube and PeerTube
(``t``/``start``, ``end``, ``captions``, ``muted``, ``autoplay``, ``loop``,
``hl``) plus ``transcript=1``, ``api=1``, ``viewer_token``, and for items
with HLS renditions ``quality=<height>|auto`` and ``audio_only=1``. A parameter
the page does not know, or a value it cannot use, is ignored, so an old or
mistyped link still shows the player.

``viewer_token`` is how a host that signs its viewers in (player/viewer.py)
gets resume to follow them across devices: the page hands the token to the
player's progress plugin, which sends it with every report. Only its shape is
checked here; the progress API verifies the signature and expiry on every
request and refuses a bad token (403) rather than falling back to an
anonymous id, so a host's mistake shows. oEmbed never copies it into the
code it gives out, since it names one person.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from .library.catalog import absolute_url, find_item, get_storage, site_url
from .progress.viewer import looks_like_token
from .timecodes import parse_time
from .web.errors import error_response
from .web.i18n import pick_language

bp = Blueprint("embed", __name__)

#: What the iframe may do. Scripts and its own origin are the player itself
#: (its origin is ours, never the host's, so together they cannot lift the
#: sandbox on the host); popups, escaping the sandbox, open "Watch on …" and
#: the transcript as ordinary tabs; presentation lets the viewer cast. Top
#: navigation, forms, downloads without a click and pointer lock stay off.
SANDBOX = ("allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox"
           " allow-presentation")
ALLOW = "fullscreen; picture-in-picture"

DEFAULT_WIDTH = 640
#: Height of everything below the picture in the embed page: the seek bar,
#: a row of buttons and the "Watch on …" line, measured in Chromium at 640 px
#: wide (tests/test_browser_embed.py checks it). When the buttons wrap onto
#: another row (narrow frames, many tracks) the picture shrinks to fit.
CONTROLS_HEIGHT = 108
#: An audio embed, the compact audio player (artwork and title beside the
#: controls, two lines of captions under them, then the links), measured in
#: Chromium (tests/test_browser_embed.py checks it): at least
#: AUDIO_WIDE_WIDTH wide, where the controls keep to one row...
AUDIO_HEIGHT = 220
AUDIO_WIDE_WIDTH = 600
#: ... and narrower, down to 320 px, where they take two rows. The watch
#: page's embed code, whose width the host decides, uses this one.
AUDIO_NARROW_HEIGHT = 300
#: Used when the media does not say its size (audio posters, odd files).
FALLBACK_RATIO = (16, 9)
#: Below this width (12rem, a breakpoint in templates/embed.html) the embed
#: page shows links to the media instead of the player.
PLAYER_MIN_WIDTH = 192

#: Embed parameters kept when oEmbed is given an embed or watch URL.
EMBED_PARAMS = ("t", "start", "end", "captions", "muted", "autoplay", "transcript", "hl",
                "loop", "api", "quality", "audio_only")


@dataclass(frozen=True)
class EmbedOptions:
    """What the embed page was asked for, after invalid values were dropped.

    :param start: seconds to start at.
    :param end: seconds to pause at, after ``start``; ``None`` for the end.
    :param captions: ``srclang`` of the captions or subtitles track to show
        when the viewer has not chosen; ``None`` for the first one.
    :param autoplay: only ever true together with ``muted``.
    :param hl: the page's UI language, one of :data:`player.web.i18n.CATALOGS`;
        the player brings its own catalogs.
    :param viewer_token: the host's signed viewer token, when it has the
        shape of one; left out of the repr, as it stands for a person.
    :param quality: ``"auto"`` or the height of one of the item's renditions
        to play first, instead of the viewer's own choice; ``None`` for theirs.
    :param audio_only: play the item's audio-only rendition (it has one).
    """

    start: float = 0.0
    end: float | None = None
    captions: str | None = None
    muted: bool = False
    autoplay: bool = False
    transcript: bool = False
    hl: str = "en"
    loop: bool = False
    api: bool = False
    viewer_token: str | None = field(default=None, repr=False)
    quality: str | None = None
    audio_only: bool = False


def _flag(args: Mapping[str, str], name: str) -> bool:
    return args.get(name, "").strip().lower() in ("1", "true")


def _base(lang: str) -> str:
    return lang.split("-")[0].lower()


def choose_captions(tracks: list[dict], wanted: str) -> str | None:
    """The ``srclang`` of the captions or subtitles track for ``wanted``:
    an exact match first, then the same base language (``pt`` for ``pt-BR``).

    >>> tracks = [{"kind": "captions", "srclang": "en"}, {"kind": "subtitles", "srclang": "uk"}]
    >>> [choose_captions(tracks, lang) for lang in ("UK", "en-GB", "fr")]
    ['uk', 'en', None]
    """
    wanted = wanted.strip()
    if not wanted:
        return None
    text = [t for t in tracks if t["kind"] in ("captions", "subtitles")]
    for track in text:
        if track["srclang"].lower() == wanted.lower():
            return track["srclang"]
    for track in text:
        if _base(track["srclang"]) == _base(wanted):
            return track["srclang"]
    return None


def parse_options(args: Mapping[str, str], item: dict) -> EmbedOptions:
    """Read the embed page's parameters (``t``, ``end``, ``captions``, ``muted``,
    ``autoplay`` (only with ``muted``), ``transcript``, ``hl``, ``loop``, ``api``,
    ``quality`` and ``audio_only`` (only for what the item's renditions offer)) for
    ``item`` (ITEM JSON).

    >>> item = {"duration": 120.0, "tracks": [{"kind": "subtitles", "srclang": "uk"}]}
    >>> parse_options({"t": "1m30s", "end": "100", "captions": "uk", "autoplay": "1"}, item)
    EmbedOptions(start=90.0, end=100.0, captions='uk', muted=False, autoplay=False, \
transcript=False, hl='en', loop=False, api=False, quality=None, audio_only=False)
    >>> args = {"start": "soon", "end": "10", "hl": "xx", "muted": "1", "autoplay": "1"}
    >>> parse_options(args, item)
    EmbedOptions(start=0.0, end=10.0, captions=None, muted=True, autoplay=True, \
transcript=False, hl='en', loop=False, api=False, quality=None, audio_only=False)
    >>> streamed = {**item, "renditions": [{"height": 360}], "audio_only": {"url": "a.m3u8"}}
    >>> options = parse_options({"quality": "360p", "audio_only": "1"}, streamed)
    >>> options.quality, options.audio_only, parse_options({"quality": "720"}, streamed).quality
    ('360', True, None)
    """
    duration = item.get("duration") or None
    start = 0.0
    for name in ("start", "t"):
        start = parse_time(args.get(name, ""), duration)
        if start:
            break
    end: float | None = parse_time(args.get("end", ""), duration) or None
    if end is not None and end <= start:
        end = None
    muted = _flag(args, "muted")
    token = args.get("viewer_token", "").strip()
    return EmbedOptions(
        start=start,
        end=end,
        captions=choose_captions(item["tracks"], args.get("captions", "")),
        muted=muted,
        # Browsers block sound that starts by itself; muted autoplay is what works.
        autoplay=muted and _flag(args, "autoplay"),
        transcript=_flag(args, "transcript"),
        hl=pick_language(args.get("hl")),
        loop=_flag(args, "loop"),
        api=_flag(args, "api"),
        viewer_token=token if looks_like_token(token) else None,
        quality=_quality(args, item),
        audio_only=bool(item.get("audio_only")) and _flag(args, "audio_only"),
    )


def _quality(args: Mapping[str, str], item: dict) -> str | None:
    """``quality=auto``, or a height (``360`` or ``360p``) of one of the item's renditions."""
    wanted = args.get("quality", "").strip().lower().removesuffix("p")
    heights = {str(r.get("height")) for r in item.get("renditions") or []}
    if heights and (wanted == "auto" or wanted in heights):
        return wanted
    return None


# -- sizes ------------------------------------------------------------------------------

def _ratio(item: dict) -> tuple[int, int]:
    width, height = item.get("width"), item.get("height")
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        return width, height
    return FALLBACK_RATIO


def frame_size(item: dict, maxwidth: int | None = None,
               maxheight: int | None = None) -> tuple[int, int]:
    """Width and height of an iframe showing ``item`` whole, within the maxima.

    Video keeps its aspect ratio above the controls; audio gets the height
    of the compact audio player at that width.

    >>> frame_size({"kind": "video", "width": 160, "height": 90})
    (640, 468)
    >>> frame_size({"kind": "video", "width": 160, "height": 90}, maxwidth=320)
    (320, 288)
    >>> frame_size({"kind": "video", "width": 160, "height": 90}, maxheight=288)
    (320, 288)
    >>> frame_size({"kind": "audio"}), frame_size({"kind": "audio"}, maxwidth=320)
    ((640, 220), (320, 300))
    >>> frame_size({"kind": "audio"}, maxwidth=300, maxheight=100)
    (300, 100)

    Audio lower than that (oEmbed must respect the maxima) scrolls in the
    frame rather than being cut off, and below 9rem shows only the links.

    A height too low for the picture's shape at the player's smallest width
    keeps the width: the page shows the picture letterboxed, or only links.

    >>> frame_size({"kind": "video", "width": 160, "height": 90}, maxheight=200)
    (640, 200)
    """
    width = min(DEFAULT_WIDTH, maxwidth) if maxwidth else DEFAULT_WIDTH
    if item["kind"] == "audio":
        height = AUDIO_HEIGHT if width >= AUDIO_WIDE_WIDTH else AUDIO_NARROW_HEIGHT
        return width, min(height, maxheight) if maxheight else height
    ratio_w, ratio_h = _ratio(item)
    height = round(width * ratio_h / ratio_w) + CONTROLS_HEIGHT
    if maxheight and height > maxheight:
        # Narrower, so the picture keeps its shape in the lower height.
        shaped = int((maxheight - CONTROLS_HEIGHT) * ratio_w / ratio_h)
        if shaped >= PLAYER_MIN_WIDTH:
            width = min(width, shaped)
        height = maxheight
    return width, height


#: Bytes of an image read for its size: enough for the segments (EXIF and
#: the like) before a JPEG's size.
IMAGE_HEAD_BYTES = 256 * 1024


def image_size(head: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, JPEG or WebP image from its first
    :data:`IMAGE_HEAD_BYTES` bytes, or ``None`` when the file is none of
    those or is damaged."""
    if len(head) < 30:
        return None
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        return struct.unpack(">II", head[16:24])
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        chunk = head[12:16]
        if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
            w, h = struct.unpack("<HH", head[26:30])
            return w & 0x3FFF, h & 0x3FFF
        if chunk == b"VP8L" and head[20:21] == b"\x2f":
            bits = int.from_bytes(head[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        if chunk == b"VP8X":
            return (int.from_bytes(head[24:27], "little") + 1,
                    int.from_bytes(head[27:30], "little") + 1)
        return None
    if head[:2] == b"\xff\xd8":
        return _jpeg_size(head)
    return None


# Start-of-frame markers carry the size; C4, C8 and CC are other segments.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 9 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            return width, height
        pos += 2 + length
    return None


# -- URLs and markup --------------------------------------------------------------------

def embed_url(item_id: str, **params: object) -> str:
    """The absolute URL of an item's embed page with ``params`` as its query."""
    return absolute_url("embed.embed_page", item_id=item_id, **params)


def iframe_html(src: str, title: str, width: int | None = None,
                height: int | None = None, style: str = "border:0") -> Markup:
    """The ``<iframe>`` a host page pastes: titled, sandboxed, allowed full screen."""
    size = f' width="{width}" height="{height}"' if width and height else ""
    return Markup(
        '<iframe src="{src}"{size} title="{title}" sandbox="{sandbox}" allow="{allow}"'
        ' loading="lazy" style="{style}"></iframe>'
    ).format(src=src, size=Markup(size), title=title, sandbox=SANDBOX, allow=ALLOW, style=style)


@bp.app_template_global()
def embed_snippet(item: dict) -> Markup:
    """The watch page's copyable embed code for ``item`` (ITEM JSON): full
    width of the host's column, the picture's shape above the controls; for
    audio, the compact player's height at the narrowest width it is made for."""
    src = embed_url(item["id"])
    if item["kind"] == "audio":
        return iframe_html(src, item["title"],
                           style=f"width:100%;height:{AUDIO_NARROW_HEIGHT}px;border:0")
    ratio_w, ratio_h = _ratio(item)
    frame = iframe_html(src, item["title"],
                        style="position:absolute;top:0;left:0;width:100%;height:100%;border:0")
    padding = f"calc({ratio_h / ratio_w * 100:.4g}% + {CONTROLS_HEIGHT}px)"
    return Markup('<div style="position:relative;padding-top:{}">{}</div>').format(padding, frame)


@bp.app_template_global()
def oembed_url(item: dict) -> str:
    """The oEmbed discovery URL for ``item``'s watch page.

    The watch URL is percent-encoded whole, as oEmbed asks of every argument.
    """
    query = urlencode({"url": item["watch_url"], "format": "json"}, quote_via=quote)
    return f"{absolute_url('embed.oembed')}?{query}"


# -- views ------------------------------------------------------------------------------

@bp.get("/embed/<item_id>")
def embed_page(item_id: str):
    raw = find_item(item_id)
    item = raw.to_public()
    options = parse_options(request.args, item)
    transcript = tracks = None
    if options.transcript:
        from .transcripts.tracks import build_transcript, choose_tracks

        tracks = choose_tracks(raw, options.captions)
        transcript = build_transcript(raw, get_storage(), options.captions)
    captions = [t for t in item["tracks"] if t["kind"] in ("captions", "subtitles")]
    shown = next((t for t in captions if t["srclang"] == options.captions),
                 captions[0] if captions else None)
    watch = item["watch_url"] + (f"?{urlencode({'t': f'{options.start:g}'})}"
                                 if options.start else "")
    transcript_url = item["transcript"]["html"] + (
        f"?{urlencode({'lang': options.captions})}" if options.captions else "")
    context = {"item": item, "options": options, "default_track": shown,
               "watch_link": watch, "transcript_link": transcript_url,
               "ui_lang": options.hl,
               "embed_origins": " ".join(current_app.config["EMBED_ORIGINS"])}
    if transcript is not None:
        context.update(transcript=transcript, transcript_tracks=tracks)
    return render_template("embed.html", **context)


MAX_ASKED_PIXELS = 100_000


def _maximum(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    # ASCII digits only: int() would also take "１" or "٣".
    if not re.fullmatch(r"[0-9]+", value) or int(value) == 0:
        abort(400, f"'{name}' must be a whole number of pixels above 0.")
    # A maximum larger than any frame we make constrains nothing (oEmbed asks
    # providers to respect a maximum, not to refuse a generous one).
    return min(int(value), MAX_ASKED_PIXELS)


def _host_port(scheme: str, netloc: str) -> tuple[str, int | None]:
    parts = urlsplit(f"{scheme}://{netloc}")
    port = parts.port
    if (scheme, port) in (("http", 80), ("https", 443)):
        port = None
    return (parts.hostname or "").lower(), port


def _item_for_url(url: str) -> tuple[str, dict[str, str]]:
    """The item id and embed parameters named by one of our watch or embed URLs.

    :raises HTTPException: 404 when the URL is not a watch or embed page of
        this site with media: oEmbed's answer when a provider has no
        response for a URL (oEmbed 1.0 §2.2).
    """
    try:
        parts = urlsplit(url.strip())
        ours = urlsplit(site_url())
        same_site = (parts.scheme in ("http", "https") and
                     _host_port(parts.scheme, parts.netloc) == _host_port(ours.scheme, ours.netloc))
    except ValueError:
        same_site = False
    if not same_site:
        abort(404, "'url' is not a URL of this site; give a watch or embed URL such as "
                   f"{absolute_url('pages.watch', item_id='ID')}.")
    prefix = ours.path.rstrip("/")
    path = parts.path
    if prefix and not path.startswith(prefix + "/"):
        abort(404, f"'url' is not under {site_url()}; give a watch or embed URL there.")
    path = path[len(prefix):]
    try:
        endpoint, values = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        endpoint, values = None, {}
    if endpoint not in ("pages.watch", "embed.embed_page"):
        abort(404, "This site has no media at that URL; give a watch or embed URL.")
    params = {k: v for k, v in parse_qsl(parts.query) if k in EMBED_PARAMS}
    return values["item_id"], params


@bp.get("/oembed")
def oembed():
    """oEmbed 1.0 (https://oembed.com), JSON only, for watch and embed URLs."""
    fmt = request.args.get("format", "json")
    if fmt != "json":
        return error_response(501, f"Only format=json is available, not '{fmt}'.")
    url = request.args.get("url", "")
    if not url:
        return error_response(400, "Give the URL of a watch or embed page in 'url'.")
    # oEmbed 1.0 says maxima must be respected, so even a frame too small
    # for the player is handed out: an audio player then scrolls in it, and
    # the smallest show only links to the media.
    maxwidth, maxheight = _maximum("maxwidth"), _maximum("maxheight")
    item_id, params = _item_for_url(url)
    raw = find_item(item_id)
    item = raw.to_public()
    width, height = frame_size(item, maxwidth, maxheight)
    body: dict[str, object] = {
        # oEmbed's "video" is for playable video, and consumers may give such
        # an embed the picture's shape; an audio player is "rich" HTML, which
        # keeps the height given (both types carry the same html, width and height).
        "type": "rich" if item["kind"] == "audio" else "video",
        "version": "1.0",
        "title": item["title"],
        "provider_name": current_app.config["SITE_NAME"],
        "provider_url": site_url(),
        "width": width,
        "height": height,
        "html": str(iframe_html(embed_url(item_id, **params), item["title"], width, height)),
    }
    if raw.poster:
        try:
            size = image_size(get_storage().read_range(raw.poster, 0, IMAGE_HEAD_BYTES))
        except OSError:
            size = None
        # oEmbed: a thumbnail must respect the maxima too; there is no smaller one.
        if size and (not maxwidth or size[0] <= maxwidth) and (
                not maxheight or size[1] <= maxheight):
            body.update(thumbnail_url=item["poster"], thumbnail_width=size[0],
                        thumbnail_height=size[1])
    return jsonify(body)
