"""Turn a patient record Bundle (``type: collection``) into a complete CDS Hooks request body.

Used by ``cds evaluate``, ``examples/make_requests.py``, the golden-case generator and the
benchmarks, so that all of them send exactly what an EHR with full prefetch would send:

* ``prefetch`` is keyed like the services' prefetch templates (:data:`cds.services.PREFETCH`):
  the Patient as a read, everything else as ``searchset`` Bundles (``Medication`` resources ride
  along in the medication searches as ``include`` entries, as ``_include`` would return them).
  The templates' ``status=`` filters and ``_sort`` orders are applied, because prefetch must equal
  what running the template would return; ``_count`` is not (the whole result is one page);
* for order hooks, unsigned orders (``status: draft``) are the hook's subject, not history: they go
  to ``context.draftOrders`` (a Bundle) and, for ``order-select``, to ``context.selections``, and
  are left out of the prefetch searches, because an EHR's FHIR server does not hold them yet.

The ``hookInstance`` defaults to a UUID5 of the hook and the Bundle's content, so generated
requests are byte-for-byte reproducible (the spec wants it unguessable in production; a real EHR
makes a random one).
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cds.hooks import HOOK_NAMES, hook_named
from cds.hooks import ORDER_HOOKS as ORDER_HOOKS  # re-exported: examples/make_requests.py
from cds.services import PREFETCH

Resource = dict[str, Any]

# The hooks a request can be built for (cds/hooks.py); re-exported for the command line.
HOOKS: tuple[str, ...] = HOOK_NAMES

# Resource types the order-select/order-sign hooks carry in draftOrders (Hook Library, R4).
_ORDER_TYPES: frozenset[str] = frozenset(
    {
        "ServiceRequest",
        "MedicationRequest",
        "NutritionOrder",
        "DeviceRequest",
        "VisionPrescription",
        "CommunicationRequest",
    }
)
# Our own namespace for deterministic hookInstance values (a UUID5 of the DNS name below).
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "pakkeforlop-cds.example")


def is_draft_order(resource: Resource) -> bool:
    """True for an unsigned order (``status: draft``): order hooks carry it in draftOrders."""
    return resource.get("resourceType") in _ORDER_TYPES and resource.get("status") == "draft"


class BundleError(ValueError):
    """The input is not a usable patient record Bundle (message says why, without patient data)."""


def request_from_bundle(
    bundle: dict[str, Any],
    *,
    hook: str,
    hook_instance: str | None = None,
    user_id: str = "Practitioner/example-gp",
) -> dict[str, Any]:
    """A CDS Hooks request body for ``hook`` with complete prefetch built from ``bundle``.

    Raises :class:`BundleError` if ``bundle`` is not a Bundle with exactly one Patient that has
    an id, or if ``hook`` is not one of ``patient-view``, ``order-select``, ``order-sign``.
    """
    spec = hook_named(hook)
    if spec is None:
        raise BundleError(f"unknown hook {hook!r}; expected one of {', '.join(HOOKS)}")
    instance = hook_instance or _instance(hook, bundle)
    # A copy: ids are filled in below and the caller's Bundle must stay as it was.
    resources = _resources(copy.deepcopy(bundle))
    patients = [r for r in resources if r.get("resourceType") == "Patient"]
    if len(patients) != 1:
        raise BundleError(f"the Bundle must hold exactly one Patient (found {len(patients)})")
    patient = patients[0]
    patient_id = patient.get("id")
    if not isinstance(patient_id, str) or not patient_id:
        raise BundleError("the Patient has no id")

    drafts: list[Resource] = []
    history: list[Resource] = []
    for resource in resources:
        if resource is patient:
            continue
        # Outside order hooks a draft order does not exist yet for the EHR: leave it out entirely.
        if is_draft_order(resource):
            if spec.order_hook:
                drafts.append(resource)
            continue
        history.append(resource)

    context: dict[str, Any] = {"userId": user_id, "patientId": patient_id}
    if "draftOrders" in spec.context_keys:
        context["draftOrders"] = _bundle("collection", [{"resource": r} for r in drafts])
    if "selections" in spec.context_keys and drafts:
        context["selections"] = [_ref(r) for r in drafts]

    return {
        "hookInstance": instance,
        "hook": hook,
        "context": context,
        "prefetch": _prefetch(patient, history),
    }


def _resources(bundle: Any) -> list[Resource]:
    """Every entry's resource, checking the Bundle's shape."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise BundleError("the input is not a FHIR Bundle (resourceType must be 'Bundle')")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise BundleError("Bundle.entry must be a list")
    resources: list[Resource] = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise BundleError(f"Bundle.entry[{index}] has no resource with a resourceType")
        has_id = isinstance(resource.get("id"), str) and bool(resource["id"])
        if not has_id and resource["resourceType"] != "Patient":
            # Every draftOrders entry needs an id (selections and update actions point at it).
            resource["id"] = uuid.uuid5(_NAMESPACE, _canonical(resource)).hex
        resources.append(resource)
    return resources


