"""The schema every criteria file must satisfy, checked at start-up (``extra="forbid"``, frozen).

A criteria file (``criteria/<pathway>.yaml``) holds one pathway: its identity and sources, the
*features* (clinical elements such as «Anemi») with the record sources that establish them, the
*rules* that combine features into an outcome, the *filter tests* the GP must take first, and
what the referral must contain. Code lists live in ``criteria/codes/*.yaml``. Every key is
documented in ``criteria/README.md``; every rule and feature quotes its source word for word.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cds.criteria.lexicon import AssertionLexicon

HookName = Literal["patient-view", "order-select", "order-sign"]
ALL_HOOKS: tuple[HookName, ...] = ("patient-view", "order-select", "order-sign")


class Strict(BaseModel):
    """Base for every criteria model: unknown keys are errors and loaded data cannot change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Citation(Strict):
    """A sentence from a source document in ../shared/seeds, quoted word for word."""

    file: str  # e.g. "001_886705ff86f0ea9c.txt"
    section: str  # the heading the quote stands under, e.g. "Begrunnet mistanke – kriterier ..."
    quote: str  # word for word; whitespace is normalised when checked against the file
    # The criterion that sends organ-specific suspicion to its own pathway first (the diagnostic
    # pathway's «Sykdomsbildet tilsier at organspesifikk utredning ikke er hensiktsmessig»): a
    # merged begrunnet card quotes it to say why the organ-specific pathway is recommended
    # (cds/evaluate/decision.py). Set on at most a few citations; default off.
    organ_specific_first: bool = False


# --- code lists (criteria/codes/*.yaml) ------------------------------------------------------


class CodeRef(Strict):
    """One code. ``system`` is a family name (nlk, loinc, icd10, icpc2, snomed, atc, v2-0074, ...).

    ICD-10 and ICPC-2 codes match their sub-codes (``C90`` matches ``C900``); a range
    ``D50-D64`` matches every three-character code between the two, inclusive.
    """

    system: str
    code: str
    display: str | None = None


class Analyte(Strict):
    """A laboratory analyte or measurement and the codes that identify it."""

    label: str  # Norwegian, as shown in cards ("Hemoglobin")
    unit: str | None = None  # canonical UCUM unit; values are converted to it before comparison
    molar_mass: float | None = None  # g/mol: mass <-> substance conversions (g/dL <-> mmol/L)
    codes: tuple[CodeRef, ...]
    order: CodeRef | None = None  # code used when we suggest ordering this test
    source: str  # where the codes come from


class CodeSet(Strict):
    """A named set of diagnosis/symptom/finding/medication codes."""

    label: str
    codes: tuple[CodeRef, ...]
    source: str


class Region(Strict):
    """A health region (helseregion) and how to recognise a patient's address in it."""

    label: str  # "Helse Sør-Øst"
    counties: tuple[str, ...]  # county names as in Patient.address.state, lower-case
    postal_prefixes: tuple[str, ...]  # first digits of the postal code, used when no county
    source: str


class BodySite(Strict):
    """A body region («lår»), a side («venstre») or a group of regions («underekstremitet») and
    how site texts (and bodySite codes) name it.

    Used to tell whether two findings are at the same place: two measurements of one lump, a lump
    where a tumour was removed before, or a draft order of the suspected lump
    (``cds/evaluate/places.py``). A region may lie ``within`` one group (the limb it is part of).
    """

    label: str
    kind: Literal["region", "side", "group"]
    patterns: tuple[str, ...]  # case-insensitive regexes searched in a lower-cased site text
    # bodySite codes that name this site (read on orders: a code without a display); a
    # lateralised code («Structure of left thigh») is listed under its region and its side.
    codes: tuple[CodeRef, ...] = ()
    within: str | None = None  # for a region: the group (kind «group») it is part of
    source: str


