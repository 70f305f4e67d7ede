"""The explain view in words: the ``extension`` of a response asked for with ``?explain=true``,
and the same as plain text for ``cds evaluate --explain``.

The extension (key :data:`EXPLAIN_EXTENSION`, README «Explain») holds, per pathway, every rule in
file order (whether it applies to the hook, held, decided; the terms that failed) and every
feature (present with its dated evidence; explained, with the cause; not assessed, with the value
that could not be used; absent, with the clauses that named it but did not count and an earlier
positive result older than the window), each with its quoted source sentence, file and section;
then the safety nets that became cards (the referral, the missed deadline or the decision).
Labels and reasons are in Bokmål, worded like the cards (``cds.wording``). It is an addition: the
``cards`` of the response are the same with or without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from cds.criteria.base import Citation
from cds.evaluate.model import Evidence, FeatureTrace, PathwayTrace, RuleTrace, Uncounted
from cds.evaluate.safety_net_model import SafetyNet
from cds.render.followup_timeline import followup_explanation_text
from cds.wording import formats as fmt
from cds.wording.phrases import say

EXPLAIN_EXTENSION = "no.pakkeforlop-cds.explain"

# Why something a source read does not count: a clause's assertion (criteria/assertion.yaml)
# or a result older than the window.
_WHY_WORDS = {
    "negated": "benektet",
    "uncertain": "usikkert",
    "historical": "tidligere",
    "family": "gjelder en annen enn pasienten",
    "out_of_window": "eldre enn {days} dager",
}
_STATUS_WORDS = {
    "present": "til stede",
    "explained": "forklart",
    "not_assessed": "kunne ikke vurderes",
    "absent": "ikke funnet",
}


def explanation_extension(
    traces: list[PathwayTrace],
    followup: Sequence[dict[str, Any]] = (),
    nets: Sequence[SafetyNet] = (),
) -> dict[str, Any]:
    """The response ``extension`` for ``traces`` (one per pathway, registry order); when the
    patient is in a follow-up programme, its ``followup`` part
    (``cds.render.followup_timeline.followup_explanation``); and the safety nets that became
    cards (``safetyNets``: why the card is there, from the pathway clock). Empty parts are left
    out."""
    body: dict[str, Any] = {"version": 1, "pathways": [_pathway(t) for t in traces]}
    if followup:
        body["followup"] = list(followup)
    if nets:
        body["safetyNets"] = [_net(n) for n in nets]
    return {EXPLAIN_EXTENSION: body}


def _net(net: SafetyNet) -> dict[str, Any]:
    """One safety net: the episode's start, the deadline it missed or the decision after which
    findings persist, in the clock's own terms."""
    out: dict[str, Any] = {
        "pathway": net.pathway,
        "kind": net.kind,
        "level": net.level,
        "referral": net.referral.when.isoformat(),
        "status": net.timeline.status,
    }
    deadline = net.timeline.deadline
    if net.kind == "first_attendance" and deadline is not None:
        out["deadline"] = deadline.due.isoformat()
        out["daysOverdue"] = net.timeline.days_overdue
    if net.decision is not None:
        out["decision"] = net.decision.when.isoformat()
    if net.referral_ref is not None:
        out["reference"] = net.referral_ref
    return out


def _cite(citation: Citation) -> dict[str, str]:
    return {"file": citation.file, "section": citation.section, "quote": citation.quote}


def _evidence(item: Evidence) -> dict[str, Any]:
    out: dict[str, Any] = {"reference": item.ref, "text": item.text}
    if item.when is not None:
        out["date"] = item.when.isoformat()
    return out


def _rule(trace: RuleTrace) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": trace.rule,
        "outcome": trace.outcome,
        "appliesToHook": trace.for_hook,
        "deciding": trace.deciding,
        "sources": [_cite(c) for c in trace.cite],
    }
    if trace.held is not None:
        out["held"] = trace.held
    if trace.not_met:
        out["notMet"] = [say(term) for term in trace.not_met]
    return out


