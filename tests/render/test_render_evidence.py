"""The words of a card's findings, times and patient information (cds.render.evidence): each
finding once, change remarks, one forløpstid line, a grammatical patient-information sentence."""

from __future__ import annotations

from datetime import date

import pytest

from cds.criteria.schema import Pathway
from cds.evaluate.model import AgedOut, Evidence, FeatureHit
from cds.render.evidence import (
    Findings,
    aged_out_line,
    change_note,
    evidence_bullet,
    patient_information,
    times_line,
)

TODAY = date(2026, 11, 20)
EGFR = Evidence("Observation/egfr-1", date(2026, 11, 17), "eGFR 24 mL/min/1,73 m²")
CA = Evidence("Observation/ca-1", date(2026, 11, 17), "Korrigert kalsium 2,89 mmol/L")
HB = Evidence("Observation/hb-1", date(2026, 11, 17), "Hemoglobin 11,8 g/dL")


def hit(feature: str, label: str, *evidence: Evidence, **kw: object) -> FeatureHit:
    return FeatureHit(feature=feature, label=label, evidence=evidence, **kw)  # type: ignore[arg-type]


# --- each finding once -----------------------------------------------------------------------


def test_a_finding_whose_evidence_is_shown_is_not_repeated() -> None:
    findings = Findings()
    used = findings.bullets(
        [hit("nyresvikt", "Nyresvikt", EGFR), hit("alvorlig", "Alvorlig hyperkalsemi", CA)]
    )
    others = findings.bullets(
        [
            hit("anemi", "Anemi", HB),
            hit("hyperkalsemi", "Hyperkalsemi", CA),
            hit("redusert", "Redusert nyrefunksjon", EGFR),
        ]
    )
    assert len(used) == 2
    assert others == ["**Anemi** — Hemoglobin 11,8 g/dL — 17.11.2026"]


def test_findings_on_the_same_result_share_one_bullet() -> None:
    bullets = Findings().bullets(
        [hit("dyp", "Dyp svulst", EGFR), hit("stor", "Svulst over 5 cm", EGFR)]
    )
    assert bullets == ["**Dyp svulst**, **svulst over 5 cm** — eGFR 24 mL/min/1,73 m² — 17.11.2026"]


def test_different_evidence_is_shown_for_each_finding() -> None:
    findings = Findings()
    findings.bullets([hit("alvorlig", "Alvorlig hyperkalsemi", CA)])
    older = Evidence("Observation/ca-0", date(2026, 10, 1), "Korrigert kalsium 2,70 mmol/L")
    assert findings.bullets([hit("hyperkalsemi", "Hyperkalsemi", older)]) != []


def test_a_finding_without_evidence_is_named() -> None:
    assert Findings().bullets([hit("x", "Klinisk mistanke")]) == ["**Klinisk mistanke**"]


# --- change remarks --------------------------------------------------------------------------


def test_stable_finding_says_since_when_and_unchanged() -> None:
    stable = hit("r", "Redusert nyrefunksjon", EGFR, change="stable", since=date(2024, 2, 3))
    assert change_note(stable) == " (kjent siden 03.02.2024, uendret)"
    assert evidence_bullet(stable).endswith("— 17.11.2026 (kjent siden 03.02.2024, uendret)")


def test_worse_finding_names_the_baseline() -> None:
    base = Evidence("Observation/egfr-0", date(2026, 5, 12), "eGFR 41 mL/min/1,73 m²")
    worse = hit("n", "Nyresvikt", EGFR, change="worse", since=date(2026, 11, 17), baseline=base)
    assert change_note(worse) == " (forverret fra eGFR 41 mL/min/1,73 m² 12.05.2026)"


@pytest.mark.parametrize("change", [None, "new"])
def test_new_or_untracked_finding_has_no_remark(change: str | None) -> None:
    assert change_note(hit("a", "Anemi", HB, change=change, since=date(2026, 11, 17))) == ""


# --- patient information ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "sentence"),
    [
        ((), ""),
        (
            ("Den begrunnede mistanken om kreft",),
            "Informer pasienten om den begrunnede mistanken om kreft.",
        ),
        (
            ("Den begrunnede mistanken om kreft", "Hva henvisning til pakkeforløp innebærer"),
            "Informer pasienten om den begrunnede mistanken om kreft og hva henvisning til "
            "pakkeforløp innebærer.",
        ),
        (
            (
                "Den begrunnede mistanken om kreft",
                "Hva henvisning til pakkeforløp innebærer",
                "Pasienten informeres om at undersøkelsen omfatter beinmargspunksjon.",
            ),
            "Informer pasienten om den begrunnede mistanken om kreft, hva henvisning til "
            "pakkeforløp innebærer og at undersøkelsen omfatter beinmargspunksjon.",
        ),
    ],
)
def test_patient_information_is_one_norwegian_sentence(
    items: tuple[str, ...], sentence: str
) -> None:
    assert patient_information(items) == sentence


# --- forløpstid ------------------------------------------------------------------------------


def test_one_pathway_time_in_one_line(pathway: Pathway) -> None:
    first = pathway.times[0]
    line = times_line([pathway])
    assert line.startswith("Forløpstid: fra ")
    assert line.endswith(f"{first.time}.")
    assert all(t.time not in line for t in pathway.times[1:] if t.time != first.time)


def test_the_same_time_of_two_pathways_is_said_once(pathway: Pathway) -> None:
    assert times_line([pathway, pathway]) == times_line([pathway])


def test_different_times_name_their_pathways(pathway: Pathway) -> None:
    first = pathway.times[0]
    other = pathway.model_copy(
        update={
            "times": (first.model_copy(update={"time": "8 kalenderdager"}),),
            "referral": pathway.referral.model_copy(update={"label": "Pakkeforløp for sarkom"}),
        }
    )
    line = times_line([other, pathway])
    assert line.count("Forløpstid") == 1
    assert (
        f"8 kalenderdager (Pakkeforløp for sarkom) og {first.time} ({pathway.referral.label})"
        in line
    )


# --- aged-out results ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "ago"),
    [
        (date(2025, 9, 16), "for 14 mnd siden"),
        (date(2025, 9, 21), "for 13 mnd siden"),
        (date(2024, 11, 20), "for 2 år siden"),
    ],
)
def test_aged_out_result_says_how_long_ago_and_what_to_repeat(when: date, ago: str) -> None:
    item = AgedOut(
        "m_komponent",
        "M-komponent",
        Evidence("Observation/spep", when, "Proteinelektroforese: «Liten M-komponent»"),
        "proteinelektroforese",
        "Proteinelektroforese",
    )
    line = aged_out_line(item, TODAY)
    assert line.startswith(f"**M-komponent påvist {ago}**")
    assert line.endswith("– ta ny proteinelektroforese.")
