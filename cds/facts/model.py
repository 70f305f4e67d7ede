"""What the rules may know about a patient: plain, typed facts extracted from FHIR JSON.

The *facts* stage (``cds.facts.extract``) is the only code that walks FHIR JSON. Everything
downstream (evaluate, render) works on these frozen dataclasses, so the rules never see a
system URI alias, a unit spelling or a partial date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from cds.wording.message import Message

Sex = Literal["female", "male", "other", "unknown"]

# A code after normalisation: (family, code). Families are the short names in
# cds.facts.codes.SYSTEM_FAMILIES ("nlk", "loinc", "icd10", "icpc2", "snomed", "atc", ...).
# ICD-10 codes are stored without the dot and upper-cased ("C900"); ICPC-2 upper-cased.
Code = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with a normalised UCUM unit (``g/dL``, ``umol/L``, ``mL/min/{1.73_m2}``, ...)."""

    value: float
    unit: str


@dataclass(frozen=True, slots=True)
class Place:
    """Where on the body something is: the body-site ids (CodeBook.body_sites) a site names.

    ``groups`` holds the groups named directly («arm», «underekstremitet») and those of the named
    regions («lår» lies within «underekstremitet»). Empty sets: the site names nothing.
    """

    regions: frozenset[str] = frozenset()
    sides: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()

    @property
    def named(self) -> bool:
        """The site names a region, a group or a side."""
        return bool(self.regions or self.sides or self.groups)


NO_PLACE = Place()


@dataclass(frozen=True, slots=True)
class LabResult:
    """One laboratory or measurement Observation, indexed under the analyte it matched.

    ``ref`` is the FHIR relative reference (``Observation/123``) used as evidence and in
    ``reasonReference``. ``value`` is ``None`` when the result has no usable number (text result,
    or a value we refuse to use). ``unit_problem`` (the name is older than its scope) says why
    the result cannot be used (a :class:`cds.wording.Message`, worded by render), whatever the
    cause: a unit we refuse to guess, a
    value that is not a finite, plausible, measured number (``cds.facts.numbers``), or a sample
    date that does not parse or lies in the future (then ``when`` is None and ``value`` may be
    kept for display). The evaluate stage reports such a result's feature as «kunne ikke
    vurderes» instead of absent.
    ``text`` joins valueString, note texts and any coded value's display, for text findings.
    """

    ref: str
    analyte: str
    when: date | None
    value: Quantity | None = None
    text: str = ""
    ref_low: Quantity | None = None
    ref_high: Quantity | None = None
    # Normalised v3 interpretation codes: "L", "LL", "H", "HH", "A", "N", "POS", "NEG", ...
    interpretation: frozenset[str] = frozenset()
    unit_problem: Message | None = None
    display: str = ""  # the code's display / code.text as the lab sent it
    # bodySite text and displays, method text and note text, lower-cased: where the finding is
    # and how deep («dyp», «subkutan», «lår»), for site-restricted sources (tumour size).
    site: str = ""


@dataclass(frozen=True, slots=True)
class ConditionFact:
    """A Condition (diagnosis, symptom or problem) from the record."""

    ref: str
    codes: frozenset[Code]
    when: date | None  # onset, else recordedDate
    active: bool  # False: resolved/inactive/remission -> history only
    text: str = ""  # code.text or first display
    site: str = ""  # bodySite text/displays and note text, lower-cased (see LabResult.site)
    # The GP's own words: note texts as written (one per line), read by text sources with
    # ``clinical_notes`` («Ryggsmerter siste uker, nå kraftsvikt i bena»).
    note: str = ""


@dataclass(frozen=True, slots=True)
class ReportFact:
    """A DiagnosticReport (radiology, pathology, laboratory) with its Norwegian conclusion."""

    ref: str
    kind: Literal["radiology", "pathology", "laboratory", "other"]
    when: date | None
    codes: frozenset[Code]
    conclusion_codes: frozenset[Code]
    title: str  # code.text / display, e.g. "MR lår" or "Proteinelektroforese"
    conclusion: str  # conclusion + presentedForm text when plain text; may be ""
    modality: str | None = None  # "MR", "CT", "RTG", "UL" when recognisable


@dataclass(frozen=True, slots=True)
class MedicationFact:
    """A MedicationStatement or MedicationRequest in the record."""

    ref: str
    name: str
    codes: frozenset[Code]  # ATC under family "atc"
    when: date | None
    active: bool
    # A statement's effectivePeriod.end: when a course of treatment ended (the follow-up plan
    # counts from the end of initial treatment, cds.evaluate.followup).
    end: date | None = None


