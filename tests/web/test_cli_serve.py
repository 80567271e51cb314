"""`dgm serve` and the background server of `dgm run --serve`, over real sockets."""

import httpx
import pytest
import typer
from typer.testing import CliRunner

from dgm.cli_serve import check_binding, serve, start_background_server
from dgm.errors import DgmError
from tests.web.conftest import write_run


def test_a_public_address_without_a_token_is_a_one_line_error(run_root):
    with pytest.raises(DgmError, match="pass --token"):
        check_binding("0.0.0.0", None)
    check_binding("0.0.0.0", "t")
    check_binding("127.0.0.1", None)
    app = typer.Typer()
    app.command()(serve)
    result = CliRunner().invoke(app, ["--run-root", str(run_root), "--host", "0.0.0.0"])
    assert isinstance(result.exception, DgmError) and "--token" in str(result.exception)


def test_a_missing_run_root_or_a_busy_port_is_an_error(run_root):
    with pytest.raises(DgmError, match="not a directory"):
        start_background_server(run_root / "nope", "127.0.0.1", 0, None)
    url, stop = start_background_server(run_root, "127.0.0.1", 0, None)
    try:
        port = int(url.rsplit(":", 1)[1].strip("/"))
        with pytest.raises(DgmError, match=f"cannot listen on 127.0.0.1:{port}"):
            start_background_server(run_root, "127.0.0.1", port, None)
    finally:
        stop()


def test_background_server_serves_and_stops(run_root):
    write_run(run_root, "a", [0.3])
    url, stop = start_background_server(run_root, "127.0.0.1", 0, None)
    assert url.startswith("http://127.0.0.1:") and "token" not in url
    try:
        [run] = httpx.get(url + "api/runs").json()
        assert run["dir"] == "a"
    finally:
        stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "api/health", timeout=2)


def test_background_server_with_a_token_prints_an_address_that_carries_it(run_root):
    url, stop = start_background_server(run_root, "127.0.0.1", 0, "tok/en")
    try:
        assert url.endswith("/?token=tok%2Fen")
        base = url.split("?")[0]
        assert httpx.get(base + "api/health").status_code == 401
        with httpx.Client() as browser:
            assert browser.get(url).status_code == 200
            assert browser.get(base + "api/health").status_code == 200  # the cookie from ?token= carries on
    finally:
        stop()
