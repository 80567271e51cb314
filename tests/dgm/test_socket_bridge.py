"""The byte bridge between a job's node and its gateway in the coordinator (dgm/socket_bridge.py), over
real sockets: bytes pass both ways unchanged (half closes included); an unknown, revoked, slow or
oversized token line is closed without reaching the gateway; connections per token are bounded; a
revoked token's open connections are closed."""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from dgm import socket_bridge
from dgm.agent_run import SOCKET_NAME
from dgm.socket_bridge import BridgeListener, NodeBridge


class Upstream:
    """A Unix socket server standing in for a gateway: it answers each connection with what it read,
    upper-cased, once the client has half-closed; it counts the connections it accepted."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="dgm-up-", dir="/tmp"))
        self.path = str(self.dir / SOCKET_NAME)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(64)
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        data = b""
        try:
            while chunk := conn.recv(65536):
                data += chunk
            conn.sendall(data.upper())
        except OSError:
            pass  # the client (the bridge) went away: a revoked or bounded connection
        conn.close()

    def close(self) -> None:
        self.server.close()


@pytest.fixture()
def upstream():
    up = Upstream()
    yield up
    up.close()


@pytest.fixture()
def listener():
    bridge = BridgeListener("127.0.0.1", max_connections=2)
    yield bridge
    bridge.close()


def _ask(path: str, data: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(path)
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def _raw(listener: BridgeListener, preamble: bytes) -> bytes:
    """What the listener answers a TCP client that sends ``preamble`` and then a request."""
    with socket.create_connection(listener.address, timeout=10) as sock:
        try:
            sock.sendall(preamble + b"hello")
            sock.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := sock.recv(100):
                answer += chunk
            return answer
        except OSError:  # closed by the listener under our feet
            return b""


def test_a_node_connection_reaches_the_gateway_and_back_byte_for_byte(listener, upstream):
    token = listener.allow("job-1", upstream.path)
    node = NodeBridge(listener.address, token, max_connections=4)
    try:
        payload = bytes(range(256)) * 4096 + b"end"  # 1 MiB of every byte value
        assert _ask(str(node.dir / SOCKET_NAME), payload) == payload.upper()
        assert (node.dir.stat().st_mode & 0o777, (node.dir / SOCKET_NAME).stat().st_mode & 0o777) == (0o755, 0o666)
    finally:
        node.close()
    assert not node.dir.exists()


def test_an_unknown_or_revoked_token_never_reaches_the_gateway(listener, upstream):
    assert _raw(listener, b"0" * 32 + b"\n") == b""
    token = listener.allow("job-1", upstream.path)
    assert _raw(listener, token.encode() + b"\n") == b"HELLO"
    listener.revoke("job-1")
    assert _raw(listener, token.encode() + b"\n") == b""
    assert upstream.accepted == 1


def test_a_token_line_too_long_or_too_slow_is_closed(listener, upstream, monkeypatch):
    token = listener.allow("job-1", upstream.path)
    assert _raw(listener, token.encode() + b"x" * 1000 + b"\n") == b""  # read no further than a token's length
    monkeypatch.setattr(socket_bridge, "PREAMBLE_DEADLINE_S", 0.5)
    with socket.create_connection(listener.address, timeout=10) as sock:
        sock.sendall(token[:5].encode())  # and then nothing
        start = time.monotonic()
        assert sock.recv(10) == b""
        assert time.monotonic() - start < 5
    assert upstream.accepted == 0


def test_connections_per_token_are_bounded_and_revoking_closes_open_ones(listener, upstream):
    token = listener.allow("job-1", upstream.path)
    held = []
    for _ in range(2):  # two connections held open (they never half-close, so the upstream never answers)
        sock = socket.create_connection(listener.address, timeout=10)
        sock.sendall(token.encode() + b"\n")
        held.append(sock)
    deadline = time.monotonic() + 10
    while listener.open_connections("job-1") < 2:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert _raw(listener, token.encode() + b"\n") == b""  # the third is over the bound
    listener.revoke("job-1")
    for sock in held:
        assert sock.recv(10) == b""  # closed by the revocation
        sock.close()


def test_the_node_side_is_bounded_too(listener, upstream):
    token = listener.allow("job-1", upstream.path)
    node = NodeBridge(listener.address, token, max_connections=1)
    try:
        first = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        first.connect(str(node.dir / SOCKET_NAME))
        first.sendall(b"x")
        deadline = time.monotonic() + 10
        while listener.open_connections("job-1") < 1:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as second:
            second.settimeout(10)
            second.connect(str(node.dir / SOCKET_NAME))
            assert second.recv(10) == b""  # closed at once
        first.shutdown(socket.SHUT_WR)
        assert first.recv(10) == b"X"
        first.close()
    finally:
        node.close()
