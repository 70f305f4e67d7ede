"""The pre-filled referral: a FHIR R4 ``ServiceRequest`` marked for one pakkeforløp.

What the referral must carry comes from the pathway document, section «Henvisning til
pakkeforløp» (001_886705ff86f0ea9c.txt for myelomatose): the begrunnet mistanke, «viktig
informasjon om pasienten, som f.eks: medikamenter, komorbiditet, skrøpelighetsvurdering», and the
marking «Pakkeforløp for myelomatose». In FHIR terms (profile
``fhir_profiles/StructureDefinition-pakkeforlop-henvisning.json``):

* ``code`` = the pathway code in our own code system plus ``text`` = the exact marking;
* ``reasonReference`` = every piece of evidence behind the present features;
* ``supportingInfo`` = active medications, other active conditions, the newest frailty score;
* ``note`` = the begrunnet mistanke in one sentence; ``text`` = a letter-like narrative.

A pathway with receivers (the sarcoma centres) gets the chosen one as ``performer`` (display
only: the centres are named in the source, not identified by an address-book id); the card offers
one referral per receiver so the GP can choose another.

When the GP already has a draft referral in ``draftOrders``, CDS Hooks requires an ``update``
action to carry the *whole* resource (checklist §1.6 item 30), so we start from the draft, keep
its id and everything we do not own (its notes, its reason codes, its performer unless we suggest
another receiver ...), and add or overwrite our elements (``cds.render.draft_merge``).

Every referral built here is checked against our profile (cardinalities and fixed values,
``cds.profile``) before it leaves; a failure is a bug and raises :class:`RenderError`. A merged
draft is also validated with ``fhir.resources`` (R4B), because it carries elements we did not
build: a draft we cannot make valid is not updated (the card offers a new referral instead). A
referral we build from nothing is not: that cost half the render time of every call (issue 10)
and could only find a bug of ours, which the tests find first — every resource any test's
response carries is validated with ``fhir.resources`` and the profile (``tests/conformance.py``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import ValidationError

from cds.criteria.schema import Pathway, ReferralContent
from cds.evaluate.decision import CardDecision
from cds.evaluate.model import Assessment, Evidence, FeatureHit
from cds.facts.model import ConditionFact, LabResult, MedicationFact, PatientFacts
from cds.profile import validate_against
from cds.render.draft_merge import merge_draft
from cds.render.format import (
    PATHWAY_CODE_SYSTEM,
    REFERRAL_PROFILE_URL,
    SNOMED,
    coding_of,
    disease_for,
    fmt_date,
    fmt_lab,
    join_no,
    lower_first,
    one_line,
    stable_id,
)
from cds.render.narrative import (
    DatedLine,
    MedicationState,
    ReferralNarrative,
    TimeLine,
    render_referral,
)

REFERRAL_CATEGORY: dict[str, Any] = {
    "coding": [{"system": SNOMED, "code": "3457005", "display": "Patient referral"}],
    "text": "Henvisning",
}
PROFILE_NAME = "pakkeforlop-henvisning"
# The narrative shows at most this many results per feature; reasonReference carries them all.
_EVIDENCE_PER_FEATURE = 3


class RenderError(ValueError):
    """A resource we built does not validate (a bug in the render stage, never the user's)."""


@dataclass(frozen=True, slots=True)
class ReferralBasis:
    """What every referral of one decision shares, whichever receiver it is addressed to: the
    card offers one referral per receiver, and this part is the same for each (worked out once
    per card, ``CardCall.referral_basis``)."""

    reason: str
    narrative: ReferralNarrative  # its ``performer`` is filled in per receiver
    reason_references: list[dict[str, Any]]
    supporting_info: list[dict[str, Any]]


def referral_basis(decision: CardDecision, facts: PatientFacts) -> ReferralBasis:
    """The receiver-independent part of :func:`build_referral`."""
    pathway, assessment = decision.pathway, decision.assessment
    acute = assessment.outcome == "acute"
    hits, used = list(decision.findings), list(decision.used)
    medications, comorbidities = list(decision.medications), list(decision.comorbidities)
    frailty, frailty_spec = decision.frailty, decision.frailty_spec
    reason = reason_sentence(decision)
    narrative = ReferralNarrative(
        title=pathway.referral.label,
        acute=acute,
        acute_instruction=pathway.referral.acute_instruction,
        reason=reason,
        evidence=tuple(
            DatedLine(hit.label, one_line(ev.text), fmt_date(ev.when))
            for hit in used
            for ev in hit.evidence[:_EVIDENCE_PER_FEATURE]
        ),
        findings=_findings(pathway, facts, hits, used),
        medications=tuple(_medication_line(m) for m in medications),
        medication_state=_medication_state(medications, assessment),
        comorbidities=tuple(_condition_line(c) for c in comorbidities),
        frailty=_frailty_line(
            frailty, frailty_spec, outdated="frailty" in assessment.missing_content
        ),
        patient_information=pathway.referral.patient_information,
        times=tuple(TimeLine(t.label, t.time) for t in pathway.times),
        acute_times=tuple(TimeLine(t.label, t.time) for t in pathway.acute_times) if acute else (),
        performer="",
    )
    return ReferralBasis(
        reason=reason,
        narrative=narrative,
        reason_references=_reason_references(hits),
        supporting_info=_supporting_info(medications, comorbidities, frailty, frailty_spec),
    )


def build_referral(
    decision: CardDecision,
    facts: PatientFacts,
    *,
    hook_instance: str,
    requester: str | None,
    today: date,
    draft: dict[str, Any] | None,
    receiver: str | None = None,
    variant: str | None = None,
    basis: ReferralBasis | None = None,
) -> dict[str, Any]:
    """The referral ``ServiceRequest`` (FHIR R4 JSON) for a begrunnet, acute or stop_order
    assessment.

    With ``draft`` (the raw JSON of the GP's draft referral) the result is that draft, same id,
    with our elements added or overwritten; otherwise a new draft with a deterministic id.
    ``receiver`` names the receiving unit (``performer``). ``variant`` tells alternative
    referrals of one pathway apart (one per receiver) so their ids differ; None for the first.
    ``basis``: :func:`referral_basis` of the same decision, when the caller has it already.
    """
    pathway, assessment = decision.pathway, decision.assessment
    acute = assessment.outcome == "acute"
    if basis is None:
        basis = referral_basis(decision, facts)
    reason = basis.reason
    narrative = replace(basis.narrative, performer=_performer_text(pathway, receiver))

    performer_type: dict[str, Any] = {"text": pathway.referral.performer_type}
    performer_code = pathway.referral.performer_type_code
    performer_coding = coding_of(performer_code) if performer_code else None
    if performer_coding:
        performer_type["coding"] = [performer_coding]

    ours: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": stable_id(
            hook_instance, pathway.id, "referral" if variant is None else f"referral:{variant}"
        ),
        "meta": {"profile": [REFERRAL_PROFILE_URL]},
        "text": {"status": "generated", "div": render_referral(narrative)},
        "status": "draft",
        "intent": "order",
        "category": [copy.deepcopy(REFERRAL_CATEGORY)],
        "priority": "asap" if acute else "urgent",
        "code": {
            "coding": [
                {"system": PATHWAY_CODE_SYSTEM, "code": pathway.code, "display": pathway.title}
            ],
            "text": pathway.referral.label,
        },
        "subject": {"reference": facts.patient_ref},
        "authoredOn": today.isoformat(),
        "performerType": performer_type,
        # Lists of their own per referral (the merge with a draft deep-copies what it takes).
        "reasonReference": list(basis.reason_references),
        "supportingInfo": list(basis.supporting_info),
        "note": [{"text": reason}],
    }
    if requester:
        ours["requester"] = {"reference": requester}
    if receiver:
        ours["performer"] = [{"display": receiver}]
    if not ours["supportingInfo"]:
        del ours["supportingInfo"]  # FHIR and CDS Hooks both forbid empty arrays

    if draft is None:
        check_profile(ours)
        return ours
    resource = merge_draft(draft, ours)
    check_resource(resource)
    return resource


