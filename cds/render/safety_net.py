"""Words for GP safety-netting (``cds.evaluate.safety_net`` decides; this module only words).

One card per :class:`~cds.evaluate.safety_net.SafetyNet`, type ``safety_net``
(``extension["no.pakkeforlop-cds.card-type"]``), with the kind beside it
(:data:`SAFETY_NET_EXTENSION`: ``first_attendance`` or ``not_cancer_persisting``) so EHRs, logs
and the golden projection can tell the two apart:

* «Henvist Pakkeforløp for sarkom 20.10.2026 – ingen time registrert»: the deadline of the first
  attendance with its forløpstid and source, the dated referral (and a transfer, when the record
  shows one); suggestions to document that the patient was contacted (a ``Communication`` about
  the referral) or to create a reminder (a ``Task`` for the GP, due in
  :data:`REMINDER_DAYS` days).
* «Pakkeforløp for sarkom avsluttet uten påvist kreft 10.11.2026 – kul fortsatt registrert»: the
  decision (its registration code when registered, else the report that denied cancer) and the
  finding recorded after it with its date; the reminder suggestion.

The sentences are phrases of the wording table (``safety_net.*``, cds/wording/phrases.py).
The resources are built from our own data; the tests validate every one with fhir.resources R4B
(tests/conformance.py does so on every response).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from cds.cdshooks import Action, Card, Coding, OverrideReason, Source, Suggestion
from cds.criteria.schema import Pathway
from cds.evaluate.safety_net_model import Persisting, SafetyNet
from cds.render.budget import CARD_TYPE_EXTENSION, DETAIL_BUDGET, Part, fit, fit_summary
from cds.render.evidence import bullets
from cds.render.format import (
    OVERRIDE_REASON_SYSTEM,
    PATHWAY_CODE_SYSTEM,
    fmt_date,
    lower_first,
    md,
    stable_id,
)
from cds.render.links import card_links
from cds.wording import msg, say

CARD_TYPE = "safety_net"
SAFETY_NET_EXTENSION = "no.pakkeforlop-cds.safety-net"
# A reminder's due date: one week, the span of a first-attendance forløpstid.
REMINDER_DAYS = 7


def safety_net_card(
    pathway: Pathway,
    net: SafetyNet,
    *,
    hook_instance: str,
    patient_ref: str,
    user_ref: str | None,
    today: date,
) -> Card:
    """The card of one safety net."""
    ids = _Ids(hook_instance, pathway.id, net.kind)
    if net.kind == "first_attendance":
        summary, parts = _no_time(pathway, net)
        suggestions = [
            _contacted(pathway, net, ids, patient_ref, user_ref, today),
            _reminder(pathway, net, ids, patient_ref, user_ref, today),
        ]
        overrides = [_reason("already-contacted", "safety_net.override_contacted"),
                     _reason("has-appointment", "safety_net.override_has_time")]
    else:
        summary, parts = _not_cancer(pathway, net)
        suggestions = [_reminder(pathway, net, ids, patient_ref, user_ref, today)]
        overrides = [_reason("finding-explained", "safety_net.override_explained"),
                     _reason("already-contacted", "safety_net.override_contacted")]
    return Card.model_validate(
        {
            "uuid": ids.of("card"),
            "summary": summary,
            "detail": fit(parts, DETAIL_BUDGET[CARD_TYPE]),
            "indicator": net.level,
            "source": Source(
                label=pathway.source.label,
                url=pathway.source.url,
                topic=Coding(system=PATHWAY_CODE_SYSTEM, code=pathway.code, display=pathway.title),
            ),
            "suggestions": suggestions,
            "selectionBehavior": "at-most-one",
            "overrideReasons": overrides,
            "links": card_links([pathway]),
            "extension": {CARD_TYPE_EXTENSION: CARD_TYPE, SAFETY_NET_EXTENSION: net.kind},
        }
    )


class _Ids:
    """Deterministic ids per hook call, pathway and safety-net kind (cds.render.format)."""

    def __init__(self, hook_instance: str, pathway_id: str, kind: str) -> None:
        self.hook_instance, self.pathway_id, self.kind = hook_instance, pathway_id, kind

    def of(self, what: str) -> str:
        return stable_id(self.hook_instance, self.pathway_id, f"{what}:safety_net:{self.kind}")


def _reason(code: str, phrase: str) -> OverrideReason:
    return OverrideReason(system=OVERRIDE_REASON_SYSTEM, code=code, display=say(msg(phrase)))


def _no_time(pathway: Pathway, net: SafetyNet) -> tuple[str, list[Part | str]]:
    timeline, start = net.timeline, net.referral
    deadline = timeline.deadline
    summary_info = say(msg("safety_net.summary_no_time", pathway=pathway.title, sent=start.when))
    summary = fit_summary(
        say(
            msg(
                "safety_net.summary_no_time_overdue",
                pathway=pathway.title,
                sent=start.when,
                days=timeline.days_overdue,
            )
        )
        if net.level == "warning"
        else summary_info,
        summary_info,
    )
    parts: list[Part | str] = []
    if deadline is not None:
        parts.append(
            say(
                msg(
                    "safety_net.due",
                    due=deadline.due,
                    days=deadline.time.days,
                    source=md(pathway.source.label),
                )
            )
            + " "
            + say(
                msg("safety_net.missed_booking", when=timeline.missed.when)
                if timeline.missed is not None
                else msg("safety_net.nothing_registered")
            )
            + " "
            + say(msg("safety_net.overdue_days", days=timeline.days_overdue))
        )
    lines = [_start_line(pathway, net)]
    transfer = timeline.seen("transfer")
    if transfer is not None:
        label = md(transfer.label or pathway.referral.label)
        lines.append(say(msg("safety_net.transfer_line", label=label, when=transfer.when)))
    parts.append(bullets(say(msg("safety_net.referral_heading")), lines))
    parts.append(say(msg("safety_net.check")))
    return summary, parts


def _start_line(pathway: Pathway, net: SafetyNet) -> str:
    start = net.referral
    if start.source == "registration":
        return say(msg("safety_net.registered_start", code=start.code or "", when=start.when))
    label = md(start.label) if start.label else say(msg("safety_net.referral"))
    marking = md(pathway.referral.label)
    return say(msg("safety_net.referral_line", label=label, marking=marking, when=start.when))


def _not_cancer(pathway: Pathway, net: SafetyNet) -> tuple[str, list[Part | str]]:
    decision = net.decision
    if decision is None or not net.persisting:  # never: evaluate sets both for this kind
        raise ValueError("a not_cancer_persisting safety net without its decision")
    first = net.persisting[0]
    summary = fit_summary(
        say(
            msg(
                "safety_net.summary_not_cancer",
                pathway=pathway.title,
                decided=decision.when,
                finding=first.label.lower(),
            )
        ),
        say(msg("safety_net.summary_not_cancer_short", decided=decision.when)),
    )
    if decision.source == "registration":
        display = _code_display(pathway, decision.code)
        head = msg(
            "safety_net.decision_registered",
            decided=decision.when,
            code=decision.code or "",
            display=md(display),
        )
    else:
        head = msg("safety_net.decision_report", decided=decision.when, label=md(decision.label))
    lines = _persisting_lines(net)
    parts: list[Part | str] = [
        say(head),
        bullets(say(msg("safety_net.persisting_heading")), lines),
        say(msg("safety_net.persist_advice")),
    ]
    return summary, parts


def _persisting_lines(net: SafetyNet) -> list[str]:
    """One bullet per piece of evidence, naming every finding resting on it (a tumour size is
    «Dyp svulst» and «Svulst over 5 cm» at once: each finding once, cds.render.evidence)."""
    by_ref: dict[str, list[Persisting]] = {}
    for item in net.persisting:
        by_ref.setdefault(item.evidence.ref, []).append(item)
    lines = []
    for items in by_ref.values():
        names = ", ".join(
            [f"**{md(items[0].label)}**", *(f"**{md(lower_first(i.label))}**" for i in items[1:])]
        )
        evidence = items[0].evidence
        lines.append(f"{names} — {md(evidence.text)} — {fmt_date(evidence.when)}")
    return lines


def _code_display(pathway: Pathway, code: str | None) -> str:
    found = next((c for c in pathway.registration_codes if c.code == code), None)
    return found.display if found is not None else ""


def _contacted(
    pathway: Pathway,
    net: SafetyNet,
    ids: _Ids,
    patient_ref: str,
    user_ref: str | None,
    today: date,
) -> Suggestion:
    """A completed Communication about the referral: the GP's note that the patient was
    contacted (the EHR files it in the journal)."""
    deadline = net.timeline.deadline
    text = say(
        msg(
            "safety_net.contacted_text",
            pathway=pathway.title,
            sent=net.referral.when,
            due=deadline.due if deadline else net.referral.when,
        )
    )
    resource: dict[str, Any] = {
        "resourceType": "Communication",
        "id": ids.of("communication"),
        "status": "completed",
        "subject": {"reference": patient_ref},
        "sent": today.isoformat(),
        "payload": [{"contentString": text}],
    }
    if net.referral_ref:
        resource["about"] = [{"reference": net.referral_ref}]
    if user_ref:
        resource["sender"] = {"reference": user_ref}
    return _create(
        say(msg("safety_net.contacted")),
        ids.of("suggestion:contacted"),
        resource,
        say(msg("safety_net.contacted_action")),
    )


def _reminder(
    pathway: Pathway,
    net: SafetyNet,
    ids: _Ids,
    patient_ref: str,
    user_ref: str | None,
    today: date,
) -> Suggestion:
    """A Task for the GP: follow the referral (or the persisting finding) up by a date."""
    until = today + timedelta(days=REMINDER_DAYS)
    if net.kind == "first_attendance":
        description = say(
            msg("safety_net.reminder_no_time", pathway=pathway.title, sent=net.referral.when)
        )
    else:
        decided = net.decision.when if net.decision else net.referral.when
        description = say(
            msg(
                "safety_net.reminder_not_cancer",
                finding=net.persisting[0].label.lower() if net.persisting else "",
                pathway=pathway.title,
                decided=decided,
            )
        )
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": ids.of("task"),
        "status": "requested",
        "intent": "plan",
        "priority": "routine",
        "description": description,
        "for": {"reference": patient_ref},
        "authoredOn": today.isoformat(),
        "restriction": {"period": {"end": until.isoformat()}},
    }
    if net.referral_ref:
        resource["focus"] = {"reference": net.referral_ref}
    if user_ref:
        resource["requester"] = {"reference": user_ref}
        resource["owner"] = {"reference": user_ref}
    return _create(
        say(msg("safety_net.reminder")),
        ids.of("suggestion:reminder"),
        resource,
        say(msg("safety_net.reminder_action", until=until)),
    )


def _create(label: str, uuid: str, resource: dict[str, Any], description: str) -> Suggestion:
    """A suggestion with one ``create`` action."""
    return Suggestion(
        label=label,
        uuid=uuid,
        actions=[Action(type="create", resource=resource, description=description)],
    )
