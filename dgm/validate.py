"""The validity gate a child must pass before it is evaluated: it imports and its own tests pass."""

from __future__ import annotations

from pathlib import Path

from sandbox.container import DockerSandbox

IMPORT_FAILED = 91
CHECK = (
    f"cd /agent && {{ python3 -c 'import coding_agent' || exit {IMPORT_FAILED}; }} "
    "&& python3 -m pytest -q -x -p no:cacheprovider tests"
)


def _last_meaningful_line(output: str) -> str:
    lines = [ln.strip() for ln in output.strip().splitlines() if ln.strip()]
    hint = next((ln for ln in reversed(lines) if "Error" in ln or "failed" in ln), lines[-1] if lines else "")
    return hint[:300]


def validate_agent(sandbox: DockerSandbox, code_dir: Path, timeout_s: float) -> str | None:
    """None when the agent is sound, else the reason to reject it (one line)."""
    if not (code_dir / "coding_agent.py").is_file():
        return "coding_agent.py is missing (the entry point of the agent contract)"
    if not (code_dir / "tests").is_dir():
        return "it has no tests (tests/ is missing)"
    result = sandbox.run(["bash", "-c", CHECK], inputs={"/agent": code_dir}, timeout_s=timeout_s,
                         labels={"dgm.role": "validate"})
    if result.timed_out:
        return f"its own tests did not finish within {timeout_s:.0f} s"
    reasons = {0: None, IMPORT_FAILED: "coding_agent does not import", 5: "it has no tests"}
    reason = reasons.get(result.exit_code or 0, "its own tests fail") if not result.error else result.error
    if reason is None:
        return None
    return f"{reason}: {_last_meaningful_line(result.output)}"
