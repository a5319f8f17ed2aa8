"""JavaScript and CSS go out without comments and indentation, gzipped when
the browser accepts it, and revalidate with their ETag. The browser tests run
the player from these served copies, so they prove the output still works;
here the tricky inputs are pinned one by one."""

from __future__ import annotations

import gzip

import pytest

from player.assets import AssetError, minify_css, minify_js


@pytest.mark.parametrize("source, expected", [
    ("const a = 1; // note\nlet b = a + 1;\n", "const a=1;\nlet b=a+1;\n"),
    ("/* header\n   lines */\nfoo( a , b );\n", "foo(a,b);\n"),
    # Line breaks stay, so automatic semicolon insertion sees the same program.
    ("let a = b\n(c)\n", "let a=b\n(c)\n"),
    ("return\nvalue", "return\nvalue\n"),
    # Comment markers inside strings, templates and regexes are text.
    ("s = '// not a comment /* nor this */';", "s='// not a comment /* nor this */';\n"),
    ('s = "a \\" // b";', 's="a \\" // b";\n'),
    ("t = `line one\n   // kept\n  ${ a  +  b }   x`;",
     "t=`line one\n   // kept\n  ${a+b}   x`;\n"),
    ("t = `${ `${ x }` }`;", "t=`${`${x}`}`;\n"),
    ("t = `${ {a: 1}.a }`;", "t=`${{a:1}.a}`;\n"),
    ("r = /\\/\\/ x [/] /g.test(s);", "r=/\\/\\/ x [/] /g.test(s);\n"),
    ("if (!/^\\d+$/.test(v)) return /a b/i;", "if(!/^\\d+$/.test(v))return/a b/i;\n"),
    ("x = a / b / c;", "x=a/b/c;\n"),
    # Spaces that separate tokens stay; "+ +" must not become "++".
    ("x = a + +b - -c / /re/.source;", "x=a+ +b- -c/ /re/.source;\n"),
    ("n = 1 .toFixed(2) + a .b;", "n=1 .toFixed(2)+a.b;\n"),
    ("typeof x === 'string' && new Foo()", "typeof x==='string'&&new Foo()\n"),
    ("case 'a': return x ?? y;", "case'a':return x??y;\n"),
    ("a = b /* inline */ + c;", "a=b+c;\n"),
])
def test_minify_js(source, expected):
    assert minify_js(source) == expected


@pytest.mark.parametrize("source", ["s = 'open", "t = `open ${ x", "/* open", "r = /open"])
def test_minify_js_reports_unterminated_tokens(source):
    with pytest.raises(AssetError):
        minify_js(source)


@pytest.mark.parametrize("source, expected", [
    ("/* c */\na {\n  color : red ;\n  margin: 0 1px;\n}\n", "a{color :red;margin:0 1px}\n"),
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
    source = (app.static_folder + "/player/player.js")
    with open(source, encoding="utf-8") as f:
        original = f.read()
    plain = client.get("/static/player/player.js")
    assert plain.status_code == 200
    assert plain.mimetype == "text/javascript"
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    assert plain.get_data(as_text=True) == minify_js(original)
    assert len(plain.data) < len(original.encode()) * 0.8

    packed = client.get("/static/player/player.js", headers={"Accept-Encoding": "br, gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"] != plain.headers["ETag"]

    refused = client.get("/static/player/player.js", headers={"Accept-Encoding": "gzip;q=0"})
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
