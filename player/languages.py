"""Language tags and human names for track languages and kinds."""

from __future__ import annotations

import re

#: The language tags the library uses, in sidecar file names, the API and
#: progress reports: a primary language of two or three lower-case letters,
#: then subtags of two to eight letters or digits (``en``, ``pt-BR``,
#: ``zh-Hant-TW``).
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*", re.ASCII)

#: A well-formed BCP 47 tag (RFC 5646 §2.1): language, script, region,
#: variants, extensions and private use, or a private-use or "i-" tag alone.
#: Cue text may name any of these in ``<lang>`` annotations.
WELL_FORMED_TAG = re.compile(
    r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})(?:-[a-z]{4})?(?:-(?:[a-z]{2}|\d{3}))?"
    r"(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*(?:-[a-wyz\d](?:-[a-z\d]{2,8})+)*"
    r"(?:-x(?:-[a-z\d]{1,8})+)?|x(?:-[a-z\d]{1,8})+|i-[a-z]{2,8}",
    re.ASCII | re.IGNORECASE,
)


def is_language_tag(code: str) -> bool:
    """Whether ``code`` is a tag the library uses (:data:`LANGUAGE_TAG`).

    >>> is_language_tag("pt-BR"), is_language_tag("EN"), is_language_tag("en\\n")
    (True, False, False)
    """
    return LANGUAGE_TAG.fullmatch(code) is not None


# Each language named in itself, so a viewer finds their own language
# whatever the page's language is.
AUTONYMS = {
    "ar": "العربية", "cs": "Čeština", "da": "Dansk", "de": "Deutsch", "el": "Ελληνικά",
    "en": "English", "es": "Español", "fi": "Suomi", "fr": "Français", "he": "עברית",
    "hi": "हिन्दी", "hu": "Magyar", "it": "Italiano", "ja": "日本語", "ko": "한국어",
    "nl": "Nederlands", "no": "Norsk", "pl": "Polski", "pt": "Português", "ro": "Română",
    "ru": "Русский", "sk": "Slovenčina", "sv": "Svenska", "tr": "Türkçe", "uk": "Українська",
    "zh": "中文",
}


def language_name(code: str) -> str:
    """``"uk-UA"`` → ``"Українська"``; unknown codes come back as given."""
    return AUTONYMS.get(code.split("-")[0].lower(), code)


def track_label(lang: str, kind: str) -> str:
    """A label a viewer recognises in a captions menu.

    >>> track_label("en", "captions")
    'English captions'
    >>> track_label("uk", "subtitles")
    'Українська (subtitles)'
    """
    name = language_name(lang)
    if lang.split("-")[0].lower() == "en":
        return f"{name} {kind}"
    return f"{name} ({kind})"