def check_resource(resource: dict[str, Any]) -> None:
    """Raise :class:`RenderError` unless ``resource`` is a valid R4B ServiceRequest meeting our
    profile. Messages name element paths only, never values: values may be patient data."""
    try:
        ServiceRequest.model_validate(resource)
    except ValidationError as exc:
        where = sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()})
        raise RenderError(f"ServiceRequest invalid at {', '.join(where)}") from None
    check_profile(resource)


def check_profile(resource: dict[str, Any]) -> None:
    """Raise :class:`RenderError` unless ``resource`` meets our referral profile."""
    problems = validate_against(resource, PROFILE_NAME)
    if problems:
        raise RenderError("; ".join(problems))


def newest(hit: FeatureHit) -> Evidence | None:
    """The newest evidence of a hit (evaluate keeps them newest first)."""
    return hit.evidence[0] if hit.evidence else None


def evidence_phrase(hit: FeatureHit) -> str:
    """«anemi (Hb 10,9 g/dL, 01.11.2026)» for use inside a sentence."""
    ev = newest(hit)
    if ev is None:
        return lower_first(hit.label)
    return f"{lower_first(hit.label)} ({one_line(ev.text, 120)}, {fmt_date(ev.when)})"


def reason_sentence(decision: CardDecision) -> str:
    """The begrunnet mistanke in words (the referral note and the letter's first paragraph)."""
    assessment = decision.assessment
    disease = disease_for(decision.pathway)
    findings = join_no([evidence_phrase(h) for h in decision.used])
    if assessment.outcome == "acute":
        acute = join_no([lower_first(h.label) for h in decision.acute])
        return (
            f"Akutt: begrunnet mistanke om {disease} med {acute} – henvises telefonisk og "
            f"skriftlig for akutt innleggelse. Funn: {findings}."
        )
    if assessment.outcome == "stop_order":
        # Referred instead of a biopsy or operation: the rule said «mistanke», not «begrunnet».
        return f"Mistanke om {disease}: {findings}."
    return f"Begrunnet mistanke om {disease}: {findings}."


