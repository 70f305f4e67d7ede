"""REVIEWER notes of a criteria file: from its YAML comments and from its note/reason texts.

Criteria authors flag open questions for clinical-safety reviewers with «REVIEWER» (criteria/
README.md). Some stand in ``note``/``reason`` fields, which the schema loads; others only in YAML
comments, which no parser keeps, so the comments are read here line by line. A comment block is
reported with the key path of the line it stands above (comments describe what follows), or of
the line before it when nothing follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cds.criteria.schema import Pathway

MARK = "REVIEWER"

# «  - id: foo» or «  key: value» (the key of a mapping line, with its indentation).
_KEY_LINE = re.compile(r"^(?P<indent>\s*)(?P<dash>-\s+)?(?P<key>[A-Za-z_][\w.-]*):(?P<rest>.*)$")


@dataclass(frozen=True, slots=True)
class ReviewerNote:
    """One note: where it stands (key path, e.g. ``features.anemi.note``) and its text."""

    where: str
    text: str
    origin: str  # "comment" (YAML comment, with its line number) or "field"


def comment_notes(path: Path) -> list[ReviewerNote]:
    """Comment blocks of a YAML file that contain «REVIEWER», each whole (the sentences before
    the mark give its context), with the key path they belong to."""
    lines = path.read_text(encoding="utf-8").splitlines()
    stacks = _key_stacks(lines)
    notes: list[ReviewerNote] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip().startswith("#"):
            i += 1
            continue
        start = i
        while i < len(lines) and lines[i].strip().startswith("#"):
            i += 1
        block = [line.strip().lstrip("#").strip() for line in lines[start:i]]
        if any(MARK in line for line in block):
            indent = len(lines[start]) - len(lines[start].lstrip())
            where = _belongs_to(stacks, start, i, indent)
            notes.append(ReviewerNote(f"{where} (line {start + 1})", " ".join(block), "comment"))
    return notes


def field_notes(pathway: Pathway) -> list[ReviewerNote]:
    """The REVIEWER parts of the pathway's ``note`` and ``change.reason`` texts, in file order."""
    found: list[tuple[str, str | None]] = []
    for fid, feature in pathway.features.items():
        found.append((f"features.{fid}.note", feature.note))
        if feature.change is not None:
            found.append((f"features.{fid}.change.reason", feature.change.reason))
        for n, explanation in enumerate(feature.explained_by):
            found.append((f"features.{fid}.explained_by[{n}].note", explanation.note))
    for rule in pathway.rules:
        found.append((f"rules.{rule.id}.note", rule.note))
    if pathway.timeline is not None:
        found.append(("timeline.note", pathway.timeline.note))
        for n, item in enumerate(pathway.timeline.treatments):
            found.append((f"timeline.treatments[{n}].note", item.note))
    notes = []
    for where, text in found:
        if text and MARK in text:
            notes.append(ReviewerNote(where, " ".join(text[text.index(MARK) :].split()), "field"))
    return notes


_Stack = tuple[tuple[int, str], ...]  # (indentation, name) from the top level down


def _key_stacks(lines: list[str]) -> dict[int, _Stack]:
    """Line number -> the key path it opens. List items are named by their ``id``
    (``rules.myelomatose.akutt``) or by their index (``receivers.[0]``)."""
    stack: list[tuple[int, str]] = []
    counters: dict[tuple[str, int], int] = {}
    out: dict[int, _Stack] = {}
    for n, line in enumerate(lines):
        match = _KEY_LINE.match(line)
        if match is None or line.lstrip().startswith("#"):
            continue
        indent = len(match["indent"])
        if match["dash"]:
            while stack and stack[-1][0] >= indent:
                stack.pop()
            parent = ".".join(name for _, name in stack)
            index = counters.get((parent, indent), 0)
            counters[(parent, indent)] = index + 1
            value = match["rest"].strip().strip("'\"")
            if match["key"] == "id" and value:
                stack.append((indent, value))
                out[n] = tuple(stack)
                continue
            stack.append((indent, f"[{index}]"))
            indent += len(match["dash"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match["key"]))
        out[n] = tuple(stack)
    return out


def _belongs_to(stacks: dict[int, _Stack], start: int, end: int, indent: int) -> str:
    """The key a comment block (lines start..end-1, at ``indent``) describes: the key line right
    after it at the same indentation, else the enclosing key of the line before it."""
    following = [n for n in stacks if n >= end]
    if following:
        first = min(following)
        if stacks[first][-1][0] == indent and first - end <= 1:
            return ".".join(name for _, name in stacks[first])
    before = [n for n in stacks if n < start]
    if not before:
        return "(top of file)"
    enclosing = [name for level, name in stacks[max(before)] if level < indent]
    return ".".join(enclosing) or "(top level)"
