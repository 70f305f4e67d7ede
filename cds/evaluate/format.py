"""Temporary re-export of :mod:`cds.wording.formats` (the one wording layer) for evaluate modules
that still word evidence themselves; removed once every evidence text is a structured message.

``day`` is ``cds.wording.formats.day``: «udatert» without a date, as everywhere.
"""

from __future__ import annotations

from cds.wording.formats import (
    code,
    cut_words,
    day,
    number,
    quantity,
    ref_range,
    snippet,
    unit,
)

__all__ = ["code", "cut_words", "day", "number", "quantity", "ref_range", "snippet", "unit"]
