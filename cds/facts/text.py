"""What Norwegian free text asserts about each finding it names (ConText-style, our own).

Lab comments («Ingen M-komponent påvist»), report conclusions, GP notes and order texts are read
by one mechanism; the words are data (``criteria/assertion.yaml``, schema
``cds.criteria.lexicon``), the finding patterns come from the criteria's text sources.

A finding is one match of a source pattern (the *target*). Each target is judged on its own: a
trigger («ingen», «kan ikke utelukkes», «tidligere», «mor hadde») governs the targets within its
scope — after it (``forward``), before it (``backward``) or both — in the same sentence, at most
``window`` words away, and not across a scope terminator («,», «men», «og det …»). So
«Kompresjonsfraktur Th12, ingen osteolyse» affirms the fracture and negates the osteolysis. A
comma does not end a forward scope inside a denied list («ingen osteolyse, fraktur eller
sammenfall»), and a bare «og» ends one unless the finding after it is an item of the denied list
(``_joined_item``: «ingen feber og nattesvette» denies both, «ingen osteolyse og
kompresjonsfraktur Th12» affirms the fracture). A trigger that overlaps the target governs it
(«ikke monoklonal» over «monoklonal»), unless it starts inside the target with a word the pattern
itself spells out: then it is what the pattern asks for («mistanke om malignitet», «ingen
fraktur» in a normal-X-ray pattern).
Overlapping triggers: the longest wins, so «kan ikke utelukkes» is doubt, not denial, and
pseudo-triggers («ingen endring») remove the words from play.

Speed: the lexicon is compiled once; a text's triggers and boundaries are computed once per text
(cached) and only when some target pattern matches it at all.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from cds.criteria.lexicon import PRECEDENCE, Assertion, AssertionLexicon, Direction

# Sentence ends: «;», «!», a line break, «?» before a space or the end, and a point that is not a
# decimal point between two digits (4.5 g/L) — unless an abbreviation or a trigger («u.a.»,
# «tidl.») owns it (_Compiled.layout).
_HARD = re.compile(r"[;!\n]|\?(?=\s|$)|\.(?!\d)|(?<!\d)\.")
# Display clauses additionally split at «, men» (as the evidence has always been quoted).
_DISPLAY_SPLIT = re.compile(r",\s*(?:men|but)\b", re.IGNORECASE)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Finding:
    """One target match and what its sentence asserts about it.

    ``start``/``end`` index the whole text; ``clause`` is the trimmed clause holding the match
    (sentence, split at «, men») and ``offset`` the match's position in it, for quoting.
    ``trigger`` is the text of the deciding trigger (None when affirmed).
    """

    start: int
    end: int
    matched: str
    assertion: Assertion
    clause: str
    offset: int
    clause_span: tuple[int, int]
    trigger: str | None = None


@dataclass(frozen=True, slots=True)
class _Trigger:
    pattern: re.Pattern[str]
    assertion: Assertion | None  # None: pseudo-trigger
    direction: Direction
    window: int


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    trigger: _Trigger


@dataclass(frozen=True, slots=True)
class _Layout:
    """One text's triggers, sentence bounds, soft terminators and display clauses."""

    hits: tuple[_Hit, ...]  # kept triggers (pseudo-triggers removed), by start
    hit_starts: tuple[int, ...]  # their starts, for bisecting to one sentence
    sentence_ends: tuple[int, ...]  # positions of sentence-ending characters, ascending
    soft: tuple[tuple[int, int, bool], ...]  # (start, end, is_comma), by start (no overlaps)
    soft_ends: tuple[int, ...]  # their ends, for bisecting to a gap
    clauses: tuple[tuple[int, int], ...]  # trimmed display clauses (start, end), ascending


@dataclass(frozen=True, slots=True)
class _Read:
    """One ``findings`` call: the text, its layout, the lexicon and every target span (sorted)."""

    text: str
    layout: _Layout
    engine: _Compiled
    targets: tuple[tuple[int, int], ...]


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


