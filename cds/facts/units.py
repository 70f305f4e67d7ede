"""Units of measure: printed spellings -> one canonical UCUM string each, and conversions.

Canonical spellings
-------------------
Thresholds in ``criteria/*.yaml`` (``Threshold.unit``), ``Analyte.unit`` and every
``Quantity.unit`` produced by the facts stage use exactly these strings:

==================== ============================ =============================================
canonical            meaning                      also accepted (case-insensitive, spaces
                                                  ignored, µ/μ/u alike, «,» as «.»)
==================== ============================ =============================================
``g/dL``             mass concentration           g/dl, g/100 mL
``g/L``              mass concentration           g/l
``mg/dL``            mass concentration           mg/dl, mg/100 mL
``mg/L``             mass concentration           mg/l
``ug/L``             mass concentration           µg/L, μg/L, mcg/L, ng/mL
``ng/L``             mass concentration           pg/mL
``mmol/L``           substance concentration      mmol/l
``umol/L``           substance concentration      µmol/L, μmol/L, umol/l
``nmol/L``           substance concentration
``pmol/L``           substance concentration
``10*9/L``           number concentration         10^9/L, 10E9/L, x10^9/L, ×10⁹/L, /nL, mrd/L
``10*12/L``          number concentration         10^12/L, 10E12/L, x10^12/L, /pL, 10^6/µL
``U/L``              catalytic/arbitrary units    IU/L, [IU]/L, IE/L, E/L
``mU/L``             catalytic/arbitrary units    mIU/L, m[IU]/L, mIE/L, mE/L, µIU/mL, µU/mL
``mL/min/{1.73_m2}`` eGFR                         mL/min/1.73m2, mL/min/1,73m2, mL/min/1.73 m²
``mL/min``           clearance (not eGFR)         ml/min
``mmol/mol``         HbA1c (IFCC)
``%``                percent (HbA1c NGSP, ...)    prosent
``mg/mmol``          albumin/creatinine ratio
``cm`` ``mm`` ``m``  length
``kg`` ``g`` ``mg``  mass                         (``pg`` for MCH)
``fL``               volume (MCV)                 fl, µm3
``mm/h``             ESR                          mm/t, mm/time, mm/hr
``Cel``              temperature                  °C, degC
``1``                dimensionless (ratios)       {ratio}, ratio
==================== ============================ =============================================

Conversions happen only within a dimension (``g/L`` <-> ``g/dL`` ÷10, ``mm`` <-> ``cm``) and
between mass and substance concentration when the analyte gives a molar mass (``Analyte.molar_mass``
g/mol): Hb 1 mmol/L (Fe) ≈ 1.611 g/dL with 16114; creatinine mg/dL × 88.42 -> µmol/L with 113.12;
calcium mg/dL × 0.2495 -> mmol/L with 40.08. ``%`` <-> ``mmol/mol`` (HbA1c) and eGFR <-> ``mL/min``
are *not* converted: they are different measurements, not different units.

We refuse to guess (record-conventions.md «General rules»): an unknown spelling gives no unit,
and so do spellings that case folding would make ambiguous: ``G/L`` / ``T/L`` (giga/tera per
litre in some countries, an all-caps ``g/L`` elsewhere), ``M`` / ``mM`` / ``MM`` (molar or
metre) and ``G``.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from cds.criteria.codesystems import UNITS as _UNITS  # canonical -> (dimension, factor, spellings)
from cds.facts.model import Quantity
from cds.wording.message import Message, msg

# Exact (case-sensitive) spellings we refuse because case folding would guess: giga/tera per
# litre or an all-caps g/L; molar (M, mM) or an all-caps metre/millimetre; giga or gram.
_AMBIGUOUS = frozenset({"G/L", "T/L", "M", "mM", "MM", "Mm", "G"})

# Superscript digits become "^n" so that "10⁹/L" reads as "10^9/L", not "109/L".
_SUPERSCRIPTS = str.maketrans({sup: f"^{digit}" for digit, sup in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")})


def _key(raw: str) -> str:
    """A spelling-insensitive lookup key.

    Superscripts become powers (``m²`` -> ``m^2``), NFKC folds the micro sign into Greek mu;
    case is folded because printed units are case-sloppy (``g/dl``, ``MMOL/L``); braces and
    underscores of UCUM annotations go so that ``{1.73_m2}`` equals ``1.73m2``; a decimal comma
    equals a point (``1,73m2``).
    """
    key = unicodedata.normalize("NFKC", raw.translate(_SUPERSCRIPTS))
    key = key.replace("μ", "u").replace("×", "x")
    key = "".join(key.split()).casefold().replace(",", ".")
    for char in "{}_":
        key = key.replace(char, "")
    return key


def _build_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for canonical, (_dim, _factor, others) in _UNITS.items():
        for spelling in (canonical, *others):
            key = _key(spelling)
            existing = aliases.setdefault(key, canonical)
            if existing != canonical:  # pragma: no cover - a table error, caught by the tests
                raise ValueError(
                    f"unit spelling {spelling!r} is claimed by {existing} and {canonical}"
                )
    return aliases


_ALIASES = _build_aliases()


def normalise_unit(raw: object) -> str | None:
    """The canonical spelling of a unit, or None when it is unknown, ambiguous or not a string."""
    if not isinstance(raw, str):
        return None
    try:
        return _memo[raw]
    except KeyError:
        pass
    canonical = _lookup(raw)
    # A record repeats a handful of spellings thousands of times; remember them, but bound the
    # memo so that garbage units from a hostile sender cannot grow it without limit.
    if len(_memo) >= _MEMO_LIMIT:
        _memo.clear()
    _memo[raw] = canonical
    return canonical


_MEMO_LIMIT = 4096
_memo: dict[str, str | None] = {}


def _lookup(raw: str) -> str | None:
    stripped = "".join(raw.split())
    if not stripped or stripped in _AMBIGUOUS:
        return None
    if stripped in _UNITS:
        return stripped
    return _ALIASES.get(_key(stripped))


def _tidy(value: float) -> float:
    """Round away binary noise (12 significant digits) so 12 g/dL -> g/L -> g/dL stays 12.0."""
    return float(f"{value:.12g}")


def convert(value: float, unit: str, target: str, molar_mass: float | None = None) -> float | None:
    """``value`` in ``unit`` expressed in ``target`` (any accepted spelling), or None.

    Mass <-> substance concentration needs ``molar_mass`` (g/mol). Never raises.
    """
    source_unit = normalise_unit(unit)
    target_unit = normalise_unit(target)
    if source_unit is None or target_unit is None or not math.isfinite(value):
        return None
    if source_unit == target_unit:
        return value
    src_dim, src_factor, _ = _UNITS[source_unit]
    dst_dim, dst_factor, _ = _UNITS[target_unit]
    base = value * src_factor
    if src_dim != dst_dim:
        if molar_mass is None or not math.isfinite(molar_mass) or molar_mass <= 0:
            return None
        if src_dim == "mass_conc" and dst_dim == "subst_conc":
            base = base / molar_mass  # g/L -> mol/L
        elif src_dim == "subst_conc" and dst_dim == "mass_conc":
            base = base * molar_mass  # mol/L -> g/L
        else:
            return None
    result = base / dst_factor
    return _tidy(result) if math.isfinite(result) else None


def to_canonical(
    value: float,
    unit: str | None,
    target: str | None,
    molar_mass: float | None = None,
) -> tuple[Quantity | None, Message | None]:
    """A value as a Quantity in ``target`` (the analyte's unit), or None and the reason.

    ``unit`` is the sender's spelling (None/"" when absent). Without a ``target`` the value keeps
    its own unit in canonical spelling. A unit-less value is only accepted for a dimensionless
    target (``1`` or none): anything else would be a guess.
    """
    # Everything but the arithmetic depends only on (unit, target, molar mass): a record repeats
    # a handful of those thousands of times, so the decision is worked out once (``_plan``).
    key = (unit, target, molar_mass)
    try:
        plan = _plans[key]
    except KeyError:
        plan = _plan(unit, target, molar_mass)
        if len(_plans) >= _MEMO_LIMIT:  # bounded, like the spelling memo
            _plans.clear()
        _plans[key] = plan
    except TypeError:  # an unhashable unit from a malformed caller: no memo
        plan = _plan(unit, target, molar_mass)
    kind = plan[0]
    if kind == _REFUSE_ALWAYS:
        return None, plan[1]
    if not math.isfinite(value):
        return None, msg("value.not_finite_bare")
    if kind == _KEEP:
        return Quantity(value, plan[1]), None
    if kind == _REFUSE:
        return None, plan[1]
    # _SCALE: exactly convert()'s arithmetic, in the same order, so results are identical.
    _, message, target_unit, src_factor, molar_op, molar, dst_factor = plan
    base = value * src_factor
    if molar_op == 1:
        base = base / molar  # g/L -> mol/L
    elif molar_op == 2:
        base = base * molar  # mol/L -> g/L
    result = base / dst_factor
    if math.isfinite(result):
        return Quantity(_tidy(result), target_unit), None
    return None, message


# Plan kinds for to_canonical, first item of a plan tuple.
_REFUSE_ALWAYS = 0  # (kind, reason): refused whatever the value (unknown target unit)
_KEEP = 1  # (kind, unit): the value as it is, in this canonical unit
_REFUSE = 2  # (kind, reason): refused once the value is known to be finite
_SCALE = 3  # (kind, reason, target, source factor, molar op, molar mass, target factor)


_Plan = tuple[Any, ...]
_plans: dict[tuple[object, object, object], _Plan] = {}


def _plan(unit: str | None, target: str | None, molar_mass: float | None) -> _Plan:
    """What :func:`to_canonical` does for a finite value in ``unit`` (see its checks, in order)."""
    target_unit = normalise_unit(target) if target else None
    if target and target_unit is None:
        return (_REFUSE_ALWAYS, msg("unit.target_unknown", unit=target))
    raw = unit.strip() if isinstance(unit, str) else ""
    if not raw:
        if target_unit in (None, "1"):
            return (_KEEP, "1")
        return (_REFUSE, msg("unit.missing"))
    source_unit = normalise_unit(raw)
    if source_unit is None:
        return (_REFUSE, msg("unit.unknown", unit=_short(raw)))
    if target_unit is None or source_unit == target_unit:
        # convert() returns an unchanged value for equal units (no rounding either).
        return (_KEEP, target_unit or source_unit)
    message = msg("unit.not_convertible", unit=_short(raw), target=target_unit)
    src_dim, src_factor, _ = _UNITS[source_unit]
    dst_dim, dst_factor, _ = _UNITS[target_unit]
    molar_op = 0
    if src_dim != dst_dim:
        if molar_mass is None or not math.isfinite(molar_mass) or molar_mass <= 0:
            return (_REFUSE, message)
        if src_dim == "mass_conc" and dst_dim == "subst_conc":
            molar_op = 1
        elif src_dim == "subst_conc" and dst_dim == "mass_conc":
            molar_op = 2
        else:
            return (_REFUSE, message)
    return (_SCALE, message, target_unit, src_factor, molar_op, molar_mass, dst_factor)


def _short(raw: str, limit: int = 30) -> str:
    """Sender text quoted in a reason, cut so a garbage field cannot flood a card."""
    return raw if len(raw) <= limit else raw[: limit - 1] + "…"
