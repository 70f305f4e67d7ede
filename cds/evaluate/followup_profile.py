"""What a follow-up programme needs to know about the tumour, read from the record: grade, site,
tissue, depth and histology (``FollowupProgramme.characteristics``), each with its evidence.

Where a value shows:

* a **diagnosis** of the programme's code set: its codes (a C49.2 is a limb) and its own words
  (code text, notes, body site);
* a **report** (pathology, radiology) or a **contact reason** that names the tumour
  (``programme.subject``: «sarkom», «GIST», «Ewing» …): its words. A «høygradig dysplasi» in a
  colon biopsy says nothing about the sarcoma, so other texts are not read.

Words are read with the assertion lexicon: a negated («ikke høygradig») or someone else's finding
shows nothing; a historical one («tidligere høygradig sarkom») does — after treatment the
tumour *is* history. The newest dated evidence decides; two values on that date (or in one text)
are a conflict and leave the characteristic unknown, never guessed. A characteristic whose
``absent`` label is set (histology) has that value when nothing shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from cds.criteria.codebook import CodeBook
from cds.criteria.followup import ABSENT, Characteristic, FollowupProgramme, Indicator
from cds.criteria.lexicon import AssertionLexicon
from cds.evaluate.followup_model import CharacteristicValue, Seen
from cds.evaluate.matching import matcher_for, matching_conditions, regexes
from cds.facts.model import ConditionFact, PatientFacts
from cds.facts.text import findings

# Assertions that show a characteristic (see the module docstring).
_SHOWS = frozenset({"affirmed", "historical"})


@dataclass(frozen=True, slots=True)
class Text:
    """One dated text of the record and where it comes from."""

    ref: str
    when: date | None
    text: str


@dataclass(frozen=True, slots=True)
class Profile:
    """The characteristics found (one value each), the ones in conflict, and the diagnoses."""

    values: tuple[CharacteristicValue, ...]
    conflicts: tuple[Characteristic, ...]

    def value(self, characteristic: Characteristic) -> str | None:
        for found in self.values:
            if found.characteristic == characteristic:
                return found.value
        return None


def lexicon_of(codebook: CodeBook) -> AssertionLexicon:
    """The assertion lexicon; the loader always sets it, and without it words cannot be read
    safely (a negated grade would count)."""
    if codebook.assertion is None:
        raise ValueError("the code book carries no assertion lexicon")
    return codebook.assertion


def diagnoses(
    programme: FollowupProgramme, codebook: CodeBook, facts: PatientFacts
) -> list[ConditionFact]:
    """The patient's diagnoses of the programme's code set (any status: a treated sarcoma is
    often recorded as resolved)."""
    return [c for c, _ in matching_conditions(facts, codebook.codesets[programme.diagnosis])]


def subject_texts(
    programme: FollowupProgramme, facts: PatientFacts, diagnosed: list[ConditionFact]
) -> list[Text]:
    """Every text about the tumour: the diagnoses' own words, and reports and contact reasons
    that name it."""
    subject = regexes(programme.subject)
    texts: list[Text] = []
    mine = {c.ref for c in diagnosed}
    # Only the diagnoses of the programme itself: another problem's note that names the old
    # sarcoma («ny kul venstre lår, tidligere sarkom») tells where the *new* finding is.
    for cond in facts.conditions:
        if cond.ref in mine:
            words = "\n".join(t for t in (cond.text, cond.note, cond.site) if t)
            texts.append(Text(cond.ref, cond.when, words))
    for report in facts.reports:
        words = "\n".join(t for t in (report.title, report.conclusion) if t)
        if any(p.search(words) for p in subject):
            texts.append(Text(report.ref, report.when, words))
    for enc in facts.encounters:
        if enc.reason and any(p.search(enc.reason) for p in subject):
            texts.append(Text(enc.ref, enc.when, enc.reason))
    return texts


def profile(
    programme: FollowupProgramme,
    codebook: CodeBook,
    facts: PatientFacts,
    diagnosed: list[ConditionFact],
    texts: list[Text],
) -> Profile:
    """Each characteristic's value from its newest evidence (see the module docstring)."""
    values: list[CharacteristicValue] = []
    conflicts: list[Characteristic] = []
    for name, spec in programme.characteristics.items():
        seen: list[tuple[str, Seen]] = []
        for value, indicator in spec.values.items():
            seen.extend((value, s) for s in _shown(indicator, codebook, diagnosed, texts, facts))
        if not seen:
            if spec.absent is not None:
                values.append(CharacteristicValue(name, ABSENT, spec.absent, None))
            continue
        newest = max((s.when for _, s in seen if s.when is not None), default=None)
        latest = [(v, s) for v, s in seen if s.when == newest]
        found = {v for v, _ in latest}
        if len(found) > 1:
            conflicts.append(name)
            continue
        value, evidence = latest[0]
        values.append(CharacteristicValue(name, value, spec.values[value].label, evidence))
    return Profile(tuple(values), tuple(conflicts))


