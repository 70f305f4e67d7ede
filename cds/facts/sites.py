"""Where a finding is: the lower-cased «site text» of an Observation or a Condition.

Tumour-size criteria depend on where and how deep a lump lies («dyp», «under fascien»,
«subkutan», «lyske», «lår»). Records carry that in ``bodySite`` (text and coding displays), in
Observation ``method`` (an ultrasound or MR measurement often says «dyp» there) and in free-text
notes (record-conventions.md «Diagnoses, symptoms and findings»: tumour size «with bodySite»).
The parts are joined with line breaks so that a site pattern cannot match across two of them.
"""

from __future__ import annotations

from typing import Any

from cds.facts import fhirjson as fj


def site_text(resource: dict[str, Any], *, with_method: bool) -> str:
    """bodySite texts/displays, ``method`` texts (when ``with_method``) and note texts, lower-cased.

    "" when the resource says nothing about a site; duplicates (a display repeated as text, the
    same note twice) are dropped, order is kept.
    """
    # Most Observations have none of the three: answer without building lists (hot path).
    if "bodySite" not in resource and "note" not in resource:
        if not with_method or "method" not in resource:
            return ""
    parts = fj.concept_texts(resource.get("bodySite"))
    if with_method:
        parts.extend(fj.concept_texts(resource.get("method")))
    parts.extend(fj.note_texts(resource))
    if not parts:
        return ""
    return "\n".join(dict.fromkeys(part.lower() for part in parts))
