"""How `dgm setup --local-model` builds llama.cpp: for any machine of the CPU's family, never for the
build machine's newest instructions (machines differ from one day to the next)."""

from __future__ import annotations

import pytest

from dgm.local_model import cmake_args, cpu_level, serve_command

AMX_MACHINE = "flags\t\t: fpu sse sse2 avx avx2 fma f16c bmi2 avx512f avx512_vnni amx_tile amx_int8\n"
OLD_MACHINE = "flags\t\t: fpu sse sse2 sse4_2\n"


@pytest.mark.parametrize(("cpuinfo", "level"), [(AMX_MACHINE, "avx2"), (OLD_MACHINE, "sse"), ("", "sse")])
def test_the_build_targets_avx2_at_most(tmp_path, cpuinfo, level):
    (tmp_path / "cpuinfo").write_text("processor\t: 0\n" + cpuinfo)
    assert cpu_level(tmp_path / "cpuinfo") == level
    args = cmake_args(level).split()
    assert "-DGGML_NATIVE=OFF" in args  # never -march=native
    assert not [a for a in args if ("AVX512" in a or "AMX" in a) and a.endswith("=ON")]
    assert ("-DGGML_AVX2=ON" in args) == (level == "avx2")


def test_an_unreadable_cpuinfo_builds_the_baseline(tmp_path):
    assert cpu_level(tmp_path / "missing") == "sse"


def test_serving_a_model_file_that_is_given(tmp_path):
    command = serve_command(8080, 4096, model=tmp_path / "m.gguf")
    assert command[command.index("--n_ctx") + 1] == "4096" and command[command.index("--model") + 1] == str(tmp_path / "m.gguf")

