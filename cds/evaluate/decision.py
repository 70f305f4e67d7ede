"""One decision per card: everything the render stage words, chosen here, in the evaluate stage.

An :class:`~cds.evaluate.model.Assessment` says what a pathway concludes; a :class:`CardDecision`
adds what its card must show, so that render only words it (docs/architecture.md «Cards a GP
reads in ten seconds»): the deciding rule (looked up once, here), the findings that count (those
the deciding rule names, the acute alternatives, the other relevant ones), the filter tests
missing with what to order them by, the quotes to show, the GP's draft referral to update, the
draft orders to delete and whether they can be, and the referral's content (active medications,
comorbidity, the newest frailty score). :func:`plan_cards` applies the «Several pathways» policy
(:func:`cds.evaluate.combine.combine`) to the decisions of one hook call: the cards to render,
the merged begrunnet group with its recommended member and the quote that says why.

Pure, like the rest of the stage: facts, criteria and the assessment in, frozen dataclasses out.
The only FHIR JSON is the draft referral, carried untouched (``PatientFacts.draft_resources``)
because a CDS Hooks ``update`` must return the whole resource.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from cds.criteria.codebook import CodeBook, CodeRef
from cds.criteria.expressions import AllTerm, FeatureTerm, NotTerm, Term, feature_names, sub_terms
from cds.criteria.identity import by_identity
from cds.criteria.schema import Advice, FilterTest, Pathway, ReferralContent, Rule
from cds.evaluate.combine import Dropped, combine
from cds.evaluate.model import Assessment, FeatureHit, FilterTestStatus
from cds.evaluate.referral_state import applies
from cds.facts.model import ConditionFact, LabResult, MedicationFact, OrderFact, PatientFacts

# A FHIR id as a relative reference: what a delete action's resourceId must look like.
_RELATIVE_REF = re.compile(r"^[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")


@dataclass(frozen=True, slots=True)
class Quote:
    """A source sentence to show (``parts`` joined with «…» when several list items stand in for
    one sentence), with the section it stands under; the source is the pathway's."""

    parts: tuple[str, ...]
    section: str


@dataclass(frozen=True, slots=True)
class MissingTest:
    """A filter test the card asks for: missing or stale, meant for this patient, named by the
    deciding rule (or any when it names none).

    ``test`` is None only when the criteria lack the id (a test-built assessment).
    ``order_codes``: what to order it by, best first — the test's own ``order`` code, else the
    ``order`` codes of its analytes in order («kalsium eller fritt kalsium»); render takes the
    first it can emit. ``analytes``: the analytes' labels, for the order's narrative.
    """

    status: FilterTestStatus
    test: FilterTest | None
    order_codes: tuple[CodeRef, ...] = ()
    analytes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BlockedOrder:
    """A draft order the deciding stop_order rule objects to.

    ``name`` is the draft's own name (``OrderFact.name``), None when it has none; ``deletable``:
    a ServiceRequest the request carries with a proper relative id, which a suggestion may
    delete (anything else is left to the GP; the card names it).
    """

    ref: str
    name: str | None
    deletable: bool


