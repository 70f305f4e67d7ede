"""``make load``: 50 Locust users for 60 s against a local server; figures to bench/results/.

Starts ``uvicorn --factory cds.app:create_app`` on a free 127.0.0.1 port with a throw-away SQLite
database (WAL, the audit writer on), waits for ``/healthz``, runs ``locust --headless`` with
bench/locustfile.py, stops the server (SIGTERM: the audit queue drains), and writes
``bench/results/load-latest.json`` and ``load-latest.md``: requests, errors, req/s, p50/p99 ms
over all requests and per request name, the audit rows stored, and the machine. Not part of
``make test``: it takes a minute and its numbers depend on the machine and what else runs.

Admission control (cds/api/admission.py) would answer ``503`` to the calls beyond
``CDS_PIPELINE_CONCURRENCY`` + ``CDS_PIPELINE_MAX_QUEUED`` (2 + 32 per worker): with 50 users in a
closed loop, fast 503s would then inflate req/s and hide the waiting. The run measures the
service, not its refusals, so the server gets ``CDS_PIPELINE_MAX_QUEUED`` = users; 503s that
still occur are counted apart as ``throttled`` (also among the errors).

Options: ``--users 50 --seconds 60`` (defaults); ``--workers N`` for uvicorn workers. A run with
other values writes ``load-<users>u-<seconds>s-<workers>w.{json,md}`` instead, so only the
standard run replaces the figures the README quotes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "load.sqlite3"
        port = free_port()
        # Every user's call may wait in one worker's queue: no 503 at the load being measured.
        queue = {"CDS_PIPELINE_MAX_QUEUED": str(max(args.users, 32))}
        server = start_server(f"sqlite:///{database}", port, args.workers, env=queue)
        try:
            stats = _locust(port, args.users, args.seconds, Path(tmp))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
        stats["audit_rows"] = _audit_rows(database)
    stats.update(
        users=args.users,
        seconds=args.seconds,
        uvicorn_workers=args.workers,
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=_machine(),
        command="make load",
        server_env=queue,
    )
    RESULTS.mkdir(exist_ok=True)
    # Only the standard run replaces the figures the README quotes.
    standard = (args.users, args.seconds, args.workers) == (50, 60, 1)
    name = "load-latest" if standard else f"load-{args.users}u-{args.seconds}s-{args.workers}w"
    (RESULTS / f"{name}.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(_markdown(stats), encoding="utf-8")
    print(_markdown(stats))  # noqa: T201 - a command-line tool
    return 0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 just now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    database_url: str,
    port: int,
    workers: int = 1,
    *,
    quiet: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``uvicorn --factory cds.app:create_app`` on 127.0.0.1:``port``, once ``/healthz`` answers.

    Also the server of tests/storage/test_kill.py (``quiet``: its output to /dev/null). ``env``:
    settings on top of the environment.
    """
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CDS_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "cds.app:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    command += ["--workers", str(workers), "--no-access-log"]
    output = subprocess.DEVNULL if quiet else None
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command, cwd=REPO, env=env, stdout=output, stderr=output
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start within 60 s")


def _locust(port: int, users: int, seconds: int, tmp: Path) -> dict[str, Any]:
    prefix = tmp / "locust"
    command = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless"]
    command += ["--host", f"http://127.0.0.1:{port}", "-u", str(users), "-r", str(users)]
    command += ["-t", f"{seconds}s", "--csv", str(prefix), "--only-summary"]
    command += ["--loglevel", "WARNING"]
    # locust exits 1 when any request failed: the figures say so, the run itself succeeded.
    subprocess.run(command, cwd=REPO, check=False)  # noqa: S603
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    per_name = {row["Name"]: _figures(row) for row in rows if row["Name"] != "Aggregated"}
    total = next(row for row in rows if row["Name"] == "Aggregated")
    return {"total": _figures(total), "per_request": per_name, "throttled": _throttled(prefix)}


def _throttled(prefix: Path) -> int:
    """How many requests got ``503`` (admission control), from locust's failures file."""
    with open(f"{prefix}_failures.csv", encoding="utf-8") as handle:
        return sum(
            int(row["Occurrences"]) for row in csv.DictReader(handle) if "503" in row["Error"]
        )


def _figures(row: dict[str, str]) -> dict[str, float]:
    return {
        "requests": int(row["Request Count"]),
        "errors": int(row["Failure Count"]),
        "req_per_s": round(float(row["Requests/s"]), 1),
        "p50_ms": float(row["50%"]),
        "p99_ms": float(row["99%"]),
        "max_ms": round(float(row["Max Response Time"]), 1),
    }


def _audit_rows(database: Path) -> int:
    import sqlite3

    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT count(*) FROM audit").fetchone()[0])


def _machine() -> str:
    cpus = os.cpu_count()
    return f"{platform.machine()}, {cpus} cores, {platform.system()} {platform.release()}, " + (
        f"Python {platform.python_version()}"
    )


def _markdown(stats: dict[str, Any]) -> str:
    lines = [
        f"# make load: {stats['users']} users × {stats['seconds']} s ({stats['finished']})",
        "",
        f"Machine: {stats['machine']}; uvicorn workers: {stats['uvicorn_workers']}; "
        f"audit rows stored: {stats['audit_rows']} (one per hook call; calls still in flight when "
        "Locust stops are answered and audited but not counted above).",
        "",
        f"Server settings: {', '.join(f'{k}={v}' for k, v in stats['server_env'].items())}; "
        f"throttled (503, admission control): {stats['throttled']} of "
        f"{stats['total']['requests']} requests (counted among the errors too).",
        "",
        "| request | requests | errors | req/s | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [*stats["per_request"].items(), ("**all**", stats["total"])]
    for name, f in rows:
        lines.append(
            f"| {name} | {f['requests']} | {f['errors']} | {f['req_per_s']} | "
            f"{f['p50_ms']:.0f} | {f['p99_ms']:.0f} | {f['max_ms']:.0f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