class CodeBook(Strict):
    """All code lists, merged from criteria/codes/*.yaml, and the assertion lexicon.

    ``assertion`` comes from criteria/assertion.yaml (``cds.criteria.lexicon``); the loader
    always sets it. A hand-built code book without it cannot evaluate text sources.
    """

    analytes: dict[str, Analyte] = Field(default_factory=dict)
    codesets: dict[str, CodeSet] = Field(default_factory=dict)
    regions: dict[str, Region] = Field(default_factory=dict)
    body_sites: dict[str, BodySite] = Field(default_factory=dict)
    assertion: AssertionLexicon | None = None


# --- feature sources ---------------------------------------------------------------------------


class Threshold(Strict):
    """A numeric cut-off. Sex-specific values win; ``default`` applies when sex is unknown."""

    unit: str
    value: float | None = None
    female: float | None = None
    male: float | None = None
    default: float | None = None
    source: str  # where the number comes from (document or reference note, with section)

    @model_validator(mode="after")
    def _one_way(self) -> Threshold:
        by_sex = (self.female, self.male, self.default)
        if self.value is None and any(v is None for v in by_sex):
            raise ValueError("give either value, or female + male + default")
        return self


class LabSource(Strict):
    """Latest result of ``analyte`` within ``window_days`` is below/above the threshold.

    With ``use_reference_range`` the result's own interpretation flag, then its reference range,
    decide; the threshold is the fallback. Only the newest result in the window counts.
    """

    kind: Literal["lab"]
    analyte: str
    direction: Literal["low", "high"]
    threshold: Threshold
    use_reference_range: bool = True
    window_days: int
    # Only results whose site text (bodySite, method, notes: LabResult.site) matches one of these
    # regexes and none of ``site_negations`` (e.g. a tumour «dyp»/«subkutan», «lyske»).
    site_patterns: tuple[str, ...] = ()
    site_negations: tuple[str, ...] = ()


class CorrectedCalciumSource(Strict):
    """Albumin-corrected calcium Ca + factor × (reference_albumin − albumin g/L) above threshold.

    Uses the newest total calcium in the window and an albumin taken within ``pairing_days`` of it.
    """

    kind: Literal["corrected_calcium"]
    calcium: str
    albumin: str
    factor: float
    reference_albumin: float  # g/L
    threshold: Threshold
    pairing_days: int
    window_days: int


class ConditionSource(Strict):
    """An active Condition from ``codeset`` dated within ``window_days`` (undated ones count)."""

    kind: Literal["condition"]
    codeset: str
    window_days: int
    include_history: bool = False  # also count resolved/inactive conditions
    site_patterns: tuple[str, ...] = ()  # as LabSource, against ConditionFact.site
    site_negations: tuple[str, ...] = ()


class ConditionCountSource(Strict):
    """At least ``min_count`` separately dated Conditions from ``codeset`` within the window."""

    kind: Literal["condition_count"]
    codeset: str
    min_count: int
    window_days: int


class TextSource(Strict):
    """Norwegian text of lab results (``analytes``), reports (``report_kinds``) and/or the GP's
    notes (``clinical_notes``: Condition text and notes, Encounter reasons) states it.

    Each match of a ``patterns`` regex is a finding whose assertion the one mechanism decides
    (``cds.facts.text``, criteria/assertion.yaml). It counts when affirmed; when uncertain only
    with ``hedged: count``; when historical only with ``history: count``; never when negated or
    about someone else. ``exclusions``: domain words that make a clause no finding unless they
    are negated themselves («hematom»). ``together_with``: the same text must also hold a counting
    finding of one of these (leg weakness *with* back pain). Case-insensitive Python regexes.
    """

    kind: Literal["text"]
    analytes: tuple[str, ...] = ()
    report_kinds: tuple[Literal["radiology", "pathology", "laboratory", "other"], ...] = ()
    report_title_patterns: tuple[str, ...] = ()  # restrict reports by title, e.g. "elektroforese"
    modalities: tuple[Literal["MR", "CT", "RTG", "UL"], ...] = ()  # restrict radiology by modality
    clinical_notes: bool = False
    patterns: tuple[str, ...]
    hedged: Literal["count", "ignore"] = "ignore"
    history: Literal["count", "ignore"] = "ignore"
    exclusions: tuple[str, ...] = ()
    together_with: tuple[str, ...] = ()
    window_days: int


