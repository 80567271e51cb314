import subprocess
import sys

import pytest

from dgm.bootstrap import doctor


@pytest.mark.docker
def test_setup_is_idempotent_and_doctor_is_happy(docker_client):
    proc = subprocess.run([sys.executable, "-m", "dgm", "setup"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "is ready" in proc.stdout
    checks = {c.name: c for c in doctor(env={"OPENAI_API_KEY": "x"})}
    assert all(c.ok for c in checks.values() if c.required), checks
    assert not checks["polyglot image"].required and checks["polyglot image"].fix == "dgm setup --polyglot"


def test_doctor_names_the_fix_for_what_is_missing():
    checks = {c.name: c for c in doctor(image="dgm-no-such-image:0", env={})}
    assert not checks["API key"].ok and "export OPENAI_API_KEY" in checks["API key"].fix
    assert not checks["sandbox image"].ok and checks["sandbox image"].fix == "dgm setup"


def test_doctor_command_exits_non_zero_when_the_image_is_missing(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[sandbox]\nimage = "dgm-no-such-image:0"\n')
    proc = subprocess.run([sys.executable, "-m", "dgm", "doctor", "--config", str(cfg)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1 and "dgm setup" in proc.stdout
