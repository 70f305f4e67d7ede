"""The schema every criteria file must satisfy, checked at start-up (``extra="forbid"``, frozen).

A criteria file (``criteria/<pathway>.yaml``) holds one pathway: its identity and sources, the
*features* (clinical elements such as «Anemi») with the record sources that establish them, the
*rules* that combine features into an outcome, the *filter tests* the GP must take first, and
what the referral must contain. Code lists live in ``criteria/codes/*.yaml``. Every key is
documented in ``criteria/README.md``; every rule and feature quotes its source word for word.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar, Literal, TypeAlias

from pydantic import Field, model_validator

from cds.criteria.base import Citation, Strict
from cds.criteria.clock import PathwayTime, RegistrationCode, TimelineSpec
from cds.criteria.codebook import CodeRef
from cds.criteria.expressions import Term, changed_names, feature_names, only_features
from cds.hooks import HOOK_NAMES, HookName

# Every hook we answer (cds/hooks.py). Not a default of ``Rule.hooks`` for criteria files: the
# loader refuses a rule that does not name its hooks (a new hook must not apply every rule).
ALL_HOOKS: tuple[HookName, ...] = HOOK_NAMES


# --- feature sources ---------------------------------------------------------------------------


class SourceModel(Strict):
    """Base of every feature source kind (``lab``, ``text``, ...; criteria/README.md).

    The kinds live in ``cds/evaluate/sources/``, one module each with its model, its load-time
    check and its evaluation; that package's table builds the union of ``Feature.sources`` and
    installs it here (:func:`install_source_kinds`), so that this module stays a leaf that
    imports neither facts nor evaluate. The methods below are the questions the rest of the code
    asks a source without naming its kind; a kind overrides the ones that apply to it.
    """

    # The source judges a measured number (lab value, corrected calcium): a flag is not one.
    judges_number: ClassVar[bool] = False

    def lab_analyte(self) -> str | None:
        """The analyte of a plain ``lab`` source (its direction is the direction of change)."""
        return None

    def supersedes(self) -> tuple[str, ...]:
        """Analytes whose plain ``lab`` sources in the same feature are only a fallback."""
        return ()

    def filter_analytes(self) -> tuple[str, ...]:
        """Analytes whose filter test may show an earlier result of this source (aged out)."""
        return ()

    def diagnosis_codesets(self) -> tuple[str, ...]:
        """Code sets of diagnoses the source reads (a draft referral naming one is related)."""
        return ()

    def lab_reach(self, widen_days: int) -> dict[str, int] | None:
        """Days before today the source may read each analyte's lab results, its window widened
        to at least ``widen_days`` (``cds.evaluate.horizon``). Kinds that read no lab results
        return ``{}``; ``None`` (not declared) leaves every old result read."""
        return None


if TYPE_CHECKING:
    # Statically every source is a SourceModel; at run time the name is the discriminated union
    # that cds.evaluate.sources installs (pydantic resolves it on the rebuild).
    FeatureSource: TypeAlias = SourceModel


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
    # Case-insensitive regexes: a piece of evidence dated within ``new_days`` whose text says the
    # finding is growing («Økende M-komponent, nå 12 g/L») makes it worse, numbers or not.
    worsening_patterns: tuple[str, ...] = ()
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
            labs = {s.lab_analyte() for s in self.sources}
            for analyte in self.change.worsening:
                if analyte not in labs:
                    raise ValueError(
                        f"change.worsening: {analyte!r} has no lab source in this feature "
                        "(its direction comes from that source)"
                    )
        return self


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
    # Criteria files must name them: the loader refuses a rule without ``hooks`` (the default
    # serves hand-built models in tests only).
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
    # The cause must come first: some evidence of the explaining features is dated on or before
    # the newest evidence of the finding (or is undated). A weight-loss medicine started after the
    # last weighing that shows the loss did not cause it. Off where the cause is found *because*
    # of the finding (hyperparathyroidism coded after the raised calcium, iron started after the
    # low Hb): there the later date is the point.
    cause_first: bool = False
    # With ``cause_first``: the cause must be dated at least this many days before the finding
    # (a sarcoma known for a week before a specimen report is no «uventet sarkomdiagnose»; one
    # coded the day the report came is the report's own diagnosis).
    cause_days_before: int = Field(default=0, ge=0, le=365)
    note: str | None = None

    @model_validator(mode="after")
    def _days_need_cause_first(self) -> Explanation:
        if self.cause_days_before and not self.cause_first:
            raise ValueError("cause_days_before needs cause_first: true")
        return self


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
    # How the record shows events nobody registered (cds.criteria.clock); None: no clock.
    timeline: TimelineSpec | None = None

    @model_validator(mode="after")
    def _references_resolve(self) -> Pathway:
        codes = [c.code for c in self.registration_codes]
        if len(set(codes)) != len(codes):
            raise ValueError("duplicate registration code")
        events = {c.event for c in self.registration_codes}
        for t in self.times:
            for event in (t.start, t.end):
                if event is not None and event not in events:
                    raise ValueError(f"times {t.label!r}: no registration code for event {event!r}")
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
            for name in changed_names(rule.when):
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
                if not only_features(explanation.when):
                    raise ValueError(
                        f"feature {fid}: an explanation may only combine features "
                        "(all/any/at_least/not), not flags, ages or draft orders"
                    )
        return self


def install_source_kinds(union: object) -> None:
    """Makes ``union`` (``cds.evaluate.sources.FeatureSource``) the item type of
    ``Feature.sources`` and rebuilds the models that contain it. Called once, by that table."""
    namespace = {"FeatureSource": union}
    for model in (Feature, Pathway):
        model.model_rebuild(force=True, _types_namespace=namespace)


for _model in (Explanation, Rule, ReferralSpec, SourceInfo):
    _model.model_rebuild()