class LabFlagSource(Strict):
    """The newest result of any of ``analytes`` within the window carries one of ``flags``.

    For «alarmerende laboratorieprøver»: the laboratory's own critical flags (v3 HH, LL, AA).
    """

    kind: Literal["lab_flag"]
    analytes: tuple[str, ...]
    flags: tuple[str, ...]
    window_days: int


class WeightLossSource(Strict):
    """Unintended weight loss computed from body-weight results.

    Present when the newest weight (within ``window_days``) is at least ``percent`` % below the
    highest weight measured in the ``within_days`` before it.
    """

    kind: Literal["weight_loss"]
    analyte: str
    percent: float
    within_days: int
    window_days: int


class UsageIncreaseSource(Strict):
    """A marked increase in health-care contacts (Encounters) or in use of medicines (``codeset``).

    Present when the last ``recent_days`` hold at least ``min_recent`` events, the
    ``baseline_days`` before them held at most ``max_baseline`` events, and the recent rate per
    day is at least ``factor`` times the baseline rate (a baseline of zero always qualifies).
    Medicines count MedicationFact dates (prescriptions/statements) whose ATC is in ``codeset``.
    """

    kind: Literal["encounter_increase", "medication_increase"]
    codeset: str | None = None  # required for medication_increase
    recent_days: int
    baseline_days: int
    min_recent: int
    max_baseline: int
    factor: float


class DraftOrderMatch(Strict):
    """Orders whose text matches ``patterns`` or whose codes are in ``codeset``, unless their text
    matches one of ``negations`` or names the lesion as a skin lesion (``skin_lesions``). Used for
    draft orders (``draftOrders``) and for earlier operations (``lump_after_surgery``).

    ``same_place_as`` (draft-order terms only): feature ids whose evidence locates the suspected
    lump; a draft at another body region or on the other side does not match
    (``cds/evaluate/terms.py``, criteria/README.md «Rules»).
    """

    patterns: tuple[str, ...] = ()
    codeset: str | None = None
    negations: tuple[str, ...] = ()
    skin_lesions: tuple[str, ...] = ()
    same_place_as: tuple[str, ...] = ()


class SizeIncreaseSource(Strict):
    """A measured lump has grown («vekst»).

    The newest result of ``analyte`` dated within ``window_days`` (whose site passes
    ``site_patterns``/``site_negations``) is compared with the *smallest* result of the same lump
    measured in the ``within_days`` before it. Present when the increase is at least
    ``min_increase`` (in the analyte's unit) **and** at least ``percent`` % of the earlier size.
    Same lump: an earlier result whose site names another body region or the other side
    (CodeBook.body_sites) is another lump; one without a recognisable place is taken as the same.
    """

    kind: Literal["size_increase"]
    analyte: str
    percent: float
    min_increase: float
    within_days: int
    window_days: int
    site_patterns: tuple[str, ...] = ()
    site_negations: tuple[str, ...] = ()
    source: str  # where the numbers come from


class LumpAfterSurgerySource(Strict):
    """A lump where a tumour was operated on before («tilbakefall etter tidligere kirurgi»).

    A lump (an active Condition in ``lump_codeset``, or a result of ``lump_analyte``) dated within
    ``window_days``, whose site passes ``site_negations``, at the same body region and side as an
    earlier completed Procedure matching ``procedure`` that was performed at least
    ``min_days_after`` days before the lump was recorded. Both places must be recognisable
    (CodeBook.body_sites): an operation or a lump without a place is never «the same place».
    """

    kind: Literal["lump_after_surgery"]
    procedure: DraftOrderMatch
    lump_codeset: str
    lump_analyte: str | None = None
    window_days: int
    min_days_after: int
    site_negations: tuple[str, ...] = ()


