"""The words of a pathway timeline (``cds timeline``): one block per pathway, in Bokmål for the
practice staff and hospital coordinators who read it, and the same as plain JSON for programs.

Render only: the timeline (``cds.evaluate.clock``) has decided every date, deadline and state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from cds.criteria.clock import EventKind
from cds.criteria.schema import Pathway
from cds.evaluate.clock_model import SeenEvent, Timeline
from cds.wording.formats import day

EVENT_WORDS: dict[EventKind, str] = {
    "start": "henvisning mottatt",
    "first_attendance": "første fremmøte",
    "transfer": "overført til annet helseforetak/sykehus",
    "decision": "klinisk beslutning",
    "treatment": "behandling start",
    "exit": "avslutning av pakkeforløp",
}
EVIDENCE_WORDS = {
    "registration": "registrert",
    "referral": "henvisning merket for pakkeforløpet",
    "linked_contact": "kontakt knyttet til henvisningen",
    "department_contact": "kontakt ved utredende avdeling",
    "transfer_referral": "ny henvisning til annen mottaker",
    "diagnosis": "diagnose ført",
    "report_denies_cancer": "notat uten holdepunkt for kreft",
    "medication": "legemiddel",
    "procedure": "prosedyre",
}
OUTCOME_WORDS = {
    "cancer": "påvist kreft",
    "other_cancer": "annen kreftsykdom",
    "other_disease": "annen sykdom enn kreft",
    "no_disease": "ikke påvist sykdom",
    "not_cancer": "ikke påvist kreft",
}
TREATMENT_WORDS = {
    "surgery": "kirurgisk",
    "drug": "medikamentell",
    "radiotherapy": "strålebehandling",
    "palliative": "symptomlindrende",
    "surveillance": "aktiv overvåkning",
    "none": "ingen behandling",
}
_ENDED_WORDS = {
    "exit": "avsluttet",
    "treatment": "behandling startet – forløpstidene er nådd",
    "not_cancer": "avsluttet uten påvist kreft",
    "other_cancer": "avsluttet: annen kreftsykdom",
    "decision": "avsluttet ved klinisk beslutning",
}
_STATUS_WORDS = {
    "on_time": "i rute",
    "due_today": "frist i dag",
    "no_deadline": "ingen forløpstid å måle mot",
}


def _days(n: int) -> str:
    return f"{n} dag" if n == 1 else f"{n} dager"


def event_line(event: SeenEvent) -> str:
    """«20.10.2026  første fremmøte: kontakt knyttet til henvisningen (Encounter/e1), ikke
    registrert (A36S)»."""
    what = EVENT_WORDS[event.event]
    if event.outcome is not None:
        what += f" – {OUTCOME_WORDS[event.outcome]}"
    if event.treatment is not None and event.source == "record":
        what += f" ({event.label})" if event.label else ""
    how = EVIDENCE_WORDS[event.evidence]
    if event.source == "registration":
        how = f"registrert {event.code}"
    elif event.label and event.evidence not in ("medication", "procedure"):
        how += f" «{event.label}»"
    refs = f" ({', '.join(event.refs)})" if event.refs else ""
    unregistered = ""
    if event.source == "record":
        unregistered = f"; ikke registrert{f' ({event.code})' if event.code else ''}"
    return f"{day(event.when)}  {what}: {how}{refs}{unregistered}"


def next_line(timeline: Timeline) -> str:
    """What the pathway waits for, and whether it is late."""
    if timeline.ended is not None:
        return f"Forløpet er {_ENDED_WORDS[timeline.ended]}."
    if timeline.next_event is None:
        return "Ingen neste hendelse."
    what = EVENT_WORDS[timeline.next_event]
    deadline = timeline.deadline
    if deadline is None:
        return f"Neste: {what} ({_STATUS_WORDS['no_deadline']})."
    rule = (
        f"{deadline.time.days} kalenderdager fra {EVENT_WORDS[deadline.since]} "
        f"{day(deadline.since_date)}"
    )
    if timeline.status == "overdue":
        state = f"fristen gikk ut for {_days(timeline.days_overdue)} siden"
    else:
        state = _STATUS_WORDS[timeline.status]
    line = f"Neste: {what} innen {day(deadline.due)} ({rule}) – {state}."
    if timeline.booked is not None:
        line += f" Time bestilt {day(timeline.booked.when)} ({timeline.booked.ref})."
    return line


def timeline_text(pairs: Sequence[tuple[Pathway, Timeline]]) -> str:
    """Every pathway's timeline as text, one block each."""
    blocks: list[str] = []
    for pathway, timeline in pairs:
        if timeline.start is None:
            blocks.append(f"{pathway.title}: ikke startet.")
            continue
        lines = [f"{pathway.title} (per {day(timeline.today)})"]
        lines += [f"  {event_line(e)}" for e in timeline.events]
        lines.append(f"  {next_line(timeline)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def timeline_json(pairs: Sequence[tuple[Pathway, Timeline]]) -> list[dict[str, Any]]:
    """Every pathway's timeline as plain JSON (dates ISO 8601), for programs and the worklist."""
    out: list[dict[str, Any]] = []
    for pathway, t in pairs:
        deadline = t.deadline
        out.append(
            {
                "pathway": pathway.id,
                "title": pathway.title,
                "today": t.today.isoformat(),
                "started": t.start is not None,
                "events": [
                    {
                        "event": e.event,
                        "date": e.when.isoformat(),
                        "source": e.source,
                        "evidence": e.evidence,
                        "refs": list(e.refs),
                        "code": e.code,
                        "outcome": e.outcome,
                        "treatment": e.treatment,
                    }
                    for e in t.events
                ],
                "next": t.next_event,
                "deadline": None
                if deadline is None
                else {
                    "due": deadline.due.isoformat(),
                    "days": deadline.time.days,
                    "since": deadline.since,
                    "since_date": deadline.since_date.isoformat(),
                    "forlopstid": deadline.time.label,
                },
                "status": t.status,
                "days_overdue": t.days_overdue,
                "booked": None
                if t.booked is None
                else {"ref": t.booked.ref, "date": _iso(t.booked.when)},
                "ended": t.ended,
                "unregistered": [e.code for e in t.unregistered if e.code],
            }
        )
    return out