@dataclass(frozen=True, slots=True)
class CardDecision:
    """What one pathway's card shows, decided (see the module docstring).

    ``findings``: present findings to report, in criteria-file order (features only named as
    explanations are left out). ``used``: those the deciding rule names (all of ``findings`` when
    it names none); ``others``: the rest; ``acute``: the alternatives that made an acute rule hold
    (``any``/``at_least`` parts), else ``used``. ``draft``: the GP's draft referral (raw JSON) to
    update, None when there is none or the request did not carry it.
    """

    pathway: Pathway
    assessment: Assessment
    rule: Rule | None = None
    findings: tuple[FeatureHit, ...] = ()
    used: tuple[FeatureHit, ...] = ()
    others: tuple[FeatureHit, ...] = ()
    acute: tuple[FeatureHit, ...] = ()
    missing_tests: tuple[MissingTest, ...] = ()
    filter_quote: Quote | None = None
    # Referral content ids the filter-test list already asks for (said once on the card).
    listed_content: tuple[str, ...] = ()
    advice: Advice | None = None  # the deciding rule's own text (advice, stop_order)
    stop_advice: Advice | None = None  # the advice the patient meets beneath a stop_order
    draft: Mapping[str, object] | None = None
    draft_name: str | None = None  # the draft referral's own name (a stop_order replaces it)
    blocked: tuple[BlockedOrder, ...] = ()
    medications: tuple[MedicationFact, ...] = ()  # active
    comorbidities: tuple[ConditionFact, ...] = ()  # active, not evidence of a finding
    frailty: LabResult | None = None  # the newest frailty score
    frailty_spec: ReferralContent | None = None
    # Referral content whose results exist but are too old (the card says «ikke oppdatert»).
    outdated_content: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GroupDecision:
    """Several begrunnet pathways as one card (combine's ``BegrunnetGroup``): ``members``
    organ-specific first, ``recommended`` the index of the member to mark ``isRecommended`` (None
    when none stands out), ``quote`` the diagnostic pathway's criterion that puts organ-specific
    work-up first (``Citation.organ_specific_first``), when a diagnostic member's rule cites it."""

    members: tuple[CardDecision, ...]
    recommended: int | None
    quote: tuple[Pathway, Quote] | None = None


@dataclass(frozen=True, slots=True)
class CardPlan:
    """The cards of one hook call: ``singles`` (one card each) and ``groups`` in registry order,
    ``referred`` (every pathway referral within its window), ``dropped`` (what the policy kept
    from the GP), ``decisions`` (all, registry order: cards are ordered by it)."""

    singles: tuple[CardDecision, ...] = ()
    groups: tuple[GroupDecision, ...] = ()
    referred: tuple[tuple[Pathway, OrderFact], ...] = ()
    dropped: tuple[Dropped, ...] = ()
    decisions: tuple[CardDecision, ...] = field(default=(), compare=False)


def decide(
    pathway: Pathway, assessment: Assessment, facts: PatientFacts, codebook: CodeBook
) -> CardDecision:
    """The card decision for one pathway's assessment."""
    rule = rule_by_id(pathway, assessment.rule)
    findings = reportable(pathway, assessment)
    named = _rule_features(rule, alternatives_only=False)
    used = tuple(h for h in findings if h.feature in named) or findings
    alternatives = _rule_features(rule, alternatives_only=True)
    acute = tuple(h for h in findings if h.feature in alternatives) or used
    missing = _missing_tests(pathway, rule, assessment, facts, codebook)
    stop_then = rule_by_id(pathway, assessment.stop_then_rule)
    evidence_refs = {ev.ref for hit in findings for ev in hit.evidence}
    frailty_spec = next((c for c in pathway.referral.content if c.id == "frailty"), None)
    listed = {a for m in missing if m.test is not None for a in m.test.analytes}
    return CardDecision(
        pathway=pathway,
        assessment=assessment,
        rule=rule,
        findings=findings,
        used=used,
        others=tuple(h for h in findings if h not in used),
        acute=acute,
        missing_tests=missing,
        filter_quote=_filter_quote(pathway, rule, missing),
        listed_content=tuple(
            c.id for c in pathway.referral.content if listed.intersection(c.analytes)
        ),
        advice=rule.advice if rule is not None else None,
        stop_advice=stop_then.advice if stop_then is not None else None,
        draft=_draft(assessment, facts),
        draft_name=(
            _order_name(assessment.draft_referral.ref, facts) if assessment.draft_referral else None
        ),
        blocked=tuple(_blocked(ref, facts) for ref in assessment.blocked_orders),
        medications=tuple(m for m in facts.medications if m.active),
        comorbidities=tuple(c for c in facts.conditions if c.active and c.ref not in evidence_refs),
        frailty=_newest_lab(facts, frailty_spec.analytes) if frailty_spec else None,
        frailty_spec=frailty_spec,
        outdated_content=tuple(
            c.id
            for c in pathway.referral.content
            if c.id in assessment.missing_content
            and c.analytes
            and any(facts.labs.get(a) for a in c.analytes)
        ),
    )