class MedicationSource(Strict):
    """A medicine with an ATC code in ``codeset``: in use (active, intended, on hold, unknown
    status) and dated within ``window_days`` or undated; with ``include_inactive`` also
    completed/stopped ones dated within the window. For treatment that implies a diagnosis
    (lenalidomide: myeloma) or explains a finding (semaglutide: planned weight loss)."""

    kind: Literal["medication"]
    codeset: str
    # Case-insensitive regexes on the medicine's name, for drug lists without an ATC coding
    # (a product name from the Norwegian FEST catalogue, «Revlimid 10 mg»).
    name_patterns: tuple[str, ...] = ()
    window_days: int
    include_inactive: bool = False


class ProcedureSource(Strict):
    """A completed Procedure in the record matching ``procedure`` (text or code, no negation),
    performed within ``window_days`` (undated ones count): e.g. bariatric surgery."""

    kind: Literal["procedure"]
    procedure: DraftOrderMatch
    window_days: int


FeatureSource = Annotated[
    LabSource
    | CorrectedCalciumSource
    | ConditionSource
    | ConditionCountSource
    | TextSource
    | LabFlagSource
    | WeightLossSource
    | UsageIncreaseSource
    | SizeIncreaseSource
    | LumpAfterSurgerySource
    | MedicationSource
    | ProcedureSource,
    Field(discriminator="kind"),
]


class Worsening(Strict):
    """How much worse than the patient's own baseline a lab value must be to count as worsening.

    Compared in the direction of the feature's ``lab`` source on the analyte (``low``: a fall,
    ``high``: a rise), against the patient's best value in ``ChangeSpec.baseline_days`` before the
    newest result. Both bounds must be reached: ``percent`` of the baseline and ``min_change`` in
    the analyte's canonical unit.
    """

    percent: float = 0
    min_change: float = 0
    source: str  # where the numbers come from


class ChangeSpec(Strict):
    """How to tell a new or worsening finding from a long-standing, stable one.

    A present feature is *new* when the evidence for it goes back at most ``new_days`` (the
    earliest matching Condition, the earliest positive text, or the start of the unbroken run of
    abnormal results of a lab source, looking back ``baseline_days``); *worse* when one of the
    ``worsening`` analytes moved far enough against the patient's own baseline; else *stable*.
    A finding without any dated earlier evidence is new: we never call something stable that the
    record cannot show to be old. Rules ask for it with ``{feature: …, changed: true}``.
    """

    new_days: int
    baseline_days: int
    worsening: dict[str, Worsening] = Field(default_factory=dict)  # analyte id -> bounds
    # Case-insensitive regexes: when the text of every piece of evidence says the finding is
    # unchanged («uendret», «som ved forrige undersøkelse»), it is stable whatever its dates.
    unchanged_patterns: tuple[str, ...] = ()
    reason: str  # why these numbers (for reviewers)


class Feature(Strict):
    """A clinical element («Anemi»); present when any of its sources says so."""

    label: str  # Norwegian, as shown in cards
    cite: Citation
    sources: tuple[FeatureSource, ...]
    change: ChangeSpec | None = None  # new / worse / stable, for ``changed: true`` terms
    # Recorded explanations: when one holds, the finding does not count in any rule (it is not
    # «uforklart», or not a sign of this cancer) and cards say why (Assessment.explained).
    explained_by: tuple[Explanation, ...] = ()
    note: str | None = None  # why these sources / thresholds (for reviewers)

    @model_validator(mode="after")
    def _worsening_has_a_lab_source(self) -> Feature:
        if self.change is not None:
            labs = {s.analyte for s in self.sources if isinstance(s, LabSource)}
            for analyte in self.change.worsening:
                if analyte not in labs:
                    raise ValueError(
                        f"change.worsening: {analyte!r} has no lab source in this feature "
                        "(its direction comes from that source)"
                    )
        return self


# --- rule expressions -------------------------------------------------------------------------


class FeatureTerm(Strict):
    """The feature is present; with ``changed``, only when it is new or worse (Feature.change)."""

    feature: str
    changed: bool = False
    label: str | None = None


