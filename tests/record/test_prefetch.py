"""``gather_record``: prefetch decoding, fetching, budget, pagination and the Record it builds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cds.cdshooks import HookRequest
from cds.errors import DataUnavailable
from cds.record.model import Record
from cds.record.prefetch import CANCEL_GRACE_S, fill_template, gather_record
from cds.services import PREFETCH, SERVICES
from cds.settings import Settings

BASE = "https://ehr.example/fhir"
PID = "p1"
TYPES = {p.key: p.resource_type for p in PREFETCH}
Gather = Callable[..., Record]


def res(kind: str, ident: str) -> dict[str, Any]:
    return {"resourceType": kind, "id": ident}


def bundle(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if resources:
        out["entry"] = [{"resource": r} for r in resources]
    if next_url:
        out["link"] = [{"relation": "next", "url": next_url}]
    return out


def full_prefetch() -> dict[str, Any]:
    out: dict[str, Any] = {"patient": res("Patient", PID)}
    for key, kind in TYPES.items():
        if key != "patient":
            out[key] = bundle(res(kind, f"{key}-1"))
    return out


def body(prefetch: dict[str, Any] | None = None, server: bool = True, **context: Any) -> Any:
    out: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": "h-1",
        "context": {"patientId": PID, "userId": "Practitioner/u1", **context},
    }
    if prefetch is not None:
        out["prefetch"] = prefetch
    if server:
        out["fhirServer"] = BASE
    return out


def server_answering(answers: dict[str, Any], seen: list[httpx.Request] | None = None) -> Any:
    """A handler answering by path (and query, if the key has one) with JSON or a status."""

    async def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        path = request.url.path.removeprefix("/fhir/")
        key = f"{path}?{request.url.query.decode()}" if request.url.query else path
        answer = answers.get(key, answers.get(path, 404))
        if isinstance(answer, int):
            return httpx.Response(answer)
        return httpx.Response(200, json=answer)

    return handler


# --- templates ------------------------------------------------------------------------------------


def test_fill_template_encodes_values() -> None:
    context = {"patientId": "a b?c&d", "userId": "Practitioner/u 1"}
    assert fill_template("Patient/{{context.patientId}}", context) == "Patient/a%20b%3Fc%26d"
    assert fill_template("X?p={{ context.patientId }}", context) == "X?p=a%20b%3Fc%26d"
    assert fill_template("PractitionerRole?practitioner={{userPractitionerId}}", context) == (
        "PractitionerRole?practitioner=u%201"
    )


@pytest.mark.parametrize(
    "template",
    ["X?p={{context.encounterId}}", "X?p={{userPractitionerRoleId}}", "X?p={{context.n}}"],
)
def test_fill_template_without_value_is_none(template: str) -> None:
    assert fill_template(template, {"patientId": "p", "userId": "Practitioner/u", "n": 3}) is None


# --- decoding -------------------------------------------------------------------------------------


def test_full_prefetch_builds_the_record_without_requests(gather: Gather) -> None:
    record = gather(body(full_prefetch()))
    assert record.patient == res("Patient", PID)
    assert record.missing == ()
    assert record.of_type("Observation") == [res("Observation", "observations-1")]
    assert set(record.resources) == set(TYPES.values()) - {"Patient"}


def test_same_resource_under_two_keys_is_kept_once(gather: Gather) -> None:
    prefetch = full_prefetch()
    shared = res("Observation", "shared")
    prefetch["observations"] = bundle(shared, res("Observation", "o2"), shared)
    prefetch["diagnosticReports"] = bundle(res("DiagnosticReport", "d1"), shared)  # _include
    record = gather(body(prefetch))
    assert [r["id"] for r in record.of_type("Observation")] == ["shared", "o2"]


def test_resources_without_id_are_all_kept(gather: Gather) -> None:
    prefetch = full_prefetch()
    prefetch["conditions"] = bundle({"resourceType": "Condition"}, {"resourceType": "Condition"})
    assert len(gather(body(prefetch)).of_type("Condition")) == 2


def test_a_bundle_for_the_patient_read_is_the_wrong_shape(gather: Gather) -> None:
    prefetch = full_prefetch()
    prefetch["patient"] = bundle(res("Patient", PID))
    with pytest.raises(DataUnavailable) as caught:
        gather(body(prefetch, server=False))
    assert caught.value.keys == ("patient",)


def test_another_patient_in_prefetch_is_refetched_never_used(gather: Gather) -> None:
    prefetch = full_prefetch()
    prefetch["patient"] = res("Patient", "someone-else")
    seen: list[httpx.Request] = []
    record = gather(body(prefetch), server_answering({f"Patient/{PID}": res("Patient", PID)}, seen))
    assert record.patient == res("Patient", PID)
    assert [r.url.path for r in seen] == [f"/fhir/Patient/{PID}"]
    with pytest.raises(DataUnavailable) as caught:
        gather(body(prefetch, server=False))
    assert caught.value.keys == ("patient",)


def test_server_returning_another_patient_is_unavailable(gather: Gather) -> None:
    prefetch = full_prefetch()
    del prefetch["patient"]
    answers = {f"Patient/{PID}": res("Patient", "someone-else")}
    with pytest.raises(DataUnavailable) as caught:
        gather(body(prefetch), server_answering(answers))
    assert caught.value.keys == ("patient",)


def test_a_resource_for_a_search_is_the_wrong_shape(gather: Gather) -> None:
    prefetch = full_prefetch()
    prefetch["medicationRequests"] = res("MedicationRequest", "m1")
    record = gather(body(prefetch, server=False))
    assert record.missing == ("medicationRequests",)
    assert record.of_type("MedicationRequest") == []


def test_encounters_are_optional(gather: Gather) -> None:
    prefetch = full_prefetch()
    del prefetch["encounters"]
    record = gather(body(prefetch, server=False))
    assert record.missing == ("encounters",)
    assert record.of_type("Encounter") == []


def test_missing_keep_template_order(gather: Gather) -> None:
    prefetch = full_prefetch()
    del prefetch["medicationRequests"], prefetch["medicationStatements"]
    prefetch["observations"] = bundle(next_url=f"{BASE}/Observation?page=2")
    record = gather(body(prefetch, server=False))
    assert record.missing == ("observations", "medicationStatements", "medicationRequests")


# --- fetching -------------------------------------------------------------------------------------


def test_server_answers_are_checked(gather: Gather, caplog: pytest.LogCaptureFixture) -> None:
    prefetch = full_prefetch()
    del prefetch["patient"], prefetch["conditions"], prefetch["medicationStatements"]
    answers = {
        f"Patient/{PID}": res("Observation", "wrong-type"),
        "Condition": res("Condition", "not-a-bundle"),
        "MedicationStatement": bundle(
            {"resourceType": "OperationOutcome", "issue": [{"severity": "error"}]}
        ),
    }
    with pytest.raises(DataUnavailable) as caught:
        gather(body(prefetch), server_answering(answers))
    assert caught.value.keys == ("patient", "conditions")
    # The caller is told only that the server is unavailable; the log says what it answered.
    reasons = {issue.diagnostics.rsplit(": ", 1)[1] for issue in caught.value.issues}
    assert reasons == {"FHIR server unavailable"}
    assert "patient (unexpected resourceType)" in caplog.text
    assert "conditions (search did not return a Bundle)" in caplog.text


def test_missing_keys_are_fetched_concurrently(gather: Gather, settings: Settings) -> None:
    # Each answer waits until every request has arrived: a sequential gather would never finish
    # and end in the budget (412) instead.
    arrived: list[httpx.Request] = []
    everyone_here = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        arrived.append(request)
        if len(arrived) == len(PREFETCH):
            everyone_here.set()
        await everyone_here.wait()
        kind = request.url.path.removeprefix("/fhir/").split("/")[0]
        if kind == "Patient":
            return httpx.Response(200, json=res("Patient", PID))
        return httpx.Response(200, json=bundle(res(kind, "x")))

    wide = settings.model_copy(update={"fhir_call_concurrency": len(PREFETCH)})
    record = gather(body({}), handler, wide)
    assert len(arrived) == len(PREFETCH)
    assert record.missing == ()


@pytest.mark.parametrize("limit", [1, 3])
def test_reads_of_one_call_are_bounded(gather: Gather, settings: Settings, limit: int) -> None:
    running = 0
    most = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1
        kind = request.url.path.removeprefix("/fhir/").split("/")[0]
        if kind == "Patient":
            return httpx.Response(200, json=res("Patient", PID))
        return httpx.Response(200, json=bundle(res(kind, "x")))

    narrow = settings.model_copy(update={"fhir_call_concurrency": limit})
    record = gather(body({}), handler, narrow)
    assert record.missing == ()
    assert most == limit


def test_budget_exceeded_fails_required_keys(gather: Gather, settings: Settings) -> None:
    async def never(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    prefetch = full_prefetch()
    del prefetch["observations"], prefetch["medicationStatements"]
    quick = settings.model_copy(update={"fhir_budget_s": 0.05})
    with pytest.raises(DataUnavailable) as caught:
        gather(body(prefetch), never, quick)
    assert caught.value.keys == ("observations",)
    assert caught.value.issues[0].diagnostics.endswith(": FHIR server unavailable")


def test_a_failed_required_key_ends_the_gather_at_once(gather: Gather, settings: Settings) -> None:
    cancelled: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(f"Patient/{PID}"):
            return httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": []})
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(request.url.path)
            raise
        raise AssertionError("unreachable")

    prefetch = full_prefetch()
    del prefetch["patient"], prefetch["encounters"]
    slow = settings.model_copy(update={"fhir_budget_s": 30.0})
    started = time.perf_counter()
    with pytest.raises(DataUnavailable) as caught:
        gather(body(prefetch), handler, slow)
    # The answer is 412 whatever the encounter read brings: it is cancelled, not waited for.
    assert time.perf_counter() - started < 5.0
    assert caught.value.keys == ("patient",)
    assert cancelled == ["/fhir/Encounter"]


def test_a_read_ignoring_cancellation_does_not_hold_the_answer(settings: Settings) -> None:
    async def stubborn(request: httpx.Request) -> httpx.Response:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            await asyncio.sleep(1.5)  # a read that takes its time to end after cancellation
            raise
        raise AssertionError("unreachable")

    prefetch = full_prefetch()
    del prefetch["encounters"]  # optional: the answer is a Record without it
    quick = settings.model_copy(update={"fhir_budget_s": 0.2})

    async def main() -> tuple[Record, float]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(stubborn)) as client:
            request = HookRequest.model_validate(body(prefetch))
            started = time.perf_counter()
            record = await gather_record(request, SERVICES[0], quick, client)
            return record, time.perf_counter() - started

    record, elapsed = asyncio.run(main())
    assert record.missing == ("encounters",)
    assert elapsed < 0.2 + CANCEL_GRACE_S + 0.5


def test_budget_exceeded_on_optional_key_and_next_page(gather: Gather, settings: Settings) -> None:
    async def never(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    prefetch = full_prefetch()
    del prefetch["medicationStatements"]
    prefetch["conditions"] = bundle(res("Condition", "c1"), next_url=f"{BASE}/Condition?page=2")
    quick = settings.model_copy(update={"fhir_budget_s": 0.05})
    record = gather(body(prefetch), never, quick)
    assert record.missing == ("conditions", "medicationStatements")
    assert record.of_type("Condition") == [res("Condition", "c1")]  # the prefetched page is kept


# --- pagination -----------------------------------------------------------------------------------


def test_relative_next_links_are_followed_on_the_server(gather: Gather) -> None:
    seen: list[httpx.Request] = []
    prefetch = full_prefetch()
    prefetch["observations"] = bundle(res("Observation", "o1"), next_url="Observation?page=2")
    answers = {"Observation?page=2": bundle(res("Observation", "o2"))}
    record = gather(body(prefetch), server_answering(answers, seen))
    assert [str(r.url) for r in seen] == [f"{BASE}/Observation?page=2"]
    assert [r["id"] for r in record.of_type("Observation")] == ["o1", "o2"]
    assert record.missing == ()


@pytest.mark.parametrize(
    "page2",
    [
        500,
        {"resourceType": "Patient"},
        bundle({"resourceType": "OperationOutcome", "issue": [{"severity": "fatal"}]}),
    ],
)
def test_a_failed_next_page_keeps_earlier_pages(gather: Gather, page2: Any) -> None:
    prefetch = full_prefetch()
    prefetch["observations"] = bundle(
        res("Observation", "o1"), next_url=f"{BASE}/Observation?page=2"
    )
    record = gather(body(prefetch), server_answering({"Observation?page=2": page2}))
    assert record.of_type("Observation") == [res("Observation", "o1")]
    assert record.missing == ("observations",)


def test_a_next_link_loop_is_bounded(gather: Gather, settings: Settings) -> None:
    seen: list[httpx.Request] = []
    loop = bundle(res("Observation", "o1"), next_url=f"{BASE}/Observation?page=1")
    prefetch = full_prefetch()
    prefetch["observations"] = loop
    bounded = settings.model_copy(update={"fhir_max_pages": 4})
    record = gather(body(prefetch), server_answering({"Observation?page=1": loop}, seen), bounded)
    assert len(seen) == 3  # the prefetched page counts as the first of four
    assert record.of_type("Observation") == [res("Observation", "o1")]
    assert record.missing == ("observations",)


def test_token_is_sent_only_with_fhir_authorization(gather: Gather) -> None:
    seen: list[httpx.Request] = []
    prefetch = full_prefetch()
    del prefetch["patient"]
    with_token = body(prefetch)
    with_token["fhirAuthorization"] = {
        "access_token": "tok",
        "token_type": "Bearer",
        "expires_in": 60,
        "scope": "user/*.read",
        "subject": "cds",
    }
    answers = {f"Patient/{PID}": res("Patient", PID)}
    gather(with_token, server_answering(answers, seen))
    gather(body(prefetch), server_answering(answers, seen))
    assert [r.headers.get("authorization") for r in seen] == ["Bearer tok", None]
