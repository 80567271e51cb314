import pytest

from pathnorm import is_within, join, normalize, parent, segments


def test_collapses_slashes_and_dots():
    assert normalize("/static//css/./site.css") == "/static/css/site.css"
    assert normalize("a/./b/.") == "a/b"


def test_resolves_parent_segments():
    assert normalize("/static/css/../js/app.js") == "/static/js/app.js"
    assert normalize("a/b/../../c") == "c"


def test_relative_leading_parent_segments_are_kept():
    assert normalize("../a/b") == "../a/b"
    assert normalize("../../x") == "../../x"
    assert normalize("a/../../b") == "../b"


def test_trailing_slash_is_preserved():
    assert normalize("docs/api/") == "docs/api/"
    assert normalize("/a/b/../") == "/a/"


def test_empty_and_dot():
    assert normalize("") == "."
    assert normalize(".") == "."
    assert normalize("a/..") == "."
    assert normalize("./") == "."


def test_root():
    assert normalize("/") == "/"
    assert normalize("///") == "/"
    assert normalize("/a/..") == "/"


def test_rejects_non_strings():
    with pytest.raises(TypeError):
        normalize(None)


def test_segments():
    assert segments("/a//b/./c/") == ["a", "b", "c"]
    assert segments(".") == []


def test_join():
    assert join("/srv/www", "img", "../css/site.css") == "/srv/www/css/site.css"
    assert join("a/", "b") == "a/b"
    assert join("/srv", "/etc", "hosts") == "/etc/hosts"


def test_parent():
    assert parent("/srv/www/index.html") == "/srv/www"
    assert parent("/srv/www/") == "/srv"
    assert parent("a") == "."
    assert parent("..") == "../.."


def test_is_within():
    assert is_within("/srv/www/img/logo.png", "/srv/www")
    assert is_within("/srv/www", "/srv/www/")
    assert not is_within("/srv/www2", "/srv/www")
    assert not is_within("/srv/www/../secret", "/srv/www")
    with pytest.raises(ValueError):
        is_within("srv", "/srv")
