"""``player align`` and ``player transcribe``: caption production for batch
work on media files, outside the library."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..errors import PlayerError
from ..languages import is_language_tag
from . import asr
from .align import align
from .audio import decode
from .script import parse_script
from .segment import make_cues, to_webvtt


def _language(ctx, param, value: str) -> str:
    if not is_language_tag(value):
        raise click.BadParameter(f"'{value}' is not a language tag such as en or pt-BR.")
    return value


_MEDIA = click.argument("media", type=click.Path(exists=True, dir_okay=False, path_type=Path))
_OUTPUT = click.option("-o", "--output", required=True, type=click.Path(dir_okay=False,
                       writable=True, path_type=Path), help="The WebVTT file to write.")
_LANGUAGE = click.option("--language", default="en", show_default=True, callback=_language,
                         help="The language spoken (and of the script).")


def _write(path: Path, text: str) -> None:
    # Atomic: a reader of OUT never sees half a file.
    with click.open_file(str(path), "w", encoding="utf-8", atomic=True) as out:
        out.write(text)


@click.command("align")
@_MEDIA
@click.argument("text", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_OUTPUT
@_LANGUAGE
def align_command(media: Path, text: Path, output: Path, language: str) -> None:
    """Time the script TEXT (plain text; NAME: prefixes; blank lines between
    paragraphs) against the speech in MEDIA and write readable captions."""
    try:
        with click.open_file(str(text), encoding="utf-8-sig") as source:
            script = source.read()
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{text}: not UTF-8 text (byte {exc.start + 1}).") from None
    try:
        paragraphs = parse_script(script)
        audio = decode(str(media))
        result = align(audio, paragraphs, language)
    except PlayerError as exc:
        raise click.ClickException(str(exc)) from None
    for skipped in result.skipped:
        click.echo(f"{text}:{skipped.line}: warning: paragraph {skipped.index + 1} was not"
                   f" found in the sound and is left out: {skipped.text[:60]}", err=True)
    if result.note:
        click.echo(result.note, err=True)
    cues = make_cues(result.words, audio.duration)
    _write(output, to_webvtt(cues, "Rough timing." if result.rough else ""))
    click.echo(f"{len(cues)} cues written to {output}; {len(result.words)} words timed,"
               f" {result.interpolated} interpolated, {len(result.skipped)} paragraph(s)"
               " skipped.")


@click.command("transcribe")
@_MEDIA
@_OUTPUT
@_LANGUAGE
@with_appcontext
def transcribe_command(media: Path, output: Path, language: str) -> None:
    """Draft captions from the speech in MEDIA (the engine is PLAYER_ASR_ENGINE,
    by default the built-in US-English one); uncertain words are marked
    <c.review>."""
    try:
        engine = asr.engine_from(current_app.config)
        asr.check_language(engine, language, language)
        audio = decode(str(media))
        heard = asr.transcribe(audio, language, engine)
    except PlayerError as exc:
        raise click.ClickException(str(exc)) from None
    cues = make_cues(heard.words, audio.duration)
    _write(output, to_webvtt(cues, f"Drafted from speech by {heard.engine}."))
    click.echo(f"{len(cues)} cues written to {output}; {len(heard.words)} words,"
               f" {heard.review} marked for review.")


COMMANDS = (align_command, transcribe_command)
