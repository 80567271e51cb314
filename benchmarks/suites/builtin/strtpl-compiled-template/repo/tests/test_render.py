import pytest

from strtpl import TemplateSyntaxError, UndefinedError, render


class User:
    def __init__(self, name, admin=False):
        self.name = name
        self.admin = admin


def test_plain_text_and_variables():
    assert render("plain text") == "plain text"
    assert render("Hi {{ name }}, {{name}}!", {"name": "Ada"}) == "Hi Ada, Ada!"
    assert render("{{ n }} items", n=3) == "3 items"


def test_dotted_lookups():
    context = {"user": User("ada"), "order": {"lines": [{"sku": "A1"}, {"sku": "B2"}]}}
    assert render("{{ user.name }} {{ order.lines.1.sku }}", context) == "ada B2"


def test_filters():
    assert render("{{ name|strip|title }}", name="  ada lovelace ") == "Ada Lovelace"
    assert render("{{ items|length }} {{ items|join:\", \" }}", items=["a", "b"]) == "2 a, b"
    assert render("{{ html|escape }}", html='<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"


def test_default_filter_and_none():
    assert render('{{ nick|default:"anonymous" }}') == "anonymous"
    assert render('{{ nick|default:"anonymous"|upper }}', nick="") == "ANONYMOUS"
    assert render("[{{ value }}]", value=None) == "[]"


def test_if_else():
    template = "{% if user.admin %}admin{% else %}user{% endif %}"
    assert render(template, user=User("a", admin=True)) == "admin"
    assert render(template, user=User("b")) == "user"
    assert render("{% if not missing %}no{% endif %}") == "no"
    assert render("{% if items|length %}some{% endif %}", items=[]) == ""


def test_for_loops():
    template = "{% for line in lines %}{{ line.qty }}x {{ line.sku }}\n{% endfor %}"
    lines = [{"qty": 2, "sku": "A1"}, {"qty": 1, "sku": "B2"}]
    assert render(template, lines=lines) == "2x A1\n1x B2\n"
    assert render(template, lines=[]) == ""


def test_nested_blocks():
    template = (
        "{% for u in users %}{% if u.admin %}*{% endif %}{{ u.name }}"
        "{% for tag in u.tags %}#{{ tag }}{% endfor %};{% endfor %}"
    )
    users = [{"name": "a", "admin": True, "tags": ["x", "y"]}, {"name": "b", "admin": False, "tags": []}]
    assert render(template, users=users) == "*a#x#y;b;"


def test_loop_variable_does_not_leak():
    context = {"item": "outer", "items": [1, 2]}
    assert render("{% for item in items %}{{ item }}{% endfor %}{{ item }}", context) == "12outer"
    assert context == {"item": "outer", "items": [1, 2]}


def test_keyword_values_override_context():
    assert render("{{ a }}{{ b }}", {"a": 1, "b": 2}, b=3) == "13"


def test_comments_are_dropped():
    assert render("a{# note {{ x }} #}b") == "ab"


def test_undefined_names():
    with pytest.raises(UndefinedError) as info:
        render("Hi {{ user.nmae }}", user=User("ada"))
    assert info.value.name == "user.nmae"
    with pytest.raises(UndefinedError):
        render("{% for x in nothing %}{% endfor %}")


def test_syntax_errors_report_lines():
    cases = {
        "a\n{% if x %}\nb": (2, "unclosed {% if %}"),
        "{% for x in xs %}{% endif %}": (1, "unexpected {% endif %}"),
        "a\nb\n{% while x %}": (3, "unknown tag 'while'"),
        "{{ name|shout }}": (1, "unknown filter 'shout'"),
        "x\n{{ name": (2, "unclosed '{{'"),
        "{% for x of xs %}{% endfor %}": (1, "malformed {% for %}"),
    }
    for source, (line, message) in cases.items():
        with pytest.raises(TemplateSyntaxError) as info:
            render(source, x=True, xs=[], name="n")
        assert info.value.line == line
        assert message in str(info.value)


def test_whole_template_is_checked_before_rendering():
    with pytest.raises(TemplateSyntaxError):
        render("{% if false_flag %}{{ x|nope }}{% endif %}")
    with pytest.raises(TemplateSyntaxError):
        render("{{ missing }}{% bogus %}")
