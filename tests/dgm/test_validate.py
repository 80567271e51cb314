"""The validity gate with the real seed agent in the real sandbox."""

import shutil

import pytest

from dgm.agents_repo import SEED_DIR
from dgm.validate import validate_agent

pytestmark = pytest.mark.docker


@pytest.fixture()
def agent_copy(tmp_path):
    dest = tmp_path / "agent"
    shutil.copytree(SEED_DIR, dest, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return dest


def test_the_seed_agent_passes_its_own_gate(sandbox, agent_copy):
    assert validate_agent(sandbox, agent_copy, timeout_s=300) is None


def test_a_child_that_does_not_import_is_rejected(sandbox, agent_copy):
    (agent_copy / "coding_agent.py").write_text((agent_copy / "coding_agent.py").read_text() + "\ndef broken(:\n")
    reason = validate_agent(sandbox, agent_copy, timeout_s=300)
    assert reason is not None and reason.startswith("coding_agent does not import") and "SyntaxError" in reason


def test_a_child_whose_tests_fail_is_rejected(sandbox, agent_copy):
    (agent_copy / "tests" / "test_zz_regression.py").write_text("def test_regression():\n    assert 1 == 2\n")
    reason = validate_agent(sandbox, agent_copy, timeout_s=300)
    assert reason is not None and reason.startswith("its own tests fail")


def test_a_child_without_tests_or_entry_point_is_rejected(sandbox, agent_copy):
    shutil.rmtree(agent_copy / "tests")
    assert validate_agent(sandbox, agent_copy, timeout_s=300).startswith("it has no tests")
    (agent_copy / "coding_agent.py").unlink()
    assert "coding_agent.py is missing" in validate_agent(sandbox, agent_copy, timeout_s=300)
