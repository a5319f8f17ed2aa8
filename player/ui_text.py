"""The pages' own words in each language they speak.

The catalogs work like the player's (``static/player/i18n``): a key is the
English text, a missing translation falls back to it, and an entry may be a
dict of plural forms chosen by the ``n`` value. ``?hl=`` picks the language
of a page; without it, or when it names a language there is no catalog for,
pages are in English. (Not ``Accept-Language``: pages are cached by URL.)

Item titles, descriptions and transcripts keep their own language, which
:func:`lang_attr` marks where it differs from the page's.
"""

from __future__ import annotations

import re
from functools import partial
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask, request
from markupsafe import Markup, escape

DEFAULT_LANGUAGE = "en"

Entry = str | dict[str, str]

#: English needs only its plural forms.
_ENGLISH: dict[str, Entry] = {
    "{n} items": {"one": "{n} item", "other": "{n} items"},
    "{n} matches": {"one": "{n} match", "other": "{n} matches"},
    "{n} matches in {items}": {"one": "{n} match in {items}", "other": "{n} matches in {items}"},
    "{n} hours": {"one": "{n} hour", "other": "{n} hours"},
    "{n} minutes": {"one": "{n} minute", "other": "{n} minutes"},
    "{n} seconds": {"one": "{n} second", "other": "{n} seconds"},
    "{n} items, each with a transcript you can read without playing it.": {
        "one": "{n} item, each with a transcript you can read without playing it.",
        "other": "{n} items, each with a transcript you can read without playing it.",
    },
}

