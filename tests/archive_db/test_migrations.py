from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from archive_db.schema import Base
from archive_db.store import Archive, downgrade, make_engine, upgrade


def test_blank_database_gets_every_table(tmp_path):
    archive = Archive(f"sqlite:///{tmp_path / 'a.sqlite'}")
    tables = set(inspect(archive.engine).get_table_names())
    assert {"runs", "agents", "evaluations", "model_calls", "alembic_version"} <= tables


def test_migrations_match_the_orm_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'a.sqlite'}")
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_then_upgrade_round_trips(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'a.sqlite'}")
    upgrade(engine)
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(engine)
    assert "agents" in inspect(engine).get_table_names()


def test_reopening_an_existing_archive_keeps_its_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    first = Archive(url)
    run = first.create_run("r", "{}", "0")
    first.close()
    assert Archive(url).get_run(run.id).name == "r"
