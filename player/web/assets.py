"""Static assets served lean: JavaScript and CSS without comments and
indentation, compressed once, revalidated by ETag.

The files under ``static/`` stay the readable source (ES modules, no build
step); this module shrinks what goes over the wire. The JavaScript pass only
removes comments and whitespace that no token needs: it keeps every line
break where automatic semicolon insertion could act (so it sees the same
program) and copies strings, template literals and regular expressions
untouched.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import PlayerError

# After one of these a "/" starts a regular expression, not a division.
_REGEX_AFTER = frozenset("(,=:[!&|?{};+-*%<>~^")
_REGEX_KEYWORDS = frozenset({"return", "typeof", "instanceof", "in", "of", "new", "delete",
                             "void", "throw", "case", "do", "else", "yield", "await"})
_WORD = re.compile(r"[\w$]+")
# A line break after one of these, or before one of the next, is never where
# automatic semicolon insertion acts nor in a restricted production ("return",
# "a++"): the two lines read as one. ("+" and "-" may end "a++", so they keep theirs.)
_JOIN_AFTER = frozenset("{([,;:?=*%&|^!~<>")
_JOIN_BEFORE = frozenset("})],;.?:&|")
# The bundler reads import statements and export lists ("export {", "export
# *") each on a line of its own, and finds every export at a line's start.
_MODULE_WORDS = frozenset({"import", "export"})
_OWN_LINE = ("import", "export{", "export*")


class AssetError(PlayerError, ValueError):
    """The source cannot be tokenised (an unterminated string, comment or regex)."""


def _skip_string(src: str, i: int) -> int:
    """Index just past the string literal starting at ``src[i]``."""
    quote, n = src[i], len(src)
    i += 1
    while i < n:
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == quote:
            return i + 1
        if c == "\n":
            break
        i += 1
    raise AssetError(f"unterminated string at offset {i}")


def _skip_regex(src: str, i: int) -> int:
    """Index just past the regular expression literal (flags included) at ``src[i]``."""
    n, in_class = len(src), False
    i += 1
    while i < n:
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == "\n":
            break
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "/" and not in_class:
            i += 1
            while i < n and (src[i].isalnum() or src[i] in "_$"):
                i += 1
            return i
        i += 1
    raise AssetError(f"unterminated regular expression at offset {i}")


def _needs_space(before: str, after: str) -> bool:
    """Whether a space between two tokens keeps them apart."""
    a, b = before[-1], after[0]
    if _WORD.match(a) and _WORD.match(b):
        return True
    # "a + +b", "a - -b", "x / /re/" and "1 .toFixed()" would read differently.
    return (a == b and a in "+-/") or (a == "/" and b == "*") or (before[0].isdigit() and b == ".")


def minify_js(src: str) -> str:
    """Drop comments, indentation, blank lines, spaces no token needs and line
    breaks that cannot end a statement; import and export statements keep a
    line each."""
    out: list[str] = []
    # One entry per open "{": True when it is a template literal's "${".
    braces: list[bool] = []
    pending_space = pending_newline = False
    last = ""  # the last significant character or word written
    line = 0  # where the line being written starts in `out`
    i, n = 0, len(src)

    def emit(text: str, significant: str) -> None:
        nonlocal pending_space, pending_newline, last, line
        if out:
            own_line = "".join(out[line:line + 2]).startswith(_OWN_LINE)
            if pending_newline and (own_line or text in _MODULE_WORDS
                                    or not (last in _JOIN_AFTER or text[0] in _JOIN_BEFORE)):
                out.append("\n")
                line = len(out)
            elif (pending_space or pending_newline) and _needs_space(last, text):
                out.append(" ")
        pending_space = pending_newline = False
        out.append(text)
        last = significant

    def template(i: int) -> int:
        """Copy a template literal from its backtick, up to a ``${`` or its end."""
        start = i
        i += 1
        while i < n:
            c = src[i]
            if c == "\\":
                i += 2
                continue
            if c == "`":
                emit(src[start:i + 1], "`")
                return i + 1
            if c == "$" and src.startswith("${", i):
                emit(src[start:i + 2], "{")
                braces.append(True)
                return i + 2
            i += 1
        raise AssetError(f"unterminated template literal at offset {start}")

    while i < n:
        c = src[i]
        if c in " \t\r\f\v":
            pending_space = True
            i += 1
        elif c == "\n":
            pending_newline = bool(out)
            i += 1
        elif src.startswith("//", i):
            end = src.find("\n", i)
            i = n if end < 0 else end
        elif src.startswith("/*", i):
            end = src.find("*/", i + 2)
            if end < 0:
                raise AssetError(f"unterminated comment at offset {i}")
            # A comment spanning lines still ends the line for ASI.
            if "\n" in src[i:end]:
                pending_newline = bool(out)
            else:
                pending_space = True
            i = end + 2
        elif c in "'\"":
            end = _skip_string(src, i)
            emit(src[i:end], c)
            i = end
        elif c == "`":
            i = template(i)
        elif c == "/" and (not last or last in _REGEX_AFTER or last in _REGEX_KEYWORDS):
            end = _skip_regex(src, i)
            emit(src[i:end], "/re/")
            i = end
        elif c == "{":
            braces.append(False)
            emit(c, c)
            i += 1
        elif c == "}" and braces and braces[-1]:
            braces.pop()
            # Resume the template literal: the "}" belongs to its text.
            pending_space = pending_newline = False
            i = template(i)
        elif c == "}":
            if braces:
                braces.pop()
            emit(c, c)
            i += 1
        else:
            word = _WORD.match(src, i)
            if word:
                emit(word.group(), word.group())
                i = word.end()
            else:
                emit(c, c)
                i += 1
    if braces and braces[-1]:
        raise AssetError("unterminated template literal substitution")
    return "".join(out) + "\n"


_CSS_STRING = r"""("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')"""
# Left to right, so a quote in a comment or "/*" in a string fools nothing.
_CSS_COMMENT = re.compile(_CSS_STRING + r"|/\*.*?\*/", re.S)
_CSS_SPACE = re.compile(r"\s+")
# Spaces around these never matter in CSS ("a :hover" keeps its space: only
# the space after ":" goes; "+" and "-" stay for calc()).
_CSS_GLUE = re.compile(r" ?([{};,>~]) ?|: ")
_CSS_LAST_SEMICOLON = re.compile(r";}")


def minify_css(src: str) -> str:
    """Drop comments and whitespace no selector or value needs."""
    parts = re.split(_CSS_STRING, _CSS_COMMENT.sub(lambda m: m.group(1) or "", src))
    for k in range(0, len(parts), 2):  # even parts lie outside strings
        text = _CSS_SPACE.sub(" ", parts[k])
        text = _CSS_GLUE.sub(lambda m: m.group(1) or ":", text)
        parts[k] = _CSS_LAST_SEMICOLON.sub("}", text)
    return "".join(parts).strip() + "\n"


# Imported modules that stay imports: the player's entry module must be one
# instance however many files import it (it upgrades the page on load).
SHARED_MODULES = frozenset({"player.js"})
_IMPORT = re.compile(r"import ?(?:\{(?P<names>[^}]*)\}|\*as (?P<ns>[\w$]+) |(?P<default>[\w$]+) )"
                     r"from(?P<q>['\"])(?P<path>\.\.?/[^'\"]+)(?P=q);?$")
_EXPORT_DECLARATION = re.compile(r"export (?=(?:async )?function\*? ?([\w$]+)|class ([\w$]+)"
                                 r"|(?:const|let|var) ([\w$]+))")
_EXPORT_DEFAULT_NAMED = re.compile(r"export default (?=(?:async )?function\*? ?([\w$]+)"
                                   r"|class ([\w$]+))")
_EXPORT_LIST = re.compile(r"export\{([^}]*)\};?$")


def _binding_pattern(names: str) -> str:
    """``a,b as c`` (an import list) as a destructuring pattern ``a,b:c``."""
    return ",".join(":".join(part.split(" as ")) for part in names.split(",") if part)


class _Bundle:
    """One JavaScript module with its relative static imports inlined.

    Each inlined module runs once, in dependency order, inside its own
    function scope, and hands its exports to the importers as an object. The
    served file is still an ES module with the entry's own exports; dynamic
    ``import()`` calls stay, so modules loaded on demand stay separate files.
    """

    def __init__(self, entry: Path, minified) -> None:
        self.entry = entry
        self.minified = minified
        self.slots: dict[Path, str] = {}
        self.parts: list[str] = []
        self.visiting: list[Path] = [entry]

    def build(self) -> str:
        self.parts.append(self.rewrite(self.entry, inline=False))
        return "".join(self.parts)

    def include(self, path: Path) -> str:
        if path in self.visiting:
            cycle = " -> ".join(p.name for p in [*self.visiting, path])
            raise AssetError(f"{self.entry.name}: circular import {cycle}")
        if path not in self.slots:
            if path.parent != self.entry.parent and re.search(r"\bimport(?:\(|\.meta)",
                                                             self.minified(path)):
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
        exports: list[str] = []
        lines = []
        for number, line in enumerate(self.minified(path).splitlines(), 1):
            imported = _IMPORT.match(line)
            target = imported and (path.parent / imported["path"]).resolve()
            if imported and target.name not in SHARED_MODULES:
                if not target.is_file():
                    raise AssetError(f"{path.name}:{number}: no module {imported['path']}")
                slot = self.include(target)
                if imported["names"] is not None:
                    line = f"const{{{_binding_pattern(imported['names'])}}}={slot};"
                elif imported["ns"]:
                    line = f"const {imported['ns']}={slot};"
                else:
                    line = f"const {imported['default']}={slot}.default;"
            elif inline and line.startswith("export"):
                line = self.unexport(line, exports, f"{path.name}:{number}")
            lines.append(line)
        if inline:
            lines.append("return{" + ",".join(exports) + "}")
        return "\n".join(lines) + "\n"

    @staticmethod
    def unexport(line: str, exports: list[str], where: str) -> str:
        if listed := _EXPORT_LIST.match(line):
            for part in filter(None, listed[1].split(",")):
                local, _, public = part.partition(" as ")
                exports.append(f"{public or local}:{local}")
            return ""
        if named := _EXPORT_DEFAULT_NAMED.match(line):
            exports.append(f"default:{named[1] or named[2]}")
            return line[named.end():]
        if re.match(r"export default\b", line):
            exports.append("default:$default")
            return "const $default=" + line[len("export default"):].lstrip()
        if declared := _EXPORT_DECLARATION.match(line):
            exports.append(next(filter(None, declared.groups())))
            return line[declared.end():]
        raise AssetError(f"{where}: an export form the bundler does not know: {line[:60]}")


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
        self._minified: dict[Path, tuple[tuple[int, int], str]] = {}
        self._assets: dict[Path, tuple[dict[Path, tuple[int, int]], Asset]] = {}

    @staticmethod
    def _stamp(path: Path) -> tuple[int, int]:
        stat = path.stat()
        return (stat.st_mtime_ns, stat.st_size)

    def _minify(self, path: Path) -> str:
        stamp = self._stamp(path)
        cached = self._minified.get(path)
        if cached and cached[0] == stamp:
            return cached[1]
        text = _MINIFIERS[path.suffix](path.read_text(encoding="utf-8"))
        with self._lock:
            self._minified[path] = (stamp, text)
        return text

    def get(self, path: Path) -> Asset | None:
        """The asset for ``path``, or None when it is not JavaScript or CSS."""
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

        def minified(part: Path) -> str:
            used[part] = self._stamp(part)
            return self._minify(part)

        text = _Bundle(path, minified).build() if path.suffix == ".js" else minified(path)
        body = text.encode()
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
