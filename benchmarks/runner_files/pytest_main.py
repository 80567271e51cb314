"""The grader's pytest launcher: runs inside the grading container as

    python -I -B /grade/runner/pytest_main.py [pytest arguments]

The grader alone decides how pytest starts, whatever the graded patch put in the repository:

- `-I` keeps the repository and PYTHONPATH off sys.path while Python and pytest start, so a
  `pytest.py`, `sitecustomize.py` or `pluggy/` shipped in a patch cannot stand in for the real ones;
  an editable install's path entry for the repository is removed until pytest is imported;
- plugin auto-loading is off: only the image's own plugins (entry points of distributions installed
  outside the repository) are loaded, before the repository is importable;
- the configuration file, rootdir and confcutdir come from the grader's arguments;
- the report plugin (pytest_report.py) is registered first and prints each test's outcome tagged
  with a secret that the code under test never saw on disk or in its environment.

Only after all that is the repository put first on sys.path, as `python -m pytest` run from it would.
"""

import importlib.util
import os
import sys

REPO = "/repo"
HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "/grade/secret/nonce"


def _in_repo(path: str) -> bool:
    real = os.path.realpath(path or ".")
    return real == REPO or real.startswith(REPO + os.sep)


def _image_plugins() -> list:
    """The pytest11 entry points of distributions installed in the image, loaded now."""
    from importlib.metadata import entry_points

    plugins = []
    for point in entry_points(group="pytest11"):
        dist = getattr(point, "dist", None)
        if dist is None or _in_repo(str(dist.locate_file(""))):
            continue
        try:
            plugins.append(point.load())
        except Exception as exc:  # a broken plugin of the image: say so, never crash the grade
            print(f"dgm: pytest plugin {point.name} failed to load: {exc}", file=sys.stderr)
    return plugins


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    for variable in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS"):
        os.environ.pop(variable, None)
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    sys.path[:] = [p for p in sys.path if not _in_repo(p)]
    import pytest  # noqa: F401 - the image's pytest, imported before anything of the repository

    reporter = _load("pytest_report").Reporter(SECRET)
    plugins = [reporter, *_image_plugins()]
    sys.path.insert(0, REPO)
    return int(pytest.main(sys.argv[1:], plugins=plugins))


if __name__ == "__main__":
    sys.exit(main())
