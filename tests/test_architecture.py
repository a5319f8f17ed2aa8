"""The shape of the code: no import cycle among the modules of ``player/``
nor among the player's scripts, and no module so long that a reader cannot
hold it in mind."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "player"
SCRIPTS = ROOT / "static" / "player"
MAX_LINES = 800

# Import edges a cycle may go through, with the reason. The CLI builds the app
# with create_app, which registers the CLI's commands: Flask's CLI needs the
# app factory, so player.cli imports it inside a function, once every module
# has loaded.
ALLOWED_EDGES = {("player.cli", "player")}


def python_modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module under ``package`` by dotted name (a package by its own name)."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def python_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ``modules`` that module ``name`` imports, wherever in it
    (in functions too), but for imports only type checkers read.

    ``from package import name`` imports the submodule when there is one,
    else the package itself (a name its ``__init__`` defines or re-exports).
    """
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking(child):
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parent = package[:len(package) - child.level + 1]
                    base = ".".join([*parent, *([child.module] if child.module else [])])
                for alias in child.names:
                    submodule = f"{base}.{alias.name}"
                    found.add(submodule if submodule in modules else base)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    found.discard(name)
    return {module for module in found if module in modules}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts of ``graph`` with more than one node, or a
    node importing itself (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    part = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        part.append(member)
                        if member == node:
                            break
                    if len(part) > 1 or node in graph.get(node, ()):
                        found.append(sorted(part))
    return found


_JS_IMPORT = re.compile(
    r"""^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*(['"])(?P<static>\.{1,2}/[^'"]+)\1"""
    r"""|^\s*import\s*(['"])(?P<bare>\.{1,2}/[^'"]+)\3"""
    r"""|\bimport\s*\(\s*(['"])(?P<dynamic>\.{1,2}/[^'"]+)\5\s*\)""", re.M)


def script_imports(path: Path) -> set[Path]:
    """The scripts ``path`` imports with a relative URL, statically or with
    ``import()`` of a literal (one built at run time names no file)."""
    text = path.read_text(encoding="utf-8")
    # Comments go first, so an example in one is not taken for an import.
    text = re.sub(r"/\*.*?\*/|(?<![:'\"\w])//[^\n]*", "", text, flags=re.S)
    found = set()
    for match in _JS_IMPORT.finditer(text):
        url = match["static"] or match["bare"] or match["dynamic"]
        found.add((path.parent / url).resolve())
    return found


def script_graph(folder: Path = SCRIPTS) -> dict[str, set[str]]:
    """The import graph of the scripts under ``folder``, by path relative to it."""
    scripts = {path.resolve(): path.relative_to(folder).as_posix()
               for path in sorted(folder.rglob("*.js"))}
    return {name: {scripts.get(target, str(target)) for target in script_imports(path)}
            for path, name in scripts.items()}


def test_python_modules_import_no_cycle():
    modules = python_modules()
    assert "player.web.cors" in modules and "player" in modules
    graph = {name: python_imports(name, path, modules) for name, path in modules.items()}
    assert "player.web" in graph["player"]  # create_app wires the pipeline
    for source, target in ALLOWED_EDGES:
        assert target in graph[source], f"{source} no longer imports {target}: drop the exception"
        graph[source].discard(target)
    assert cycles(graph) == []


def test_scripts_import_no_cycle():
    graph = script_graph()
    assert "transcript-build.js" in graph["transcript.js"]  # import() of a literal counts
    assert "dom.js" in graph["player.js"]
    missing = {target for targets in graph.values() for target in targets if target not in graph}
    assert not missing, f"imports of files that do not exist: {sorted(missing)}"
    assert cycles(graph) == []


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"a"}}, [["a"]]),
    ({"a": {"b"}, "b": set()}, []),
])
def test_cycles_are_found(graph, expected):
    assert cycles(graph) == expected


def test_a_re_export_counts_as_importing_the_package(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from .sub import thing\n")
    (package / "sub" / "__init__.py").write_text("from .model import thing\n")
    (package / "sub" / "model.py").write_text("thing = 1\n")
    (package / "other.py").write_text(
        "from typing import TYPE_CHECKING\nfrom .sub import thing\nfrom . import sub\n"
        "if TYPE_CHECKING:\n    from . import late\n"
        "def f():\n    from .sub import model\n")
    (package / "late.py").write_text("")
    modules = python_modules(package)
    assert python_imports("pkg.other", modules["pkg.other"], modules) == {"pkg.sub",
                                                                          "pkg.sub.model"}
    assert python_imports("pkg.sub", modules["pkg.sub"], modules) == {"pkg.sub.model"}
    assert python_imports("pkg", modules["pkg"], modules) == {"pkg.sub"}


def test_script_imports_are_found(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "a.js").write_text(
        "// import { x } from './commented.js';\n"
        "import {\n  b,\n} from './b.js';\nimport './c.js';\nexport { d } from './lib/d.js';\n"
        "const e = () => import('./e.js');\nconst f = (n) => import(`./${n}.js`);\n"
        "const url = 'https://example.org/x.js';\n")
    names = {path.name for path in script_imports(tmp_path / "a.js")}
    assert names == {"b.js", "c.js", "d.js", "e.js"}


def test_no_module_is_too_long():
    too_long = {}
    for path in [*PACKAGE.rglob("*.py"), *SCRIPTS.rglob("*.js")]:
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            too_long[path.relative_to(ROOT).as_posix()] = lines
    assert too_long == {}, f"over {MAX_LINES} lines: {too_long}"


@pytest.mark.parametrize("origins, vary", [("*", []), ("https://a.example", ["vary"])])
def test_every_after_request_hook_is_in_the_one_list(app, origins, vary):
    """player.web.init_app adds them all, in the order they run; no blueprint has its own."""
    from flask import Flask

    from player import web

    fresh = Flask(__name__)
    fresh.config.update(CORS_ORIGINS=origins, EMBED_ORIGINS=None)
    web.init_app(fresh)
    for built in (app, fresh):
        assert set(built.after_request_funcs) <= {None}
    names = [hook.__name__ for hook in reversed(fresh.after_request_funcs[None])]
    assert names == ["finish_response", "cors_after_request", *vary, "add_headers"]
    assert [hook.__name__ for hook in reversed(app.after_request_funcs[None])] == [
        "finish_response", "cors_after_request", "add_headers"]
