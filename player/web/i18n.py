"""The pages' own words in each language they speak.

The catalogs work like the player's (``static/player/i18n``): a key is the
English text, a missing translation falls back to it, and an entry may be a
dict of plural forms chosen by the ``n`` value. ``?hl=`` picks the language
of a page; without it, or when it names a language there is no catalog for,
pages are in English. (Not ``Accept-Language``: pages are cached by URL.)
The publisher's pages are in English only.

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
    "in {n} items": {"one": "in {n} item", "other": "in {n} items"},
    "{n} matches": {"one": "{n} match", "other": "{n} matches"},
    "{n} hours": {"one": "{n} hour", "other": "{n} hours"},
    "{n} minutes": {"one": "{n} minute", "other": "{n} minutes"},
    "{n} seconds": {"one": "{n} second", "other": "{n} seconds"},
    "{n} items, each with a transcript you can read without playing it.": {
        "one": "{n} item, each with a transcript you can read without playing it.",
        "other": "{n} items, each with a transcript you can read without playing it.",
    },
}

# Ukrainian plural forms: one (1, 21, 31…), few (2–4, 22–24…), many (0,
# 5–20, 25–30…), as Intl.PluralRules("uk") has them for whole numbers; other
# is for fractions, which no count here has, and takes the genitive singular.
# Terms follow the player's catalog (static/player/i18n/uk.js).
_UKRAINIAN: dict[str, Entry] = {
    # Every page
    "Skip links": "Посилання для переходу",
    "Skip to main content": "Перейти до основного вмісту",
    "Skip to player": "Перейти до програвача",
    "Skip to transcript": "Перейти до стенограми",
    "Skip the transcript": "Пропустити стенограму",
    "End of the transcript": "Кінець стенограми",
    "Site": "Сайт",
    "Library": "Бібліотека",
    "Search transcripts": "Пошук у стенограмах",
    "Publish": "Публікувати",
    # Library
    "{n} items, each with a transcript you can read without playing it.": {
        "one": "{n} запис, і до нього є стенограма, яку можна прочитати без відтворення.",
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
    "Video still: {title}": "Кадр із відео: {title}",
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
    # Embed page
    "Watch on {site}": "Дивитися на {site}",
    "Read the transcript": "Читати стенограму",
    "(opens in a new tab)": "(відкривається в новій вкладці)",
    # Transcript
    "Description:": "Опис:",
    "There is no transcript yet: this item has no captions or subtitles.":
        "Стенограми ще немає: до цього запису немає субтитрів.",
    "Transcript: {title}": "Стенограма: {title}",
    "The full transcript of this video.": "Повна стенограма цього відео.",
    "The full transcript of this audio.": "Повна стенограма цього аудіо.",
    # The duration is in the nominative, so it stands apart after a dash.
    "The full transcript of this video, {length} long.":
        "Повна стенограма цього відео (тривалість — {length}).",
    "The full transcript of this audio, {length} long.":
        "Повна стенограма цього аудіо (тривалість — {length}).",
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
    "More than {n} matches for “{query}”, too many to count; the first {items} found "
    "are shown. Add words to narrow the search.": {
        "one": "Понад {n} збіг за запитом «{query}» — забагато, щоб полічити; показано перші "
               "знайдені {items}. Додайте слова, щоб звузити пошук.",
        "few": "Понад {n} збіги за запитом «{query}» — забагато, щоб полічити; показано перші "
               "знайдені {items}. Додайте слова, щоб звузити пошук.",
        "many": "Понад {n} збігів за запитом «{query}» — забагато, щоб полічити; показано "
                "перші знайдені {items}. Додайте слова, щоб звузити пошук.",
        "other": "Понад {n} збігу за запитом «{query}» — забагато, щоб полічити; показано "
                 "перші знайдені {items}. Додайте слова, щоб звузити пошук.",
    },
    " for “{query}”": " за запитом «{query}»",
    "No matches for “{query}”": "Немає збігів за запитом «{query}»",
    "More than {n} matches for “{query}”": {
        "one": "Понад {n} збіг за запитом «{query}»",
        "few": "Понад {n} збіги за запитом «{query}»",
        "many": "Понад {n} збігів за запитом «{query}»",
        "other": "Понад {n} збігу за запитом «{query}»",
    },
    "; the {n} items with most matches are shown": {
        "one": "; показано {n} запис із найбільшою кількістю збігів",
        "few": "; показано {n} записи з найбільшою кількістю збігів",
        "many": "; показано {n} записів із найбільшою кількістю збігів",
        "other": "; показано {n} запису з найбільшою кількістю збігів",
    },
    "No matches for “{query}”. Check the spelling, use fewer words, or end a word with * to "
    "find words that start with it.":
        "Немає збігів за запитом «{query}». Перевірте написання, скоротіть запит або додайте * "
        "у кінці слова, щоб знайти слова, які з нього починаються.",
    "At least {matches}": "Щонайменше {matches}",
    ", the first {n} shown.": ", показано перші {n}.",
    "Read the transcript of “{title}”": "Читати стенограму «{title}»",
    # "На" would need the locative of the whole duration; "від початку" keeps the nominative.
    "At {time}:": "{time} від початку:",
    "Chapter:": "Розділ:",
    # Counted things: whole "{n} …" phrases, for the plural forms.
    "{n} items": {"one": "{n} запис", "few": "{n} записи", "many": "{n} записів",
                  "other": "{n} запису"},
    # Locative after "у": "у 1 записі", "у 2 записах", "у 5 записах".
    "in {n} items": {"one": "у {n} записі", "few": "у {n} записах", "many": "у {n} записах",
                     "other": "у {n} запису"},
    "{n} matches": {"one": "{n} збіг", "few": "{n} збіги", "many": "{n} збігів",
                    "other": "{n} збігу"},
    # Durations
    "{n} hours": {"one": "{n} година", "few": "{n} години", "many": "{n} годин",
                  "other": "{n} години"},
    "{n} minutes": {"one": "{n} хвилина", "few": "{n} хвилини", "many": "{n} хвилин",
                    "other": "{n} хвилини"},
    "{n} seconds": {"one": "{n} секунда", "few": "{n} секунди", "many": "{n} секунд",
                    "other": "{n} секунди"},
    # Error pages: the status, then the reason (werkzeug's or the app's).
    "Go to the library": "Перейти до бібліотеки",
    "Bad Request": "Хибний запит",
    "Unauthorized": "Потрібно увійти",
    "Forbidden": "Доступ заборонено",
    "Not Found": "Не знайдено",
    "Method Not Allowed": "Метод не дозволено",
    "Gone": "Більше не доступно",
    "Request Entity Too Large": "Завеликий запит",
    "Requested Range Not Satisfiable": "Запитаний діапазон недоступний",
    "Too Many Requests": "Забагато запитів",
    "Internal Server Error": "Внутрішня помилка сервера",
    "Not Implemented": "Не підтримується",
    "Service Unavailable": "Сервіс недоступний",
    "The browser (or proxy) sent a request that this server could not understand.":
        "Браузер (або проксі-сервер) надіслав запит, якого цей сервер не зрозумів.",
    "The requested URL was not found on the server. If you entered the URL manually please "
    "check your spelling and try again.":
        "Такої адреси на сервері немає. Якщо ви ввели її вручну, перевірте написання "
        "й спробуйте ще раз.",
    "The method is not allowed for the requested URL.":
        "Цей метод не дозволений для запитаної адреси.",
    "Something went wrong on our side. It has been logged.":
        "Щось пішло не так на нашому боці. Помилку записано в журнал.",
    "There is no media item with the id '{item_id}'.":
        "Немає медіазапису з ідентифікатором «{item_id}».",
    "The media item '{item_id}' has no file named '{name}'.":
        "Медіазапис «{item_id}» не має файлу з назвою «{name}».",
    # The title is left out: it is in the item's language, not the page's.
    "'{title}' has no captions or subtitles in the language '{lang}'.":
        "Цей запис не має субтитрів мовою «{lang}».",
    "The search is {n} characters long; use at most {limit}.": {
        "one": "Запит має {n} символ; можна щонайбільше {limit}.",
        "few": "Запит має {n} символи; можна щонайбільше {limit}.",
        "many": "Запит має {n} символів; можна щонайбільше {limit}.",
        "other": "Запит має {n} символу; можна щонайбільше {limit}.",
    },
}

#: The catalog of each language the pages speak.
CATALOGS: dict[str, dict[str, Entry]] = {"en": _ENGLISH, "uk": _UKRAINIAN}

#: Messages other modules write in English (abort reasons, werkzeug's
#: defaults), with their variable parts as placeholders, so that
#: :func:`translate_message` can find them in an error page.
MESSAGES = (
    "There is no media item with the id '{item_id}'.",
    "The media item '{item_id}' has no file named '{name}'.",
    "'{title}' has no captions or subtitles in the language '{lang}'.",
    "The search is {n} characters long; use at most {limit}.",
)

#: Digit grouping of each language (CLDR): "20,000", "20 000" (no-break space).
_GROUPING = {"en": ",", "uk": "\u00a0"}

#: Paths whose pages are in English whatever ``hl`` says: the publisher's.
ENGLISH_ONLY_PATHS = ("/publish/",)

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


def format_number(lang: str, n: int) -> str:
    """A whole number as ``lang`` writes it.

    >>> format_number("en", 20000), format_number("uk", 20000), format_number("uk", 999)
    ('20,000', '20\\xa0000', '999')
    """
    return f"{n:,}".replace(",", _GROUPING.get(lang, ","))


def _template(lang: str, key: str, n) -> str:
    text = CATALOGS.get(lang, {}).get(key) or _ENGLISH.get(key) or key
    if isinstance(text, dict):
        text = text.get(plural_category(lang, int(n or 0)), text["other"])
    return text


def _shown(lang: str, value):
    """A value as it goes into a text: whole numbers grouped as ``lang`` does."""
    if isinstance(value, int) and not isinstance(value, bool):
        return format_number(lang, value)
    return value


def translate(lang: str, key: str, /, **values) -> str:
    """``key`` in ``lang`` with its ``{name}`` placeholders filled in; ``n``
    also chooses the plural form.

    >>> translate("uk", "{n} minutes", n=3), translate("en", "{n} minutes", n=1)
    ('3 хвилини', '1 minute')
    >>> translate("uk", "No such text")
    'No such text'
    """
    text = _template(lang, key, values.get("n"))
    return _PLACEHOLDER.sub(
        lambda m: str(_shown(lang, values[m.group(1)])) if m.group(1) in values else m.group(0),
        text)


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
        else escape(_shown(lang, values[part]) if part in values else "{" + part + "}")
        for index, part in enumerate(parts))


def _pattern(key: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(key)
    return re.compile("".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
                              for index, part in enumerate(parts)) + r"\Z", re.DOTALL)


_MESSAGE_PATTERNS = [(key, _pattern(key)) for key in MESSAGES]


def translate_message(lang: str, message: str) -> str | None:
    """An English message from elsewhere in ``lang``, or ``None`` when the
    catalog does not have it. Besides whole keys, the :data:`MESSAGES` are
    recognised with their variable parts.

    >>> translate_message("uk", "There is no media item with the id 'x'.")
    'Немає медіазапису з ідентифікатором «x».'
    >>> translate_message("uk", "The search is 201 characters long; use at most 200.")
    'Запит має 201 символ; можна щонайбільше 200.'
    >>> translate_message("uk", "Something else."), translate_message("en", "Not Found")
    (None, 'Not Found')
    """
    if lang == DEFAULT_LANGUAGE:
        return message
    catalog = CATALOGS.get(lang, {})
    if isinstance(catalog.get(message), str):
        return translate(lang, message)
    for key, pattern in _MESSAGE_PATTERNS:
        found = pattern.match(message)
        if found and key in catalog:
            values = {name: int(value) if value.isascii() and value.isdigit() else value
                      for name, value in found.groupdict().items()}
            return translate(lang, key, **values)
    return None


def message_in(lang: str, message: str) -> tuple[str, str]:
    """``message`` in ``lang`` where the catalog has it, else as it is; with
    the language it ended up in, for a ``lang`` attribute.

    >>> message_in("uk", "Not Found"), message_in("uk", "Something else.")
    (('Не знайдено', 'uk'), ('Something else.', 'en'))
    """
    translated = translate_message(lang, message)
    return (translated, lang) if translated is not None else (message, DEFAULT_LANGUAGE)


def lang_attr(ui_lang: str, code: str | None) -> Markup:
    """`` lang="…"`` for text in ``code`` on a page in ``ui_lang``, or nothing
    when the page's language already covers it.

    >>> str(lang_attr("uk", "en")), str(lang_attr("en", "en-GB")), str(lang_attr("en", None))
    (' lang="en"', '', '')
    """
    if not code or code.split("-")[0].lower() == ui_lang:
        return Markup("")
    return Markup(' lang="%s"') % code


def lang_span(ui_lang: str, text: str, code: str | None) -> Markup:
    """``text`` inside a ``<span lang>`` where its language ``code`` differs
    from the page's, else just ``text``; escaped either way.

    >>> str(lang_span("uk", "A & B", "en")), str(lang_span("en", "A & B", "en"))
    ('<span lang="en">A &amp; B</span>', 'A &amp; B')
    """
    attr = lang_attr(ui_lang, code)
    return Markup("<span{}>{}</span>").format(attr, text) if attr else escape(text)


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
    if request.path.startswith(ENGLISH_ONLY_PATHS):
        return DEFAULT_LANGUAGE
    return pick_language(request.args.get("hl"))


def init_app(app: Flask) -> None:
    """Give every template the request's UI language and the functions that
    translate into it (``_``, ``t``, ``lang_attr``, ``lang_span``, ``hl``)."""

    @app.context_processor
    def ui_text() -> dict:
        lang = request_language()
        return {
            "ui_lang": lang,
            "_": partial(translate_markup, lang),
            # Plain text, for JSON and script.
            "t": partial(translate, lang),
            "lang_attr": partial(lang_attr, lang),
            "lang_span": partial(lang_span, lang),
            "hl": partial(with_hl, lang),
            # For links built by hand after a query ("?t=12"), cue by cue.
            "hl_param": "" if lang == DEFAULT_LANGUAGE else f"&hl={lang}",
        }


def words(seconds: float | None, lang: str = "en") -> str:
    """``65`` → ``"1 minute 5 seconds"``, in ``lang`` (a catalog language).

    >>> words(0), words(1), words(65), words(3600)
    ('0 seconds', '1 second', '1 minute 5 seconds', '1 hour')
    >>> words(65, "uk"), words(3 * 3600 + 22 * 60 + 25, "uk")
    ('1 хвилина 5 секунд', '3 години 22 хвилини 25 секунд')
    """
    total = int(max(0.0, seconds or 0.0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [translate(lang, key, n=value)
             for value, key in ((hours, "{n} hours"), (minutes, "{n} minutes"),
                                (secs, "{n} seconds"))
             if value]
    return " ".join(parts) or translate(lang, "{n} seconds", n=0)
