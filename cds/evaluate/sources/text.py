"""The ``text`` source: lab text, report conclusions and the GP's own notes that state a finding.

What a sentence asserts about each finding is decided by the one assertion mechanism of the facts
stage (``cds.facts.text.findings`` with ``criteria/assertion.yaml``); this module only applies
the source's policy to those results (criteria/README.md «Assertion»):

* an *affirmed* finding counts; an *uncertain* one only with ``hedged: count``; a *historical*
  one only with ``history: count``; a *negated* one or one about a family member never;
* ``exclusions`` are domain words («hematom», «lipom») that make the clause no finding unless
  they are negated themselves («ikke hematom»);
* ``together_with``: the same text must also hold a counting finding of one of these patterns
  (leg weakness *with* back pain), and the evidence quotes both.

Every dated text within the window is read; a later negative text does not cancel an earlier
positive one. ``modalities`` restrict radiology reports (other report kinds have no modality).
With ``clinical_notes`` the GP's notes are read too: an active Condition's notes (its title only
as context for ``together_with``: the title is a coded diagnosis that a ``condition`` source
reads), and an Encounter's reason texts, each dated within the window.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal, TypeGuard

from cds.criteria.checks import check_analytes, check_regexes
from cds.criteria.codebook import CodeBook
from cds.criteria.lexicon import AssertionLexicon
from cds.criteria.schema import SourceModel
from cds.evaluate.matching import modality_fits, regexes, within
from cds.evaluate.model import Evidence, Uncounted, Words
from cds.evaluate.sources.base import SourceKind, SourceResult
from cds.facts.model import PatientFacts
from cds.facts.text import Finding, findings
from cds.wording import formats as fmt
from cds.wording.message import msg


class TextSource(SourceModel):
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

    def filter_analytes(self) -> tuple[str, ...]:
        return self.analytes

    def lab_reach(self, widen_days: int) -> dict[str, int] | None:
        return dict.fromkeys(self.analytes, max(self.window_days, widen_days))


def check(source: TextSource, codebook: CodeBook, at: str) -> list[str]:
    """Known analytes, regexes that compile, and something to read."""
    problems = check_analytes(source.analytes, codebook, f"{at}.analytes")
    for field, patterns in (
        ("patterns", source.patterns),
        ("exclusions", source.exclusions),
        ("together_with", source.together_with),
        ("report_title_patterns", source.report_title_patterns),
    ):
        problems += check_regexes(patterns, f"{at}.{field}")
    if not source.analytes and not source.report_kinds and not source.clinical_notes:
        problems.append(f"{at}: a text source needs analytes, report_kinds or clinical_notes")
    return problems


@dataclass(frozen=True, slots=True)
class _Text:
    """One text the source reads: where it is, when, what it is called, and its words."""

    ref: str
    when: date
    label: Words
    text: str
    context: str = ""  # a note's condition title: ``together_with`` partners may stand there


def _texts(
    source: TextSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> Iterator[_Text]:
    """Every text within the window the source reads (lab comments, reports of its kinds,
    modalities and titles, GP notes and contact reasons): what :func:`evaluate` quotes and
    :func:`uncounted` explains, so the two never read different texts."""

    def fresh(when: date | None, text: str) -> TypeGuard[date]:
        # Checked before a label is made: most texts of a long record are empty or too old.
        return bool(text) and when is not None and within(when, today, source.window_days)

    for name in source.analytes:
        label = codebook.analytes[name].label
        for result in facts.labs.get(name, ()):
            if fresh(result.when, result.text):
                yield _Text(result.ref, result.when, label, result.text)
    titles = regexes(source.report_title_patterns)
    for report in facts.reports:
        if report.kind not in source.report_kinds:
            continue
        if not modality_fits(report.kind, report.modality, source.modalities):
            continue
        if not fresh(report.when, report.conclusion):
            continue
        if titles and not any(t.search(report.title) for t in titles):
            continue
        title: Words = report.title or msg("source.report")
        yield _Text(report.ref, report.when, title, report.conclusion)
    if source.clinical_notes:
        for condition in facts.conditions:
            if not condition.active and source.history != "count":
                continue
            if not fresh(condition.when, condition.note):
                continue
            # The title is a coded diagnosis (the condition source reads it); it only gives the
            # note its context («Ryggsmerter» with the note «kraftsvikt i bena»).
            diagnosis = condition.text
            note = msg("source.note_on", title=diagnosis) if diagnosis else msg("source.note")
            yield _Text(condition.ref, condition.when, note, condition.note, diagnosis)
        for encounter in facts.encounters:
            if fresh(encounter.when, encounter.reason):
                reason = msg("source.encounter_reason")
                yield _Text(encounter.ref, encounter.when, reason, encounter.reason)


def evaluate(
    source: TextSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> SourceResult:
    """Evidence from every text the source reads that states its finding."""
    lexicon = codebook.assertion
    if lexicon is None:  # the loader always sets it; a hand-built code book must too
        raise ValueError("text sources need the assertion lexicon (criteria/assertion.yaml)")
    out = SourceResult()
    for item in _texts(source, codebook, facts, today):
        quoted = statement(item.text, source, lexicon, item.context)
        if quoted is None:
            continue
        out.present = True
        quote, partner = quoted
        says = (
            msg("ev.quote", label=item.label, quote=quote)
            if partner is None
            else msg("ev.quote_pair", label=item.label, quote=quote, partner=partner)
        )
        evidence = Evidence(item.ref, item.when, says, quote=f"{quote}\n{partner or ''}".strip())
        out.evidence.append(evidence)
    return out


def statement(
    text: str, source: TextSource, lexicon: AssertionLexicon, context: str = ""
) -> tuple[str, str | None] | None:
    """The quote (clause shortened around the finding) of the first counting finding, with the
    quote of its ``together_with`` partner when that stands in another clause; None when nothing
    counts.

    ``together_with`` partners may also stand in ``context`` (a note's condition title).
    """
    if not text:
        return None
    found = [f for f in findings(text, source.patterns, lexicon) if counts(f, source)]
    if found and source.exclusions:
        excluding = {
            f.clause_span
            for f in findings(text, source.exclusions, lexicon)
            if f.assertion != "negated"
        }
        found = [f for f in found if f.clause_span not in excluding]
    if not found:
        return None
    first = found[0]
    quote = fmt.snippet(first.clause, first.offset)
    if source.together_with:
        partners = [f for f in findings(text, source.together_with, lexicon) if counts(f, source)]
        in_context = [
            f for f in findings(context, source.together_with, lexicon) if counts(f, source)
        ]
        if not partners and not in_context:
            return None
        if partners and partners[0].clause_span != first.clause_span:
            partner = partners[0]
            return quote, fmt.snippet(partner.clause, partner.offset, limit=60)
    return quote, None


def counts(finding: Finding, source: TextSource) -> bool:
    """Whether the source counts a finding with this assertion."""
    if finding.assertion == "affirmed":
        return True
    if finding.assertion == "uncertain":
        return source.hedged == "count"
    if finding.assertion == "historical":
        return source.history == "count"
    return False


def uncounted(
    source: TextSource, codebook: CodeBook, facts: PatientFacts, today: date
) -> list[Uncounted]:
    """Clauses of the texts the source reads that name the finding but do not count (negated,
    hedged, historical, family), for the explain view: why a text did not make it present."""
    lexicon = codebook.assertion
    if lexicon is None:
        return []
    return [
        Uncounted(item.ref, item.when, fmt.snippet(f.clause, f.offset), f.assertion)
        for item in _texts(source, codebook, facts, today)
        for f in findings(item.text, source.patterns, lexicon)
        if not counts(f, source)
    ]


KIND = SourceKind(TextSource, evaluate, check, uncounted=uncounted)
