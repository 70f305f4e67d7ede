"""Wording for findings a recorded cause explains (``Assessment.explained``).

The evaluate stage has decided that the finding counts in no rule; the card says so, once,
with the finding's newest evidence and the evidence of the cause, so the GP can check both:
«Vekttap (Vekt 68 kg, ned 9,3 % fra 75 kg – 12.05.2026) teller ikke: planlagt vektreduksjon
(Semaglutid (ATC A10BJ06) – 01.02.2026).»
"""

from __future__ import annotations

from cds.evaluate.model import Assessment, Evidence, Explained
from cds.render.format import fmt_date, md


def _dated(evidence: Evidence) -> str:
    return f"{evidence.text} – {fmt_date(evidence.when)}" if evidence.when else evidence.text


def explained_line(explained: Explained) -> str:
    """One Markdown sentence for one explained finding."""
    hit = explained.hit
    shown = f" ({md(_dated(hit.evidence[0]))})" if hit.evidence else ""
    because = "; ".join(md(_dated(e)) for e in explained.because[:2])
    cause = f" ({because})" if because else ""
    return f"{md(hit.label)}{shown} teller ikke: {md(explained.reason)}{cause}."


def explained_lines(assessment: Assessment) -> list[str]:
    """Every explained finding of one assessment, in the order the criteria list them."""
    return [explained_line(e) for e in assessment.explained.values()]
