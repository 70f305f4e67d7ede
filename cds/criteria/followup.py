"""A follow-up programme after cancer treatment as criteria data (``criteria/oppfolging/*.yaml``).

A programme (seed 004, «Opfølgningsprogram for sarkom») sorts treated patients into groups by
what the tumour is (grade, site), and gives each group a schedule: which investigations at
which months after the end of the initial treatment, and when needs assessment and late-effects
screening are due. Everything a site may want to change is here, so another programme (the
Norwegian handlingsprogram's intervals, say) is another file, not code:

* ``characteristics``: how a record shows each property the groups and activities depend on
  (grade, site, tissue, depth, histology): per value, diagnosis code sets and text patterns
  read with the assertion lexicon (a negated «ikke høygradig» shows nothing).
* ``groups``: each group's criteria (values of ``grade`` and ``site``) and its ``schedule``.
* ``investigations``: what each scheduled activity is, what in the record shows it was done
  (a radiology report of a modality whose title names a region, a contact at a follow-up
  department, a note naming a needs assessment), and what the suggested order is called.
* ``treatments``: the treatments whose last date is the end of initial treatment.
* ``ends``: what ends the programme early (recurrence, incurable disease, the patient declines).
* ``window``: the tolerance around each planned date (documented in docs/followup.md).

``cds.evaluate.followup`` assigns a patient and builds the plan; the loader checks the
references between these parts (``check_programme``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cds.criteria.base import Citation, Strict
from cds.criteria.clock import TreatmentKind

# The properties a programme may group by or condition an activity on, and their values.
Characteristic = Literal["grade", "site", "tissue", "depth", "histology"]
ActivityKind = Literal["visit", "imaging", "needs_assessment"]
EndReason = Literal["recurrence", "incurable", "declined"]
GROUPING: tuple[Characteristic, ...] = ("grade", "site")
ABSENT = "other"  # the value id of CharacteristicSpec.absent


class Indicator(Strict):
    """How a record shows one value of a characteristic: a diagnosis of one of ``codesets``
    (code sets of criteria/codes), or an affirmed finding of one of ``patterns`` in a report
    conclusion, a diagnosis text or a note (case-insensitive regexes, read with the assertion
    lexicon)."""

    label: str  # Bokmål, as a clinician reads it: «høygradig (høymalign)»
    codesets: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    note: str | None = None

    @model_validator(mode="after")
    def _something(self) -> Indicator:
        if not self.codesets and not self.patterns:
            raise ValueError(f"{self.label!r}: give codesets or patterns")
        return self


class CharacteristicSpec(Strict):
    """The values of one characteristic and how each shows. A value is read from the newest
    dated evidence; two values on that date are a conflict, and the characteristic is then
    unknown (``cds.evaluate.followup_profile``)."""

    label: str  # «grad»
    values: dict[str, Indicator]
    # The value's label when the record shows none of ``values`` and that is an answer in
    # itself (histology: most sarcomas are neither Ewing nor osteosarcoma): the value id is
    # ``ABSENT``. Without it, nothing shown is unknown.
    absent: str | None = None
    cite: Citation | None = None
    note: str | None = None


class GroupCriteria(Strict):
    """Values a patient must have; an empty tuple admits any value (and does not need it)."""

    grade: tuple[str, ...] = ()
    site: tuple[str, ...] = ()


class ActivityCondition(Strict):
    """An activity only for patients with these values (empty: any). A patient whose value is
    unknown gets the activity as «not assessed», never guessed."""

    tissue: tuple[str, ...] = ()
    depth: tuple[str, ...] = ()
    site: tuple[str, ...] = ()
    histology: tuple[str, ...] = ()

    def items(self) -> tuple[tuple[Characteristic, tuple[str, ...]], ...]:
        """The conditions that restrict, in a fixed order."""
        pairs: tuple[tuple[Characteristic, tuple[str, ...]], ...] = (
            ("tissue", self.tissue),
            ("depth", self.depth),
            ("site", self.site),
            ("histology", self.histology),
        )
        return tuple((name, values) for name, values in pairs if values)


class Activity(Strict):
    """One row of a group's schedule: an investigation at ``months`` after the end of initial
    treatment, for the patients ``when`` admits."""

    investigation: str  # key of Programme.investigations
    months: tuple[int, ...] = Field(min_length=1)
    when: ActivityCondition = ActivityCondition()
    cite: Citation
    note: str | None = None

    @model_validator(mode="after")
    def _months(self) -> Activity:
        if list(self.months) != sorted(set(self.months)) or self.months[0] <= 0:
            raise ValueError(f"{self.investigation}: months must be positive and increasing")
        return self


class Group(Strict):
    """A patient group («Gruppe B: Højmaligne sarkomer») and its schedule."""

    label: str  # Bokmål: «Gruppe B: høygradige sarkomer»
    criteria: GroupCriteria
    schedule: tuple[Activity, ...] = Field(min_length=1)
    cite: tuple[Citation, ...] = Field(min_length=1)
    note: str | None = None


class ImagingMatch(Strict):
    """A radiology report (or imaging order) that counts: one of ``modalities`` (``MR``, ``CT``,
    ``RTG``, ``UL``, as cds.facts.reports recognises them), a title matching one of
    ``regions`` (empty: any title) and none of ``not_regions``."""

    modalities: tuple[str, ...] = Field(min_length=1)
    regions: tuple[str, ...] = ()
    not_regions: tuple[str, ...] = ()


class Investigation(Strict):
    """What an activity is and how the record shows it.

    * ``imaging``: ``imaging`` says which reports (done), which active orders (booked) and which
      draft orders (``order-select``: «not due») are this investigation.
    * ``visit``: a finished Encounter or attended Appointment whose department matches
      ``departments`` (done); a booked Appointment there (booked).
    * ``needs_assessment``: a report title, note or contact reason naming one of ``patterns``.
    """

    label: str  # Bokmål, the words of the card and the order: «MR abdomen»
    kind: ActivityKind
    imaging: ImagingMatch | None = None
    departments: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    order_text: str | None = None  # the suggested order's code.text; default ``label``
    # Other investigations whose record evidence shows this one done (or booked) too: a needs
    # assessment is made at the outpatient control (seed 004 §4.4, «ved 1. ambulante kontrol»),
    # and a record rarely names it.
    done_with: tuple[str, ...] = ()
    note: str | None = None

    @model_validator(mode="after")
    def _kind_fields(self) -> Investigation:
        if (self.imaging is not None) != (self.kind == "imaging"):
            raise ValueError(f"{self.label!r}: imaging is given for imaging, and only there")
        if self.kind == "visit" and not self.departments:
            raise ValueError(f"{self.label!r}: a visit needs departments")
        if self.kind == "needs_assessment" and not self.patterns:
            raise ValueError(f"{self.label!r}: a needs assessment needs patterns")
        return self


class FollowupTreatment(Strict):
    """Treatment whose last date counts towards the end of initial treatment: completed
    Procedures of ``codeset`` (surgery, radiotherapy) or medicines of it (drug: its end date,
    else its start)."""

    kind: TreatmentKind
    codeset: str


class LateEffects(Strict):
    """Late effects to screen for after one kind of treatment (worded in Bokmål; the Danish
    source quoted)."""

    treatment: TreatmentKind
    effects: tuple[str, ...] = Field(min_length=1)
    cite: Citation


class Referral(Strict):
    """Where a late effect is referred («Lymfødem – center for lymfødem behandling»)."""

    problem: str
    to: str
    cite: Citation


class EndSpec(Strict):
    """What ends the programme early. An affirmed finding dated after the end of initial
    treatment ends it; ``uncertain_stops_not_due`` also lets a doubtful one («mistanke om
    residiv») silence the «not due» card, since the programme asks for extra investigations
    then."""

    label: str  # Bokmål: «tilbakefall»
    indicator: Indicator
    uncertain_stops_not_due: bool = False
    cite: Citation
    note: str | None = None


class Window(Strict):
    """Tolerance around a planned date: due from ``before_days`` before it, overdue from
    ``after_days`` + 1 after it; done by a matching event from ``before_days`` before it until
    the next planned date's window opens."""

    before_days: int = Field(ge=0, le=180)
    after_days: int = Field(ge=0, le=180)
    note: str | None = None