class AllTerm(Strict):
    all: tuple[Term, ...]
    label: str | None = None


class AnyTerm(Strict):
    any: tuple[Term, ...]
    label: str | None = None


class AtLeastTerm(Strict):
    at_least: int
    of: tuple[Term, ...]
    label: str | None = None


class NotTerm(Strict):
    not_: Term = Field(alias="not")
    label: str | None = None


class FlagTerm(Strict):
    """A fact about the situation rather than the patient.

    ``filter_tests_incomplete``: a filter test marked ``trigger`` is missing or stale.
    ``draft_labelled``: a draft order in ``draftOrders`` is labelled with this pathway's title.
    ``related_draft_referral``: a draft referral concerns this pathway's features (its reason codes
    match a feature's code set, its reason references point at evidence, or its text names the
    pathway).
    """

    flag: Literal["filter_tests_incomplete", "draft_labelled", "related_draft_referral"]
    label: str | None = None


class AgeTerm(Strict):
    """The patient's age in whole years is below ``age_below`` / at least ``age_at_least``.

    Unknown age never satisfies an age term.
    """

    age_below: int | None = None
    age_at_least: int | None = None
    label: str | None = None


class DraftOrderTerm(Strict):
    """A draft order matches (e.g. a biopsy or excision of the lump). Matching drafts are kept in
    ``Assessment.blocked_orders`` so a ``stop_order`` card can suggest deleting them."""

    draft_order: DraftOrderMatch
    label: str | None = None


Term = FeatureTerm | AllTerm | AnyTerm | AtLeastTerm | NotTerm | FlagTerm | AgeTerm | DraftOrderTerm


Outcome = Literal[
    "acute", "begrunnet", "mistanke", "not_met", "unsupported_referral", "advice", "stop_order"
]


class Advice(Strict):
    """The card text of an ``advice`` or ``stop_order`` rule (Norwegian).

    ``advice``: a card that redirects (children to the paediatric department; positive faecal
    blood to another pathway). ``stop_order``: a critical card that suggests deleting the matching
    draft orders (``blocked_orders``) and, depending on what the other rules conclude
    (``Assessment.stop_then``), referring or ordering the missing examinations instead.
    """

    indicator: Literal["info", "warning", "critical"]
    summary: str = Field(max_length=139)
    detail: str  # GitHub-flavoured Markdown, no HTML; quote the source


class Rule(Strict):
    """When ``when`` holds (for one of ``hooks``), the pathway's outcome is ``outcome``.

    Rules are tried in file order; the first that holds decides. ``unmet_of`` names the rule
    whose failed top-level terms explain a ``not_met``/``unsupported_referral`` card.
    """

    id: str
    outcome: Outcome
    cite: tuple[Citation, ...]
    when: Term
    hooks: tuple[HookName, ...] = ALL_HOOKS
    unmet_of: str | None = None
    # Filter tests this rule is about (ids): the ``filter_tests_incomplete`` flag and the mistanke
    # card consider only these. Empty: every filter test of the pathway.
    filter_tests: tuple[str, ...] = ()
    # False: the card lists no filter tests (when which examination applies depends on the
    # presentation, e.g. sarkom's «signed without grounds» card).
    show_filter_tests: bool = True
    advice: Advice | None = None  # required for advice / stop_order outcomes
    receiver_kind: str | None = None  # which receivers fit a referral from this rule ("bone")
    note: str | None = None

    @model_validator(mode="after")
    def _advice_when_needed(self) -> Rule:
        if self.outcome in ("advice", "stop_order") and self.advice is None:
            raise ValueError(f"rule {self.id}: outcome {self.outcome} needs advice")
        return self


