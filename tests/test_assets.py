"""JavaScript and CSS go out without comments and indentation, gzipped when
the browser accepts it, and revalidate with their ETag. The browser tests run
the player from these served copies, so they prove the output still works;
here the tricky inputs are pinned one by one, every served file must parse
(``node --check``), and the sources keep to what rJSmin reads right."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from player.web.assets import AssetCache, AssetError, minify_css, minify_js


@pytest.mark.parametrize("source, expected", [
    ("const a = 1; // note\nlet b = a + 1;\n", "const a=1;let b=a+1;\n"),
    ("/* header\n   lines */\nfoo( a , b );\n", "foo(a,b);\n"),
    # Line breaks where automatic semicolon insertion could act stay, so it sees the same program.
    ("let a = b\n(c)\n", "let a=b\n(c)\n"),
    ("return\nvalue", "return\nvalue\n"),
    ("a++\nb", "a++\nb\n"),
    ("x\n++y", "x\n++y\n"),
    ("y = a +\n+b", "y=a+\n+b\n"),
    ("const f = () => {\n  go();\n}\nrun()", "const f=()=>{go();}\nrun()\n"),
    # Others go: after "{", ";", "," and operators, before "}", ")", "." and the like.
    ("list\n  .filter(ok)\n  .map(f)", "list.filter(ok).map(f)\n"),
    ("x = a &&\n  b\n  || c;", "x=a&&b||c;\n"),
    ("foo();\nimport { a } from './a.js';\nimport b from './b.js';\nexport { c as d };\n"
     "export function e() {\n  return a;\n}\n",
     "foo();import{a}from'./a.js';import b from'./b.js';export{c as d};"
     "export function e(){return a;}\n"),
    # Comment markers inside strings, templates and regexes are text.
    ("s = '// not a comment /* nor this */';", "s='// not a comment /* nor this */';\n"),
    ('s = "a \\" // b";', 's="a \\" // b";\n'),
    # A template literal is copied whole, substitutions included.
    ("t = `line one\n   // kept\n  ${ a  +  b }   x`;",
     "t=`line one\n   // kept\n  ${ a  +  b }   x`;\n"),
    ("t = `${ {a: 1}.a }`;", "t=`${ {a: 1}.a }`;\n"),
    ("r = /\\/\\/ x [/] /g.test(s);", "r=/\\/\\/ x [/] /g.test(s);\n"),
    ("if (!/^\\d+$/.test(v)) return /a b/i;", "if(!/^\\d+$/.test(v))return/a b/i;\n"),
    ("x = a / b / c;", "x=a/b/c;\n"),
    # Spaces that separate tokens stay; "+ +" must not become "++".
    ("x = a + +b - -c;", "x=a+ +b- -c;\n"),
    ("n = a .b;", "n=a.b;\n"),
    ("typeof x === 'string' && new Foo()", "typeof x==='string'&&new Foo()\n"),
    ("case 'a': return x ?? y;", "case'a':return x??y;\n"),
    ("a = b /* inline */ + c;", "a=b+c;\n"),
])
def test_minify_js(source, expected):
    assert minify_js(source) == expected


@pytest.mark.parametrize("source, expected", [
    ("/* c */\na {\n  color : red ;\n  margin: 0 1px;\n}\n", "a{color:red;margin:0 1px}\n"),
    # The descendant combinator before a pseudo-class is significant.
    ("div :focus, p > a:hover { x: y }", "div :focus,p>a:hover{x:y}\n"),
    ("a { width: calc(100% - 2 * 1em); }", "a{width:calc(100% - 2 * 1em)}\n"),
    ("@media (min-width: 30em) and (forced-colors: active) { a { b: c } }",
     "@media (min-width:30em) and (forced-colors:active){a{b:c}}\n"),
    ('a::before { content: "  /* kept */ ;  "; }', 'a::before{content:"  /* kept */ ;  "}\n'),
])
def test_minify_css(source, expected):
    assert minify_css(source) == expected


def test_served_javascript_is_smaller_and_gzipped_on_request(client, app):
    source = (app.static_folder + "/player/i18n/uk.js")
    with open(source, encoding="utf-8") as f:
        original = f.read()
    plain = client.get("/static/player/i18n/uk.js")
    assert plain.status_code == 200
    assert plain.mimetype == "text/javascript"
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    assert plain.get_data(as_text=True) == minify_js(original)
    assert len(plain.data) < len(original.encode())

    packed = client.get("/static/player/i18n/uk.js", headers={"Accept-Encoding": "br, gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"] != plain.headers["ETag"]

    refused = client.get("/static/player/i18n/uk.js", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers


def test_served_assets_revalidate(client):
    first = client.get("/static/player/player.css", headers={"Accept-Encoding": "gzip"})
    again = client.get("/static/player/player.css", headers={
        "Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    head = client.head("/static/player/player.css")
    assert head.status_code == 200
    assert head.data == b""


def test_served_assets_answer_if_match(client):
    """RFC 9110 §13.1.1: ``*`` holds for any current representation; a tag
    that is not current fails with 412 and without the asset's bytes."""
    current = client.get("/static/player/player.css").headers["ETag"]
    for held in ("*", current):
        held_response = client.get("/static/player/player.css", headers={"If-Match": held})
        assert held_response.status_code == 200
    failed = client.get("/static/player/player.css", headers={"If-Match": '"gone"'})
    assert failed.status_code == 412
    assert not failed.content_type.startswith("text/css")


