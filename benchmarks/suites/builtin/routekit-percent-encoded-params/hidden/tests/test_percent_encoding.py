import pytest

from routekit import Converter, NotFound, Router


def make_router():
    r = Router()
    r.add("/about", lambda: "about", name="about")
    r.add("/café", lambda: "cafe", name="cafe")
    r.add("/docs/api", lambda: "docs", name="docs")
    r.add("/users/{id:int}", lambda: "user", name="user")
    r.add("/people/{name}", lambda: "person", name="person")
    r.add("/files/{name}", lambda: "file", name="file")
    r.add("/files/{folder}/{name}", lambda: "nested_file", name="nested_file")
    r.add("/menu/café/{dish}", lambda: "dish", name="dish")
    r.add("/static/{path:path}", lambda: "static", name="static")
    return r


def resolve(router, path):
    view, params = router.resolve(path)
    return view(), params


def test_parameters_are_percent_decoded():
    r = make_router()
    assert resolve(r, "/files/report%202024.pdf") == ("file", {"name": "report 2024.pdf"})
    assert resolve(r, "/people/J%C3%BCrgen") == ("person", {"name": "Jürgen"})
    assert resolve(r, "/files/100%25%20done") == ("file", {"name": "100% done"})


def test_encoded_slash_is_part_of_the_segment():
    r = make_router()
    assert resolve(r, "/files/a%2Fb") == ("file", {"name": "a/b"})
    assert resolve(r, "/files/x/a%2fb") == ("nested_file", {"folder": "x", "name": "a/b"})


def test_literal_segments_match_encoded_paths():
    r = make_router()
    assert resolve(r, "/caf%C3%A9") == ("cafe", {})
    assert resolve(r, "/%61bout") == ("about", {})
    assert resolve(r, "/menu/caf%C3%A9/cr%C3%AApe") == ("dish", {"dish": "crêpe"})


def test_int_parameters_are_decoded_before_conversion():
    r = make_router()
    assert resolve(r, "/users/%34%32") == ("user", {"id": 42})


def test_path_parameters_are_decoded():
    r = make_router()
    assert resolve(r, "/static/my%20docs/a%2Fb.txt") == ("static", {"path": "my docs/a/b.txt"})


def test_url_for_encodes_parameter_values():
    r = make_router()
    assert r.url_for("file", name="report 2024.pdf") == "/files/report%202024.pdf"
    assert r.url_for("file", name="a/b") == "/files/a%2Fb"
    assert r.url_for("person", name="Jürgen") == "/people/J%C3%BCrgen"
    assert r.url_for("file", name="a+b?c=d&e#f%") == "/files/a%2Bb%3Fc%3Dd%26e%23f%25"


def test_url_for_path_parameter_keeps_slashes_only():
    r = make_router()
    assert r.url_for("static", path="my docs/ünï.txt") == "/static/my%20docs/%C3%BCn%C3%AF.txt"
    assert r.url_for("static", path="a?b/c#d") == "/static/a%3Fb/c%23d"


def test_url_for_encodes_literal_segments():
    r = make_router()
    assert r.url_for("cafe") == "/caf%C3%A9"
    assert r.url_for("dish", dish="crêpe") == "/menu/caf%C3%A9/cr%C3%AApe"


def test_round_trip():
    r = make_router()
    for value in ["plain", "with space", "a/b", "100%", "a+b", "Jürgen", "x?y=z&w", "~tilde-._"]:
        assert resolve(r, r.url_for("file", name=value)) == ("file", {"name": value})
    for value in ["a/b/c.txt", "dir with space/f%.txt", "ü/ö"]:
        assert resolve(r, r.url_for("static", path=value)) == ("static", {"path": value})
    assert resolve(r, r.url_for("dish", dish="crème brûlée")) == ("dish", {"dish": "crème brûlée"})


def test_custom_converters_see_decoded_text_and_output_is_encoded():
    class ListConverter(Converter):
        def to_python(self, text):
            return text.split(",")

        def to_url(self, value):
            return ",".join(value)

    r = Router(converters={"list": ListConverter})
    r.add("/tags/{tags:list}", lambda: "tags", name="tags")
    assert r.url_for("tags", tags=["a b", "c/d"]) == "/tags/a%20b%2Cc%2Fd"
    assert r.resolve("/tags/a%20b%2Cc%2Fd")[1] == {"tags": ["a b", "c/d"]}
    assert r.resolve("/tags/x,y")[1] == {"tags": ["x", "y"]}


def test_plus_is_not_a_space():
    r = make_router()
    assert resolve(r, "/files/a+b") == ("file", {"name": "a+b"})


def test_encoded_slash_does_not_reach_other_routes():
    r = make_router()
    with pytest.raises(NotFound):
        r.resolve("/docs%2Fapi")
    with pytest.raises(NotFound):
        r.resolve("/users%2F42")


def test_unreserved_characters_are_not_encoded():
    r = make_router()
    assert r.url_for("file", name="a-b.c_d~e") == "/files/a-b.c_d~e"
    assert r.url_for("static", path="css/site.css") == "/static/css/site.css"
    assert r.url_for("user", id=42) == "/users/42"


def test_plain_paths_resolve_as_before():
    r = make_router()
    assert resolve(r, "/about") == ("about", {})
    assert resolve(r, "/docs/api") == ("docs", {})
    assert resolve(r, "/files/x/y.txt") == ("nested_file", {"folder": "x", "name": "y.txt"})
    with pytest.raises(NotFound):
        r.resolve("/files/")
