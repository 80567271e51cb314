"""The sandbox's own config table (``[sandbox]`` of a run's TOML; ``dgm.config.RunConfig.sandbox``)."""

from __future__ import annotations

from pydantic import Field, field_validator

from kernel.config import Strict, parse_size


class SandboxConfig(Strict):
    """Resource limits for every container that runs agent code or grades it, and bounds on what
    comes back out of one (every byte of it was written by untrusted code)."""

    image: str = "dgm-sandbox:bookworm-2"
    memory: str = "2g"
    cpus: float = Field(default=1.0, gt=0)
    pids: int = Field(default=512, gt=16)  # processes and threads together
    agent_timeout_s: int = Field(default=900, gt=0)
    grade_timeout_s: int = Field(default=300, gt=0)
    # The most one container may write in total (its writable layer: /repo, /tmp, $HOME, ...), and
    # so the largest single file; past it the container is killed and its step fails with the reason.
    disk: str = "2g"
    max_open_files: int = Field(default=4096, gt=64)  # file handles per process (RLIMIT_NOFILE)
    # Copy-back: a tree handed back by a container (the agent's /repo, its /out) is refused past these.
    max_output_files: int = Field(default=50_000, gt=0)
    max_output_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    max_output_depth: int = Field(default=64, gt=1)  # path components below the copied folder
    max_patch_bytes: int = Field(default=2 * 1024 * 1024, gt=0)  # a patch (task fix or self-edit)

    @field_validator("memory", "disk")
    @classmethod
    def _size(cls, value: str) -> str:
        parse_size(value)  # raises ValueError with the accepted forms
        return value

    @property
    def disk_bytes(self) -> int:
        return parse_size(self.disk)
