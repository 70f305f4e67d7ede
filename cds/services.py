"""The CDS services we publish (one per hook of ``cds/hooks.py``, plus the hospital's
registration proposals on ``patient-view``), and the prefetch templates they ask the EHR for.

Each service names its pipeline (``ServiceSpec.pipeline``): ``criteria`` (``cds.pipeline``: the
referral criteria for GPs) or ``registration`` (``cds.registration``: registration proposals for
hospital users, docs/registration.md). The hook route picks the pipeline by it
(``cds.api.deps.get_responder``).

This module is data: discovery (``GET /cds-services``) is generated from it, and gather
(``cds/record/prefetch.py``) reads which keys are REQUIRED and which are OPTIONAL.

* REQUIRED keys (``patient``, ``observations``, ``conditions``, ``diagnosticReports``,
  ``serviceRequests``): without them no sound assessment is possible, so if they can be had neither
  from prefetch nor from ``fhirServer`` the call is answered ``412`` (spec §Prefetch Template).
* OPTIONAL keys (``medicationStatements``, ``medicationRequests``, ``encounters``,
  ``procedures``, ``appointments``): when unavailable the call still succeeds; the key is put in
  ``Record.missing``, the referral says the medication list was unavailable, and criteria that
  count contacts or prescriptions, or look for earlier operations, say they were not assessed;
  the pathway clock then sees no booked times.

Templates stay inside the spec's recommended query subset (§Prefetch query restrictions: read,
``patient=`` reference search, token equality, ``_sort``, ``_count``) and use only
``{{context.patientId}}``, a root-level primitive that every hook marks "Prefetch Token: Yes".
``draftOrders``/``selections`` are never tokens (2.0 forbids it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cds.cdshooks import Discovery, ServiceDefinition
from cds.hooks import HOOKS, HookName
from cds.version import VERSION_EXTENSION, service_version


@dataclass(frozen=True, slots=True)
class PrefetchKey:
    """One prefetch template: a ``read`` of one resource or a ``search`` returning a Bundle."""

    key: str
    template: str
    resource_type: str
    kind: Literal["read", "search"]
    required: bool


PREFETCH: tuple[PrefetchKey, ...] = (
    PrefetchKey("patient", "Patient/{{context.patientId}}", "Patient", "read", required=True),
    # Newest first, so that a client that sends only the first page still gives the latest values.
    PrefetchKey(
        "observations",
        "Observation?patient={{context.patientId}}&_sort=-date&_count=500",
        "Observation",
        "search",
        required=True,
    ),
    PrefetchKey(
        "conditions",
        "Condition?patient={{context.patientId}}",
        "Condition",
        "search",
        required=True,
    ),
    PrefetchKey(
        "medicationStatements",
        "MedicationStatement?patient={{context.patientId}}",
        "MedicationStatement",
        "search",
        required=False,
    ),
    # No status filter: finished prescriptions (antibiotics, analgesics) are needed to see a rise
    # in medicine use; the facts stage marks which are still active for the referral.
    PrefetchKey(
        "medicationRequests",
        "MedicationRequest?patient={{context.patientId}}&_sort=-authoredon&_count=200",
        "MedicationRequest",
        "search",
        required=False,
    ),
    # Contacts over time, for «økning i antall kontakter» (diagnostic pathway). Optional: an EHR
    # that cannot give them still gets every other assessment.
    PrefetchKey(
        "encounters",
        "Encounter?patient={{context.patientId}}&_sort=-date&_count=200",
        "Encounter",
        "search",
        required=False,
    ),
    PrefetchKey(
        "diagnosticReports",
        "DiagnosticReport?patient={{context.patientId}}&_sort=-date&_count=100",
        "DiagnosticReport",
        "search",
        required=True,
    ),
    # Earlier referrals: needed to suppress a card when the patient is already referred.
    PrefetchKey(
        "serviceRequests",
        "ServiceRequest?patient={{context.patientId}}&_sort=-authored&_count=100",
        "ServiceRequest",
        "search",
        required=True,
    ),
    # Earlier operations, for «tilbakefall etter tidligere kirurgi» (sarkom): a lump where a tumour
    # was removed before. Optional: without it that criterion is read from the GP's notes only.
    PrefetchKey(
        "procedures",
        "Procedure?patient={{context.patientId}}&_sort=-date&_count=100",
        "Procedure",
        "search",
        required=False,
    ),
    # Times booked and attended at the receiving department, for the pathway clock (first
    # attendance, cds.evaluate.clock). Optional: without it first attendance is read from
    # Encounters and registrations only, and a booked time cannot be seen.
    PrefetchKey(
        "appointments",
        "Appointment?patient={{context.patientId}}&_sort=-date&_count=50",
        "Appointment",
        "search",
        required=False,
    ),
)

REQUIRED_KEYS: frozenset[str] = frozenset(p.key for p in PREFETCH if p.required)
OPTIONAL_KEYS: frozenset[str] = frozenset(p.key for p in PREFETCH if not p.required)

_USAGE = (
    "Krever pasientens Patient, Observation, Condition, DiagnosticReport og ServiceRequest, enten "
    "som prefetch eller lesbare fra fhirServer med fhirAuthorization. MedicationStatement, "
    "MedicationRequest, Encounter, Procedure og Appointment brukes når de finnes. / Needs the "
    "patient's "
    "Patient, Observation, Condition, DiagnosticReport and ServiceRequest, prefetched or readable "
    "from fhirServer with fhirAuthorization (otherwise 412). Medications, encounters, "
    "procedures and appointments are used when available."
)


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """One published CDS service: id, hook, texts and prefetch keys."""

    id: str
    hook: HookName
    title: str
    description: str
    prefetch: tuple[PrefetchKey, ...] = PREFETCH
    usage_requirements: str = _USAGE
    pipeline: Literal["criteria", "registration"] = "criteria"

    def definition(self) -> ServiceDefinition:
        """This service's discovery entry."""
        return ServiceDefinition(
            hook=self.hook,
            id=self.id,
            title=self.title,
            description=self.description,
            prefetch={p.key: p.template for p in self.prefetch},
            usage_requirements=self.usage_requirements,
        )


