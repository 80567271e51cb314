"""What an agent can and cannot reach from inside its container, with a real engine and a real
gateway. The "agent" here is a probe that reports what it sees instead of solving anything."""

import json
import re
import textwrap

import pytest

from archive_db import Archive
from benchmarks.task import load_suite
from dgm.agent_run import ModelChannel, run_agent
from dgm.config import LimitsConfig, ModelConfig, RunConfig
from dgm.gateway import Gateway
from dgm.model_client import CallContext, ModelClient
from dgm.models.scripted import ScriptedModelServer

pytestmark = pytest.mark.docker
API_KEY = "sk-dgm-test-7f3a9c1e5b"

PROBE = textwrap.dedent('''
    import argparse, http.client, json, os, socket, subprocess
    p = argparse.ArgumentParser()
    for flag in ("--problem-file", "--repo", "--outdir", "--max-steps"):
        p.add_argument(flag)
    a = p.parse_args()
    report = {"env": dict(os.environ)}
    grep = subprocess.run(["grep", "-rIl", "--exclude-dir=proc", "--exclude-dir=sys", "--exclude-dir=dev",
                           "-e", os.environ.get("PROBE_NEEDLE", "x"), "-e", os.environ.get("PROBE_HIDDEN", "x"), "/"], capture_output=True, text=True)
    report["grep"] = grep.stdout.split()
    report["files"] = subprocess.run(["find", "/", "-xdev", "-name", "*.py", "-path", "*test*"],
                                     capture_output=True, text=True).stdout.split()
    class Unix(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.connect(os.environ["DGM_MODEL_SOCKET"])
    conn = Unix("localhost", timeout=30)
    conn.request("POST", "/v1/chat/completions", json.dumps({"messages": [{"role": "user", "content": "probe"}]}))
    report["model"] = json.loads(conn.getresponse().read())
    try:
        socket.create_connection(("127.0.0.1", int(os.environ["PROBE_PORT"])), timeout=3)
        report["host_port"] = "reachable"
    except OSError as exc:
        report["host_port"] = f"unreachable: {exc}"
    open(os.path.join(a.repo, "PROBED.txt"), "w").write("was here\\n")
    json.dump([{"role": "probe", "content": json.dumps(report)}], open(os.path.join(a.outdir, "transcript.json"), "w"))
''')


def test_agent_sees_no_key_no_hidden_tests_no_network_and_only_the_gateway(sandbox, tmp_path):
    task = load_suite("builtin")[0]
    hidden_name = task.hidden_files[0].rsplit("/", 1)[-1]
    hidden_line = next(ln for ln in (task.hidden_dir / task.hidden_files[0]).read_text().splitlines() if ln.startswith("def test_"))
    agent_dir = tmp_path / "agent"
    agent_dir.mkdir()
    (agent_dir / "coding_agent.py").write_text(PROBE)
    archive = Archive.in_dir(tmp_path / "run")
    run = archive.create_run("t", "{}", "0")
    with ScriptedModelServer({"rule": [{"name": "hi", "reply": {"content": "hello from the host"}}]}) as upstream:
        port = int(re.search(r":(\d+)/", upstream.base_url).group(1))
        config = RunConfig(model=ModelConfig(base_url=upstream.base_url, agent_model="m", max_retries=0))
        client = ModelClient(config.model, API_KEY, archive)
        with Gateway(client, CallContext(run.id, None, task.id, "solve"), "m", LimitsConfig()) as gw:
            # The probe needs the needle and port; neither is a secret the real agent would get.
            env_extra = {"PROBE_NEEDLE": API_KEY[:12] + "[0-9a-f]*", "PROBE_PORT": str(port), "PROBE_HIDDEN": hidden_line}

            class ProbeChannel(ModelChannel):
                def env(self) -> dict[str, str]:
                    return {**super().env(), **env_extra}

            channel = ProbeChannel(gw.channel.socket_dir, gw.channel.model)
            outcome = run_agent(sandbox, config, agent_dir, task.repo_dir, task.problem, channel, tmp_path / "work")
    assert outcome.run.ok, outcome.run.output
    report = json.loads(outcome.transcript[0]["content"])
    assert API_KEY not in json.dumps(report["env"])
    assert report["grep"] == [], f"key or hidden test content visible: {report['grep']}"
    assert not any(path.endswith(hidden_name) for path in report["files"]), report["files"]
    assert report["host_port"].startswith("unreachable")
    assert report["model"]["choices"][0]["message"]["content"] == "hello from the host"
    assert [c.purpose for c in archive.calls()] == ["solve"]
    assert "+was here" in outcome.patch and "PROBED.txt" in outcome.patch
    archive.close()
