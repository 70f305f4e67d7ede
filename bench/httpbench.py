"""HTTP throughput and latency with ``wrk`` against uvicorn on loopback (``bench/run.py``).

The server is ``python -m bench.server`` (the real app as ``cds serve`` runs it, plus
``POST /bench/parse-only``), with one or two workers, settings from the environment and a
fresh SQLite database in a temporary directory (the audit row of every call is written, as in
production). For each body, the real route and the parse-only route are loaded in turn at the
same concurrency; the ratio of their req/s is how much of the server's capacity the service's
own work leaves. Peak RSS of each worker (``VmHWM``, reset before each load) is read too.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.inproc import _status_kb, reset_peak
from bench.server import PARSE_ONLY

ROOT = Path(__file__).resolve().parent.parent
ROUTE = "/cds-services/pakkeforlop-patient-view"
_LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open("{path}", "rb"))
wrk.body = f:read("*a")
f:close()
"""


def wrk_available() -> str | None:
    """None when wrk can run, else why not."""
    return None if shutil.which("wrk") else "wrk is not installed (apt-get install -y wrk)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """A running ``bench.server``: its port and the pids of the processes that serve."""

    port: int
    process: subprocess.Popen[bytes]

    def workers(self) -> list[int]:
        """The worker pids: the process itself with one worker, its spawned children with more."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(p) for p in children.read_text().split()] if children.exists() else []
        # uvicorn starts its workers with multiprocessing's spawn (or fork) start method.
        marks = (b"multiprocessing-fork", b"spawn_main")
        workers = [p for p in pids if any(m in _cmdline(p) for m in marks)]
        return workers or [self.process.pid]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@contextlib.contextmanager
def serve(workers: int) -> Iterator[Server]:
    """``bench.server`` with ``workers`` workers, up and answering, stopped on exit."""
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env["CDS_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        env["PYTHONPATH"] = str(ROOT)
        # Server output (one access-log line per call) goes to a file in the temporary folder:
        # writing it is part of the cost; its tail is printed if a worker dies under load.
        log = (Path(tmp) / "server.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "bench.server", "--port", str(port), "--workers",
             str(workers)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        server_log = Path(tmp) / "server.log"
        server = Server(port, process)
        try:
            _wait_ready(server, workers)
            yield server
        except Exception:
            lines = server_log.read_text(errors="replace").splitlines()
            problems = [ln for ln in lines if "hook_call" not in ln and "rejected" not in ln]
            sys.stderr.write("bench.server log (tail):\n" + "\n".join(problems[-30:]) + "\n")
            raise
        finally:
            log.close()
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(server: Server, workers: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    url = f"http://127.0.0.1:{server.port}/healthz"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"bench.server exited with {server.process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200 and len(server.workers()) >= workers:
                time.sleep(1.0 if workers > 1 else 0.2)  # let every worker finish its start-up
                return
        time.sleep(0.2)
    raise RuntimeError("bench.server did not answer within 60 s")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def parse_wrk(output: str) -> dict[str, Any]:
    """req/s, p50 and p99 ms, requests and errors from ``wrk --latency`` output."""
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx[1])
    sockets = re.search(r"Socket errors: (.*)", output)
    if sockets:
        errors += sum(int(n) for n in re.findall(r"\d+", sockets[1]))
    return {
        "req_s": float(rps[1]) if rps else 0.0,
        "p50_ms": _ms(latency["50"]) if "50" in latency else float("nan"),
        "p99_ms": _ms(latency["99"]) if "99" in latency else float("nan"),
        "requests": int(total[1]) if total else 0,
        "errors": errors,
    }


def run_wrk(server: Server, path: str, body_file: Path, concurrency: int, seconds: int) -> dict:
    """One wrk load: ``concurrency`` connections for ``seconds``; worker peak RSS included."""
    lua = body_file.with_suffix(".lua")
    lua.write_text(_LUA.format(path=body_file), encoding="utf-8")
    pids = server.workers()
    before = [_status_kb(pid, "VmRSS") for pid in pids]
    for pid in pids:
        reset_peak(pid)
    threads = min(concurrency, 2)
    wrk = shutil.which("wrk") or "wrk"
    done = subprocess.run(  # noqa: S603 (wrk with our own arguments)
        [wrk, f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s", "--latency",
         "--timeout", "30s", "-s", str(lua), f"http://127.0.0.1:{server.port}{path}"],
        capture_output=True, text=True, check=True,
    )
    result = parse_wrk(done.stdout)
    result["worker_rss_before_kb"] = before
    result["worker_peak_kb"] = [_status_kb(pid, "VmHWM") for pid in pids]
    return result


def check_answer(server: Server, body: bytes) -> list[str]:
    """The card indicators and summaries the server answers for ``body`` (one POST)."""
    response = httpx.post(
        f"http://127.0.0.1:{server.port}{ROUTE}", content=body,
        headers={"Content-Type": "application/json"}, timeout=60,
    )
    response.raise_for_status()
    return [f"{c['indicator']}: {c['summary']}" for c in response.json()["cards"]]


def load_matrix(
    bodies: dict[int, bytes], worker_counts: tuple[int, ...], concurrencies: tuple[int, ...],
    seconds: int, log: Any,
) -> list[dict[str, Any]]:
    """Every (workers, size, concurrency): the real route and parse-only, side by side."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for size, body in bodies.items():
            files[size] = Path(tmp) / f"body-{size}.json"
            files[size].write_bytes(body)
        for workers in worker_counts:
            with serve(workers) as server:
                idle_kb = [_status_kb(pid, "VmRSS") for pid in server.workers()]
                for size, body in bodies.items():
                    cards = check_answer(server, body)
                    for concurrency in concurrencies:
                        real = run_wrk(server, ROUTE, files[size], concurrency, seconds)
                        floor = run_wrk(server, PARSE_ONLY, files[size], concurrency, seconds)
                        row = {
                            "workers": workers, "resources": size, "json_bytes": len(body),
                            "concurrency": concurrency, "cds": real, "parse_only": floor,
                            "ratio": real["req_s"] / floor["req_s"] if floor["req_s"] else 0.0,
                            "idle_rss_kb": idle_kb, "cards": cards,
                        }
                        log(f"  http w={workers} n={size} c={concurrency}: "
                            f"{real['req_s']:.1f} req/s vs parse-only {floor['req_s']:.1f} "
                            f"({row['ratio']:.0%})")
                        rows.append(row)
    return rows