# Ukrainian plural forms: one (1, 21, 31…), few (2–4, 22–24…), many (0,
# 5–20, 25–30…), as Intl.PluralRules("uk") has them for whole numbers.
_UKRAINIAN: dict[str, Entry] = {
    # Every page
    "Skip links": "Посилання для переходу",
    "Skip to main content": "Перейти до основного вмісту",
    "Skip to player": "Перейти до програвача",
    "Skip to transcript": "Перейти до стенограми",
    "Site": "Сайт",
    "Library": "Бібліотека",
    "Search transcripts": "Пошук у стенограмах",
    # Library
    "{n} items, each with a transcript you can read without playing it.": {
        "one": "{n} запис, і до кожного є стенограма, яку можна прочитати без відтворення.",
        "few": "{n} записи, і до кожного є стенограма, яку можна прочитати без відтворення.",
        "many": "{n} записів, і до кожного є стенограма, яку можна прочитати без відтворення.",
        "other": "{n} запису, і до кожного є стенограма, яку можна прочитати без відтворення.",
    },
    "Type": "Тип",
    "Video": "Відео",
    "Audio": "Аудіо",
    "Length": "Тривалість",
    "Captions": "Субтитри",
    "None": "Немає",
    "Descriptions": "Описи",
    "Watch": "Дивитися",
    "Listen": "Слухати",
    "Transcript": "Стенограма",
    " of {title}": ": {title}",
    "The library is empty. Put audio or video files in the media folder and run {command}.":
        "Бібліотека порожня. Покладіть аудіо- чи відеофайли в теку медіа й виконайте {command}.",
    # Watch page
    "Share": "Поділитися",
    "Link to this video": "Посилання на це відео",
    "Link to this audio": "Посилання на це аудіо",
    "Your browser cannot play this video.": "Ваш браузер не може відтворити це відео.",
    "Your browser cannot play this audio.": "Ваш браузер не може відтворити це аудіо.",
    "Download it": "Завантажте його",
    "Embed": "Вбудовування",
    "Paste this code into a page on your site to show this video there, with its captions, "
    "transcript and keyboard shortcuts.":
        "Вставте цей код у сторінку свого сайту, щоб показати там це відео з субтитрами, "
        "стенограмою та клавіатурними скороченнями.",
    "Paste this code into a page on your site to show this audio there, with its captions, "
    "transcript and keyboard shortcuts.":
        "Вставте цей код у сторінку свого сайту, щоб показати там це аудіо з субтитрами, "
        "стенограмою та клавіатурними скороченнями.",
    "Embed code": "Код для вбудовування",
    "Copy the embed code": "Скопіювати код для вбудовування",
    "Copied": "Скопійовано",
    "Selected: press Control+C, or Command+C, to copy":
        "Виділено: натисніть Control+C або Command+C, щоб скопіювати",
    # Transcript
    "Description:": "Опис:",
    "There is no transcript yet: this item has no captions or subtitles.":
        "Стенограми ще немає: до цього запису немає субтитрів.",
    "Transcript: {title}": "Стенограма: {title}",
    "The full transcript of this video.": "Повна стенограма цього відео.",
    "The full transcript of this audio.": "Повна стенограма цього аудіо.",
    "The full transcript of this video, {length} long.":
        "Повна стенограма цього відео тривалістю {length}.",
    "The full transcript of this audio, {length} long.":
        "Повна стенограма цього аудіо тривалістю {length}.",
    "Each passage links to its moment.": "Кожен уривок веде до свого моменту.",
    "Watch “{title}”": "Дивитися «{title}»",
    "Listen to “{title}”": "Слухати «{title}»",
    "Download as text": "Завантажити як текст",
    "Download as text with times": "Завантажити як текст із часом",
    "Download as JSON": "Завантажити як JSON",
    "Transcript language:": "Мова стенограми:",
    # Search
    "Words to find": "Слова для пошуку",
    "Search": "Шукати",
    "Finds captions that contain all the words. Put a phrase in \"quotes\"; end a word with * "
    "to find every word that starts with it.":
        "Знаходить субтитри, що містять усі слова. Фразу беріть у \"лапки\"; додайте * у кінці "
        "слова, щоб знайти всі слова, які з нього починаються.",
    "Nothing to search for: type a word with letters or digits.":
        "Немає чого шукати: введіть слово з літер або цифр.",
    "More than {limit} matches for “{query}”, too many to count; the first {items} found "
    "are shown. Add words to narrow the search.":
        "Понад {limit} збігів для «{query}», забагато, щоб полічити; показано перші знайдені "
        "{items}. Додайте слова, щоб звузити пошук.",
    "{n} matches in {items}": {
        "one": "{n} збіг у {items}",
        "few": "{n} збіги у {items}",
        "many": "{n} збігів у {items}",
        "other": "{n} збігу в {items}",
    },
    " for “{query}”": " для «{query}»",
    "; the {n} items with most matches are shown": {
        "one": "; показано {n} запис із найбільшою кількістю збігів",
        "few": "; показано {n} записи з найбільшою кількістю збігів",
        "many": "; показано {n} записів із найбільшою кількістю збігів",
        "other": "; показано {n} запису з найбільшою кількістю збігів",
    },
    "No matches for “{query}”. Check the spelling, use fewer words, or end a word with * to "
    "find words that start with it.":
        "Немає збігів для «{query}». Перевірте написання, скоротіть запит або додайте * у кінці "
        "слова, щоб знайти слова, які з нього починаються.",
    "At least {matches}": "Щонайменше {matches}",
    ", the first {n} shown.": ", показано перші {n}.",
    "Read the transcript of “{title}”": "Читати стенограму «{title}»",
    "At {time}:": "На {time}:",
    "Chapter:": "Розділ:",
    # Counted things: whole "{n} …" phrases, for the plural forms.
    "{n} items": {"one": "{n} запис", "few": "{n} записи", "many": "{n} записів",
                  "other": "{n} запису"},
    "{n} matches": {"one": "{n} збіг", "few": "{n} збіги", "many": "{n} збігів",
                    "other": "{n} збігу"},
    # Durations
    "{n} hours": {"one": "{n} година", "few": "{n} години", "many": "{n} годин",
                  "other": "{n} години"},
    "{n} minutes": {"one": "{n} хвилина", "few": "{n} хвилини", "many": "{n} хвилин",
                    "other": "{n} хвилини"},
    "{n} seconds": {"one": "{n} секунда", "few": "{n} секунди", "many": "{n} секунд",
                    "other": "{n} секунди"},
    # Errors
    "Not Found": "Не знайдено",
    "Bad Request": "Хибний запит",
    "Method Not Allowed": "Метод не дозволено",
    "Internal Server Error": "Внутрішня помилка сервера",
    "Go to the library": "Перейти до бібліотеки",
}

