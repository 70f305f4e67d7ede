"""The one wording layer: how what the service found is put into bokmål.

A leaf package (it imports nothing from ``cds``), in three parts:

* :mod:`cds.wording.message` — :class:`Message`, a phrase id and its named fields. The facts and
  evaluate stages say *what* they found with it (``msg("unit.unknown", unit="enh")``) and never
  write Norwegian themselves.
* :mod:`cds.wording.phrases` — the phrase table (id → text with named fields, in the style of
  pylint's message catalogue) and :func:`say`, which the render stage uses to word a message.
* :mod:`cds.wording.formats` — the formatters every text shares: number, unit, quantity,
  reference range, date, code, and cutting text between words.

Longer card parts (the referral narrative) are Jinja templates in ``cds/render/templates``; they
use these formatters through the render stage.
"""

from cds.wording.message import Message, msg
from cds.wording.phrases import PHRASES, say

__all__ = ["PHRASES", "Message", "msg", "say"]
