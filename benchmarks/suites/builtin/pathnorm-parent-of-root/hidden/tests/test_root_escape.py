from pathnorm import is_within, join, normalize, parent, segments


def test_parent_of_root_is_root():
    assert normalize("/..") == "/"
    assert normalize("/../..") == "/"


def test_parent_segments_cannot_climb_above_root():
    assert normalize("/../etc/passwd") == "/etc/passwd"
    assert normalize("/a/../../b") == "/b"
    assert normalize("//../x//y") == "/x/y"


def test_root_with_trailing_slash():
    assert normalize("/../") == "/"
    assert normalize("/a/../../b/") == "/b/"


def test_segments_of_escaped_absolute_path():
    assert segments("/../../var/log") == ["var", "log"]


def test_join_cannot_escape_root():
    assert join("/", "..", "etc") == "/etc"
    assert join("/srv", "../../../etc/passwd") == "/etc/passwd"


def test_parent_of_root():
    assert parent("/") == "/"
    assert parent("/a") == "/"


def test_is_within_after_climbing_above_root():
    assert is_within("/../srv/www/index.html", "/srv/www")
    assert not is_within("/srv/../../etc", "/srv")


def test_relative_paths_keep_leading_parent_segments():
    assert normalize("a/../../b") == "../b"
    assert normalize("../../x/./y/") == "../../x/y/"
    assert normalize("./..") == ".."
    assert parent(".") == ".."
    assert join("..", "..", "a") == "../../a"


def test_relative_is_within():
    assert is_within("../a/b", "../a")
    assert not is_within("a", "../a")
