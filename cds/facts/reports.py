"""DiagnosticReports -> ``ReportFact``: kind, modality, title and the Norwegian conclusion text.

Radiology: ``category`` RAD (v2-0074) or LOINC 18748-4; pathology: PAT/SP (record-conventions.md
«Imaging and pathology»). Many GP systems send reports without a category, so the title
(«MR lår», «Rtg. columna», «Ultralyd bløtdeler») is the fallback.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections.abc import Iterable
from typing import Any, Literal

from cds.facts import fhirjson as fj
from cds.facts.codes import codes_of
from cds.facts.dates import first_date
from cds.facts.model import Code, ReportFact

ReportKind = Literal["radiology", "pathology", "laboratory", "other"]

_SKIP_STATUS = frozenset({"entered-in-error", "cancelled"})

# HL7 v2 table 0074 (diagnostic service section) -> kind; imaging sections also say the modality.
_V2_RADIOLOGY: dict[str, str | None] = {
    "RAD": None,
    "RX": "RTG",
    "XRC": "RTG",
    "CT": "CT",
    "NMR": "MR",
    "NMS": None,
    "RUS": "UL",
    "VUS": "UL",
    "OUS": "UL",
    "CUS": "UL",
}
_V2_PATHOLOGY = frozenset({"PAT", "SP", "CP"})
_V2_LABORATORY = frozenset(
    {
        "LAB",
        "HM",
        "CH",
        "BG",
        "BLB",
        "IMM",
        "SR",
        "MB",
        "MCB",
        "MYC",
        "PAR",
        "VR",
        "TX",
        "OSL",
        "GE",
        "CG",
    }
)
# LOINC document codes for report types (LOINC «Diagnostic imaging study», «Pathology study»,
# «Surgical pathology study», «Comprehensive pathology report», «Laboratory report»).
_LOINC_KIND: dict[str, ReportKind] = {
    "18748-4": "radiology",
    "11526-1": "pathology",
    "11529-5": "pathology",
    "60567-5": "pathology",
    "11502-2": "laboratory",
}
_OBS_CATEGORY_KIND: dict[str, ReportKind] = {"imaging": "radiology", "laboratory": "laboratory"}

# Title/category words; word boundaries so «mr» does not match inside «tumor».
_MODALITY_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(mr|mri|mrt|magnetisk resonans)\b", re.IGNORECASE), "MR"),
    (re.compile(r"\b(ct|computertomografi)\b", re.IGNORECASE), "CT"),
    (re.compile(r"\b(røntgen|rontgen|rtg|x-ray|xray)", re.IGNORECASE), "RTG"),
    (re.compile(r"\b(ultralyd|ul|ultrasound|sonografi)\b", re.IGNORECASE), "UL"),
)
_IMAGING_WORDS = re.compile(
    r"\b(radiolog\w*|bildediagnostikk|pet|scintigrafi|mammografi|dexa|imaging)\b", re.IGNORECASE
)
_PATHOLOGY_WORDS = re.compile(r"(patolog|histolog|cytolog|biopsisvar)", re.IGNORECASE)
_LABORATORY_WORDS = re.compile(r"(laborator|biokjemi|hematologi|immunologi)", re.IGNORECASE)

_MAX_ATTACHMENT_CHARS = 400_000  # base64 of ~300 kB of text; a longer "report" is not a conclusion


def _modality(texts: Iterable[str]) -> str | None:
    for value in texts:
        for pattern, modality in _MODALITY_WORDS:
            if pattern.search(value):
                return modality
    return None


def _kind(
    report: dict[str, Any], codes: frozenset[Code], title_texts: list[str]
) -> tuple[ReportKind, str | None]:
    """(kind, modality from the category) — category codes first, then LOINC, then words."""
    category_codes = codes_of(report.get("category"))
    v2 = {code for family, code in category_codes if family == "v2-0074"}
    # Some senders put the v2-0074 code under another or no system; read raw codes as well.
    v2 |= {code.upper() for code in fj.raw_codes(report.get("category"))}
    for code in sorted(v2):
        if code in _V2_RADIOLOGY:
            return "radiology", _V2_RADIOLOGY[code]
    if v2 & _V2_PATHOLOGY:
        return "pathology", None
    if v2 & _V2_LABORATORY:
        return "laboratory", None
    for family, code in category_codes:
        if family == "obs-category" and code.lower() in _OBS_CATEGORY_KIND:
            return _OBS_CATEGORY_KIND[code.lower()], None
    for family, code in codes | category_codes:
        if family == "loinc" and code in _LOINC_KIND:
            return _LOINC_KIND[code], None
    category_texts = fj.concept_texts(report.get("category"))
    words = [*category_texts, *title_texts]
    if _modality(words) is not None or any(_IMAGING_WORDS.search(w) for w in words):
        return "radiology", None
    if any(_PATHOLOGY_WORDS.search(w) for w in words):
        return "pathology", None
    if any(_LABORATORY_WORDS.search(w) for w in category_texts):
        return "laboratory", None
    return "other", None


def _attachment_text(attachment: dict[str, Any]) -> str | None:
    """Plain-text ``presentedForm`` content, decoded; None for other types or broken data."""
    content_type = fj.text(attachment.get("contentType")) or ""
    media_type, _, params = content_type.partition(";")
    if media_type.strip().lower() != "text/plain":
        return None
    data = attachment.get("data")
    if not isinstance(data, str) or not data or len(data) > _MAX_ATTACHMENT_CHARS:
        return None
    try:
        raw = base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    charset = "utf-8"
    match = re.search(r"charset\s*=\s*\"?([\w.:-]+)", params, re.IGNORECASE)
    if match:
        try:
            charset = codecs.lookup(match.group(1)).name
        except LookupError:
            charset = "utf-8"
    return raw.decode(charset, errors="replace").strip() or None


def extract_reports(reports: Iterable[dict[str, Any]]) -> tuple[ReportFact, ...]:
    """Every DiagnosticReport not cancelled or entered in error, in record order."""
    facts: list[ReportFact] = []
    for report in reports:
        if fj.status_of(report) in _SKIP_STATUS:
            continue
        codes = codes_of(report.get("code"))
        title_texts = fj.concept_texts(report.get("code"))
        kind, modality = _kind(report, codes, title_texts)
        if kind == "radiology" and modality is None:
            modality = _modality(title_texts)
        parts: list[str] = []
        conclusion = fj.text(report.get("conclusion"))
        if conclusion:
            parts.append(conclusion)
        for attachment in fj.dicts(report.get("presentedForm")):
            content = _attachment_text(attachment)
            if content and content not in parts:
                parts.append(content)
        # Coded conclusions (conclusionCode) count as findings too: their text and displays are
        # read by the same text sources (and assertion mechanism) as the written conclusion, one
        # line each.
        for coded in fj.concept_texts(report.get("conclusionCode")):
            if coded not in parts:
                parts.append(coded)
        period = fj.as_dict(report.get("effectivePeriod")) or {}
        facts.append(
            ReportFact(
                ref=fj.ref_of("DiagnosticReport", report),
                kind=kind,
                when=first_date(
                    report.get("effectiveDateTime"), period.get("start"), report.get("issued")
                ),
                codes=codes,
                conclusion_codes=codes_of(report.get("conclusionCode")),
                title=title_texts[0] if title_texts else "",
                conclusion="\n".join(parts),
                modality=modality,
            )
        )
    return tuple(facts)


def modality_of(texts: Iterable[str]) -> str | None:
    """The imaging modality («MR», «CT», «RTG», «UL») the first text that names one names, as
    reports are read: for imaging *orders* (an order's code text «CT thorax»), which carry no
    diagnostic-service category."""
    return _modality(texts)