REGISTRATION_SERVICE_ID = "pakkeforlop-registrering"
_REGISTRATION_USAGE = (
    "For sykehusets forløpskoordinatorer. Krever de samme ressursene som de andre tjenestene "
    "(Patient, Observation, Condition, DiagnosticReport, ServiceRequest; prefetch eller "
    "fhirServer); Encounter, Appointment, Procedure og legemidler brukes når de finnes. "
    "Registrerer ingenting selv: hvert forslag oppretter en Observation bare når brukeren godtar "
    "det. / For hospital pathway coordinators. Needs the same resources as the other services "
    "(otherwise 412); encounters, appointments, procedures and medications are used when "
    "available. Registers nothing by itself: each suggestion creates an Observation "
    "(docs/registration.md) only when the user accepts it."
)
# The registration proposals (issue 12 §3): a second patient-view service, for hospital users.
REGISTRATION = ServiceSpec(
    id=REGISTRATION_SERVICE_ID,
    hook="patient-view",
    title="Pakkeforløp kreft: forslag til registrering av forløpskoder",
    description=(
        "Når journalen åpnes på sykehuset: viser hvilke pakkeforløpskoder (henvisning mottatt, "
        "første fremmøte, overføring, klinisk beslutning, behandling start) journalen viser "
        "grunnlag for, men som ikke er registrert, og foreslår registreringen med dato og "
        "grunnlag. / On chart open in hospital: lists the cancer pathway registration codes the "
        "record supports but nobody registered, each as a suggestion to create the registration."
    ),
    usage_requirements=_REGISTRATION_USAGE,
    pipeline="registration",
)

# One service per hook of the hook table (cds/hooks.py), with its id and texts: the GP's
# criteria services. ``SERVICES`` adds the registration proposals.
HOOK_SERVICES: tuple[ServiceSpec, ...] = tuple(
    ServiceSpec(id=hook.service_id, hook=hook.name, title=hook.title, description=hook.description)
    for hook in HOOKS
)
SERVICES: tuple[ServiceSpec, ...] = (*HOOK_SERVICES, REGISTRATION)

_BY_ID: dict[str, ServiceSpec] = {service.id: service for service in SERVICES}


_BY_HOOK: dict[str, ServiceSpec] = {service.hook: service for service in HOOK_SERVICES}


def service_for_hook(hook: str) -> ServiceSpec:
    """The hook's own (criteria) service: ``pakkeforlop-patient-view`` for ``patient-view``,
    never the registration service that shares the hook. KeyError for a hook we do not answer."""
    return _BY_HOOK[hook]


def get_service(service_id: str) -> ServiceSpec | None:
    """The service with this id, or ``None``."""
    return _BY_ID.get(service_id)


def discovery() -> Discovery:
    """The ``GET /cds-services`` response."""
    return Discovery(
        services=[service.definition() for service in SERVICES],
        extension={VERSION_EXTENSION: service_version()},
    )
