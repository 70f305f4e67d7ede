"""The sandbox page in a real browser: Playwright drives Debian's Chromium against a real uvicorn.

The service runs with its lifespan on a free 127.0.0.1 port (tests/fake_fhir.ServerThread), a
SQLite file in the test's tmp dir and ``CDS_TODAY=2026-11-20`` (the examples' "today"), so the
example cards fire. A GP picks «myelomatose-begrunnet», runs patient-view, accepts the recommended
referral (the letter shows, accepted feedback is stored), then dismisses the «mistanke» card of
«myelomatose-mistanke» with an override reason (overridden feedback is stored).

Needs ``/usr/bin/chromium`` (``apt-get install chromium``; never ``playwright install``: nothing is
downloaded) and the ``playwright`` package (dev extra). Without them the test skips with one
reason; under CI (``CI=true``) their absence is a failure, as for the PostgreSQL tests.
A screenshot of the final page is saved to ``tests/.artifacts/sandbox.png`` (gitignored).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_fhir import ServerThread

from cds.api.deps import get_registry
from cds.app import create_app
from cds.criteria.registry import Registry
from cds.feedback_store import FeedbackStore
from cds.services import SERVICES
from cds.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PATIENT_VIEW = next(service.id for service in SERVICES if service.hook == "patient-view")
ARTIFACTS = Path(__file__).resolve().parent.parent / ".artifacts"
# Generous: a shared two-core machine runs the suite on two workers beside the browser.
TIMEOUT_MS = 30_000


def _missing() -> str | None:
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is missing (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium under Playwright, for this module; skip (fail under CI) without either."""
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, server: tuple[str, str]) -> Iterator[Any]:
    """A fresh page on the sandbox, loaded and ready; fails the test if it reached another host."""
    from playwright.sync_api import expect

    base_url, _ = server
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith((base_url, "data:")) else outside.append(request.url)
        ),
    )
    page.goto(base_url + "/")
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    try:
        yield page
    finally:
        context.close()
    # Offline: the page never asked another host for anything.
    assert outside == []


@pytest.fixture
def server(tmp_path: Path, repo_registry: Registry) -> Iterator[tuple[str, str]]:
    """The service on a free port: ``(base_url, database_url)``."""
    database_url = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    settings = Settings(database_url=database_url, today="2026-11-20")  # type: ignore[arg-type]
    app = create_app(settings)
    # The session's criteria (tests/conftest.py), not a second load from disk.
    app.dependency_overrides[get_registry] = lambda: repo_registry
    thread = ServerThread(app, lifespan="on")
    thread.start()
    try:
        yield thread.base_url, database_url
    finally:
        thread.stop()


def _stored(database_url: str) -> list[Any]:
    store = FeedbackStore.from_url(database_url, migrate=False)
    try:
        return store.list_feedback()
    finally:
        store.close()