class FilterTest(Strict):
    """A test the GP must take before referral (``Filterfunksjon``)."""

    id: str
    label: str
    analytes: tuple[str, ...] = ()  # any one of these, within max_age_days, counts as taken
    # Or an examination: a DiagnosticReport of these kinds/modalities (e.g. radiology "MR")
    # whose title matches one of report_title_patterns (if given).
    report_kinds: tuple[Literal["radiology", "pathology", "laboratory", "other"], ...] = ()
    modalities: tuple[Literal["MR", "CT", "RTG", "UL"], ...] = ()
    report_title_patterns: tuple[str, ...] = ()
    max_age_days: int
    trigger: bool = False  # missing/stale triggers the mistanke card
    sex: Literal["female", "male"] | None = None  # only for this sex (e.g. PSA: men)
    min_age: int | None = None  # only from this age (e.g. PSA: over 50 -> 51)
    # What to order when missing; default: the first analyte's `order` code, as a lab order.
    order: CodeRef | None = None
    order_category: Literal["laboratory", "imaging"] = "laboratory"
    cite: Citation

    @model_validator(mode="after")
    def _something_to_check(self) -> FilterTest:
        if not self.analytes and not self.report_kinds:
            raise ValueError(f"filter test {self.id}: give analytes or report_kinds")
        return self


class PathwayTime(Strict):
    label: str  # "Fra henvisning mottatt til første fremmøte ved utredende avdeling"
    time: str  # "7 kalenderdager"
    cite: Citation


class ReferralSpec(Strict):
    """What the pre-filled referral must say and carry."""

    label: str  # «Pakkeforløp for myelomatose» — the exact marking the source demands
    label_cite: Citation
    performer_type: str  # Norwegian text for ServiceRequest.performerType
    performer_type_code: CodeRef | None = None
    performer_cite: Citation
    content: tuple[ReferralContent, ...]
    patient_information: tuple[str, ...]  # what the patient is told, word for word from source
    patient_information_cite: Citation
    acute_instruction: str | None = None
    acute_cite: Citation | None = None
    already_referred_days: int  # a labelled referral this recent suppresses new suggestions


class ReferralContent(Strict):
    """An item the source says the referral must contain (medications, comorbidity, frailty)."""

    id: Literal["medications", "comorbidity", "frailty"]
    label: str  # Norwegian
    analytes: tuple[str, ...] = ()  # for frailty: score analytes
    cite: Citation


class SourceInfo(Strict):
    label: str  # card.source.label
    url: str  # card.source.url and the main link
    links: tuple[LinkInfo, ...] = ()


class LinkInfo(Strict):
    """A further link on the pathway's cards. ``label`` says what it is (a card shows at most
    three links); ``kind`` orders them: ``guideline`` and ``related`` pages in file order, then
    ``registration`` (the hospitals' coding guidance, least useful to a GP) last."""

    label: str
    url: str
    kind: Literal["guideline", "related", "registration"] = "related"
    # Rule ids whose cards show this link (empty: every card of the pathway). The colorectal
    # pathway page belongs on the faecal-blood advice card, not on every diagnostic card.
    rules: tuple[str, ...] = ()


class Receiver(Strict):
    """A receiving unit (e.g. a sarcoma centre) and the health regions it serves.

    ``kinds`` says which referrals it takes (rule.receiver_kind, e.g. "bone", "soft_tissue");
    empty: all. The region is read from the patient's county or postal code (CodeBook.regions).
    """

    name: str
    regions: tuple[str, ...]
    kinds: tuple[str, ...] = ()
    cite: Citation


class RegistrationCode(Strict):
    code: str
    display: str


class Explanation(Strict):
    """A recorded cause that explains a finding away (Feature.explained_by).

    ``when`` is a rule term over the pathway's *other* features (no flags, ages or draft
    orders: an explanation is a fact about the patient); ``label`` is the Norwegian reason
    shown on the card («planlagt vektreduksjon»); ``cite`` the sentence that makes the
    explanation matter (e.g. «Uforklarlig anemi»), when there is one.
    """

    when: Term
    label: str
    cite: Citation | None = None
    note: str | None = None