def test_x_gzip_is_taken_as_gzip(client):
    # RFC 9110 §8.4.1.3: a recipient SHOULD treat x-gzip as gzip.
    response = client.get("/static/player/player.css", headers={"Accept-Encoding": "x-gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    plain = client.get("/static/player/player.css", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(response.data) == plain.data


def test_a_changed_file_is_served_fresh(app, tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    script = static / "a.js"
    script.write_text("let x = 1; // one\n")
    app.static_folder = str(static)
    client = app.test_client()
    assert client.get("/static/a.js").get_data(as_text=True) == "let x=1;\n"
    script.write_text("let x = 22; // two, and a different size\n")
    assert client.get("/static/a.js").get_data(as_text=True) == "let x=22;\n"


def test_other_static_files_and_missing_ones(client):
    assert client.get("/static/player/none.js").status_code == 404
    assert client.get("/static/player/../../player/__init__.py").status_code == 404


MODULES = {
    # The entry keeps its own exports and its import of the shared module.
    "main.js": """import { twice, label as name } from './lib/twice.js';
import * as bits from './bits.js';
import greeting from './greeting.js';
import { shared } from './player.js';
export const result = [twice(21), name, bits.one + bits.two, greeting('you'), typeof shared];
""",
    "lib/twice.js": """import { one } from '../bits.js';
export function twice(x) { return x * 2 * one; }
const local = 'twice';
export { local as label };
""",
    "bits.js": "export const one = 1;\nexport let two = 2;\n",
    "greeting.js": "export default (who) => `hello, ${who}`;\n",
    "player.js": "export const shared = {};\n",
}


def write_modules(root: Path, modules: dict[str, str]) -> None:
    for name, text in modules.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_a_module_is_served_with_its_imports_inlined(tmp_path):
    write_modules(tmp_path, MODULES)
    body = AssetCache().get(tmp_path / "main.js").body.decode()
    assert "import{shared}from'./player.js';" in body
    assert "twice.js" not in body and "bits.js" not in body
    assert "export const result=" in body
    # Each inlined module appears once, even when imported twice.
    assert body.count("const one=1") == 1


@pytest.mark.browser
def test_an_inlined_bundle_runs_like_the_modules(tmp_path, app, page):
    from tests.browser_support import LiveServer

    static = tmp_path / "static"
    write_modules(static, MODULES)
    (static / "page.html").write_text("<!doctype html><title>t</title>")
    app.static_folder = str(static)
    with LiveServer(app) as server:
        page.goto(server.url + "/static/page.html")
        result = page.evaluate("import('/static/main.js').then((m) => m.result)")
    assert result == [42, "twice", 3, "hello, you", "object"]


@pytest.mark.parametrize("modules, message", [
    ({"a.js": "import { b } from './b.js';\n", "b.js": "import { a } from './a.js';\n"},
     "circular import a.js -> b.js -> a.js"),
    ({"a.js": "import { b } from './nothing.js';\n"}, "a.js:1: no module ./nothing.js"),
    ({"a.js": "import { b } from './b.js';\n", "b.js": "export * from './c.js';\n"},
     "b.js:1: an export form the bundler does not know"),
    ({"a.js": "import a, { b } from './b.js';\n", "b.js": "export default 1;\n"},
     "a.js:1: an import form the bundler does not know"),
    # An import that stays one cannot stand inside the function around an inlined module.
    ({"a.js": "import { b } from './b.js';\n",
      "b.js": "\nimport { shared } from './player.js';\nexport const b = shared;\n",
      "player.js": "export const shared = 1;\n"},
     "b.js:2: ./player.js stays an import, so a module that imports it cannot be inlined"),
])
def test_bundling_problems_are_reported(tmp_path, modules, message):
    write_modules(tmp_path, modules)
    with pytest.raises(AssetError) as error:
        AssetCache().get(tmp_path / "a.js")
    assert message in str(error.value)


def test_statements_over_several_lines_are_bundled(tmp_path):
    write_modules(tmp_path, {
        "a.js": "import {\n  one,\n  two as second, // the other\n} from './b.js';\n"
                "const later = () => import('./c.js');\n"
                "export const sum = one + second;\n",
        "b.js": "const one = 1, two = 2;\nexport {\n  one,\n  two,\n};\n",
    })
    body = AssetCache().get(tmp_path / "a.js").body.decode()
    assert "const $ap0=(()=>{const one=1,two=2;return{one,two}})();" in body
    assert "const{one,two:second}=$ap0;" in body
    assert "import('./c.js')" in body
    assert "export const sum=one+second;" in body


CONSTANTS = """// Names, written in where they are used.
export const REQUEST = {
  PLAY: 'play', // a comment
  SEEK: "seek",
};
export const PREFIX = 'ap:';
export const RATES = [0.5, 1, 2];
"""


def test_constants_are_written_in_where_used(tmp_path):
    write_modules(tmp_path, {
        "constants.js": CONSTANTS,
        "a.js": "import { REQUEST as R, PREFIX, RATES } from './constants.js';\n"
                "// R.PLAY in a comment, 'R.PLAY' in a string stay as they are\n"
                "export const asked = [R.PLAY, R . SEEK, `${R.SEEK}!`, 'R.PLAY', PREFIX, RATES];\n",
    })
    body = AssetCache().get(tmp_path / "a.js").body.decode()
    assert "const PREFIX='ap:';const RATES=[0.5,1,2];" in body
    assert "export const asked=['play',\"seek\",`${\"seek\"}!`,'R.PLAY',PREFIX,RATES];" in body
    assert "constants.js" not in body and "REQUEST" not in body


@pytest.mark.parametrize("module, message", [
    ("import { REQUEST } from './constants.js';\nlet a;\nlet r = REQUEST;\n",
     "a.js:3: REQUEST is read by key (REQUEST.KEY)"),
    ("import { REQUEST } from './constants.js';\nREQUEST.PAUSE;\n", "a.js:2: REQUEST has no PAUSE"),
    ("import { NOTHING } from './constants.js';\n", "a.js:1: constants.js has no NOTHING"),
    ("import * as all from './constants.js';\n", "a.js:1: import the names of constants.js"),
])
def test_constants_misused_are_reported(tmp_path, module, message):
    write_modules(tmp_path, {"constants.js": CONSTANTS, "a.js": module})
    with pytest.raises(AssetError) as error:
        AssetCache().get(tmp_path / "a.js")
    assert message in str(error.value)


def test_a_constants_module_holds_only_constants(tmp_path):
    write_modules(tmp_path, {"constants.js": CONSTANTS + "export function f() {}\n",
                             "a.js": "import { PREFIX } from './constants.js';\n"})
    with pytest.raises(AssetError, match="constants.js: a constants module holds only"):
        AssetCache().get(tmp_path / "a.js")


def test_a_change_to_an_inlined_module_is_served_fresh(tmp_path):
    write_modules(tmp_path, MODULES)
    cache = AssetCache()
    assert b"*2*one" in cache.get(tmp_path / "main.js").body
    (tmp_path / "lib/twice.js").write_text(MODULES["lib/twice.js"].replace("x * 2", "x * 20"))
    assert b"*20*one" in cache.get(tmp_path / "main.js").body


STATIC = Path(__file__).resolve().parents[1] / "static"
# Loaded with a plain <script> by host pages (see its header); the rest are modules.
CLASSIC_SCRIPTS = {"player/embed-api.js"}


def test_every_served_script_parses(tmp_path):
    """Each file under static/ as the server sends it (minified, imports
    inlined) is JavaScript that node parses: as a module, or as a classic
    script for what host pages load with a plain <script>."""
    node = shutil.which("node")
    assert node, "node is needed to check the served scripts"
    cache = AssetCache()
    scripts = sorted(STATIC.rglob("*.js"))
    assert len(scripts) > 20
    for source in scripts:
        name = source.relative_to(STATIC).as_posix()
        body = cache.get(source).body
        if name in CLASSIC_SCRIPTS:
            checked = subprocess.run(
                [node, "-e", "new (require('vm').Script)(require('fs').readFileSync(0, 'utf8'))"],
                input=body, capture_output=True, timeout=60)
        else:
            served = tmp_path / (name.replace("/", "_") + ".mjs")
            served.write_bytes(body)
            checked = subprocess.run([node, "--check", str(served)], capture_output=True,
                                     timeout=60)
        assert checked.returncode == 0, f"{name}: {checked.stderr.decode()[:500]}"


# rJSmin reads JavaScript with regular expressions, and gets these wrong:
# the text of a template literal nested in another one's ${...} is squeezed as
# code ("a  b" becomes "a b", "a // b" cuts the rest of the line); "1 .x"
# loses its space and "a / /re/" becomes a comment. The sources do without them.
RJSMIN_MISREADS = {
    "a template literal inside another one's ${...}": re.compile(r"\$\{[^}`]*`"),
    "a member of a number literal": re.compile(r"(?<![\w$.])\d+\s+\.[A-Za-z_$]"),
    "a regular expression right after a division sign": re.compile(r"[\w$)\]]\s*/\s+/(?![/*])"),
}


@pytest.mark.parametrize("source, what", [
    ("t = `${a ? `x ${b}` : ''}`;", "a template literal inside another one's ${...}"),
    ("n = 1 .toFixed(2);", "a member of a number literal"),
    ("x = a / /re/.source.length;", "a regular expression right after a division sign"),
])
def test_what_rjsmin_misreads_is_found(source, what):
    assert RJSMIN_MISREADS[what].search(source)


def test_sources_avoid_what_rjsmin_misreads():
    for source in sorted(STATIC.rglob("*.js")):
        text = source.read_text(encoding="utf-8")
        for what, pattern in RJSMIN_MISREADS.items():
            found = pattern.search(text)
            assert not found, f"{source.relative_to(STATIC)}: {what}: {found and found[0]!r}"
