"""`dgm serve`: the lineage browser over a run root, and the background server of `dgm run --serve`.

Safe by default: it binds 127.0.0.1. Binding anything reachable from other machines needs an access
token, which every request must then carry (web/security.py). We bind the socket ourselves so a busy
port is one clear line, and port 0 (any free port) tells us which port it got.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Optional
from urllib.parse import quote

import typer

from dgm.errors import DgmError
from dgm.terminal import console
from web.security import is_loopback

if TYPE_CHECKING:
    import uvicorn

DEFAULT_PORT = 8765


def check_binding(host: str, token: str | None) -> None:
    if not is_loopback(host) and not token:
        raise DgmError(f"--host {host} is reachable from other machines: pass --token T (every request must then carry it) "
                       "or bind 127.0.0.1")


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on such sockets, and without it every
    # answer on a kept-alive connection waits 40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise DgmError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def _url(host: str, sock: socket.socket, token: str | None) -> str:
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "[::]") else host
    shown = f"[{shown.strip('[]')}]" if ":" in shown else shown
    return f"http://{shown}:{port}/" + (f"?token={quote(token, safe='')}" if token else "")


def _server(run_root: Path, token: str | None, db_url: str | None = None) -> uvicorn.Server:
    # Imported here: every other dgm command starts without loading the web stack.
    import uvicorn

    from web.app import create_app

    if db_url is None and not run_root.is_dir():
        raise DgmError(f"run root {run_root} is not a directory")
    app = create_app(run_root, token, db_url)
    app.state.run_root.entries()  # a database that is away or refuses us: one line now, not a page of errors later
    return uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))


def serve(
    run_root: Path = typer.Option(Path("."), "--run-root", help="The folder whose subfolders are run directories."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; anything but loopback needs --token."),
    port: int = typer.Option(DEFAULT_PORT, "--port", help="Port to listen on (0: any free port)."),
    token: Optional[str] = typer.Option(None, "--token", envvar="DGM_SERVE_TOKEN",
                                        help="Access token every request must carry (also read from DGM_SERVE_TOKEN)."),
    db_url: Optional[str] = typer.Option(
        None, "--db-url", help="Serve every run of this database (postgresql://user@host/db) instead of a run root; "
                               "the password comes from PGPASSWORD or ~/.pgpass."),
) -> None:
    """Serve the lineage browser: every run under --run-root (or of --db-url), read-only, live while runs work."""
    from archive_db.location import public_url

    check_binding(host, token)
    server = _server(run_root, token, db_url)
    sock = _listen(host, port)
    what = public_url(db_url) if db_url else run_root.resolve()
    console.print(f"dgm lineage browser for {what} at {_url(host, sock, token)}  (Ctrl-C stops it)",
                  highlight=False, markup=False, soft_wrap=True)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled; stopping is the expected outcome
        pass
    finally:
        sock.close()


def start_background_server(run_root: Path, host: str, port: int, token: str | None) -> tuple[str, Callable[[], None]]:
    """Serve ``run_root`` from a daemon thread (for `dgm run --serve`); returns (url, stop)."""
    check_binding(host, token)
    server = _server(run_root, token)
    sock = _listen(host, port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="dgm-dashboard", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:  # uvicorn offers no event for this; startup takes milliseconds
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise DgmError(f"the dashboard did not start on {host}:{port}")
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    return _url(host, sock, token), stop