class _Compiled:
    """A lexicon with every regex compiled, and a per-text layout cache."""

    def __init__(self, lexicon: AssertionLexicon) -> None:
        self.lexicon = lexicon  # kept so that the id() key of _COMPILED stays valid
        triggers: list[_Trigger] = []
        for assertion, group in lexicon.groups():
            for t in group.triggers:
                window = group.window if t.window is None else t.window
                triggers.append(_Trigger(_rx(t.pattern), assertion, t.direction, window))
        triggers += [_Trigger(_rx(p), None, "both", 0) for p in lexicon.pseudo]
        self.triggers = tuple(triggers)
        self.soft = tuple(_rx(p) for p in lexicon.terminators)
        self.list_words = _rx("|".join(f"(?:{w})" for w in lexicon.list_words) or r"(?!x)x")
        self.joiners = _rx("|".join(f"(?:{w})" for w in lexicon.list_joiners) or r"(?!x)x")
        # One word that joins list items («og», «eller»): what may stand between findings.
        self.connector = _rx(
            "|".join(f"(?:{w})" for w in (*lexicon.list_joiners, *lexicon.list_words))
            or r"(?!x)x"
        )
        self.tails = _rx("|".join(f"(?:{w})" for w in lexicon.list_tails) or r"(?!x)x")
        self.abbreviation = _rx(
            r"(?<![\w.])(?:" + "|".join(lexicon.abbreviations or (r"(?!x)x",)) + r")$"
        )
        self.layout = lru_cache(maxsize=2048)(self._layout)

    def _layout(self, text: str) -> _Layout:
        found = [
            _Hit(m.start(), m.end(), t)
            for t in self.triggers
            for m in t.pattern.finditer(text)
            if m.end() > m.start()
        ]
        # Longest first; a trigger overlapping a kept one is dropped.
        found.sort(key=lambda h: (h.start - h.end, h.start))
        kept: list[_Hit] = []
        taken: list[tuple[int, int]] = []  # kept spans, sorted by start (they never overlap)
        for hit in found:
            i = bisect.bisect_left(taken, (hit.start, hit.end))
            clear_before = i == 0 or taken[i - 1][1] <= hit.start
            clear_after = i == len(taken) or taken[i][0] >= hit.end
            if clear_before and clear_after:
                taken.insert(i, (hit.start, hit.end))
                kept.append(hit)
        kept.sort(key=lambda h: h.start)
        owned_starts = [s for s, _ in taken]

        def owned(pos: int) -> bool:
            i = bisect.bisect_right(owned_starts, pos) - 1
            return i >= 0 and pos < taken[i][1]

        ends: list[int] = []
        for m in _HARD.finditer(text):
            pos = m.start()
            if text[pos] == "." and (
                owned(pos) or self.abbreviation.search(text, 0, pos)
            ):
                continue
            ends.append(pos)
        soft: list[tuple[int, int, bool]] = []
        for found_soft in sorted(
            (m.start(), m.end(), m.group().strip() == ",")
            for p in self.soft
            for m in p.finditer(text)
            if not owned(m.start())
        ):
            if not soft or found_soft[0] >= soft[-1][1]:  # no overlaps: ends stay sorted
                soft.append(found_soft)
        hits = tuple(k for k in kept if k.trigger.assertion is not None)
        return _Layout(
            hits=hits,
            hit_starts=tuple(h.start for h in hits),
            sentence_ends=tuple(ends),
            soft=tuple(soft),
            soft_ends=tuple(t[1] for t in soft),
            clauses=tuple(_display_clauses(text, ends)),
        )


_COMPILED: dict[int, _Compiled] = {}


def _compiled(lexicon: AssertionLexicon) -> _Compiled:
    """The compiled lexicon (once per loaded lexicon object)."""
    found = _COMPILED.get(id(lexicon))
    if found is None or found.lexicon is not lexicon:
        if len(_COMPILED) > 8:  # tests load many registries; keep the cache small
            _COMPILED.clear()
        found = _COMPILED[id(lexicon)] = _Compiled(lexicon)
    return found


@lru_cache(maxsize=1024)
def _pattern(pattern: str) -> re.Pattern[str]:
    return _rx(pattern)


