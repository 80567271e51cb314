import pytest

import strtpl
import strtpl.engine
from strtpl import TemplateSyntaxError, UndefinedError, render

CASES = [
    ("Hello {{ user.name|title }}!", {"user": {"name": "ada"}}),
    ("{% for item in items %}- {{ item|upper }}\n{% endfor %}", {"items": ["tea", "milk"]}),
    ("{% if not admin %}read-only{% else %}admin{% endif %}", {"admin": False}),
    ('{{ nick|default:"anonymous" }} {{ tags|join:"|" }}', {"tags": ["a", "b"]}),
    ("{% for u in users %}{% if u.on %}{{ u.name }};{% endif %}{% endfor %}",
     {"users": [{"name": "a", "on": True}, {"name": "b", "on": False}, {"name": "c", "on": True}]}),
    ("a{# comment #}b {{ n|length }}", {"n": [1, 2, 3]}),
]

SYNTAX_ERRORS = {
    "a\n{% if x %}\nb": (2, "unclosed {% if %}"),
    "{% for x in xs %}{% endif %}": (1, "unexpected {% endif %}"),
    "a\nb\n{% while x %}": (3, "unknown tag 'while'"),
    "{{ name|shout }}": (1, "unknown filter 'shout'"),
    "x\n{{ name": (2, "unclosed '{{'"),
    "{% if never %}\n{{ x|nope }}{% endif %}": (2, "unknown filter 'nope'"),
}


def test_template_renders_like_render():
    from strtpl import Template

    for source, context in CASES:
        assert Template(source).render(context) == render(source, context)
        assert Template(source).render(**context) == render(source, context)


def test_template_can_be_rendered_many_times():
    from strtpl import Template

    template = Template("{% for item in items %}{{ item }},{% endfor %}{{ item }}")
    context = {"item": "outer", "items": [1, 2]}
    assert template.render(context) == "1,2,outer"
    assert template.render(context, items=["x"]) == "x,outer"
    assert template.render(items=[], item="!") == "!"
    assert context == {"item": "outer", "items": [1, 2]}


def test_syntax_errors_are_raised_by_the_constructor():
    from strtpl import Template

    for source, (line, message) in SYNTAX_ERRORS.items():
        with pytest.raises(TemplateSyntaxError) as info:
            Template(source)
        assert info.value.line == line
        assert message in str(info.value)


def test_undefined_names_are_reported_when_rendering():
    from strtpl import Template

    template = Template("Hi {{ user.nmae }}")
    with pytest.raises(UndefinedError) as info:
        template.render(user={"name": "ada"})
    assert info.value.name == "user.nmae"
    assert template.render(user={"nmae": "typo"}) == "Hi typo"


def test_source_is_kept():
    from strtpl import Template

    source = "{{ a }}\n{% if b %}x{% endif %}"
    assert Template(source).source == source


def test_template_module():
    from strtpl import Template
    from strtpl.template import Template as TemplateFromModule

    assert Template is TemplateFromModule


def test_rendering_does_not_parse_again(monkeypatch):
    from strtpl import Template

    template = Template("{% for x in xs %}{% if x %}{{ x|upper }}{% endif %}{% endfor %}")

    def fail(*args, **kwargs):
        raise AssertionError("the template was parsed again")

    monkeypatch.setattr(strtpl.engine, "tokenize", fail, raising=False)
    monkeypatch.setattr(strtpl.engine, "parse_expression", fail, raising=False)
    assert template.render(xs=["a", "", "b"]) == "AB"
    assert template.render(xs=["c"]) == "C"


def test_render_function_unchanged():
    for source, context in CASES:
        assert render(source, context) == render(source, **context)
    assert render("Hello {{ user.name|title }}!", {"user": {"name": "ada"}}) == "Hello Ada!"
    assert render("{{ a }}{{ b }}", {"a": 1, "b": 2}, b=3) == "13"
    with pytest.raises(UndefinedError):
        render("{% for x in nothing %}{% endfor %}")


def test_render_still_reports_syntax_errors():
    for source, (line, message) in SYNTAX_ERRORS.items():
        with pytest.raises(TemplateSyntaxError) as info:
            render(source, x=True, xs=[], name="n")
        assert info.value.line == line
        assert message in str(info.value)


def test_engine_render_still_importable():
    from strtpl.engine import render as engine_render

    assert engine_render("{{ x }}!", x=1) == "1!"
