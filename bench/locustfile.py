"""Locust users for ``make load``: each posts the example hook calls (examples/requests/) in turn.

Every call gets a fresh hookInstance and goes to the service of its hook; one user in ten posts
a feedback item after its call, as a GP acting on a card would. No wait between calls: each user
is a closed loop, so 50 users keep 50 requests in flight. Run by bench/load.py, which starts the
server and writes the figures.
"""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, task

from cds.services import HOOK_SERVICES

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples" / "requests").glob("*.json"))
BODIES: list[dict[str, Any]] = [json.loads(p.read_text(encoding="utf-8")) for p in EXAMPLES]
SERVICE_OF = {service.hook: service.id for service in HOOK_SERVICES}


class Gp(HttpUser):
    """An EHR session: hook calls from the example records, in a random order per user."""

    def on_start(self) -> None:
        self.order = random.sample(range(len(BODIES)), len(BODIES))
        self.next = 0

    @task
    def hook_call(self) -> None:
        body = BODIES[self.order[self.next % len(self.order)]]
        self.next += 1
        service = SERVICE_OF[body["hook"]]
        sent = {**body, "hookInstance": str(uuid.uuid4())}
        with self.client.post(
            f"/cds-services/{service}", json=sent, name=f"hook {body['hook']}", catch_response=True
        ) as response:
            if response.status_code != 200:
                # bench/load.py counts the 503s of admission control apart, as throttled.
                response.failure(f"HTTP {response.status_code}")
                return
            cards = response.json().get("cards", [])
        if cards and self.next % 10 == 0:
            item = {
                "card": cards[0]["uuid"],
                "outcome": "overridden",
                "outcomeTimestamp": "2026-11-20T10:00:00Z",
                "overrideReason": {"reason": {"code": "not-relevant", "system": "urn:x"}},
            }
            self.client.post(
                f"/cds-services/{service}/feedback", json={"feedback": [item]}, name="feedback"
            )
