"""SIGKILL during writes: every acknowledged feedback and audit row is in the database.

A real server (uvicorn in a subprocess on 127.0.0.1) takes feedback and hook calls from several
client threads and is killed with SIGKILL in the middle of the traffic, twice (the second round
starts on the database the first kill left behind, so recovery is part of the test).

What "acknowledged" means, and so what is claimed:

* **feedback**: a ``200`` response. Feedback is committed before the answer, so every
  acknowledged item must be stored, without exception.
* **audit**: a ``200`` response received at least :data:`SETTLE_S` before the kill. The audit row
  is written by a background thread after the answer (cds.audit); a SIGKILL loses the rows still
  queued, i.e. the calls answered in the writer's lag before the kill. The test allows exactly
  that window and nothing more.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import httpx
import sqlalchemy as sa
from storetools import REPO

from cds.audit import audit
from cds.db import Database
from cds.feedback_store import feedback

SETTLE_S = 1.0  # the audit writer's lag we allow before the kill (it is milliseconds when idle)
TRAFFIC_S = 2.0
CLIENTS = 3  # per kind: feedback and hook calls
HOOK = "/cds-services/pakkeforlop-patient-view"


def _bench_load() -> ModuleType:
    """bench/load.py, whose ``start_server`` runs the server here too (bench is no package)."""
    spec = importlib.util.spec_from_file_location("bench_load", REPO / "bench" / "load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LOAD = _bench_load()


@dataclass
class Acks:
    feedback: list[str] = field(default_factory=list)  # card uuids answered 200
    hooks: list[tuple[str, float]] = field(default_factory=list)  # hookInstance, answer time
    lock: threading.Lock = field(default_factory=threading.Lock)


def feedback_client(base: str, stop: threading.Event, acks: Acks) -> None:
    with httpx.Client(base_url=base, timeout=5) as client:
        while not stop.is_set():
            card = str(uuid.uuid4())
            item = {"card": card, "outcome": "accepted", "outcomeTimestamp": "2026-11-20T10:00Z",
                    "acceptedSuggestions": [{"id": "s1"}]}
            try:
                response = client.post(f"{HOOK}/feedback", json={"feedback": [item]})
            except httpx.HTTPError:
                return  # the server is gone
            if response.status_code == 200:
                with acks.lock:
                    acks.feedback.append(card)


def hook_client(base: str, stop: threading.Event, acks: Acks, body: dict[str, Any]) -> None:
    with httpx.Client(base_url=base, timeout=5) as client:
        while not stop.is_set():
            instance = str(uuid.uuid4())
            try:
                response = client.post(HOOK, json={**body, "hookInstance": instance})
            except httpx.HTTPError:
                return
            if response.status_code == 200:
                with acks.lock:
                    acks.hooks.append((instance, time.monotonic()))


def kill_round(database_url: str, body: dict[str, Any]) -> tuple[Acks, float]:
    port = LOAD.free_port()
    server = LOAD.start_server(database_url, port, quiet=True)
    base = f"http://127.0.0.1:{port}"
    acks, stop = Acks(), threading.Event()
    threads = [threading.Thread(target=feedback_client, args=(base, stop, acks))
               for _ in range(CLIENTS)]
    threads += [threading.Thread(target=hook_client, args=(base, stop, acks, body))
                for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(TRAFFIC_S)
    killed_at = time.monotonic()
    os.kill(server.pid, signal.SIGKILL)  # mid-traffic: clients are still posting
    server.wait(10)
    stop.set()
    for thread in threads:
        thread.join(10)
    return acks, killed_at


def stored(database_url: str) -> tuple[set[str], set[str]]:
    database = Database.from_url(database_url)
    try:
        with database.engine.connect() as conn:
            cards = set(conn.execute(sa.select(feedback.c.card_uuid)).scalars())
            instances = set(conn.execute(sa.select(audit.c.hook_instance)).scalars())
        return cards, instances
    finally:
        database.close()


def test_sigkill_loses_no_acknowledged_feedback_or_settled_audit_row(database_url: str) -> None:
    import json

    path = REPO / "examples" / "requests" / "frisk.patient-view.json"
    body = json.loads(path.read_text(encoding="utf-8"))
    for _round in range(2):
        acks, killed_at = kill_round(database_url, body)
        assert len(acks.feedback) > 10 and len(acks.hooks) > 10, "too little traffic to prove"
        cards, instances = stored(database_url)
        lost_feedback = set(acks.feedback) - cards
        assert not lost_feedback, f"{len(lost_feedback)} acknowledged feedback items lost"
        settled = {i for i, at in acks.hooks if at <= killed_at - SETTLE_S}
        assert settled, "no hook call was answered long enough before the kill"
        lost_audit = settled - instances
        assert not lost_audit, f"{len(lost_audit)} of {len(settled)} settled audit rows lost"
