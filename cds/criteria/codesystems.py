"""Code-system families and canonical units: the tables criteria and facts must agree on.

A leaf (it imports nothing of ``cds``): the loader checks that criteria name only these families
and units, and the facts stage normalises records to them (``cds.facts.codes`` maps a system URI
to its family with :data:`SYSTEM_FAMILIES`; ``cds.facts.units`` converts with :data:`UNITS`).
Sources: ../shared/reference/record-conventions.md «General rules» and
../shared/reference/norwegian-codes-and-pathways.md §2.1; the canonical spellings are documented
in ``cds/facts/units.py``.
"""

from __future__ import annotations

PATHWAY_CODE_SYSTEM = "http://pakkeforlop-cds.no/fhir/CodeSystem/pakkeforlop"

SYSTEM_FAMILIES: dict[str, str] = {
    # Norsk laboratoriekodeverk (NLK): four URIs for one code system.
    "urn:oid:2.16.578.1.12.4.1.1.7280": "nlk",
    "urn:oid:2.16.578.1.12.4.1.1.7230": "nlk",
    "http://helsedir.no/fhir/CodeSystem/no-kodeverk-7280-nlk": "nlk",
    "http://ehelse.no/fhir/CodeSystem/no-kodeverk-7280-nlk": "nlk",
    "http://loinc.org": "loinc",
    "urn:oid:2.16.840.1.113883.6.1": "loinc",  # LOINC's HL7 OID, used by some v2-derived feeds
    "http://snomed.info/sct": "snomed",
    "urn:oid:2.16.840.1.113883.6.96": "snomed",  # SNOMED CT's HL7 OID
    "http://hl7.org/fhir/sid/icd-10-no": "icd10",
    "urn:oid:2.16.578.1.12.4.1.1.7110": "icd10",
    "http://hl7.org/fhir/sid/icd-10": "icd10",
    "http://hl7.org/fhir/sid/icpc-2": "icpc2",
    "urn:oid:2.16.840.1.113883.6.139": "icpc2",
    "urn:oid:2.16.578.1.12.4.1.1.7170": "icpc2",
    "http://www.whocc.no/atc": "atc",
    "urn:oid:2.16.578.1.12.4.1.1.7180": "atc",
    "http://terminology.hl7.org/CodeSystem/v2-0074": "v2-0074",
    "http://terminology.hl7.org/CodeSystem/observation-category": "obs-category",
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation": "v3-interpretation",
    # The pathway and registration codes (A36, A36S, ...). No official FHIR CodeSystem or Volven
    # number exists for them (norwegian-codes-and-pathways.md §3.1), so the service names its own;
    # it is also the system of the referral's pathway coding. Replace when one is published.
    PATHWAY_CODE_SYSTEM: "pakkeforlop",
}

# The URI the service writes for a family it emits.
FAMILY_URIS: dict[str, str] = {"pakkeforlop": PATHWAY_CODE_SYSTEM}

# Every family a criteria code may name.
KNOWN_FAMILIES: frozenset[str] = frozenset(SYSTEM_FAMILIES.values())

# canonical -> (dimension, factor to the dimension's base unit, other spellings)
UNITS: dict[str, tuple[str, float, tuple[str, ...]]] = {
    # mass concentration, base g/L
    "g/dL": ("mass_conc", 10.0, ("g/100mL",)),
    "g/L": ("mass_conc", 1.0, ()),
    "mg/dL": ("mass_conc", 1e-2, ("mg/100mL",)),
    "mg/L": ("mass_conc", 1e-3, ()),
    "ug/L": ("mass_conc", 1e-6, ("mcg/L", "ng/mL")),
    "ng/L": ("mass_conc", 1e-9, ("pg/mL",)),
    # substance concentration, base mol/L
    "mmol/L": ("subst_conc", 1e-3, ()),
    "umol/L": ("subst_conc", 1e-6, ()),
    "nmol/L": ("subst_conc", 1e-9, ()),
    "pmol/L": ("subst_conc", 1e-12, ()),
    # number concentration, base /L
    "10*9/L": (
        "count_conc",
        1e9,
        (
            "10^9/L",
            "10E9/L",
            "x10^9/L",
            "x10E9/L",
            "x10*9/L",
            "10**9/L",
            "E9/L",
            "/nL",
            "mrd/L",
            "10*3/uL",
            "10^3/uL",
            "x10^3/uL",
        ),
    ),
    "10*12/L": (
        "count_conc",
        1e12,
        (
            "10^12/L",
            "10E12/L",
            "x10^12/L",
            "x10E12/L",
            "x10*12/L",
            "10**12/L",
            "E12/L",
            "/pL",
            "10*6/uL",
            "10^6/uL",
            "x10^6/uL",
        ),
    ),
    # catalytic / arbitrary units per litre, base U/L. IU and U are used interchangeably on
    # Norwegian lab reports (enzymes, TSH), so they share a dimension.
    "U/L": ("unit_conc", 1.0, ("IU/L", "[IU]/L", "IE/L", "E/L")),
    "mU/L": (
        "unit_conc",
        1e-3,
        ("mIU/L", "m[IU]/L", "mIE/L", "mE/L", "uIU/mL", "u[IU]/mL", "uU/mL"),
    ),
    # renal function: eGFR is normalised to body surface, a clearance is not
    "mL/min/{1.73_m2}": (
        "egfr",
        1.0,
        (
            "mL/min/1.73m2",
            "mL/min/1.73m^2",
            "mL/min/{1.73m2}",
            "mL/min/1.73_m2",
            "mL/min/per1.73m2",
            "mL/min/1.73kvm",
        ),
    ),
    "mL/min": ("clearance", 1.0, ()),
    # HbA1c: IFCC and NGSP are different scales, never converted into each other
    "mmol/mol": ("ifcc", 1.0, ()),
    "%": ("percent", 1.0, ("prosent", "percent")),
    "mg/mmol": ("mass_per_subst", 1.0, ()),
    # length, base m
    "m": ("length", 1.0, ()),
    "cm": ("length", 1e-2, ()),
    "mm": ("length", 1e-3, ()),
    # mass, base g
    "kg": ("mass", 1e3, ()),
    "g": ("mass", 1.0, ()),
    "mg": ("mass", 1e-3, ()),
    "pg": ("mass", 1e-12, ()),
    # volume, base L
    "fL": ("volume", 1e-15, ("um3",)),
    "mm/h": ("rate", 1.0, ("mm/t", "mm/time", "mm/hr")),
    # temperature: only Celsius; a Fahrenheit conversion is affine and never needed here
    "Cel": ("temperature", 1.0, ("°C", "degC")),
    "1": ("unity", 1.0, ("{ratio}", "ratio")),
}

CANONICAL_UNITS: frozenset[str] = frozenset(UNITS)
