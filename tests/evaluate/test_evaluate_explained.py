"""Treatment sources (``medication``, ``procedure``) and recorded explanations
(``Feature.explained_by``): known disease from drugs, intended weight loss, treated anaemia,
hypercalcaemia with known hyperparathyroidism — both sides of every window and status."""

from __future__ import annotations

import pytest
from factories import (
    TODAY,
    condition,
    facts,
    lab,
    m_component,
    medication,
    procedure,
)

from cds.criteria.registry import Registry
from cds.evaluate.engine import evaluate
from cds.evaluate.model import Assessment
from cds.facts.model import PatientFacts
from cds.wording import say


def _run(
    registry: Registry, pathway: str, f: PatientFacts, hook: str = "patient-view"
) -> Assessment:
    return evaluate(
        registry.get(pathway),
        registry.codebook,
        f,
        hook=hook,
        today=TODAY,  # type: ignore[arg-type]
    )


# --- medication source ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("med", "known"),
    [
        (medication("L04AX04", "Lenalidomid"), True),
        (medication("L01XX32", "Bortezomib"), True),  # the pre-2022 code
        (medication("L01FC01", "Daratumumab", days_ago=3650, active=False), True),
        (medication("L01AA03", "Melfalan", days_ago=3651, active=False), False),
        (medication("L04AX04", "Lenalidomid", days_ago=None, active=False), False),
        (medication("L04AX03", "Metotreksat"), False),
    ],
)
def test_myeloma_treatment_means_known_myeloma(
    registry: Registry, med: object, known: bool
) -> None:
    result = _run(registry, "myelomatose", facts(medications=[med]))  # type: ignore[list-item]
    assert ("kjent_myelomatose" in result.hits) is known


def test_unavailable_medicines_are_said_not_assumed(registry: Registry) -> None:
    result = _run(
        registry,
        "myelomatose",
        facts(labs=[m_component()], unavailable=["medicationStatements"]),
    )
    assert "kjent_myelomatose" not in result.hits
    assert any(say(n).startswith("Legemiddellisten var ikke tilgjengelig") for n in result.notes)


@pytest.mark.parametrize(
    ("code", "known"),
    [(("icpc2", "B74"), True), (("snomed", "109989006"), True), (("icpc2", "B73"), False)],
)
def test_known_myeloma_codes(registry: Registry, code: tuple[str, str], known: bool) -> None:
    result = _run(registry, "myelomatose", facts(conditions=[condition(code, days_ago=800)]))
    assert ("kjent_myelomatose" in result.hits) is known


def test_known_myeloma_gets_info_card_in_order_hooks_only(registry: Registry) -> None:
    from factories import order

    f = facts(
        labs=[m_component(), lab("hemoglobin", 10.0, "g/dL")],
        medications=[medication("L04AX04", "Lenalidomid")],
        drafts=[
            order(
                "Henvisning hematologisk poliklinikk", "Pakkeforløp for myelomatose", status="draft"
            )
        ],
    )
    assert _run(registry, "myelomatose", f, "order-select").rule == "myelomatose.kjent-sykdom"
    assert _run(registry, "myelomatose", f, "patient-view").outcome is None


# --- procedure source -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "present"),
    [
        (procedure("Laparoskopisk gastric bypass", days_ago=730), True),
        (procedure("Gastric sleeve", days_ago=731), False),
        (procedure("Gastric bypass", status="in-progress"), False),
        (procedure("Kolecystektomi"), False),
        (procedure("Fedmeoperasjon", days_ago=None), True),
    ],
)
def test_bariatric_surgery_window_and_status(registry: Registry, op: object, present: bool) -> None:
    result = _run(registry, "diagnostisk", facts(orders=[op]))  # type: ignore[list-item]
    assert ("planlagt_vektreduksjon" in result.hits) is present


# --- explanations -----------------------------------------------------------------------------


def _weight_loss() -> list:  # type: ignore[type-arg]
    return [
        lab("body_weight", 72.0, "kg", days_ago=5),
        lab("body_weight", 80.0, "kg", days_ago=100),
    ]


@pytest.mark.parametrize(
    ("meds", "explained"),
    [
        ([medication("A10BJ06", "Semaglutid", days_ago=365)], True),
        ([medication("A10BJ06", "Semaglutid", days_ago=366)], False),
        ([medication("A10BX16", "Tirzepatid")], True),
        ([medication("A08AB01", "Orlistat")], True),
        ([medication("A10BJ06", "Semaglutid", active=False)], False),
        ([], False),
    ],
)
def test_weight_loss_medicine_explains_weight_loss(
    registry: Registry,
    meds: list,
    explained: bool,  # type: ignore[type-arg]
) -> None:
    result = _run(registry, "diagnostisk", facts(labs=_weight_loss(), medications=meds))
    assert ("vekttap" in result.explained) is explained
    assert ("vekttap" in result.hits) is not explained
    if explained:
        why = result.explained["vekttap"]
        assert why.reason == "planlagt vektreduksjon"
        assert why.because and why.because[0].ref.startswith("MedicationStatement/")


@pytest.mark.parametrize(
    ("cause", "treatment", "explained"),
    [
        (("icpc2", "B80"), "B03AA07", True),
        (("icd10", "D510"), "B03BA01", True),
        (None, "B03AA07", False),
        (("icpc2", "B80"), None, False),
        (("icd10", "N184"), "B03XA01", True),
        (None, "B03XA01", False),
    ],
)
def test_anaemia_with_a_treated_cause_is_explained(
    registry: Registry, cause: tuple[str, str] | None, treatment: str | None, explained: bool
) -> None:
    f = facts(
        sex="male",
        labs=[lab("hemoglobin", 12.0, "g/dL")],
        conditions=[condition(cause, days_ago=400)] if cause else [],
        medications=[medication(treatment, days_ago=60)] if treatment else [],
    )
    result = _run(registry, "diagnostisk", f)
    assert ("anemi" in result.explained) is explained
    # The myeloma pathway's «Anemi» is not «uforklarlig»: no explanation there.
    assert "anemi" in _run(registry, "myelomatose", f).hits


@pytest.mark.parametrize(("status", "acute"), [("active", False), ("resolved", True)])
def test_hyperparathyroidism_downgrades_the_acute_card(
    registry: Registry, status: str, acute: bool
) -> None:
    phpt = condition(("icd10", "E210"), days_ago=400, active=status == "active")
    f = facts(
        labs=[m_component(), lab("calcium_corrected", 2.90, "mmol/L", days_ago=3)],
        conditions=[phpt],
    )
    result = _run(registry, "myelomatose", f)
    assert (result.outcome == "acute") is acute
    if not acute:
        assert result.outcome == "begrunnet"  # hyperkalsemi is still an element
        assert "hyperkalsemi_alvorlig" in result.explained


@pytest.mark.parametrize(
    ("name", "known"),
    [("Revlimid 10 mg kapsler", True), ("Lenalidomid Sandoz", True), ("Paracet 500 mg", False)],
)
def test_myeloma_drug_by_name_without_atc(registry: Registry, name: str, known: bool) -> None:
    from cds.facts.model import MedicationFact

    med = MedicationFact(
        ref="MedicationStatement/x", name=name, codes=frozenset(), when=None, active=True
    )
    result = _run(registry, "myelomatose", facts(medications=[med]))
    assert ("kjent_myelomatose" in result.hits) is known
    if known:
        assert result.hits["kjent_myelomatose"].evidence[0].text == f"{name} (etter navn)"
