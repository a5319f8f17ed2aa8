"""Static assets served lean: JavaScript and CSS without comments and
indentation, compressed once, revalidated by ETag.

The files under ``static/`` stay the readable source (ES modules, no build
step); this module shrinks what goes over the wire. rJSmin and rCSSmin do the
minifying; what is ours is the bundler, which inlines a module's relative
imports so a page fetches one file where it would fetch a dozen.

rJSmin reads JavaScript with regular expressions, not a parser, so the
sources keep to what it reads right (``tests/test_assets.py`` checks them,
and runs ``node --check`` on every file as served):

- no template literal inside another one's ``${...}`` (it sees only
  unnested ones, and would squeeze the inner one's text as code);
- no member access on a number literal (``1 .toFixed()``: it drops the
  space); no regular expression right after a division sign (``a / /x/``:
  it reads ``//`` as a comment).

The bundler finds ``import`` and ``export`` statements at the start of a
line of the source (column 0), as every module here writes them, and writes
the values of ``constants.js`` in where they are used (``CONSTANT_MODULES``).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import rcssmin
import rjsmin

from ..errors import PlayerError


class AssetError(PlayerError, ValueError):
    """A module cannot be bundled (a missing or circular import, an import or
    export form the bundler does not know)."""


def minify_js(src: str) -> str:
    """Drop comments, indentation and the spaces and line breaks no token needs.

    Line breaks where automatic semicolon insertion could act stay, so the
    browser reads the same program; strings, template literals and regular
    expressions are copied as they are. The text ends with a line break, as
    a text file does.
    """
    return rjsmin.jsmin(src) + "\n"


def minify_css(src: str) -> str:
    """Drop comments and the whitespace no selector or value needs; end with a line break."""
    return rcssmin.cssmin(src) + "\n"


# Imported modules that stay imports: the player's entry module must be one
# instance however many files import it (it upgrades the page on load).
SHARED_MODULES = frozenset({"player.js"})
# Modules of named constants (request and event names), written in where they
# are used, as a compiler writes in an enum's values, so the names cost
# nothing on the wire: ``REQUEST.SEEK`` goes out as ``'seek'``. Such a module
# holds only ``export const NAME = value;``: a string, a number, an array of
# them, or an object of them; an importer reads an object by key (never the
# object itself) and gets the rest as constants of its own.
CONSTANT_MODULES = frozenset({"constants.js"})
_VALUE = r"""'[^'\\\n]*'|"[^"\\\n]*"|-?\.?\d[\w.+-]*"""
_CONSTANT = re.compile(rf"export const ([A-Za-z_$][\w$]*)="
                       rf"(\{{[^{{}}]*\}}|\[[^\[\]]*\]|{_VALUE})[;\n]*")
_ENTRY = re.compile(rf"([A-Za-z_$][\w$]*):({_VALUE})")
# Comments and string literals, where a name is not code; template literals,
# whose substitutions are.
_NOT_CODE = r"//[^\n]*|/\*.*?\*/|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\""
_TEMPLATE = r"`(?:\\.|[^`\\])*`"
# An import or export statement starts a line of the source.
_STATEMENT = re.compile(r"^(?:import|export)\b(?!\s*[(.])", re.M)
_IMPORT = re.compile(r"import\s*(?:\{(?P<names>[^}]*)\}|\*\s*as\s+(?P<ns>[\w$]+)"
                     r"|(?P<default>[\w$]+))\s*from\s*(?P<q>['\"])(?P<path>[^'\"\n]+)(?P=q)"
                     r"[ \t]*;?")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_IMPORT_NAME = re.compile(r"([\w$]+)(?:\s+as\s+([\w$]+))?")
_EXPORT_LIST = re.compile(r"export\s*\{(?P<names>[^}]*)\}(?!\s*from\b)[ \t]*;?")
_EXPORT_DEFAULT_NAMED = re.compile(r"export\s+default\s+(?=(?:async\s+)?function\b\s*\*?\s*"
                                   r"(?P<function>[\w$]+)|class\s+(?P<class>[\w$]+))")