@dataclass(frozen=True, slots=True)
class OrderFact:
    """A ServiceRequest (or Procedure) in the record or in ``draftOrders``.

    ``labels`` holds every human text the order carries (code.text, displays, note, category
    text, orderDetail text) lower-cased, so "Pakkeforløp for myelomatose" and biopsy words can be
    matched without walking JSON again.
    """

    ref: str
    resource_type: str
    when: date | None  # authoredOn / performed / occurrence
    status: str
    is_referral: bool
    codes: frozenset[Code]
    labels: tuple[str, ...]
    reason_codes: frozenset[Code] = frozenset()
    reason_refs: tuple[str, ...] = ()
    # bodySite texts/displays and note text, lower-cased (see LabResult.site): where an operation
    # was done, for «tilbakefall etter tidligere kirurgi».
    site: str = ""
    # Where the order is about, normalised (cds.facts.sites.order_place): the coded bodySite when
    # it names a region, else every place its bodySite, code, orderDetail, reason and note name.
    place: Place = NO_PLACE
    # The order's own name as written (code.text, else the first coding display), so a card can
    # name a draft the GP will recognise («Biopsi av kul i lår»); None when it has none.
    name: str | None = None
    # Who is asked to do it (performer references and displays, lower-cased, one per line): a
    # later pathway referral to another receiver is a transfer (cds.evaluate.clock).
    performer: str = ""


@dataclass(frozen=True, slots=True)
class EncounterFact:
    """A contact with the health service (Encounter), for «økning i antall kontakter»."""

    ref: str
    when: date | None  # period.start
    status: str
    klass: str  # Encounter.class code (AMB, VR, HH, IMP, EMER, ...), "" when absent
    # The contact's reason as the GP wrote it (reasonCode texts and displays, one per line), read
    # by text sources with ``clinical_notes``.
    reason: str = ""
    # Where it took place (serviceType, type, serviceProvider, location texts, lower-cased, one
    # per line) and the orders it answers (basedOn references): first attendance at the
    # receiving department (cds.evaluate.clock).
    department: str = ""
    based_on: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AppointmentFact:
    """An Appointment: a time booked (``booked``/``pending``/``proposed``), attended
    (``arrived``/``checked-in``/``fulfilled``) or missed (``noshow``). Cancelled and
    entered-in-error appointments are left out."""

    ref: str
    when: date | None  # start
    status: str
    department: str = ""  # serviceType, specialty, appointmentType, participant displays
    based_on: tuple[str, ...] = ()  # basedOn references (the referral it answers)


@dataclass(frozen=True, slots=True)
class RegistrationFact:
    """A pathway registration code found in the record (family ``pakkeforlop``): an Observation,
    EpisodeOfCare, Encounter or Procedure that carries «A36S» and the like, with its date."""

    ref: str
    code: str  # "A36S"
    when: date | None


@dataclass(frozen=True, slots=True)
class PatientFacts:
    """Everything the evaluators may use about one patient at one moment (``today``)."""

    patient_ref: str  # "Patient/123"
    today: date
    sex: Sex
    birth_date: date | None
    age_years: int | None
    # Patient.deceased[x] says the patient has died: no follow-up reminders
    # (cds.evaluate.followup_notices). The pathway rules do not read it (yet).
    deceased: bool = False
    labs: dict[str, tuple[LabResult, ...]] = field(default_factory=dict)  # analyte -> newest first
    conditions: tuple[ConditionFact, ...] = ()
    reports: tuple[ReportFact, ...] = ()
    medications: tuple[MedicationFact, ...] = ()
    orders: tuple[OrderFact, ...] = ()  # in the record (already sent / performed)
    encounters: tuple[EncounterFact, ...] = ()  # newest first; cancelled/entered-in-error left out
    appointments: tuple[AppointmentFact, ...] = ()  # record order
    registrations: tuple[RegistrationFact, ...] = ()  # record order
    draft_orders: tuple[OrderFact, ...] = ()  # context.draftOrders, same order as sent
    selections: tuple[str, ...] = ()  # context.selections ("ServiceRequest/abc")
    # ref -> raw draft JSON, so an update action can return the whole resource
    draft_resources: dict[str, dict[str, object]] = field(default_factory=dict)
    postal_code: str | None = None
    municipality: str | None = None
    county: str | None = None
    # Data-quality remarks (phrase ids and fields; render words them as «Merk:» in cards).
    notes: tuple[Message, ...] = ()
    # Prefetch keys whose data could be had neither from prefetch nor from the FHIR server
    # (Record.missing): an empty list there means "unknown", not "none".
    unavailable: tuple[str, ...] = ()
    # Lookups evaluate derives from these facts once per call (code indexes over the conditions
    # and medicines: cds.evaluate.matching). Not an init field, so ``dataclasses.replace`` starts
    # afresh; not compared.
    derived: dict[str, object] = field(default_factory=dict, init=False, compare=False, repr=False)

    def latest(self, analyte: str) -> LabResult | None:
        """Newest result for an analyte, or None."""
        results = self.labs.get(analyte)
        return results[0] if results else None
