"""A second seccomp filter, stacked on the engine's default profile, for what that profile allows and
our limits cannot watch.

- `fallocate(2)` reserves disk blocks without writing them: an agent reserved 77 GB of the host's disk
  in 0.26 s, faster than any watch of the container's writable layer can look (sandbox/disk.py).
  It gets EOPNOTSUPP, so glibc's `posix_fallocate` falls back to writing the blocks, which is as
  slow as any write and which the disk watch sees.
- io_uring (`io_uring_setup`, `_enter`, `_register`) would reach fallocate and other operations
  outside the syscall table this filter sees; it gets ENOSYS, as on kernels without it.

The filter is installed by the container's first process, a few lines of Python run as `python3 -I
-S -c WRAPPER COMMAND...` (every sandbox image has python3), which then executes the real command.
Seccomp filters stack: the engine's default profile still applies in full, and no process in the
container can remove either (no-new-privileges is set). The same rules apply to the 32-bit and x32
system call numbers of an x86_64 host, so a 32-bit binary cannot go around them.
"""

from __future__ import annotations

EOPNOTSUPP, ENOSYS = 95, 38
IO_URING = ((425, ENOSYS), (426, ENOSYS), (427, ENOSYS))
# (AUDIT_ARCH_*, mask applied to the syscall number, (number, errno) pairs)
ARCHES = (
    (0xC000003E, 0xBFFFFFFF, ((285, EOPNOTSUPP), *IO_URING)),  # x86_64 (and x32: bit 30 cleared)
    (0x40000003, 0xFFFFFFFF, ((324, EOPNOTSUPP), *IO_URING)),  # i386 on an x86_64 host
    (0xC00000B7, 0xFFFFFFFF, ((47, EOPNOTSUPP), *IO_URING)),  # aarch64
)
LD_ABS, ALU_AND, JEQ, RET = 0x20, 0x54, 0x15, 0x06  # BPF_LD|W|ABS, BPF_ALU|AND|K, BPF_JMP|JEQ|K, BPF_RET|K
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
NR_OFFSET, ARCH_OFFSET = 0, 4  # in struct seccomp_data


def program() -> list[tuple[int, int, int, int]]:
    """The classic BPF program, as (code, jt, jf, k) instructions."""
    prog = [(LD_ABS, 0, 0, ARCH_OFFSET)]
    for arch, mask, rules in ARCHES:
        block = [(LD_ABS, 0, 0, NR_OFFSET), (ALU_AND, 0, 0, mask)]
        for number, errno in rules:
            block += [(JEQ, 0, 1, number), (RET, 0, 0, RET_ERRNO | errno)]
        block.append((RET, 0, 0, RET_ALLOW))
        prog += [(JEQ, 0, len(block), arch), *block]  # another architecture: skip this block
    prog.append((RET, 0, 0, RET_ALLOW))  # one we do not know: the engine's profile decides
    return prog


# Runs in the container as its first process: install the filter, then become the real command. It
# fails closed: without the filter, the disk limit could be outrun.
WRAPPER = f"""\
import ctypes, os, signal, sys
PROGRAM = {program()!r}
class Insn(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]
class Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Insn))]
insns = (Insn * len(PROGRAM))(*[Insn(*i) for i in PROGRAM])
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
if libc.prctl(38, 1, None, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(Prog(len(PROGRAM), insns)), 0, 0) != 0:
    sys.stderr.write("dgm: cannot install the sandbox's seccomp filter: " + os.strerror(ctypes.get_errno()) + "\\n")
    os._exit(125)
# Python ignores these two at start-up, and an exec keeps what is ignored: give them back.
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
try:
    os.execvp(sys.argv[1], sys.argv[1:])
except OSError as exc:
    sys.stderr.write("dgm: cannot run " + sys.argv[1] + ": " + exc.strerror + "\\n")
    os._exit(127)
"""


def wrap(command: list[str]) -> list[str]:
    """``command`` run under the filter."""
    return ["python3", "-I", "-S", "-c", WRAPPER, *command]