_EXPORT_DEFAULT = re.compile(r"export\s+default\b\s*")
_EXPORT_DECLARATION = re.compile(r"export\s+(?=(?:async\s+)?function\b\s*\*?\s*(?P<function>"
                                 r"[\w$]+)|class\s+(?P<class>[\w$]+)|(?:const|let|var)\s+"
                                 r"(?P<variable>[\w$]+))")


def _names(listed: str, where: str) -> list[tuple[str, str]]:
    """``a, b as c`` (an import or export list) as pairs ``(a, a), (b, c)``.

    :raises AssetError: when an entry is not a name, optionally renamed.
    """
    pairs = []
    listed = _COMMENT.sub(" ", listed)  # a list holds no string a comment marker could hide in
    for part in filter(None, (part.strip() for part in listed.split(","))):
        named = _IMPORT_NAME.fullmatch(part)
        if not named:
            raise AssetError(f"{where}: a name list the bundler does not know: {part[:60]}")
        pairs.append((named[1], named[2] or named[1]))
    return pairs


def _constants(text: str, name: str) -> dict[str, str | dict[str, str]]:
    """The values of a constants module, as source text: ``{NAME: value}``,
    or ``{NAME: {KEY: value}}`` for an object.

    :raises AssetError: when the module holds anything but such constants.
    """
    minified = rjsmin.jsmin(text)
    values: dict[str, str | dict[str, str]] = {}
    at = 0
    while at < len(minified):
        constant = _CONSTANT.match(minified, at)
        if not constant:
            raise AssetError(f"{name}: a constants module holds only export const NAME ="
                             f" value; not {minified[at:at + 60]}")
        value = constant[2]
        if value.startswith("{"):
            body = value[1:-1]
            if not re.fullmatch(rf"(?:(?:{_ENTRY.pattern}),?)*", body):
                raise AssetError(f"{name}: {constant[1]} holds something other than values")
            value = dict(_ENTRY.findall(body))
        values[constant[1]] = value
        at = constant.end()
    return values


def _write_in(text: str, tables: dict[str, dict[str, str]], name: str) -> str:
    """``text`` with each ``NAME.KEY`` of ``tables`` replaced by its value.

    :raises AssetError: when a name is used without a key, or with one it lacks.
    """
    use = rf"(?<![\w$.])(?P<name>{'|'.join(map(re.escape, tables))})(?![\w$])" \
          r"(?:\s*\.\s*(?P<key>[A-Za-z_$][\w$]*))?"

    def value(found: re.Match, base: int) -> str:
        table, key = found["name"], found["key"]
        where = f"{name}:{text.count(chr(10), 0, base + found.start()) + 1}"
        if key is None:
            raise AssetError(f"{where}: {table} is read by key ({table}.KEY), which the"
                             " bundler writes in")
        if key not in tables[table]:
            raise AssetError(f"{where}: {table} has no {key}")
        return tables[table][key]

    def code(found: re.Match) -> str:
        if found["template"]:
            # Its text too: a template is copied whole, so nothing there can hide a quote.
            return re.sub(use, lambda inner: value(inner, found.start()), found[0])
        if found["name"]:
            return value(found, 0)
        return found[0]

    return re.sub(rf"(?P<skip>{_NOT_CODE})|(?P<template>{_TEMPLATE})|{use}", code, text,
                  flags=re.S)