def test_gp_accepts_a_referral_and_dismisses_a_card(page: Any, server: tuple[str, str]) -> None:
    from playwright.sync_api import expect

    _, database_url = server
    expect(page.get_by_label("Vurderingsdato («i dag»)")).to_have_value("2026-11-20")

    page.get_by_label("Eksempelpasient").select_option("myelomatose-begrunnet")
    expect(page.locator("#status")).to_contain_text("myelomatose-begrunnet")
    page.get_by_label("Hook og tjeneste").select_option(PATIENT_VIEW)

    page.get_by_role("button", name="Kjør hook").click()
    card = page.locator("article.card--warning")
    expect(card).to_have_count(1)
    expect(card.locator(".indicator")).to_have_text("Advarsel")
    expect(card.get_by_role("heading")).to_contain_text("Begrunnet mistanke om myelomatose")
    # Markdown rendered as elements, not as text with asterisks.
    expect(card.locator(".markdown strong").first).to_be_visible()
    expect(card.locator(".markdown li").first).to_be_visible()

    # The explanation beside the cards: the deciding rule and the evidence, with the source.
    explain = page.locator("#explain details.explain-pathway", has_text="myelomatose")
    explain.first.locator("summary").click()
    expect(explain.first).to_contain_text("myelomatose.begrunnet (begrunnet): avgjør")
    expect(explain.first).to_contain_text("Anemi: til stede")
    expect(explain.first.locator(".source-quote").first).to_be_visible()

    recommended = card.locator("button.suggestion.recommended")
    expect(recommended).to_have_count(1)
    other = card.locator("button.suggestion:not(.recommended)")
    recommended.click()
    # at-most-one: the alternative referral can no longer be chosen.
    expect(other.first).to_be_disabled()
    letter = page.frame_locator("#letter")
    expect(letter.get_by_role("heading", level=2)).to_have_text("Pakkeforløp for myelomatose")
    expect(page.locator("#service-request")).to_contain_text('"ServiceRequest"')
    expect(card.locator(".feedback-status")).to_contain_text("godtatt) lagret")
    expect(card.locator(".feedback-status")).to_contain_text("HTTP 200")

    [accepted] = _stored(database_url)
    assert accepted.outcome == "accepted"
    card_uuid = card.get_attribute("data-card")
    assert accepted.card_uuid == card_uuid
    assert len(accepted.accepted_suggestions) == 1

    # A second patient: the «mistanke» card has no referral to accept; dismiss it.
    page.get_by_label("Eksempelpasient").select_option("myelomatose-mistanke")
    expect(page.locator("#status")).to_contain_text("myelomatose-mistanke")
    page.get_by_role("button", name="Kjør hook").click()
    info = page.locator("article.card--info")
    expect(info).to_have_count(1)
    expect(info.get_by_role("heading")).to_contain_text("Mulig myelomatose")
    info.get_by_label("Begrunnelse for å avvise").select_option(
        label="Pasienten ønsker ikke henvisning"
    )
    info.get_by_role("button", name="Avvis kortet").click()
    expect(info.locator(".feedback-status")).to_contain_text("avvist) lagret")
    expect(info.get_by_role("button", name="Avvis kortet")).to_be_disabled()

    rows = {row.outcome: row for row in _stored(database_url)}
    assert set(rows) == {"accepted", "overridden"}
    assert rows["overridden"].override_reason_code == "patient-declines"
    assert rows["overridden"].card_uuid == info.get_attribute("data-card")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sandbox.png"), full_page=True)


def test_markdown_is_rendered_as_elements_never_as_html(page: Any) -> None:
    html = page.evaluate(
        """() => renderMarkdown(
            "<img src=x onerror=alert(1)> **fet** *kursiv* a\\<b\\nneste linje\\n"
            + "- [trygg](https://example.org/x) [farlig](javascript:alert(1))\\n"
            + "- [relativ](/cds-services)\\n\\n> sitat"
        ).innerHTML"""
    )
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<strong>fet</strong>" in html and "<em>kursiv</em>" in html
    assert (
        "a&lt;b<br>neste linje</p>" in html
    )  # the backslash escape is dropped, the line break kept
    assert '<a href="https://example.org/x"' in html
    assert 'href="javascript' not in html and "[farlig](javascript:alert(1))" in html
    assert '<a href="/cds-services"' in html
    assert "<ul><li>" in html and "<blockquote><p>sitat</p></blockquote>" in html


def test_an_order_hook_sends_the_chosen_draft_and_the_card_updates_it(page: Any) -> None:
    from playwright.sync_api import expect

    order_select = next(s.id for s in SERVICES if s.hook == "order-select")
    page.get_by_label("Eksempelpasient").select_option("myelomatose-begrunnet")
    expect(page.locator("#status")).to_contain_text("myelomatose-begrunnet")
    page.get_by_label("Hook og tjeneste").select_option(order_select)
    drafts = page.locator("#drafts")
    expect(drafts).to_be_visible()
    draft_json = page.get_by_label("Utkastet (JSON) – kan redigeres")
    expect(draft_json).to_have_value(re.compile(r'"status": "draft"'))  # a textarea: its value
    # The GP's edit of the draft goes along: its note comes back in the suggested update.
    edited = json.loads(draft_json.input_value())
    edited["note"] = [{"text": "Redigert i prøvebenken"}]
    draft_json.fill(json.dumps(edited))
    page.get_by_role("button", name="Kjør hook").click()
    card = page.locator("article.card--warning")
    expect(card).to_have_count(1)
    recommended = card.locator("button.suggestion.recommended")
    expect(recommended).to_contain_text("Oppdater henvisning")
    recommended.click()
    expect(page.locator("#service-request")).to_contain_text("Redigert i prøvebenken")
    expect(page.locator("#service-request")).to_contain_text(f'"id": "{edited["id"]}"')
