"""The words of a card's findings, times and patient information, each said once.

* **Each finding once**: a card shows each feature by its newest evidence. Two features often
  rest on the same result (eGFR 24 is «Nyresvikt» and «Redusert nyrefunksjon»; corrected calcium
  2,89 is «Alvorlig hyperkalsemi» and «Hyperkalsemi»; one tumour measurement is «Dyp svulst» and
  «Svulst over 5 cm»). :class:`Findings` remembers which evidence a card has shown: among the
  deciding findings, features on the same result share one bullet; a later list («Andre
  relevante funn», another pathway's findings in a merged card) leaves them out.
* **What changed**: a stable finding reads «(kjent siden 03.02.2024, uendret)», a worse one
  «(forverret fra eGFR 41 mL/min/1,73 m² 12.05.2026)» (``FeatureHit.change``, decided in
  ``cds.evaluate.change``); a new finding needs no remark.
* **One forløpstid line** per card, shared by the pathways of a merged card that have the same
  time («Forløpstid: fra henvisning mottatt til første fremmøte … 7 kalenderdager.»).
* **Patient information as a sentence**: «Informer pasienten om a, b og c.» from the source's
  list (criteria ``referral.patient_information``, word for word there; here only the case of the
  first letter, a repeated «Pasienten informeres om» and the final stop change).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from cds.criteria.schema import Pathway
from cds.evaluate.model import AgedOut, FeatureHit
from cds.render.format import fmt_date, join_no, lower_first, md, one_line

# The source's own lead-in, repeated inside a list item («Pasienten informeres om at …»).
_INFORMED = re.compile(r"^\s*pasienten\s+informeres\s+om\s+", re.IGNORECASE)


def bullets(heading: str, items: Sequence[str]) -> str:
    """«Heading\\n\\n- a\\n- b», or "" without items."""
    if not items:
        return ""
    return heading + "\n\n" + "\n".join(f"- {item}" for item in items)


def change_note(hit: FeatureHit) -> str:
    """« (kjent siden 03.02.2024, uendret)», « (forverret fra eGFR 41 … 12.05.2026)», or ""."""
    if hit.change == "stable" and hit.since is not None:
        return f" (kjent siden {fmt_date(hit.since)}, uendret)"
    if hit.change == "worse" and hit.baseline is not None:
        base = hit.baseline
        return f" (forverret fra {md(one_line(base.text, 80))} {fmt_date(base.when)})"
    return ""


def evidence_bullet(hit: FeatureHit, also: Sequence[FeatureHit] = ()) -> str:
    """«**Anemi** — Hb 10,9 g/dL (ref. 11,7–15,3) — 01.11.2026», with the change remark.

    ``also``: other features resting on the same evidence, named beside the first.
    """
    names = ", ".join([f"**{md(hit.label)}**", *(f"**{md(lower_first(h.label))}**" for h in also)])
    ev = hit.evidence[0] if hit.evidence else None
    if ev is None:
        return names + change_note(hit)
    return f"{names} — {md(ev.text)} — {fmt_date(ev.when)}{change_note(hit)}"


class Findings:
    """The evidence one card has shown so far, so that no finding is said twice."""

    def __init__(self) -> None:
        self._shown: set[str] = set()

    def bullets(self, hits: Sequence[FeatureHit]) -> list[str]:
        """Bullets for ``hits`` not yet shown; hits on the same newest evidence share one."""
        groups: dict[str, list[FeatureHit]] = {}
        order: list[list[FeatureHit]] = []
        for hit in hits:
            ref = hit.evidence[0].ref if hit.evidence else None
            if ref is None:
                order.append([hit])
            elif ref in self._shown:
                continue
            elif ref in groups:
                groups[ref].append(hit)
            else:
                groups[ref] = [hit]
                order.append(groups[ref])
        self._shown.update(groups)
        return [evidence_bullet(group[0], group[1:]) for group in order]

    def seen(self, hit: FeatureHit) -> bool:
        """True when ``hit``'s newest evidence is already on the card."""
        return bool(hit.evidence) and hit.evidence[0].ref in self._shown


def patient_information(items: Sequence[str]) -> str:
    """«Informer pasienten om den begrunnede mistanken om kreft, hva … innebærer og at …»."""
    parts = []
    for item in items:
        text = _INFORMED.sub("", one_line(item)).rstrip(" .")
        if text:
            parts.append(md(lower_first(text)))
    return f"Informer pasienten om {join_no(parts)}." if parts else ""


def times_line(pathways: Sequence[Pathway]) -> str:
    """The first pathway time (the GP's concern: referral to first visit), once per card.

    One pathway, or several with the same time: «Forløpstid: fra henvisning mottatt til første
    fremmøte ved utredende avdeling 7 kalenderdager.» Different times name their pathways.
    """
    by_label: dict[str, dict[str, list[str]]] = {}
    for pathway in pathways:
        for t in pathway.times[:1]:
            by_label.setdefault(t.label, {}).setdefault(t.time, []).append(pathway.referral.label)
    lines = []
    for label, times in by_label.items():
        if len(times) == 1:
            lines.append(f"{md(lower_first(label))} {md(next(iter(times)))}")
        else:
            each = [f"{md(time)} ({md(join_no(names))})" for time, names in times.items()]
            lines.append(f"{md(lower_first(label))} {join_no(each)}")
    return f"Forløpstid: {'; '.join(lines)}." if lines else ""


def acute_times_line(pathway: Pathway) -> str:
    """The acute times the acute instruction does not already say («innen 1-2 døgn»)."""
    quoted = _squash(pathway.referral.acute_instruction or "")
    lines = [
        f"{md(t.label)}: **{md(t.time)}**"
        for t in pathway.acute_times
        # Criteria may quote the same source sentence as the acute instruction, which the card
        # already shows; repeating it word for word would only lengthen the card.
        if _squash(f"{t.label} {t.time}") not in quoted
    ]
    return "\n\n".join(lines)


def aged_out_line(item: AgedOut, today: date) -> str:
    """«**M-komponent påvist for 14 mnd siden** (Proteinelektroforese: «…», 10.09.2025) – ta ny
    proteinelektroforese.»"""
    ev = item.evidence
    ago = _ago(ev.when, today) if ev.when is not None else "tidligere"
    test = lower_first(item.test_label)
    return (
        f"**{md(item.label)} påvist {ago}** ({md(one_line(ev.text, 120))}, {fmt_date(ev.when)}) "
        f"– ta ny {md(test)}."
    )


def _ago(when: date, today: date) -> str:
    """«for 14 mnd siden»; from two years on «for 2 år siden»."""
    months = (today.year - when.year) * 12 + today.month - when.month
    if today.day < when.day:
        months -= 1
    if months >= 24:
        return f"for {months // 12} år siden"
    return f"for {max(months, 1)} mnd siden"


def _squash(text: str) -> str:
    return " ".join(text.lower().split())
