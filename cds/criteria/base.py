"""The base every criteria model shares (strict and frozen) and the quoted source sentence."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Base for every criteria model: unknown keys are errors and loaded data cannot change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Citation(Strict):
    """A sentence from a source document in ../shared/seeds, quoted word for word."""

    file: str  # e.g. "001_886705ff86f0ea9c.txt"
    section: str  # the heading the quote stands under, e.g. "Begrunnet mistanke – kriterier ..."
    quote: str  # word for word; whitespace is normalised when checked against the file
    # The criterion that sends organ-specific suspicion to its own pathway first (the diagnostic
    # pathway's «Sykdomsbildet tilsier at organspesifikk utredning ikke er hensiktsmessig»): a
    # merged begrunnet card quotes it to say why the organ-specific pathway is recommended
    # (cds/evaluate/decision.py). Set on at most a few citations; default off.
    organ_specific_first: bool = False
