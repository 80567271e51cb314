"""A job's model gateway, reached from another machine: a byte-level bridge from a Unix socket on the
job's node to the gateway's Unix socket in the coordinator's process.

The gateway (dgm/gateway.py) stays where the key, the budgets and the model-call records are: in the
coordinator. On the node, `NodeBridge` serves a Unix socket in a node-local folder (the one mounted
into the agent's container) and, for each connection, opens a TCP connection to the coordinator's
`BridgeListener`, says the channel's token first (one line), and then copies bytes both ways. The
listener maps the token to that job's gateway socket, connects to it and copies. It knows nothing of
HTTP: every request is still read, bounded and reserved by the gateway itself.

Bounded on both sides: connections per token (the gateway's own `limits.max_connections`), the token
line's length and a deadline to read it; an unknown or revoked token closes the connection at once.
A token is revoked (and its connections closed) when its job exits.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from dgm.agent_run import SOCKET_NAME

TOKEN_BYTES = 16
MAX_PREAMBLE = 2 * TOKEN_BYTES + 1  # the token in hex and its newline
PREAMBLE_DEADLINE_S = 10.0
CHUNK = 64 * 1024
BRIDGE_ROOT = "/tmp"  # where a node's sockets go (short paths)
BACKLOG = 128


def new_token() -> str:
    return secrets.token_hex(TOKEN_BYTES)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


def _copy(src: socket.socket, dst: socket.socket) -> None:
    """src to dst until src ends; then dst learns that no more is coming (a half close)."""
    try:
        while data := src.recv(CHUNK):
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:  # either side reset or closed: the other direction ends too
        _close(src)
        _close(dst)


def pump(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until both directions have ended, then close both (blocks)."""
    other = threading.Thread(target=_copy, args=(b, a), name="dgm-bridge-pump", daemon=True)
    other.start()
    _copy(a, b)
    other.join()
    _close(a)
    _close(b)


def _read_preamble(sock: socket.socket) -> str | None:
    """The token line, read within the deadline and the length bound; None when it is neither."""
    sock.settimeout(PREAMBLE_DEADLINE_S)
    line = b""
    try:
        while not line.endswith(b"\n"):
            chunk = sock.recv(MAX_PREAMBLE - len(line))  # never past the preamble: what follows is the client's
            if not chunk:
                return None
            line += chunk
            if len(line) >= MAX_PREAMBLE and not line.endswith(b"\n"):
                return None
    except OSError:  # the deadline passed, or the peer went away
        return None
    sock.settimeout(None)
    return line[:-1].decode("ascii", "replace")


@dataclass
class _Route:
    job_id: str
    socket_path: str
    connections: int = 0
    revoked: bool = False
    open: set[socket.socket] = field(default_factory=set)  # closed when the route is revoked


class BridgeListener:
    """The coordinator's end: a TCP listener (the coordinator node's address, a free port) that
    connects each authenticated connection to the gateway socket its token names."""

    def __init__(self, host: str, max_connections: int) -> None:
        self.max_connections = max_connections
        self._lock = threading.Lock()
        self._routes: dict[str, _Route] = {}
        self._server = socket.create_server((host, 0), backlog=BACKLOG)
        self.address: tuple[str, int] = (host, self._server.getsockname()[1])
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="dgm-bridge-listener", daemon=True)
        self._thread.start()

    def allow(self, job_id: str, socket_path: str) -> str:
        """A new token that reaches ``socket_path`` until ``revoke(job_id)``."""
        token = new_token()
        with self._lock:
            self._routes[token] = _Route(job_id, socket_path)
        return token

    def revoke(self, job_id: str) -> None:
        """The job's tokens stop working and its open connections are closed."""
        with self._lock:
            tokens = [t for t, r in self._routes.items() if r.job_id == job_id]
            routes = [self._routes.pop(t) for t in tokens]
            for route in routes:
                route.revoked = True
            sockets = [s for r in routes for s in r.open]
        for sock in sockets:
            _close(sock)

    def open_connections(self, job_id: str) -> int:
        with self._lock:
            return sum(r.connections for r in self._routes.values() if r.job_id == job_id)

    def close(self) -> None:
        self._closed = True
        _close(self._server)
        self._thread.join(5)
        with self._lock:
            jobs = {r.job_id for r in self._routes.values()}
        for job_id in jobs:
            self.revoke(job_id)

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(conn,), name="dgm-bridge-conn", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        token = _read_preamble(conn)
        with self._lock:
            route = self._routes.get(token) if token else None
            if route is not None and route.connections >= self.max_connections:
                route = None
            if route is not None:
                route.connections += 1
                route.open.add(conn)
        if route is None:
            _close(conn)
            return
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with self._lock:
                route.open.add(upstream)
                revoked = route.revoked
            if not revoked:
                upstream.connect(route.socket_path)
                pump(conn, upstream)
        except OSError:
            pass  # the gateway is gone (its job ended), or the connection was revoked
        finally:
            _close(conn)
            _close(upstream)
            with self._lock:
                route.connections -= 1
                route.open.difference_update({conn, upstream})


class NodeBridge:
    """The node's end, for one channel of one job: a Unix socket in a folder of its own (what the
    agent's container mounts) whose connections are each carried to the coordinator's listener."""

    def __init__(self, coordinator: tuple[str, int], token: str, max_connections: int, prefix: str = "dgm-nb-") -> None:
        self.coordinator, self.token, self.max_connections = coordinator, token, max_connections
        # Short path: Unix socket paths are limited to ~108 bytes.
        self.dir = Path(tempfile.mkdtemp(prefix=prefix, dir=BRIDGE_ROOT))
        os.chmod(self.dir, 0o755)  # the container's unprivileged user must reach the socket
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self.dir / SOCKET_NAME))
        os.chmod(self.dir / SOCKET_NAME, 0o666)
        self._server.listen(BACKLOG)
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()  # closed with the bridge
        self._connections = 0
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="dgm-node-bridge", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed = True
        _close(self._server)
        self._thread.join(5)
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:
            _close(sock)
        with contextlib.suppress(OSError):
            (self.dir / SOCKET_NAME).unlink()
        with contextlib.suppress(OSError):
            self.dir.rmdir()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                admitted = self._connections < self.max_connections
                if admitted:
                    self._connections += 1
                    self._open.add(conn)
            if not admitted:
                _close(conn)
                continue
            threading.Thread(target=self._carry, args=(conn,), name="dgm-node-bridge-conn", daemon=True).start()

    def _carry(self, conn: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            upstream = socket.create_connection(self.coordinator, timeout=PREAMBLE_DEADLINE_S)
            upstream.settimeout(None)
            with self._lock:
                self._open.add(upstream)
            upstream.sendall(f"{self.token}\n".encode())
            pump(conn, upstream)
        except OSError:
            pass  # the coordinator is unreachable: the agent's request fails like a dropped connection
        finally:
            _close(conn)
            if upstream is not None:
                _close(upstream)
            with self._lock:
                self._connections -= 1
                self._open.difference_update({conn, upstream})