class FollowupProgramme(Strict):
    """One follow-up programme file."""

    id: str  # "sarkom-oppfolging"
    version: str
    pathway: str  # the pathway whose rules take over at a recurrence ("sarkom")
    label: str  # Bokmål: «Oppfølgingsprogram for sarkom»
    source: Citation  # the document; section/quote of its purpose
    diagnosis: str  # code set: who the programme is for
    # Texts about the tumour (regexes): only report conclusions and titles, notes and contact
    # reasons naming one of these are read for the characteristics; diagnoses of ``diagnosis``
    # always are.
    subject: tuple[str, ...] = Field(min_length=1)
    characteristics: dict[Characteristic, CharacteristicSpec]
    groups: dict[str, Group]
    investigations: dict[str, Investigation]
    treatments: tuple[FollowupTreatment, ...] = Field(min_length=1)
    treatments_cite: Citation
    # Treatment this many days before the diagnosis is dated still counts (neoadjuvant
    # treatment before the diagnosis was coded).
    treatment_lookback_days: int = Field(ge=0, le=365)
    # Medicine still running this many days after it started: the plan starts anyway (seed 004
    # §1.2, long initial treatment).
    long_treatment_days: int = Field(ge=1)
    long_treatment_cite: Citation
    late_effects: tuple[LateEffects, ...] = ()
    referrals: tuple[Referral, ...] = ()
    ends: dict[EndReason, EndSpec]
    window: Window
    handover: Citation  # who follows the patient after the programme (the GP card quotes it)
    not_routine: Citation  # why an imaging order that is not due gets a card
    extra_allowed: Citation  # why that card is only info: extra investigations may be right
    notes: tuple[str, ...] = ()

    def group_order(self) -> tuple[str, ...]:
        """Group ids in file order."""
        return tuple(self.groups)