class _Bundle:
    """One JavaScript module with its relative static imports inlined.

    Each inlined module runs once, in dependency order, inside its own
    function scope, and hands its exports to the importers as an object. The
    served file is still an ES module with the entry's own exports; dynamic
    ``import()`` calls stay, so modules loaded on demand stay separate files.
    The result is source text, minified as a whole afterwards.
    """

    def __init__(self, entry: Path, source: Callable[[Path], str]) -> None:
        self.entry = entry
        self.source = source
        self.slots: dict[Path, str] = {}
        self.parts: list[str] = []
        self.visiting: list[Path] = [entry]

    def build(self) -> str:
        """The entry module with every relative import it needs inlined.

        :raises AssetError: when a module cannot be bundled.
        """
        self.parts.append(self.rewrite(self.entry, inline=False))
        return "".join(self.parts)

    def include(self, path: Path) -> str:
        """The name of the constant holding ``path``'s exports, inlining it once."""
        if path in self.visiting:
            cycle = " -> ".join(p.name for p in [*self.visiting, path])
            raise AssetError(f"{self.entry.name}: circular import {cycle}")
        if path not in self.slots:
            if path.parent != self.entry.parent and re.search(
                    r"\bimport(?:\(|\.meta)", minify_js(self.source(path))):
                # Its relative URLs would resolve against the entry's folder.
                raise AssetError(f"{path.name}: a module using import() or import.meta"
                                 " can only be inlined from its own folder")
            self.visiting.append(path)
            body = self.rewrite(path, inline=True)
            self.visiting.pop()
            self.slots[path] = f"$ap{len(self.slots)}"
            self.parts.append(f"const {self.slots[path]}=(()=>{{\n{body}}})();\n")
        return self.slots[path]

    def rewrite(self, path: Path, inline: bool) -> str:
        """``path``'s source with its relative imports made constants and,
        when it is inlined, its exports gathered into a ``return``."""
        text = self.source(path)
        exports: list[str] = []
        out: list[str] = []
        tables: dict[str, dict[str, str]] = {}  # objects of constants modules, by local name
        done = 0
        for statement in _STATEMENT.finditer(text):
            if statement.start() < done:
                continue  # inside the statement just rewritten
            where = f"{path.name}:{text.count(chr(10), 0, statement.start()) + 1}"
            if statement[0] == "import":
                end, replacement = self.unimport(text, statement.start(), path, inline, where,
                                                 tables)
            elif inline:
                end, replacement = self.unexport(text, statement.start(), exports, where)
            else:
                continue  # the entry keeps its exports
            # As many lines as it replaces, so later lines keep their numbers.
            out += [text[done:statement.start()], replacement,
                    "\n" * text.count("\n", statement.start(), end)]
            done = end
        out.append(text[done:])
        rewritten = "".join(out)
        if tables:
            rewritten = _write_in(rewritten, tables, path.name)
        if inline:
            rewritten += "\nreturn{" + ",".join(exports) + "}\n"
        return rewritten

    def unimport(self, text: str, at: int, path: Path, inline: bool, where: str,
                 tables: dict[str, dict[str, str]]) -> tuple[int, str]:
        """The end of the import statement at ``at`` and what replaces it."""
        imported = _IMPORT.match(text, at)
        if not imported:
            raise AssetError(f"{where}: an import form the bundler does not know:"
                             f" {text[at:at + 60]}")
        relative = imported["path"].startswith(("./", "../"))
        target = (path.parent / imported["path"]).resolve()
        if not relative or target.name in SHARED_MODULES:
            if inline:
                # An import statement cannot stand inside the function around the module.
                raise AssetError(f"{where}: {imported['path']} stays an import, so a module"
                                 " that imports it cannot be inlined")
            return imported.end(), imported[0]
        if not target.is_file():
            raise AssetError(f"{where}: no module {imported['path']}")
        if target.name in CONSTANT_MODULES:
            return imported.end(), self.constants(target, imported, where, tables)
        slot = self.include(target)
        if imported["names"] is not None:
            pattern = ",".join(name if name == local else f"{name}:{local}"
                               for name, local in _names(imported["names"], where))
            return imported.end(), f"const{{{pattern}}}={slot};"
        if imported["ns"]:
            return imported.end(), f"const {imported['ns']}={slot};"
        return imported.end(), f"const {imported['default']}={slot}.default;"

    def constants(self, path: Path, imported: re.Match, where: str,
                  tables: dict[str, dict[str, str]]) -> str:
        """What replaces an import from a constants module: a ``const`` for
        each plain value; objects are written in where used (see ``_write_in``)."""
        if imported["names"] is None:
            raise AssetError(f"{where}: import the names of {path.name} ({{ A, B }})")
        values = _constants(self.source(path), path.name)
        declared = []
        for name, local in _names(imported["names"], where):
            if name not in values:
                raise AssetError(f"{where}: {path.name} has no {name}")
            if isinstance(values[name], dict):
                tables[local] = values[name]
            else:
                declared.append(f"const {local}={values[name]};")
        return "".join(declared)

    @staticmethod
    def unexport(text: str, at: int, exports: list[str], where: str) -> tuple[int, str]:
        """Record the export statement at ``at`` in ``exports``; return where
        the ``export`` keyword (or the whole statement) ends and what replaces it."""
        if listed := _EXPORT_LIST.match(text, at):
            exports += [public if public == local else f"{public}:{local}"
                        for local, public in _names(listed["names"], where)]
            return listed.end(), ""
        if named := _EXPORT_DEFAULT_NAMED.match(text, at):
            exports.append(f"default:{named['function'] or named['class']}")
            return named.end(), ""
        if default := _EXPORT_DEFAULT.match(text, at):
            exports.append("default:$default")
            return default.end(), "const $default="
        if declared := _EXPORT_DECLARATION.match(text, at):
            exports.append(next(filter(None, declared.groups())))
            return declared.end(), ""
        raise AssetError(f"{where}: an export form the bundler does not know:"
                         f" {text[at:at + 60]}")


