import pytest

from routekit import BuildError, Converter, MethodNotAllowed, NotFound, Router


def handler(label):
    def view():
        return label

    view.__name__ = label
    return view


@pytest.fixture
def router():
    r = Router()
    r.add("/", handler("home"), name="home")
    r.add("/users/me", handler("me"), name="me")
    r.add("/users/{id:int}", handler("user"), name="user")
    r.add("/users/{id:int}", handler("update_user"), methods=["PUT"])
    r.add("/files/{name}", handler("file"), name="file")
    r.add("/files/{folder}/{name}", handler("nested_file"), name="nested_file")
    r.add("/static/{path:path}", handler("static"), name="static")
    return r


def resolve(router, path, method="GET"):
    view, params = router.resolve(path, method)
    return view(), params


def test_static_routes(router):
    assert resolve(router, "/") == ("home", {})
    assert resolve(router, "/users/me") == ("me", {})


def test_parameters_and_converters(router):
    assert resolve(router, "/users/42") == ("user", {"id": 42})
    assert resolve(router, "/files/notes.txt") == ("file", {"name": "notes.txt"})
    assert resolve(router, "/files/2024/notes.txt") == ("nested_file", {"folder": "2024", "name": "notes.txt"})


def test_path_converter_takes_the_rest(router):
    assert resolve(router, "/static/css/site.css") == ("static", {"path": "css/site.css"})
    with pytest.raises(NotFound):
        router.resolve("/static/")


def test_query_string_is_ignored(router):
    assert resolve(router, "/users/7?tab=posts") == ("user", {"id": 7})


def test_not_found(router):
    for path in ("/nope", "/users/abc", "/files/", "/files/a/b/c", "users/1", "/users/me/"):
        with pytest.raises(NotFound):
            router.resolve(path)


def test_methods(router):
    assert resolve(router, "/users/3", "put") == ("update_user", {"id": 3})
    with pytest.raises(MethodNotAllowed) as info:
        router.resolve("/users/3", "DELETE")
    assert info.value.allowed == ["GET", "PUT"]


def test_url_for(router):
    assert router.url_for("home") == "/"
    assert router.url_for("user", id=7) == "/users/7"
    assert router.url_for("nested_file", folder="2024", name="notes.txt") == "/files/2024/notes.txt"
    assert router.url_for("static", path="css/site.css") == "/static/css/site.css"


def test_url_for_errors(router):
    with pytest.raises(BuildError):
        router.url_for("nope")
    with pytest.raises(BuildError):
        router.url_for("user")
    with pytest.raises(BuildError):
        router.url_for("user", id=1, extra=2)
    with pytest.raises(BuildError):
        router.url_for("user", id="seven")


def test_invalid_templates():
    r = Router()
    for template in ("users", "/users/{id", "/a/{x}/{x}", "/a/{x:float}", "/a/{p:path}/b"):
        with pytest.raises(ValueError):
            r.add(template, handler("x"))
    r.add("/a", handler("a"), name="a")
    with pytest.raises(ValueError):
        r.add("/b", handler("b"), name="a")


def test_decorator():
    r = Router()

    @r.route("/ping", name="ping")
    def ping():
        return "pong"

    assert r.resolve("/ping")[0] is ping
    assert r.url_for("ping") == "/ping"


def test_custom_converter():
    class ListConverter(Converter):
        def to_python(self, text):
            return text.split(",")

        def to_url(self, value):
            return ",".join(value)

    r = Router(converters={"list": ListConverter})
    r.add("/tags/{tags:list}", handler("tags"), name="tags")
    assert r.resolve("/tags/a,b")[1] == {"tags": ["a", "b"]}
    assert r.resolve(r.url_for("tags", tags=["x", "y"]))[1] == {"tags": ["x", "y"]}