class Pathway(Strict):
    """One criteria file."""

    id: str  # "myelomatose"; never reused
    version: str  # semver: fix = patch, new criterion = minor, removal/rename = major
    effective: date
    title: str  # "Pakkeforløp for myelomatose"
    code: str  # "A04"
    organ_specific: bool = True
    registration_codes: tuple[RegistrationCode, ...]
    source: SourceInfo
    features: dict[str, Feature]
    rules: tuple[Rule, ...]
    filter_tests: tuple[FilterTest, ...] = ()
    referral: ReferralSpec
    times: tuple[PathwayTime, ...]
    acute_times: tuple[PathwayTime, ...] = ()
    receivers: tuple[Receiver, ...] = ()

    @model_validator(mode="after")
    def _references_resolve(self) -> Pathway:
        rule_ids = {r.id for r in self.rules}
        if len(rule_ids) != len(self.rules):
            raise ValueError("duplicate rule id")
        for link in self.source.links:
            for rid in link.rules:
                if rid not in rule_ids:
                    raise ValueError(f"source.links {link.label!r}: unknown rule {rid!r}")
        for rule in self.rules:
            if rule.unmet_of is not None and rule.unmet_of not in rule_ids:
                raise ValueError(f"rule {rule.id}: unmet_of names unknown rule {rule.unmet_of}")
            for name in feature_names(rule.when):
                if name not in self.features:
                    raise ValueError(f"rule {rule.id}: unknown feature {name!r}")
            for name in _changed_names(rule.when):
                if self.features[name].change is None:
                    raise ValueError(
                        f"rule {rule.id}: feature {name!r} is used with changed: true "
                        "but has no change: block"
                    )
        explained = {f for f, feat in self.features.items() if feat.explained_by}
        for fid, feature in self.features.items():
            for explanation in feature.explained_by:
                for name in feature_names(explanation.when):
                    if name not in self.features:
                        raise ValueError(f"feature {fid}: explanation names unknown {name!r}")
                    if name in explained:
                        # One pass, no chains: an explanation rests on plain findings only.
                        raise ValueError(
                            f"feature {fid}: explanation uses {name!r}, which is itself "
                            "explained_by something"
                        )
                if not _only_features(explanation.when):
                    raise ValueError(
                        f"feature {fid}: an explanation may only combine features "
                        "(all/any/at_least/not), not flags, ages or draft orders"
                    )
        return self


def sub_terms(term: Term) -> tuple[Term, ...]:
    """The parts of an ``all``/``any``/``at_least`` term; () for any other term (the part of a
    ``not`` is ``term.not_``: walkers decide themselves whether to look under a negation)."""
    if isinstance(term, AllTerm):
        return term.all
    if isinstance(term, AnyTerm):
        return term.any
    if isinstance(term, AtLeastTerm):
        return term.of
    return ()


def feature_names(term: Term) -> list[str]:
    """Every feature id a rule expression mentions (a draft-order term's ``same_place_as`` too)."""
    if isinstance(term, FeatureTerm):
        return [term.feature]
    if isinstance(term, DraftOrderTerm):
        return list(term.draft_order.same_place_as)
    if isinstance(term, NotTerm):
        return feature_names(term.not_)
    return [n for t in sub_terms(term) for n in feature_names(t)]


def _changed_names(term: Term) -> list[str]:
    """Feature ids a rule expression uses with ``changed: true``."""
    if isinstance(term, FeatureTerm):
        return [term.feature] if term.changed else []
    if isinstance(term, NotTerm):
        return _changed_names(term.not_)
    return [n for t in sub_terms(term) for n in _changed_names(t)]


def _only_features(term: Term) -> bool:
    """The term combines feature terms only."""
    if isinstance(term, FeatureTerm):
        return not term.changed
    if isinstance(term, NotTerm):
        return _only_features(term.not_)
    parts = sub_terms(term)
    return bool(parts) and all(_only_features(t) for t in parts)


for _model in (
    AllTerm,
    AnyTerm,
    AtLeastTerm,
    NotTerm,
    Explanation,
    Feature,
    Rule,
    ReferralSpec,
    SourceInfo,
    Pathway,
):
    _model.model_rebuild()
