"""``player check-captions``: a linter for caption files."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .model import KINDS
from .validate import validate_file


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


@click.command("check-captions")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--duration", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
    help="Length of the media, to find cues past its end.",
)
@click.option(
    "--kind", type=click.Choice(KINDS),
    help="Track kind; by default read from the file name (talk.en.chapters.vtt), else captions.",
)
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text",
    show_default=True, help="Linter lines for people and editors, or JSON for tools.",
)
def check_captions(
    files: tuple[Path, ...], duration: float | None, kind: str | None, output_format: str
) -> None:
    """Check WebVTT, SRT or SBV caption FILES as browsers would read them.

    Prints FILE:LINE:COLUMN: error|warning: MESSAGE [CODE] for each problem and
    a summary; exits with status 1 when any file has errors.
    """
    errors = warnings = 0
    results = []
    for path in files:
        report = validate_file(path.read_bytes(), path.name, kind=kind, duration=duration)
        errors += len(report.errors)
        warnings += len(report.warnings)
        results.append((path, report))
    summary = (
        f"{_count(errors, 'error')}, {_count(warnings, 'warning')}"
        f" in {_count(len(files), 'file')}"
    )
    if output_format == "json":
        click.echo(json.dumps({
            "files": [
                {
                    "file": str(path),
                    "format": report.format,
                    "cues": len(report.cues),
                    "ok": report.ok,
                    "problems": [
                        {"line": p.line, "column": p.column, "severity": p.severity,
                         "code": p.code, "message": p.message}
                        for p in report.problems
                    ],
                }
                for path, report in results
            ],
            "errors": errors,
            "warnings": warnings,
            "summary": summary,
        }, ensure_ascii=False, indent=2))
    else:
        for path, report in results:
            for p in report.problems:
                click.echo(f"{path}:{p.line}:{p.column}: {p.severity}: {p.message} [{p.code}]")
        click.echo(summary)
    if errors:
        click.get_current_context().exit(1)
