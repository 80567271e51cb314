from globlite import filter, fnmatch, match_any


def test_simple_alternatives():
    assert fnmatch("main.py", "*.{py,txt}")
    assert fnmatch("notes.txt", "*.{py,txt}")
    assert not fnmatch("notes.md", "*.{py,txt}")
    assert not fnmatch("main.{py,txt}", "*.{py,txt}")
    assert fnmatch("x.c", "x.{c,cc,cpp}")
    assert fnmatch("x.cpp", "x.{c,cc,cpp}")
    assert not fnmatch("x.cp", "x.{c,cc,cpp}")


def test_alternatives_can_hold_wildcards():
    pattern = "{src/*,tests/test_?}.py"
    assert fnmatch("src/app.py", pattern)
    assert fnmatch("tests/test_a.py", pattern)
    assert not fnmatch("src/app/cli.py", pattern)
    assert not fnmatch("tests/test_ab.py", pattern)
    assert fnmatch("img/b.png", "img/{[a-c],z*}.png")
    assert not fnmatch("img/d.png", "img/{[a-c],z*}.png")
    assert fnmatch("lib/x/y.so", "{lib/**/*.so,bin/*}")


def test_nested_groups():
    pattern = "{a,b{c,d}}x"
    for name in ["ax", "bcx", "bdx"]:
        assert fnmatch(name, pattern), name
    for name in ["bx", "acx", "b{c,d}x", "{a,b{c,d}}x"]:
        assert not fnmatch(name, pattern), name
    assert fnmatch("v2.tar.gz", "v{1,2}.{zip,tar.{gz,xz}}")
    assert not fnmatch("v2.tar", "v{1,2}.{zip,tar.{gz,xz}}")


def test_empty_alternatives():
    assert fnmatch("file", "file{,.bak}")
    assert fnmatch("file.bak", "file{,.bak}")
    assert not fnmatch("file.", "file{,.bak}")
    assert fnmatch("", "{,x}")
    assert fnmatch("x", "{x,}")


def test_single_alternative_and_empty_group():
    assert fnmatch("abc", "{abc}")
    assert not fnmatch("{abc}", "{abc}")
    assert fnmatch("ab", "a{}b")
    assert not fnmatch("a{}b", "a{}b")


def test_escaped_comma_and_brace_inside_a_group():
    pattern = r"{a\,b,c\}}"
    assert fnmatch("a,b", pattern)
    assert fnmatch("c}", pattern)
    assert not fnmatch("a", pattern)
    assert not fnmatch("b", pattern)
    assert fnmatch("{x}", r"{\{x\},y}")


def test_character_class_inside_a_group():
    pattern = "{[},]x,y}"
    assert fnmatch("}x", pattern)
    assert fnmatch(",x", pattern)
    assert fnmatch("y", pattern)
    assert not fnmatch("x", pattern)
    assert not fnmatch("[},]x", pattern)


def test_unmatched_brace_next_to_a_group():
    assert fnmatch("{a,b", "{a,{b}")
    assert not fnmatch("a", "{a,{b}")
    assert fnmatch("ab}", "{a}b}")


def test_filter_and_match_any_use_groups():
    names = ["a.py", "b.txt", "c.md", "d.pyc"]
    assert filter(names, "*.{py,md}") == ["a.py", "c.md"]
    patterns = ["*.{log,tmp}", "!keep.{log,tmp}"]
    assert match_any("x.tmp", patterns)
    assert not match_any("keep.log", patterns)


def test_comma_outside_a_group_is_literal():
    assert fnmatch("a,b", "a,b")
    assert not fnmatch("a", "a,b")
    assert fnmatch("x,y.csv", "*,*.csv")


def test_unmatched_open_brace_is_literal():
    assert fnmatch("a{b", "a{b")
    assert fnmatch("{x", "{*")
    assert fnmatch("{a,b", "{a,b")
    assert not fnmatch("a", "{a,b")


def test_stray_closing_brace_is_literal():
    assert fnmatch("a}b", "a}b")
    assert fnmatch("}", "}")
    assert fnmatch("a,b}", "a,b}")


def test_escaped_braces_are_literal():
    assert fnmatch("{a,b}", r"\{a,b\}")
    assert not fnmatch("a", r"\{a,b\}")
    assert fnmatch("{a}", r"\{a}")


def test_braces_inside_a_character_class_are_literal():
    assert fnmatch("{", "[{}]")
    assert fnmatch("}", "[{}]")
    assert not fnmatch("x", "[{}]")
    assert fnmatch("a", "[!{}]")