def plan_cards(decisions: Sequence[CardDecision]) -> CardPlan:
    """The «Several pathways» policy over one hook call's decisions (registry order)."""
    combined = combine([(d.pathway, d.assessment) for d in decisions])
    # By assessment identity: the same pathway may appear twice (tests).
    by_assessment = {id(d.assessment): d for d in decisions}
    groups = []
    for group in combined.groups:
        members = tuple(by_assessment[id(a)] for _, a in group.members)
        recommended = (
            next(i for i, m in enumerate(group.members) if m is group.recommended)
            if group.recommended is not None
            else None
        )
        groups.append(GroupDecision(members, recommended, _organ_quote(members)))
    return CardPlan(
        singles=tuple(by_assessment[id(a)] for _, a in combined.singles),
        groups=tuple(groups),
        referred=tuple(
            (p, a.already_referred) for p, a in combined.referred if a.already_referred is not None
        ),
        dropped=combined.dropped,
        decisions=tuple(decisions),
    )


def rule_by_id(pathway: Pathway, rule_id: str | None) -> Rule | None:
    """The pathway's rule with this id (the one place an assessment's rule id is looked up)."""
    return next((r for r in pathway.rules if r.id == rule_id), None)


@by_identity
def _feature_order(pathway: Pathway) -> dict[str, int]:
    return {name: i for i, name in enumerate(pathway.features)}


@by_identity
def _ruled_features(pathway: Pathway) -> frozenset[str]:
    """Every feature some rule of the pathway names (per pathway, once)."""
    return frozenset(name for rule in pathway.rules for name in feature_names(rule.when))


def reportable(pathway: Pathway, assessment: Assessment) -> tuple[FeatureHit, ...]:
    """Present findings in criteria-file order (unknown feature ids last, as given).

    Features that only serve as explanations of others (a weight-loss medicine, a coded
    hyperparathyroidism; named by no rule) are not findings to report: the card words them
    where they explain something (cds.render.explained).
    """
    order = _feature_order(pathway)
    ruled = _ruled_features(pathway)
    return tuple(
        sorted(
            (h for h in assessment.hits.values() if h.feature in ruled or h.feature not in order),
            key=lambda h: order.get(h.feature, len(order)),
        )
    )


def _rule_features(rule: Rule | None, *, alternatives_only: bool) -> set[str]:
    if rule is None:
        return set()
    found = _alternative_features(rule) if alternatives_only else _all_features(rule)
    return set(found)


# Per rule, once (cds.criteria.identity): asked for every card of every call.
@by_identity
def _all_features(rule: Rule) -> frozenset[str]:
    return frozenset(_term_features(rule.when, inside_alternative=True))


@by_identity
def _alternative_features(rule: Rule) -> frozenset[str]:
    return frozenset(_term_features(rule.when, inside_alternative=False))


def _term_features(term: Term, *, inside_alternative: bool) -> Iterable[str]:
    """Feature ids a rule term requires positively (``not`` terms are skipped: absent features)."""
    if isinstance(term, FeatureTerm):
        if inside_alternative:
            yield term.feature
    elif not isinstance(term, NotTerm):
        # The parts of an any/at_least are alternatives; those of an all keep the caller's view.
        alternative = inside_alternative or not isinstance(term, AllTerm)
        for sub in sub_terms(term):
            yield from _term_features(sub, inside_alternative=alternative)


