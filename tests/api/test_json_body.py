"""The request body parser gives exactly what ``json.loads`` gave, with NaN and Infinity refused
(and integers too long for ``int()`` read as infinite, not refused), except that lone surrogates
become U+FFFD and nesting stops at about 200 levels.

``cds.wirejson.parse_json`` tries pydantic's Rust parser first and leaves whatever it refuses
to ``json.loads``; these tests pin that the two never disagree on what they both accept, and
that bodies only the standard library accepts still parse as before.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cds.wirejson import TooDeep, parse_json


def _reference(raw: bytes) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(name)

    return json.loads(raw, parse_constant=refuse)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": 1, "a": 2}',  # the last duplicate wins
        b'{"x": -0, "y": -0.0, "z": 1.0, "n": 12345678901234567890123}',
        b'{"big": 1e400, "tiny": 1e-400, "f": 0.1, "e": -1.5E-7}',
        b'{"s": "\\u00e6\\u00f8\\u00e5 \\/ \\u0000 \\u2028", "t": "\xc3\xa6"}',
        b'{"k": [true, false, null, {}, []], "order": {"b": 1, "a": 2}}',
        b' {"padded": 1}\n',
        b'"\\ud83d\\ude00"',
        b"9" * 4300,
    ],
)
def test_same_value_as_json_loads(raw: bytes) -> None:
    expected = _reference(raw)
    got = parse_json(raw)
    assert repr(got) == repr(expected)  # repr: int vs float, -0.0, key order


@pytest.mark.parametrize(
    "raw",
    [
        '{"a": 1}'.encode("utf-16"),  # json.loads detects UTF-16 and UTF-32
        '{"a": "\U0001f600"}'.encode("utf-32"),
    ],
)
def test_what_only_the_standard_library_accepts_still_parses(raw: bytes) -> None:
    assert repr(parse_json(raw)) == repr(_reference(raw))


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b'{"x": "a\\ud800b"}', {"x": "a\ufffdb"}),  # a lone high surrogate escape
        (b'{"x": "\\udc00\\ud800"}', {"x": "\ufffd\ufffd"}),  # low before high: two lone
        (b'"\xed\xa0\x80"', "\ufffd"),  # a surrogate encoded in UTF-8
        (b'{"\\ud800k": ["\\ud83d\\ude00", "\\\\ud800"]}', {"\ufffdk": ["\U0001f600", "\\ud800"]}),
    ],
)
def test_lone_surrogates_are_replaced_pairs_and_escaped_backslashes_kept(
    raw: bytes, value: object
) -> None:
    # A lone surrogate cannot be encoded as UTF-8: echoed into a card it made the answer a 500.
    assert parse_json(raw) == value


def test_no_lone_surrogate_survives_in_keys_or_values() -> None:
    raw = json.dumps({"\ud800": ["\udfff", {"k\udbff": "\ud800\ud800"}]}).encode()
    json.dumps(parse_json(raw), ensure_ascii=False).encode("utf-8")  # no UnicodeEncodeError


@pytest.mark.parametrize("surrogate", [b"", b'"\\ud800", '], ids=["fast", "fallback"])
def test_both_parsers_bound_nesting_at_about_200_levels(surrogate: bytes) -> None:
    shallow = b"[" + surrogate + b"[" * 150 + b"]" * 151
    assert isinstance(parse_json(shallow), list)
    deep = b"[" + surrogate + b"[" * 300 + b"]" * 301
    with pytest.raises(TooDeep):
        parse_json(deep)


@pytest.mark.parametrize(
    "raw",
    [b"NaN", b'{"x": Infinity}', b"[-Infinity]", b"{", b"\xff\xfe{", b"[1,]"],
)
def test_refused_as_before(raw: bytes) -> None:
    with pytest.raises(ValueError):
        _reference(raw)
    with pytest.raises(ValueError):
        parse_json(raw)


@pytest.mark.parametrize(
    ("raw", "value"), [(b"9" * 4301, float("inf")), (b"-" + b"9" * 5000, -float("inf"))]
)
def test_an_integer_too_long_to_convert_is_infinite_not_a_refused_body(
    raw: bytes, value: float
) -> None:
    # Valid JSON: one absurd lab value must not refuse the whole call (cds.facts.numbers refuses
    # the value instead).
    assert parse_json(raw) == value
    assert parse_json(b'{"value": ' + raw + b', "next": 1}') == {"value": value, "next": 1}


def test_absurd_nesting_is_too_deep_not_a_recursion_error() -> None:
    raw = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(TooDeep):
        parse_json(raw)