def _feature(trace: FeatureTrace) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": trace.feature,
        "label": trace.label,
        "status": trace.status,
        "statusText": _STATUS_WORDS[trace.status],
        "source": _cite(trace.cite),
    }
    if trace.evidence:
        out["evidence"] = [_evidence(e) for e in trace.evidence]
    if trace.reason is not None:
        out["reason"] = say(trace.reason)
    if trace.uncounted:
        out["notCounted"] = [_uncounted(u) for u in trace.uncounted]
    if trace.aged_out is not None:
        out["agedOut"] = _evidence(trace.aged_out)
    return out


def _uncounted(item: Uncounted) -> dict[str, Any]:
    out: dict[str, Any] = {"reference": item.ref, "text": say(item.says), "why": item.why}
    if item.when is not None:
        out["date"] = item.when.isoformat()
    out["whyText"] = _WHY_WORDS.get(item.why, item.why).format(days=item.window_days)
    return out


def _pathway(trace: PathwayTrace) -> dict[str, Any]:
    out: dict[str, Any] = {
        "pathway": trace.pathway,
        "version": trace.version,
        "title": trace.title,
        "alreadyReferred": trace.already_referred,
        "deceased": trace.deceased,
        "rules": [_rule(r) for r in trace.rules],
        "features": [_feature(f) for f in trace.features],
    }
    if trace.outcome is not None:
        out["outcome"] = trace.outcome
    if trace.rule is not None:
        out["rule"] = trace.rule
    return out


def _day(item: dict[str, Any]) -> str:
    """«06.11.2026» from the item's ISO date, as the cards write it."""
    raw = item.get("date")
    return fmt.day(date.fromisoformat(raw)) if isinstance(raw, str) else fmt.UNDATED


def explanation_text(extension: dict[str, Any]) -> str:
    """The extension as plain text for a terminal (``cds evaluate --explain``)."""
    lines: list[str] = []
    body = extension.get(EXPLAIN_EXTENSION, {})
    for pathway in body.get("pathways", []):
        verdict = pathway.get("outcome", "ingen kort")
        name = f"{pathway['title']} ({pathway['pathway']} {pathway['version']})"
        lines.append(f"== {name}: {verdict}")
        if pathway["alreadyReferred"]:
            lines.append("   henvist nylig: kortet holdes tilbake")
        if pathway.get("deceased"):
            lines.append("   registrert død: ingen forslag om pakkeforløp")
        for rule in pathway["rules"]:
            if not rule["appliesToHook"]:
                mark = "·"
                state = "gjelder ikke denne hooken"
            elif rule.get("held"):
                mark = "✓"
                state = "avgjør" if rule["deciding"] else "holder"
            else:
                mark = "✗"
                state = "ikke oppfylt: " + "; ".join(rule.get("notMet", []))
            lines.append(f"   {mark} {rule['id']} ({rule['outcome']}): {state}")
        for feature in pathway["features"]:
            lines.append(f"   - {feature['label']}: {feature['statusText']}")
            for item in feature.get("evidence", []):
                lines.append(f"       {item['text']} — {_day(item)} ({item['reference']})")
            if "reason" in feature:
                lines.append(f"       {feature['reason']}")
            for item in feature.get("notCounted", []):
                why = f"{item['whyText']}, {_day(item)}, {item['reference']}"
                lines.append(f"       «{item['text']}» ({why})")
            if "agedOut" in feature:
                aged = feature["agedOut"]
                lines.append(f"       eldre: {aged['text']} — {_day(aged)}")
    for net in body.get("safetyNets", []):
        what = _NET_WORDS.get(net["kind"], net["kind"])
        lines.append(f"== Sikkerhetsnett {net['pathway']}: {what}")
        when = fmt.day(date.fromisoformat(net["referral"]))
        lines.append(f"   henvist {when}")
        if "deadline" in net:
            due = fmt.day(date.fromisoformat(net["deadline"]))
            lines.append(f"   frist første fremmøte {due}, {net['daysOverdue']} dager over")
        if "decision" in net:
            lines.append(f"   avklart {fmt.day(date.fromisoformat(net['decision']))}")
    lines += followup_explanation_text(body.get("followup", []))
    return "\n".join(lines)


_NET_WORDS = {
    "first_attendance": "første fremmøte ikke registrert innen fristen",
    "not_cancer_persisting": "funn vedvarer etter «ikke kreft»",
}
