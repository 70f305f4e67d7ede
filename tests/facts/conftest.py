"""The small code book the facts tests index labs with (see facts_fhir.py for builders)."""

from __future__ import annotations

import pytest

from cds.criteria.codebook import Analyte, CodeBook, CodeRef


def _analyte(
    label: str, unit: str | None, codes: list[tuple[str, str]], molar_mass: float | None = None
) -> Analyte:
    return Analyte(
        label=label,
        unit=unit,
        molar_mass=molar_mass,
        codes=tuple(CodeRef(system=s, code=c) for s, c in codes),
        source="tests",
    )


@pytest.fixture(scope="session")
def codebook() -> CodeBook:
    return CodeBook(
        analytes={
            "hemoglobin": _analyte(
                "Hemoglobin", "g/dL", [("nlk", "NOR05172"), ("loinc", "718-7")], 16114
            ),
            "creatinine": _analyte(
                "Kreatinin",
                "umol/L",
                [("nlk", "NPU04998"), ("loinc", "14682-9"), ("loinc", "2160-0")],
                113.12,
            ),
            "calcium": _analyte(
                "Kalsium",
                "mmol/L",
                [("nlk", "NPU01443"), ("loinc", "2000-8"), ("loinc", "17861-6")],
                40.08,
            ),
            "albumin": _analyte("Albumin", "g/L", [("nlk", "NPU19673"), ("loinc", "1751-7")]),
            "egfr": _analyte(
                "eGFR",
                "mL/min/{1.73_m2}",
                [
                    ("nlk", "NOR25909"),
                    ("loinc", "62238-1"),
                    ("loinc", "98979-8"),
                    ("loinc", "33914-3"),
                ],
            ),
            "spep": _analyte(
                "Proteinelektroforese",
                "g/L",
                [("nlk", "NPU03300"), ("loinc", "33358-3"), ("loinc", "51435-6")],
            ),
            "tumour_size": _analyte(
                "Tumorstørrelse", "cm", [("loinc", "21889-1"), ("loinc", "33728-7")]
            ),
        }
    )