def _missing_tests(
    pathway: Pathway,
    rule: Rule | None,
    assessment: Assessment,
    facts: PatientFacts,
    codebook: CodeBook,
) -> tuple[MissingTest, ...]:
    """Missing/stale filter tests the card is about, in criteria-file order.

    The engine already narrowed the statuses to the deciding rule's tests and to the tests that
    apply to the patient (:func:`cds.evaluate.referral_state.applies`, the one definition: an
    unknown sex or age does not qualify a patient for a sex- or age-restricted test); both are
    checked again for assessments built some other way, with the same definition.
    """
    wanted = set(rule.filter_tests) if rule is not None and rule.filter_tests else None
    tests = {t.id: t for t in pathway.filter_tests}
    out = []
    for status in assessment.missing_filter_tests:
        if wanted is not None and status.test not in wanted:
            continue
        test = tests.get(status.test)
        if test is not None and not applies(test, facts):
            continue
        out.append(_missing(status, test, codebook))
    return tuple(out)


def _missing(status: FilterTestStatus, test: FilterTest | None, codebook: CodeBook) -> MissingTest:
    if test is None:
        return MissingTest(status, None)
    analytes = [codebook.analytes[a] for a in test.analytes if a in codebook.analytes]
    codes = (test.order,) if test.order else tuple(a.order for a in analytes if a.order)
    return MissingTest(status, test, codes, tuple(a.label for a in analytes))


def _filter_quote(
    pathway: Pathway, rule: Rule | None, missing: Sequence[MissingTest]
) -> Quote | None:
    """The source's filter-test sentence, once, with its section.

    Criteria files cite each filter test by its own list item («Proteinelektroforese») and the
    rule by the sentence that introduces the list («Ved mistanke om myelomatose skal fastlegen
    ta:»). The introducing sentence says *why* the tests are listed, so it wins; without it the
    tests' own quotes stand in (render joins them with «…» for the omitted text between them).
    """
    ids = {m.status.test for m in missing}
    tests = [t for t in pathway.filter_tests if t.id in ids]
    if not tests:
        return None
    section = tests[0].cite.section
    intro = [c.quote for c in (rule.cite if rule else ()) if c.section == section]
    quotes = intro[:1] or list(
        dict.fromkeys(t.cite.quote for t in tests if t.cite.section == section)
    )
    return Quote(tuple(quotes), section)


def _organ_quote(members: Sequence[CardDecision]) -> tuple[Pathway, Quote] | None:
    """The diagnostic pathway's own criterion about organ-specific assessment, if its deciding
    rule cites it («Sykdomsbildet tilsier at organspesifikk utredning ikke er hensiktsmessig»)."""
    if all(m.pathway.organ_specific for m in members):
        return None
    for member in members:
        if member.pathway.organ_specific or member.rule is None:
            continue
        for cite in member.rule.cite:
            if cite.organ_specific_first:
                return member.pathway, Quote((cite.quote,), cite.section)
    return None


def _draft(assessment: Assessment, facts: PatientFacts) -> Mapping[str, object] | None:
    """The raw draft referral evaluate named, when the request carried it as a ServiceRequest."""
    order = assessment.draft_referral
    if order is None or order.resource_type != "ServiceRequest":
        return None
    return facts.draft_resources.get(order.ref)


def _blocked(ref: str, facts: PatientFacts) -> BlockedOrder:
    deletable = (
        ref.startswith("ServiceRequest/")
        and _RELATIVE_REF.match(ref) is not None
        and ref in facts.draft_resources
    )
    return BlockedOrder(ref, _order_name(ref, facts), deletable)


def _order_name(ref: str, facts: PatientFacts) -> str | None:
    """A draft order's own name, else its first text (lower-cased by the facts stage)."""
    order = next((o for o in facts.draft_orders if o.ref == ref), None)
    if order is None:
        return None
    return order.name or (order.labels[0] if order.labels else None)


def _newest_lab(facts: PatientFacts, analytes: Iterable[str]) -> LabResult | None:
    results = [r for a in analytes if (r := facts.latest(a)) is not None]
    # Undated results sort last: a dated score is the better statement of current frailty.
    return max(results, key=lambda r: (r.when is not None, r.when or date.min), default=None)
