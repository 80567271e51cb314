"""Where a run's archive lives: an SQLite file in the run directory (the default, needing nothing), or
a database server (PostgreSQL) that several runs, machines and dashboards share.

A server-backed run directory records its database in ``database.json``: the URL *without its
password* and the id of its run there (one database may hold many runs). Every command that takes
``--run-dir`` finds the archive through it; the password comes from the environment (``PGPASSWORD``)
or ``~/.pgpass``, as libpq always looks, so it is never written to a file of the run.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from kernel.errors import DgmError, NotFoundError

SQLITE_FILE = "archive.sqlite"
DATABASE_FILE = "database.json"
# Plain postgresql:// means psycopg2 to SQLAlchemy; we ship psycopg 3 (the `postgres` extra).
DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


@dataclass(frozen=True)
class Location:
    url: str  # what to connect with (a password the user passed stays in memory only)
    run_id: int | None  # the run in a shared database; None: the newest (an SQLite file holds one run)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def driver_url(url: str) -> str:
    """``url`` with the driver we install named (postgresql:// → postgresql+psycopg://); one clear line
    when that driver is not installed."""
    scheme, sep, rest = url.partition("://")
    scheme = DRIVERS.get(scheme, scheme)
    if scheme == "postgresql+psycopg" and importlib.util.find_spec("psycopg") is None:
        raise DgmError("a PostgreSQL archive needs psycopg: pip install 'dgm[postgres]'")
    return f"{scheme}{sep}{rest}"


def public_url(url: str) -> str:
    """``url`` without its password: what a file, a page or a log may show."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DgmError(f"not a database URL: {url.split('@')[-1]!r}") from None
    return parsed._replace(password=None).render_as_string(hide_password=False)  # set() keeps a None


def same_database(a: str, b: str) -> bool:
    return public_url(driver_url(a)) == public_url(driver_url(b))


def sqlite_url(run_dir: Path) -> str:
    return f"sqlite:///{(Path(run_dir) / SQLITE_FILE).resolve()}"


def recorded(run_dir: Path) -> Location | None:
    """The database a server-backed run directory names, or None (an SQLite run, or no run yet)."""
    path = Path(run_dir) / DATABASE_FILE
    try:
        data = json.loads(path.read_text())
        return Location(driver_url(str(data["url"])), int(data["run_id"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        raise DgmError(f"{path} is damaged: it should hold {{\"url\": ..., \"run_id\": ...}}") from None


def record(run_dir: Path, url: str, run_id: int) -> None:
    """Write ``database.json`` (atomically: a crash leaves the old file or the new one)."""
    path = Path(run_dir) / DATABASE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{DATABASE_FILE}.tmp")
    tmp.write_text(json.dumps({"url": public_url(url), "run_id": run_id}, indent=1) + "\n")
    os.replace(tmp, path)


def holds_run(run_dir: Path) -> bool:
    return (Path(run_dir) / SQLITE_FILE).is_file() or (Path(run_dir) / DATABASE_FILE).is_file()


def locate_existing(run_dir: Path, db_url: str | None = None) -> Location:
    """``locate``, for reading: NotFoundError where an SQLite archive would be but is not (nothing is
    created by asking)."""
    where = locate(run_dir, db_url)
    if where.is_sqlite and not Path(where.url.removeprefix("sqlite:///")).is_file():
        raise NotFoundError(f"{run_dir} holds no dgm run (no {SQLITE_FILE} or {DATABASE_FILE})")
    return where


def locate(run_dir: Path, db_url: str | None = None) -> Location:
    """The archive of the run in ``run_dir``; ``db_url`` (the `--db-url` option) names the database
    when the run directory does not, or is checked against what it records."""
    found = recorded(run_dir)
    if db_url is None:
        return found or Location(sqlite_url(run_dir), None)
    if found is not None:
        if not same_database(found.url, db_url):
            raise DgmError(f"{run_dir}'s archive is {public_url(found.url)}, not {public_url(db_url)}")
        return Location(driver_url(db_url), found.run_id)  # the given URL may carry the password
    if not is_sqlite(db_url) and (Path(run_dir) / SQLITE_FILE).is_file():
        raise DgmError(f"{run_dir}'s archive is its own {SQLITE_FILE}, not {public_url(db_url)}")
    return Location(driver_url(db_url), None)