def _prefetch(patient: Resource, history: list[Resource]) -> dict[str, Any]:
    """Every prefetch key the services declare, filled as the EHR's FHIR server would."""
    medications = [r for r in history if r["resourceType"] == "Medication"]
    prefetch: dict[str, Any] = {}
    for key in PREFETCH:
        if key.kind == "read":
            prefetch[key.key] = patient
            continue
        of_type = [r for r in history if r["resourceType"] == key.resource_type]
        matches = _search(key.template, of_type)
        entries = [_entry(r, "match") for r in matches]
        if key.resource_type in ("MedicationStatement", "MedicationRequest"):
            wanted = {_medication_ref(r) for r in matches} - {None}
            entries += [_entry(m, "include") for m in medications if _ref(m) in wanted]
        prefetch[key.key] = _bundle("searchset", entries, total=len(matches))
    return prefetch


# Search parameters of our templates -> the resource's date, for ``_sort``.
_SORT_DATES: dict[str, tuple[str, ...]] = {
    # Observation/DiagnosticReport dates, then Encounter.period (a resource has only one kind).
    "date": (
        "effectiveDateTime",
        "effectivePeriod.start",
        "effectiveInstant",
        "issued",
        "period.start",
    ),
    "authored": ("authoredOn",),  # ServiceRequest
    "authoredon": ("authoredOn",),  # MedicationRequest
}


def _search(template: str, resources: list[Resource]) -> list[Resource]:
    """``resources`` as the template's search would return them: filtered by status, sorted."""
    params = dict(parse_qsl(urlsplit(template).query))
    if "status" in params:
        wanted = set(params["status"].split(","))
        resources = [r for r in resources if r.get("status") in wanted]
    sort = params.get("_sort", "")
    fields = _SORT_DATES.get(sort.lstrip("-"))
    if fields:

        def when(resource: Resource) -> str:
            for path in fields:
                value: Any = resource
                for step in path.split("."):
                    value = value.get(step) if isinstance(value, dict) else None
                if isinstance(value, str) and value:
                    # ISO 8601 text sorts chronologically (records use one time zone).
                    return value
            return ""  # undated: last when newest first

        resources = sorted(resources, key=when, reverse=sort.startswith("-"))
    return resources


def _bundle(kind: str, entries: list[dict[str, Any]], total: int | None = None) -> Resource:
    """A Bundle without empty arrays (FHIR JSON forbids them, and so does CDS Hooks)."""
    out: Resource = {"resourceType": "Bundle", "type": kind}
    if total is not None:
        out["total"] = total
    if entries:
        out["entry"] = entries
    return out


def _entry(resource: Resource, mode: str) -> dict[str, Any]:
    return {"fullUrl": _ref(resource), "resource": resource, "search": {"mode": mode}}


def _ref(resource: Resource) -> str:
    return f"{resource['resourceType']}/{resource['id']}"


def _medication_ref(resource: Resource) -> str | None:
    ref = resource.get("medicationReference")
    value = ref.get("reference") if isinstance(ref, dict) else None
    return value if isinstance(value, str) else None


def _instance(hook: str, bundle: dict[str, Any]) -> str:
    return str(uuid.uuid5(_NAMESPACE, hook + "\n" + _canonical(bundle)))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