_MINIFIERS = {".js": minify_js, ".css": minify_css}
_TYPES = {".js": "text/javascript", ".css": "text/css"}


@dataclass(frozen=True)
class Asset:
    """One file as served: its body, the body gzipped, an ETag for both, and
    the source files that went into it."""

    body: bytes
    gzipped: bytes
    etag: str
    parts: frozenset[Path]


class AssetCache:
    """Served copies of files (minified, JavaScript bundled), remade when
    any file that went into one changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._assets: dict[Path, tuple[dict[Path, tuple[int, int]], Asset]] = {}

    @staticmethod
    def _stamp(path: Path) -> tuple[int, int]:
        stat = path.stat()
        return (stat.st_mtime_ns, stat.st_size)

    def get(self, path: Path) -> Asset | None:
        """The asset for ``path``, or None when it is not JavaScript or CSS.

        :raises AssetError: when a JavaScript module cannot be bundled.
        :raises OSError: when a file that goes into it cannot be read.
        """
        if path.suffix not in _MINIFIERS:
            return None
        path = path.resolve()
        cached = self._assets.get(path)
        try:
            if cached and all(self._stamp(p) == stamp for p, stamp in cached[0].items()):
                return cached[1]
        except OSError:
            pass  # a part was removed: build again, which reports it
        used: dict[Path, tuple[int, int]] = {}

        def source(part: Path) -> str:
            used[part] = self._stamp(part)
            return part.read_text(encoding="utf-8")

        text = _Bundle(path, source).build() if path.suffix == ".js" else source(path)
        body = _MINIFIERS[path.suffix](text).encode()
        asset = Asset(body, gzip.compress(body, compresslevel=9, mtime=0),
                      hashlib.sha256(body).hexdigest()[:32], frozenset(used))
        with self._lock:
            self._assets[path] = (used, asset)
        return asset


def init_app(app) -> None:
    """Serve ``.js`` and ``.css`` under ``static/`` lean; other files as Flask would."""
    from flask import request
    from werkzeug.security import safe_join

    cache = AssetCache()
    send_static = app.view_functions["static"]

    def static(filename: str):
        path = safe_join(app.static_folder, filename)
        if path is None or not os.path.isfile(path):
            return send_static(filename=filename)
        asset = cache.get(Path(path))
        if asset is None:
            return send_static(filename=filename)
        # x-gzip is the same coding under its old name (RFC 9110 §8.4.1.3).
        accepted = request.accept_encodings
        gzipped = max(accepted["gzip"], accepted["x-gzip"]) > 0
        body = asset.gzipped if gzipped else asset.body
        response = app.response_class(body, mimetype=_TYPES[Path(path).suffix])
        # One ETag per representation, so a cache never mixes them up.
        response.set_etag(asset.etag + ("-gz" if gzipped else ""))
        if gzipped:
            response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        response.cache_control.no_cache = True
        # Preconditions (304, 412) are answered for every in-memory response
        # alike by player.web.conditional.
        return response

    app.view_functions["static"] = static
