"""Human names for track languages and kinds."""

from __future__ import annotations

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
