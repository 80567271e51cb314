from globlite import filter, fnmatch, match_any


def test_literal_and_question_mark():
    assert fnmatch("data.csv", "data.csv")
    assert fnmatch("data1.csv", "data?.csv")
    assert not fnmatch("data12.csv", "data?.csv")
    assert not fnmatch("a/b", "a?b")


def test_star_stays_within_a_segment():
    assert fnmatch("main.py", "*.py")
    assert fnmatch(".py", "*.py")
    assert not fnmatch("src/main.py", "*.py")


def test_double_star():
    assert fnmatch("src/a/b/c.py", "src/**/*.py")
    assert fnmatch("src/c.py", "src/**/*.py")
    assert fnmatch("src/a/b", "src/**")
    assert not fnmatch("lib/c.py", "src/**/*.py")


def test_character_classes():
    assert fnmatch("b.txt", "[abc].txt")
    assert fnmatch("q.txt", "[a-z].txt")
    assert not fnmatch("Q.txt", "[a-z].txt")
    assert fnmatch("Q.txt", "[!a-z].txt")
    assert fnmatch("Q.txt", "[^a-z].txt")
    assert not fnmatch("a/b", "a[!x]b")
    assert fnmatch("]", "[]]")
    assert fnmatch("-", "[a-]")


def test_unclosed_bracket_is_literal():
    assert fnmatch("[abc", "[abc")
    assert fnmatch("x[1", "x[*")


def test_escapes():
    assert fnmatch("*.py", r"\*.py")
    assert not fnmatch("a.py", r"\*.py")
    assert fnmatch("what?", r"what\?")
    assert fnmatch("[x]", r"\[x]")
    assert fnmatch("a\\b", r"a\\b")


def test_regex_characters_are_literal():
    assert fnmatch("a+b(1).txt", "a+b(1).txt")
    assert not fnmatch("aab(1).txt", "a+b(1).txt")


def test_case_insensitive():
    assert fnmatch("README.MD", "*.md", case_sensitive=False)
    assert not fnmatch("README.MD", "*.md")


def test_filter_keeps_order():
    assert filter(["b.py", "a.txt", "a.py"], "*.py") == ["b.py", "a.py"]


def test_match_any_last_match_wins():
    patterns = ["*.log", "build/**", "!build/keep.log"]
    assert match_any("out.log", patterns)
    assert match_any("build/x/y", patterns)
    assert not match_any("build/keep.log", patterns)
    assert not match_any("notes.txt", patterns)
