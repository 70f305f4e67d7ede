"""The phrase table: every id words, fields use their formatter, messages compare by value."""

from __future__ import annotations

import ast
import string
from datetime import date
from pathlib import Path

import pytest

from cds.facts.model import Quantity
from cds.wording import PHRASES, Message, msg, say
from cds.wording import formats as fmt

_CDS = Path(__file__).resolve().parents[2] / "cds"


def test_a_message_is_worded_with_its_fields() -> None:
    assert say(msg("unit.unknown", unit="enh")) == "ukjent enhet «enh»"
    note = msg("lab.unused", label="Hemoglobin", when=date(2026, 3, 5), problem=msg("unit.missing"))
    assert say(note) == "Hemoglobin 05.03.2026: enhet mangler – verdien er ikke brukt"
    undated = msg("lab.unused", label="Hemoglobin", when=None, problem=msg("unit.missing"))
    assert say(undated) == "Hemoglobin udatert: enhet mangler – verdien er ikke brukt"


def test_plain_text_passes_through() -> None:
    # Criteria labels and record text are data, not phrases: say() leaves them as they are.
    assert say("Planlagt vektreduksjon") == "Planlagt vektreduksjon"


def test_messages_are_values() -> None:
    assert msg("unit.unknown", unit="x") == msg("unit.unknown", unit="x")
    assert msg("unit.unknown", unit="x") != msg("unit.unknown", unit="y")
    assert len({msg("unit.missing"), msg("unit.missing")}) == 1
    assert msg("unit.unknown", unit="x").get("unit") == "x"
    assert msg("unit.unknown", unit="x").get("other") is None


def _fields(text: str) -> set[tuple[str, str]]:
    return {(name, spec or "") for _, name, spec, _ in string.Formatter().parse(text) if name}


_SPECS = ("", "date", "num", "qty", "and", "unit", "bare", "range", "code", "flags", "og", "eller")
_SPECS += ("comma",)


@pytest.mark.parametrize("code", sorted(PHRASES))
def test_every_phrase_has_known_field_formatters(code: str) -> None:
    for name, spec in _fields(PHRASES[code]):
        assert name.isidentifier(), (code, name)  # named fields only, never positional
        assert spec in _SPECS, (code, spec)


def test_field_formatters() -> None:
    table = {
        "t.date": "{when:date}",
        "t.num": "{v:num}",
        "t.qty": "{q:qty}",
        "t.and": "{i:and}",
        "t.unit": "{u:unit}",
        "t.bare": "{q:bare}",
        "t.range": "{r:range}",
        "t.code": "{c:code}",
        "t.flags": "{f:flags}",
        "t.og": "{i:og}",
        "t.eller": "{i:eller}",
        "t.comma": "{i:comma}",
    }
    PHRASES.update(table)
    try:
        assert say(msg("t.date", when=date(2026, 1, 5))) == "05.01.2026"
        assert say(msg("t.num", v=10.9)) == "10,9"
        assert say(msg("t.qty", q=Quantity(78, "umol/L"))) == "78 µmol/L"
        assert say(msg("t.unit", u="umol/L")) == "µmol/L"
        assert say(msg("t.and", i=("a", msg("unit.missing"), "c"))) == "a, enhet mangler og c"
        assert say(msg("t.bare", q=Quantity(2.6, "mmol/L"))) == "2,60"
        assert say(msg("t.range", r=(11.7, 15.3, "g/dL"))) == "ref. 11,7–15,3"
        assert say(msg("t.range", r=(60, None, "mL/min/{1.73_m2}"))) == "ref. ≥ 60"
        assert say(msg("t.range", r=(None, None, "g/dL"))) == ""
        assert say(msg("t.code", c=("icd10", "D649"))) == "ICD-10 D64.9"
        assert say(msg("t.flags", f=("HH", "L", "XX"))) == "kritisk høy og lav og XX"
        assert say(msg("t.og", i=("a", "b", "c"))) == "a og b og c"
        assert say(msg("t.eller", i=("a", "b"))) == "a eller b"
        assert say(msg("t.comma", i=("a", "b"))) == "a, b"
    finally:
        for key in table:
            del PHRASES[key]


def _message_codes_used() -> set[str]:
    """Every literal phrase id passed to ``msg(...)`` in cds/."""
    found: set[str] = set()
    for path in _CDS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "msg"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def test_every_phrase_id_used_in_the_code_is_in_the_table() -> None:
    used = _message_codes_used()
    assert used, "no msg() call found: the scan is broken"
    assert used <= set(PHRASES), sorted(used - set(PHRASES))


def test_message_type_is_frozen() -> None:
    with pytest.raises(AttributeError):
        msg("unit.missing").code = "x"  # type: ignore[misc]
    assert isinstance(msg("unit.missing"), Message)
    assert fmt.day(None) == "udatert"