@lru_cache(maxsize=512)
def _any_of(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One alternation of a source's patterns: the cheap «does any match at all?» test.

    A pattern anchored with ``^`` means the start of a *clause*, which a search of the whole text
    cannot test: then every text passes.
    """
    if any("^" in p.replace("[^", "") for p in patterns):
        return _rx("")
    return _rx("|".join(f"(?:{p})" for p in patterns) or r"(?!x)x")


def _display_clauses(text: str, ends: Sequence[int]) -> list[tuple[int, int]]:
    """Trimmed, non-empty clauses between sentence ends, split again at «, men»."""
    out: list[tuple[int, int]] = []
    start = 0
    for stop in [*ends, len(text)]:
        pieces: list[tuple[int, int]] = []
        at = start
        for m in _DISPLAY_SPLIT.finditer(text, start, stop):
            pieces.append((at, m.start()))
            at = m.end()
        pieces.append((at, stop))
        for a, b in pieces:
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            if b > a:
                out.append((a, b))
        start = stop + 1
    return out


def findings(text: str, patterns: Sequence[str], lexicon: AssertionLexicon) -> list[Finding]:
    """Every match of ``patterns`` in ``text`` with its assertion, in text order.

    Patterns are case-insensitive Python regexes, searched clause by clause (a match never spans
    two clauses; ``^`` anchors at the clause start). One finding per distinct span.
    """
    if not text or not _any_of(tuple(patterns)).search(text):
        return []
    compiled_patterns = [_pattern(p) for p in patterns]
    engine = _compiled(lexicon)
    layout = engine.layout(text)
    spans: dict[tuple[int, int], tuple[int, int, str]] = {}
    for c_start, c_end in layout.clauses:
        clause = text[c_start:c_end]
        for p in compiled_patterns:
            for m in p.finditer(clause):
                if m.end() > m.start():
                    key = (c_start + m.start(), c_start + m.end())
                    spans.setdefault(key, (c_start, c_end, p.pattern.lower()))
    out: list[Finding] = []
    read = _Read(text, layout, engine, tuple(sorted(spans)))
    for (start, end), (c_start, c_end, source) in sorted(spans.items()):
        assertion, trigger = _judge(read, (start, end), source)
        out.append(
            Finding(
                start=start,
                end=end,
                matched=text[start:end],
                assertion=assertion,
                clause=text[c_start:c_end],
                offset=start - c_start,
                clause_span=(c_start, c_end),
                trigger=trigger,
            )
        )
    return out


def _judge(read: _Read, span: tuple[int, int], pattern: str) -> tuple[Assertion, str | None]:
    """The assertion of the target ``span`` (matched by ``pattern``, lower-cased) and the text of
    the deciding trigger."""
    text, layout = read.text, read.layout
    start, end = span
    i = bisect.bisect_left(layout.sentence_ends, start)
    s0 = layout.sentence_ends[i - 1] + 1 if i > 0 else 0
    j = bisect.bisect_left(layout.sentence_ends, end)
    s1 = layout.sentence_ends[j] if j < len(layout.sentence_ends) else len(text)
    governing: dict[Assertion, str] = {}
    # This sentence's triggers only; a «?» ending the sentence (start == s1) belongs to it.
    for i in range(
        bisect.bisect_left(layout.hit_starts, s0), bisect.bisect_right(layout.hit_starts, s1)
    ):
        hit = layout.hits[i]
        if start <= hit.start < end and _asked_for(text, hit, end, pattern):
            continue  # the pattern itself asks for these words («ingen fraktur», «mistanke om»)
        assertion = hit.trigger.assertion
        if assertion is None or assertion in governing:
            continue
        if _governs(read, hit, span, s1):
            governing[assertion] = text[hit.start : hit.end]
    for assertion in PRECEDENCE:
        if assertion in governing:
            return assertion, governing[assertion]
    return "affirmed", None


def _asked_for(text: str, hit: _Hit, end: int, pattern: str) -> bool:
    r"""A trigger starting inside the target whose first word the pattern spells out.

    «ingen» in a pattern '(ingen|uten) … fraktur' is what the pattern looks for; «ikke» swallowed
    by a pattern's «(\w+\s+){0,5}» gap is not, and still governs («tumor ikke intramuskulær»).
    """
    word = _WORD.search(text, hit.start, min(hit.end, end))
    return word is not None and word.group().lower() in pattern


def _governs(read: _Read, hit: _Hit, span: tuple[int, int], s1: int) -> bool:
    """Whether ``hit`` has the target in its scope (same sentence already established)."""
    text, layout, engine = read.text, read.layout, read.engine
    start, end = span
    if hit.start < end and hit.end > start:
        return True  # overlaps the target («ikke monoklonal» over «monoklonal»)
    direction = hit.trigger.direction
    if hit.end <= start and direction in ("forward", "both"):
        gap_start, gap_end, forward = hit.end, start, True
    elif hit.start >= end and direction in ("backward", "both"):
        gap_start, gap_end, forward = end, hit.start, False
    else:
        return False
    if len(_WORD.findall(text, gap_start, gap_end)) > hit.trigger.window:
        return False
    last_comma = -1
    soft = layout.soft
    for i in range(bisect.bisect_right(layout.soft_ends, gap_start), len(soft)):
        t_start, t_end, is_comma = soft[i]
        if t_start >= gap_end:
            break
        if not is_comma:
            return False
        last_comma = t_end
    if last_comma >= 0:
        # Only a forward scope runs on through a denied list: «ingen A, B eller C». The list
        # word must follow the last comma: «ingen A eller B i bena, C» affirms C.
        if not (forward and _in_list(text, last_comma, layout, engine, s1)):
            return False
    return not forward or _joined_item(read, gap_start, span, s1)


def _joined_item(read: _Read, gap_start: int, span: tuple[int, int], s1: int) -> bool:
    """Whether a forward scope reaches the target past a bare «og» (one that is no terminator).

    Only an item of the trigger's list: the target stands right after the joiner, and after it
    the clause holds nothing but other targets and list words («ingen feber og nattesvette») or,
    when the item before the joiner is a target too, a shared tail from ``list_tails`` («ingen
    kraftsvikt og nummenhet i bena»). Anything else is a new statement with its own words
    («ingen osteolyse og kompresjonsfraktur Th12», «ryggsmerter som ikke gir seg og kraftsvikt
    i bena»): the scope ends at the joiner. No joiner in the gap: nothing to decide.
    """
    text, layout, engine = read.text, read.layout, read.engine
    start, end = span
    joiners = list(engine.joiners.finditer(text, gap_start, start))
    if not joiners:
        return True
    last = joiners[-1]
    if text[last.end() : start].strip():
        return False  # words of their own between the joiner and the finding
    stop = s1
    soft = layout.soft
    for i in range(bisect.bisect_right(layout.soft_ends, end), len(soft)):
        if soft[i][0] >= end:
            stop = min(stop, soft[i][0])
            break
    rest: list[str] = []
    for word in _WORD.finditer(text, end, stop):
        inside = any(a <= word.start() < b for a, b in read.targets)
        if not inside and not engine.connector.fullmatch(word.group()):
            rest.append(word.group())
    if not rest:
        return True
    before = text[: last.start()].rstrip()
    item_before = any(b == len(before) for _, b in read.targets)
    return item_before and engine.tails.fullmatch(" ".join(rest)) is not None


def _in_list(text: str, after: int, layout: _Layout, engine: _Compiled, s1: int) -> bool:
    """A list word («eller») follows ``after`` before the segment ends (non-comma terminator)."""
    stop = s1
    soft = layout.soft
    for i in range(bisect.bisect_left(layout.soft_ends, after), len(soft)):
        t_start, _, is_comma = soft[i]
        if t_start >= after and not is_comma:
            stop = min(stop, t_start)
            break
    return engine.list_words.search(text, after, stop) is not None


def clear_text_cache() -> None:
    """Forget every text's cached layout (benchmarks: time a text seen for the first time)."""
    for engine in _COMPILED.values():
        engine.layout.cache_clear()


def clauses(text: str, lexicon: AssertionLexicon) -> list[str]:
    """The text's display clauses (sentences, split again at «, men»), trimmed."""
    if not text:
        return []
    layout = _compiled(lexicon).layout(text)
    return [text[a:b] for a, b in layout.clauses]
