"""Latency of the dashboard's main endpoints on a big run (by default a generated 5,000-agent one).

It serves the run root over real HTTP (the same background server as `dgm run --serve`) and times
each endpoint two ways:
  fresh  the first answer after the run wrote its archive (caches invalidated, the realistic case
         for a page polling a live run: every write forces a recomputation);
  warm   repeated answers while nothing changed (what most polls of a page cost).
It prints p50/p95 per endpoint, the response size, the archive's size and its row counts.

    python benchmarks/perf/dashboard_latency.py [--agents 5000] [--run-dir DIR] [--repeat 30]
"""

from __future__ import annotations

import argparse
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without installing

from benchmarks.perf.make_big_run import make_big_run  # noqa: E402
from dgm.cli_serve import start_background_server  # noqa: E402


def endpoints(name: str, best: int, some: int) -> list[tuple[str, str]]:
    run = f"/api/runs/{name}"
    return [
        ("runs list", "/api/runs"),
        ("run summary", run),
        ("tree (all agents)", f"{run}/agents"),
        ("chart series", f"{run}/charts"),
        ("changes poll", f"{run}/changes?since=x"),
        ("agent page: detail", f"{run}/agents/{best}"),
        ("agent page: tasks", f"{run}/agents/{best}/tasks"),
        ("agent page: transcript", f"{run}/agents/{some}/transcript?limit=50"),
        ("run page HTML", f"/runs/{name}"),
    ]


def touch(db: Path) -> None:
    """A write like the ones a live run makes, so the next answer cannot come from a cache."""
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE runs SET reason = ? WHERE id = (SELECT max(id) FROM runs)", (f"perf {time.time_ns()}",))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(client: httpx.Client, path: str, repeat: int, db: Path) -> tuple[list[float], list[float], int]:
    fresh, warm, size = [], [], 0
    for _ in range(repeat):
        touch(db)
        start = time.perf_counter()
        response = client.get(path)
        fresh.append(time.perf_counter() - start)
        response.raise_for_status()
        size = len(response.content)
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(path).raise_for_status()
        warm.append(time.perf_counter() - start)
    return fresh, warm, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=5000)
    parser.add_argument("--run-dir", type=Path, help="Use (and write to) this synthetic run instead of generating one.")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dgm-perf-") as tmp:
        run_dir = args.run_dir or Path(tmp) / "big"
        if not (run_dir / "archive.sqlite").exists():
            start = time.perf_counter()
            made = make_big_run(run_dir, args.agents)
            print(f"generated {made['agents']} agents, {made['evaluations']} evaluations, {made['calls']} model calls "
                  f"in {time.perf_counter() - start:.1f} s")
        db = run_dir / "archive.sqlite"
        with sqlite3.connect(db) as conn:
            counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                      for t in ("agents", "evaluations", "model_calls")}
            best = conn.execute("SELECT id FROM agents WHERE status IN ('seed','valid') "
                                "ORDER BY score DESC, id LIMIT 1").fetchone()[0]
            some = conn.execute("SELECT max(id) FROM agents WHERE transcript_json IS NOT NULL").fetchone()[0]
        size_mb = sum(p.stat().st_size for p in run_dir.glob("archive.sqlite*")) / 1e6
        print(f"archive: {size_mb:.0f} MB, {counts['agents']} agents, {counts['evaluations']} evaluations, "
              f"{counts['model_calls']} model calls")

        url, stop = start_background_server(run_dir.parent, "127.0.0.1", 0, None)
        try:
            # TCP_NODELAY as browsers do; without it a reused connection adds a 40 ms delayed-ACK stall.
            transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
            with httpx.Client(base_url=url.rstrip("/"), timeout=60, transport=transport) as client:
                print(f"{'endpoint':<26}{'fresh p50':>11}{'fresh p95':>11}{'warm p50':>10}{'warm p95':>10}{'size':>10}")
                for label, path in endpoints(run_dir.name, best, some):
                    fresh, warm, size = measure(client, path, args.repeat, db)
                    ms = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
                    print(f"{label:<26}{ms(statistics.median(fresh)):>11}{ms(pct(fresh, 0.95)):>11}"
                          f"{ms(statistics.median(warm)):>10}{ms(pct(warm, 0.95)):>10}{size / 1024:>8.0f} kB")
        finally:
            stop()


if __name__ == "__main__":
    main()
