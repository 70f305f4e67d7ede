"""JSON as it arrives from callers: parsed fast, bounded in depth, free of lone surrogates.

Every string the service works with must be encodable as UTF-8, because the answer is UTF-8.
JSON allows ``"\\ud800"`` (a lone UTF-16 surrogate escape) and Python's ``json`` module even
decodes surrogates written in UTF-8; such a string, echoed into a card, made the response
unserialisable (a 500 after the route had finished). So strings are repaired where they enter:
:func:`parse_json` replaces each lone surrogate with U+FFFD (the replacement character), the
standard repair for text that cannot be decoded, and nothing downstream ever sees one. A whole
call is not refused for one broken character in a note.

Nesting is bounded where it enters too: about 200 levels (the limit of pydantic's JSON parser,
used on every body), far beyond anything FHIR nests (a resource rarely goes past 10) and far
below what the recursive code downstream (``copy.deepcopy``, serialisation) survives.

:class:`JsonResponse`, the response class of every route and error, repairs them once more
when a response is serialised, for strings that reached a card another way (e.g. a FHIR server's
answer), so that no lone surrogate can turn a finished answer into a 500.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from pydantic_core import from_json
from starlette.responses import JSONResponse

# In ``json.dumps(..., ensure_ascii=True)`` output every non-ASCII character is a ``\uXXXX``
# escape. Scanning left to right, an escaped backslash (``\\``) is consumed as a unit, so a
# ``\u`` that follows it is plain text; a high+low pair is kept; any other surrogate is lone.
_ESCAPES = re.compile(r"\\\\|\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})|\\ud[89a-f][0-9a-f]{2}")
_REPLACEMENT = "\\ufffd"


def json_integer(text: str) -> int | float:
    """``parse_int`` for ``json.loads``: an integer longer than Python converts (4 300 digits)
    is ±infinity (which it is, for every number a record holds), not a refused document."""
    try:
        return int(text)
    except ValueError:  # longer than sys.get_int_max_str_digits()
        return -math.inf if text.startswith("-") else math.inf


class TooDeep(ValueError):
    """The JSON nests deeper than the parser's limit (about 200 levels)."""


def parse_json(raw: bytes) -> Any:
    """``raw`` parsed like ``json.loads``, NaN/Infinity refused, lone surrogates replaced.

    :class:`ValueError` if it is not JSON, :class:`TooDeep` (a ``ValueError``) if it nests deeper
    than about 200 levels.

    A record with complete prefetch is megabytes of JSON, and parsing it is a large part of a
    hook call; pydantic's parser (jiter, in Rust) is about twice as fast as the standard
    library's. On everything it accepts it gives the same value as ``json.loads`` (same dict
    order, ints stay ints, last duplicate key wins, ``1e400`` is ``inf``), and it accepts neither
    lone surrogates nor more than about 200 levels of nesting. What it refuses is parsed by
    ``json.loads`` (which also reads UTF-16 and UTF-32 bodies), written back as ASCII JSON with
    the lone surrogates replaced, and parsed by jiter again, so both ways end with the same depth
    limit and no lone surrogate. Only object keys are cached (the same few hundred FHIR element
    names): values are patient data, which must not linger in a process-wide cache.

    An integer longer than Python converts (4 300 digits) is valid JSON: it is read as ±infinity
    (which it is, for every number a record holds), so that one absurd lab value makes that value
    unusable in the facts stage (``cds.facts.numbers``) instead of refusing the whole call.
    """
    try:
        return from_json(raw, allow_inf_nan=False, cache_strings="keys")
    except ValueError:
        pass
    try:
        value = json.loads(raw, parse_constant=_reject_constant, parse_int=json_integer)
        # Infinity here can only be an over-long integer or 1e400 (constants were refused).
        ascii_text = json.dumps(value, ensure_ascii=True, allow_nan=True)
    except RecursionError:
        raise TooDeep("JSON nests too deeply") from None
    try:
        return from_json(repair_surrogates(ascii_text), allow_inf_nan=True, cache_strings="keys")
    except ValueError:
        # json.loads accepted it and we wrote it back ourselves: only the depth limit is left.
        raise TooDeep("JSON nests too deeply") from None


def repair_surrogates(ascii_json: str) -> str:
    """``ascii_json`` (``json.dumps`` output with ``ensure_ascii``) with lone surrogates U+FFFD."""
    if "\\ud" not in ascii_json:
        return ascii_json
    return _ESCAPES.sub(_keep_pair_or_replace, ascii_json)


def _keep_pair_or_replace(match: re.Match[str]) -> str:
    text = match.group(0)
    if text == "\\\\" or match.group(1) is not None:
        return text
    return _REPLACEMENT


def _reject_constant(name: str) -> None:
    # NaN and Infinity are not JSON (RFC 8259); Python accepts them by default.
    raise ValueError(f"{name} is not JSON")


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests objects/arrays over ``limit`` levels (iterative, stops early)."""
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


class JsonResponse(JSONResponse):
    """Starlette's ``JSONResponse``, with lone surrogates replaced instead of a 500.

    The common case is unchanged (one ``json.dumps``); only a body that UTF-8 cannot encode is
    written again as ASCII JSON with its lone surrogates replaced by U+FFFD.
    """

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            text = json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
            return repair_surrogates(text).encode("ascii")
