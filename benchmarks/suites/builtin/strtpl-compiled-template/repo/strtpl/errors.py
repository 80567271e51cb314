"""Template errors."""


class TemplateError(Exception):
    """Base class of the errors raised by strtpl."""


class TemplateSyntaxError(TemplateError):
    """The template is malformed; ``line`` is the 1-based line of the problem."""

    def __init__(self, message, line):
        super().__init__(f"line {line}: {message}")
        self.line = line


class UndefinedError(TemplateError):
    """A name used by the template is not defined in the context."""

    def __init__(self, name):
        super().__init__(f"{name!r} is undefined")
        self.name = name
