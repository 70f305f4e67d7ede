"""Our referral merged into the GP's draft ``ServiceRequest``, for an ``update`` action.

CDS Hooks requires an ``update`` to carry the *whole* resource (checklist §1.6 item 30), so the
draft is the starting point: its id and everything we do not own (its notes, its reason codes,
its performer unless we suggest another receiver ...) are kept, our elements added or
overwritten, and lists we share with it (codings, references, notes) united without repeats.
Nothing of the draft is changed in place (deep copies).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any


def merge_draft(draft: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """The draft with our elements added: lists merged, our scalars win, its id kept.

    Kept from the draft when present, because the GP chose them: ``performerType``,
    ``requester`` (when the hook gave no user), and ``performer`` when it already names the
    receiver we suggest (it may carry the EHR's own reference to it). Lists are merged without
    duplicates so that an update applied twice gives the same resource (feedback and re-calls
    stay idempotent).
    """
    merged = copy.deepcopy(draft)
    for key, value in ours.items():
        if key == "id":
            continue
        if key == "meta":
            meta = _obj(merged.get("meta"))
            profiles = _union(value["profile"], meta.get("profile") or [], str)
            merged["meta"] = {**meta, "profile": profiles}
        elif key == "code":
            old = _obj(merged.get("code"))
            codings = _union(value["coding"], old.get("coding") or [], _coding_key)
            merged["code"] = {**old, "coding": codings, "text": value["text"]}
        elif key == "performerType" and merged.get("performerType"):
            continue
        elif key == "performer" and _names_receiver(merged.get("performer"), value):
            continue
        elif key in ("reasonReference", "supportingInfo"):
            merged[key] = _union(value, merged.get(key) or [], _reference_key)
        elif key == "note":
            # The GP's own notes first, then ours unless an earlier update already added it.
            merged[key] = _union(merged.get(key) or [], value, _note_key)
        else:
            # category too: the profile's pattern applies to every category, so the draft's
            # other categories (if any) cannot stay beside ours.
            merged[key] = copy.deepcopy(value)
    if not merged.get("id"):
        merged["id"] = ours["id"]
    return merged


def _names_receiver(performers: Any, ours: list[dict[str, str]]) -> bool:
    """True when the draft's performer already names our receiver (same display, any case)."""
    if not isinstance(performers, list):
        return False
    wanted = {" ".join(p["display"].casefold().split()) for p in ours}
    for performer in performers:
        display = performer.get("display") if isinstance(performer, dict) else None
        if isinstance(display, str) and " ".join(display.casefold().split()) in wanted:
            return True
    return False


def _obj(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (a malformed draft element)."""
    return value if isinstance(value, dict) else {}


def _union(first: list[Any], second: list[Any], key: Callable[[Any], object]) -> list[Any]:
    out: list[Any] = []
    seen: set[object] = set()
    for item in [*first, *second]:
        k = key(item)
        if k in seen:
            continue
        seen.add(k)
        out.append(copy.deepcopy(item))
    return out


def _coding_key(coding: Any) -> object:
    if isinstance(coding, dict):
        return (coding.get("system"), coding.get("code"))
    return repr(coding)


def _reference_key(ref: Any) -> object:
    if isinstance(ref, dict) and ref.get("reference"):
        return ref["reference"]
    return repr(ref)


def _note_key(note: Any) -> object:
    if isinstance(note, dict) and isinstance(note.get("text"), str):
        return " ".join(note["text"].split())
    return repr(note)
