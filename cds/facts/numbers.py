"""Numbers from FHIR JSON we are willing to compare with a threshold, or why not.

A value that cannot be used is never an exception and never silently a normal value: the reader
returns no number and a reason (a :class:`cds.wording.Message`: phrase id and the sender's value,
worded by the render stage), the facts stage keeps the result with that reason
(``LabResult.unit_problem``), and the evaluate stage reports the feature as «kunne ikke vurderes»
(criteria/README.md «Values that cannot be used»). What is refused:

* **not a number**: booleans, text other than a plain decimal with a point (``"NaN"``,
  ``"Infinity"``, ``"12,5"``: a decimal comma is ambiguous with a thousands separator);
* **not finite**: ``inf``/``nan`` (the request parser reads ``1e400`` as ``inf``; a string
  ``"1e999"`` overflows the same way);
* **over-precise**: more than :data:`MAX_DIGITS` (15) significant digits — more than a
  double-precision float holds exactly (DBL_DIG), so the number we would compare is not the number
  that was sent (a 30-digit integer; ``"0.123456789012345678"``). A float that only *looks* long
  because of binary noise in the sender's arithmetic (``12.299999999999999``) is that noise, not
  precision: rounded to 15 significant digits it has at most 12 (the precision unit conversion
  keeps, ``units._tidy``), and it is used rounded;
* **absurd**: a magnitude above :data:`PLAUSIBLE_LIMIT` (10⁶) *in the analyte's canonical unit*,
  checked after unit conversion by :func:`plausible`. No analyte we read comes near it in its
  canonical unit (the largest plausible values are enzyme activities of some 10⁵ U/L); it is a
  generic bound against garbage (``1e308``), not a clinical limit, so it needs no per-analyte
  table. Negative values beyond it are refused the same way.
"""

from __future__ import annotations

import math
import re

from cds.wording.message import Message, msg

MAX_DIGITS = 15
PLAUSIBLE_LIMIT = 1e6
# Digits left after rounding binary noise away: above this, the digits were really sent.
_NOISE_DIGITS = 12

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _not_a_number(value: object) -> Message:
    return msg("value.not_a_number", value=shown(value))


def _not_finite(value: object) -> Message:
    return msg("value.not_finite", value=shown(value))


def _too_precise(value: object) -> Message:
    return msg("value.too_precise", value=shown(value), digits=MAX_DIGITS)


def read_number(value: object) -> tuple[float | None, Message | None]:
    """(the number, None), or (None, the reason); (None, None) when ``value`` is None.

    Never raises, whatever JSON gave us (ints of any length, inf, nan, strings, containers).
    """
    if value is None:
        return None, None
    if value.__class__ is float:  # the usual case, first (bool is an int, never a float)
        return _from_float(value)
    if isinstance(value, bool):
        return None, _not_a_number(value)
    if isinstance(value, int):
        try:
            digits = _significant(str(abs(value)))
            number = float(value)
        except (ValueError, OverflowError):  # beyond str()'s digit limit, or beyond a float
            return None, _not_finite(value)
        if digits > MAX_DIGITS:
            return None, _too_precise(value)
        return number, None
    if isinstance(value, float):  # a float subclass
        return _from_float(float(value))
    if isinstance(value, str):
        text = value.strip()
        if not _NUMBER.fullmatch(text):
            return None, _not_a_number(value)
        mantissa = text.lower().partition("e")[0]
        if _significant(mantissa) > MAX_DIGITS:
            return None, _too_precise(value)
        number = float(text)  # the pattern is a valid float literal; overflow gives inf
        if not math.isfinite(number):
            return None, _not_finite(value)
        return number, None
    return None, _not_a_number(value)


def to_number(value: object) -> float | None:
    """:func:`read_number` without the reason: a usable finite number, else None."""
    return read_number(value)[0]


def plausible(value: float, raw: object) -> Message | None:
    """The reason a converted value is absurd (:data:`PLAUSIBLE_LIMIT`), else None."""
    if math.isfinite(value) and abs(value) <= PLAUSIBLE_LIMIT:
        return None
    return msg("value.absurd", value=shown(raw))


def shown(value: object, limit: int = 20) -> str:
    """The sender's value quoted in a reason, cut so a garbage field cannot flood a card."""
    if isinstance(value, bool):
        return "true" if value else "false"  # as the JSON said it
    try:
        text = value if isinstance(value, str) else repr(value)
    except ValueError:  # an int too long for repr (sys.int_info.str_digits_check_threshold)
        return "…"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _from_float(value: float) -> tuple[float | None, Message | None]:
    if not math.isfinite(value):
        return None, _not_finite(value)
    text = repr(value)
    if _significant(text.lower().partition("e")[0]) <= MAX_DIGITS:
        return value, None
    rounded = float(f"{value:.{MAX_DIGITS}g}")
    if _significant(repr(rounded).lower().partition("e")[0]) <= _NOISE_DIGITS:
        return rounded, None  # binary noise of the sender's arithmetic, not precision
    return None, _too_precise(value)


def _significant(mantissa: str) -> int:
    """Significant digits of a decimal mantissa (no exponent): leading zeros do not count, and
    neither do trailing zeros after a decimal point (``12.300`` has three)."""
    digits = mantissa.lstrip("+-")
    if "." in digits:
        whole, _, frac = digits.partition(".")
        digits = (whole + frac.rstrip("0")) if frac.rstrip("0") else whole
    digits = digits.lstrip("0")
    if "." not in mantissa:
        digits = digits.rstrip("0") or digits  # 100000 is one significant digit, 1e5
    return len(digits)