# --- content ------------------------------------------------------------------------------------


def _performer_text(pathway: Pathway, receiver: str | None) -> str:
    """«Haukeland universitetssykehus (offentlig sykehus med sarkomsenter)» for the letter."""
    kind = pathway.referral.performer_type
    return f"{receiver} ({lower_first(kind)})" if receiver else kind


def _findings(
    pathway: Pathway,
    facts: PatientFacts,
    hits: list[FeatureHit],
    used: list[FeatureHit],
) -> tuple[DatedLine, ...]:
    """Other present features whose evidence the letter has not cited yet (eGFR 24 is cited
    once, as «Nyresvikt», not again as «Redusert nyrefunksjon»), then the newest filter-test
    results not already cited."""
    used_ids = {h.feature for h in used}
    shown = {ev.ref for hit in used for ev in hit.evidence[:_EVIDENCE_PER_FEATURE]}
    lines = []
    for hit in hits:
        ev = newest(hit)
        if hit.feature in used_ids or ev is None or ev.ref in shown:
            continue
        shown.add(ev.ref)
        lines.append(DatedLine(hit.label, one_line(ev.text), fmt_date(ev.when)))
    seen: set[str] = set()
    for test in pathway.filter_tests:
        for analyte in test.analytes:
            result = facts.latest(analyte)
            if result is None or result.ref in shown or analyte in seen:
                continue
            seen.add(analyte)
            # Without the lab's own name, the filter test's label stands in; analyte ids are
            # internal and never shown.
            label = result.display or test.label
            lines.append(DatedLine("", fmt_lab(result, label), fmt_date(result.when)))
    return tuple(lines)


def _medication_line(med: MedicationFact) -> DatedLine:
    name = med.name or ", ".join(sorted(code for _, code in med.codes)) or "Legemiddel uten navn"
    return DatedLine("", one_line(name), fmt_date(med.when) if med.when else "")


def _condition_text(cond: ConditionFact) -> str:
    if cond.text:
        return one_line(cond.text)
    codes = sorted(f"{code} ({family.upper()})" for family, code in cond.codes)
    return ", ".join(codes) or "Tilstand uten tekst"


def _condition_line(cond: ConditionFact) -> DatedLine:
    return DatedLine("", _condition_text(cond), fmt_date(cond.when) if cond.when else "")


def _medication_state(meds: list[MedicationFact], assessment: Assessment) -> MedicationState:
    """«none» vs «unavailable»: an empty list is only «ingen legemidler» if the list was read.

    The evaluate stage marks ``medications`` in ``missing_content`` when the record had no
    medication data at all (prefetch not satisfied), which we must not present as «no drugs».
    """
    if meds:
        return "listed"
    return "unavailable" if "medications" in assessment.missing_content else "none"


def _frailty_text(result: LabResult, spec: ReferralContent | None) -> str:
    """«Clinical Frailty Scale 4» (the score's own name when the record gives one)."""
    return fmt_lab(result, result.display or (spec.label if spec else "Skrøpelighetsskår"))


def _frailty_line(
    result: LabResult | None, spec: ReferralContent | None, *, outdated: bool
) -> DatedLine | None:
    """The newest score; flagged when evaluate found no recent one (the card asks for a new)."""
    if result is None:
        return None
    text = _frailty_text(result, spec)
    if outdated:
        text = f"{text} – eldre vurdering, bør oppdateres"
    return DatedLine("", text, fmt_date(result.when))


def _reason_references(hits: list[FeatureHit]) -> list[dict[str, str]]:
    """Every evidence ref once, with a readable display, in feature order."""
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for hit in hits:
        for ev in hit.evidence:
            if ev.ref in seen:
                continue
            seen.add(ev.ref)
            display = f"{hit.label}: {one_line(ev.text, 200)} ({fmt_date(ev.when)})"
            out.append({"reference": ev.ref, "display": display})
    return out


def _supporting_info(
    meds: list[MedicationFact],
    conditions: list[ConditionFact],
    frailty: LabResult | None,
    frailty_spec: ReferralContent | None,
) -> list[dict[str, str]]:
    out = [{"reference": m.ref, "display": f"Legemiddel: {_medication_line(m).text}"} for m in meds]
    out += [{"reference": c.ref, "display": f"Tilstand: {_condition_text(c)}"} for c in conditions]
    if frailty is not None:
        text = _frailty_text(frailty, frailty_spec)
        out.append({"reference": frailty.ref, "display": f"Skrøpelighetsvurdering: {text}"})
    return out