#: The catalog of each language the pages speak.
CATALOGS: dict[str, dict[str, Entry]] = {"en": _ENGLISH, "uk": _UKRAINIAN}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def pick_language(value: str | None) -> str:
    """The catalog language for an ``hl`` value, English when there is none.

    >>> pick_language("uk"), pick_language("UK-ua"), pick_language("xx"), pick_language(None)
    ('uk', 'uk', 'en', 'en')
    """
    code = (value or "").strip().split("-")[0].lower()
    return code if code in CATALOGS else DEFAULT_LANGUAGE


def plural_category(lang: str, n: int) -> str:
    """The CLDR plural category of the whole number ``n`` in ``lang``.

    >>> [plural_category("uk", n) for n in (1, 2, 5, 11, 21, 22, 25, 102, 112)]
    ['one', 'few', 'many', 'many', 'one', 'few', 'many', 'few', 'many']
    >>> plural_category("en", 1), plural_category("en", 0)
    ('one', 'other')
    """
    if lang == "uk":
        if n % 10 == 1 and n % 100 != 11:
            return "one"
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return "few"
        return "many"
    return "one" if n == 1 else "other"


def _template(lang: str, key: str, n) -> str:
    text = CATALOGS.get(lang, {}).get(key) or _ENGLISH.get(key) or key
    if isinstance(text, dict):
        text = text.get(plural_category(lang, int(n or 0)), text["other"])
    return text


def translate(lang: str, key: str, /, **values) -> str:
    """``key`` in ``lang`` with its ``{name}`` placeholders filled in; ``n``
    also chooses the plural form.

    >>> translate("uk", "{n} minutes", n=3), translate("en", "{n} minutes", n=1)
    ('3 хвилини', '1 minute')
    >>> translate("uk", "No such text")
    'No such text'
    """
    text = _template(lang, key, values.get("n"))
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


def translate_markup(lang: str, key: str, /, **values) -> Markup:
    """:func:`translate` for templates: the text is escaped and so are the
    values, except those that are already markup.

    >>> str(translate_markup("uk", "Watch “{title}”", title="<b>"))
    'Дивитися «&lt;b&gt;»'
    """
    parts = _PLACEHOLDER.split(_template(lang, key, values.get("n")))
    # split() leaves the placeholder names at the odd positions.
    return Markup("").join(
        escape(part) if index % 2 == 0
        else escape(values.get(part, "{" + part + "}"))
        for index, part in enumerate(parts))


def lang_attr(ui_lang: str, code: str | None) -> Markup:
    """`` lang="…"`` for text in ``code`` on a page in ``ui_lang``, or nothing
    when the page's language already covers it.

    >>> str(lang_attr("uk", "en")), str(lang_attr("en", "en-GB")), str(lang_attr("en", None))
    (' lang="en"', '', '')
    """
    if not code or code.split("-")[0].lower() == ui_lang:
        return Markup("")
    return Markup(' lang="%s"') % code


def with_hl(ui_lang: str, url: str) -> str:
    """``url`` with ``hl`` set to the page's language, so a visitor who chose
    one stays in it; English pages add nothing.

    >>> with_hl("uk", "/watch/a?t=5"), with_hl("en", "/watch/a")
    ('/watch/a?t=5&hl=uk', '/watch/a')
    """
    if ui_lang == DEFAULT_LANGUAGE:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "hl"]
    query.append(("hl", ui_lang))
    return urlunsplit(parts._replace(query=urlencode(query)))


def request_language() -> str:
    """The UI language the current request asks for with ``?hl=``."""
    return pick_language(request.args.get("hl"))


def init_app(app: Flask) -> None:
    @app.context_processor
    def ui_text() -> dict:
        lang = request_language()
        return {
            "ui_lang": lang,
            "_": partial(translate_markup, lang),
            # Plain text, for JSON and script.
            "t": partial(translate, lang),
            "lang_attr": partial(lang_attr, lang),
            "hl": partial(with_hl, lang),
        }
