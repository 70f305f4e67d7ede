"""One NDJSON line of a Bulk export as a Python value, the same way in every engine.

orjson first (several times faster than ``json`` on these small objects); ``json`` for what orjson
refuses and ``json`` always read (``NaN``, ``Infinity``), so that the engines keep what they kept
before; a line neither can read is ``None`` and is skipped by the caller, like DuckDB's
unreadable lines. Kept apart from ``cds.bulk.audit`` so that
Spark's Python workers import only this, not DuckDB or pyarrow.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def parse_line(line: str) -> Any:
    """The JSON value of ``line``, or None when it is not JSON."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        try:
            return json.loads(line)
        except ValueError:
            return None