def _shown(
    indicator: Indicator,
    codebook: CodeBook,
    diagnosed: list[ConditionFact],
    texts: list[Text],
    facts: PatientFacts,
) -> Iterator[Seen]:
    """The evidence for one value: coded diagnoses, then affirmed (or historical) words."""
    for name in indicator.codesets:
        matcher = matcher_for(codebook.codesets[name])
        for cond in diagnosed:
            if matcher.matches(cond.codes):
                yield Seen(cond.ref, cond.when, cond.text)
    if not indicator.patterns:
        return
    lexicon = lexicon_of(codebook)
    for text in texts:
        for found in findings(text.text, indicator.patterns, lexicon):
            if found.assertion in _SHOWS:
                yield Seen(text.ref, text.when, found.clause)
                break


def indicated(
    indicator: Indicator,
    codebook: CodeBook,
    facts: PatientFacts,
    texts: list[Text],
    *,
    after: date,
) -> tuple[Seen | None, Seen | None]:
    """An end of the programme (recurrence, incurable, declined) after ``after``: the newest
    affirmed evidence, and the newest doubtful one («mistanke om residiv»).

    Read from every condition (codes and words), every report conclusion and every contact
    reason dated after ``after`` — not only texts about the tumour: a metastasis is named as
    such. Undated items are not read (nothing says they came after treatment)."""
    affirmed: list[Seen] = []
    doubtful: list[Seen] = []
    for name in indicator.codesets:
        for cond, _ in matching_conditions(facts, codebook.codesets[name]):
            if cond.when is not None and cond.when > after:
                affirmed.append(Seen(cond.ref, cond.when, cond.text))
    lexicon = lexicon_of(codebook)
    for text in texts:
        if text.when is None or text.when <= after:
            continue
        for found in findings(text.text, indicator.patterns, lexicon):
            if found.assertion == "affirmed":
                affirmed.append(Seen(text.ref, text.when, found.clause))
                break
            if found.assertion == "uncertain":
                doubtful.append(Seen(text.ref, text.when, found.clause))

    def newest(items: list[Seen]) -> Seen | None:
        return max(items, key=lambda s: (s.when or date.min, s.ref), default=None)

    return newest(affirmed), newest(doubtful)


def all_texts(facts: PatientFacts) -> list[Text]:
    """Every dated text an end of the programme may be read from (see :func:`indicated`)."""
    texts: list[Text] = []
    for cond in facts.conditions:
        words = "\n".join(t for t in (cond.text, cond.note) if t)
        if words:
            texts.append(Text(cond.ref, cond.when, words))
    for report in facts.reports:
        if report.conclusion:
            texts.append(Text(report.ref, report.when, report.conclusion))
    for enc in facts.encounters:
        if enc.reason:
            texts.append(Text(enc.ref, enc.when, enc.reason))
    return texts
