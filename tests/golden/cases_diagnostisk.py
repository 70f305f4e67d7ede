"""Golden cases for Diagnostisk pakkeforløp (criteria/diagnostisk.yaml).

Imported by build_cases.py (``CASES``). Each case starts from one of the examples/diagnostisk-*.json
records and puts it on one side of a boundary the criteria file documents: the number and kind of
elements (tiredness alone vs tiredness + one measurable sign), weight loss 4.9 % vs 5.0 %,
contacts at ``min_recent`` − 1 / ``min_recent`` and baseline ``max_baseline`` / + 1, prescriptions
likewise, platelets 400 / 401, corrected calcium 2.75 / 2.81, a critical (LL) vs a low (L) flag,
PSA for a man of 50 vs 51, the known-cancer exclusion at five years, age 17 vs 18, and
«already referred» at 180 / 181 days. The clock is 2026-11-20 (examples/README.md).
"""

from __future__ import annotations

from build_cases import (
    ICD,
    ICPC,
    LOINC,
    Bundle,
    Case,
    Edit,
    _resource,
    add,
    born,
    condition,
    day,
    lab,
    medicine,
    normal,
    observation,
    operation,
    raw_value,
    referral,
    remove,
    sex,
)

ATC = "http://www.whocc.no/atc"
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

B, T, F, M, FB, P = (
    "diagnostisk-begrunnet",
    "diagnostisk-tretthet",
    "diagnostisk-feber-kontakter",
    "diagnostisk-medisinbruk",
    "diagnostisk-feces-blod",
    "diagnostisk-psa-mangler",
)
PV, OSEL, OSIGN = "patient-view", "order-select", "order-sign"
BEG, FEC, SIG, MIS = (
    "diagnostisk.begrunnet",
    "diagnostisk.feces-blod-positiv",
    "diagnostisk.signert-uten-grunnlag",
    "diagnostisk.mistanke.bestilling",
)
LABEL = "Diagnostisk pakkeforløp"
MEDPOL = "Henvisning medisinsk poliklinikk"


# --- edits of our own ---------------------------------------------------------------------------


def encounter(rid: str, days_ago: int) -> Edit:
    """One finished GP consultation (Encounter) ``days_ago`` days before 2026-11-20."""
    when = day(days_ago)
    return add({
        "resourceType": "Encounter",
        "id": rid,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB",
                  "display": "ambulatory"},
        "type": [{"text": "Konsultasjon"}],
        "period": {"start": when + "T13:00:00+01:00", "end": when + "T13:20:00+01:00"},
    })


def statement(rid: str, atc: str, display: str, days_ago: int) -> Edit:
    """A completed medication course (MedicationStatement) started ``days_ago`` days ago."""
    when = day(days_ago)
    return add({
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": "completed",
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc, "display": display}],
                                      "text": display},
        "effectivePeriod": {"start": when},
        "dateAsserted": when,
    })


def fit_value(rid: str, *, quantity: float | None = None, text: str | None = None,
              flag: str | None = None) -> Edit:
    """Replace a faecal blood result: a quantity in ng/mL (cut-off 100) or a text, and a flag."""

    def apply(bundle: Bundle) -> None:
        obs = _resource(bundle, rid)
        obs.pop("valueCodeableConcept", None)
        obs.pop("valueQuantity", None)
        obs.pop("valueString", None)
        obs.pop("referenceRange", None)
        if quantity is not None:
            obs["valueQuantity"] = {"value": quantity, "unit": "ng/mL"}
            obs["referenceRange"] = [{"high": {"value": 100, "unit": "ng/mL"}}]
        if text is not None:
            obs["valueString"] = text
        if flag is None:
            obs.pop("interpretation", None)
        else:
            obs["interpretation"] = [{"coding": [{"system": V3, "code": flag}]}]

    return apply


def psa(rid: str, days_ago: int) -> Edit:
    """A normal PSA (1.2 µg/L, upper limit 4.0) ``days_ago`` days before 2026-11-20."""
    return observation(rid, [(LOINC, "2857-1",
                              "Prostate specific Ag [Mass/volume] in Serum or Plasma")],
                       days_ago=days_ago, value=1.2, unit="µg/L", high=4.0, code_text="PSA")


# Weighings of the begrunnet example: 80.0 kg 129 days ago, 78.0 kg, then the newest.
def weights(newest: float) -> list[Edit]:
    return [lab("vekt-1-begrunnet", 80.0), lab("vekt-2-begrunnet", 78.0),
            lab("vekt-3-begrunnet", newest)]


HB_NORMAL_B = normal("hb-begrunnet", 13.2)  # takes the begrunnet example's anaemia away
# The fever example's six recent contact days are kontakt-3 … kontakt-8 (kontakt-2 is the one
# contact of the year before, kontakt-1 is older than that).
RECENT_F = [f"kontakt-{i}-feber-kontakter" for i in range(3, 9)]
# The medicine example without contacts and without analgesics: only antibiotics can rise.
ONLY_ANTIBIOTICS = [
    remove(*[f"kontakt-{i}-medisinbruk" for i in range(1, 8)]),
    remove("paracetamol-medisinbruk", "tramadol-1-medisinbruk", "tramadol-2-medisinbruk"),
]
FIT_CLEARED = [remove("tretthet-feces-blod", "jernmangel-feces-blod"),
               normal("hb-feces-blod", 14.6), normal("mcv-feces-blod", 88),
               normal("mch-feces-blod", 30)]
A05 = (ICPC, "A05", "Sykdomsfølelse")
A01 = (ICPC, "A01", "Smerte generell/flere steder")


def cond(rid: str, code: tuple[str, str, str], days_ago: int = 10,
         status: str = "active") -> Edit:
    system, value, display = code
    return condition(rid, system, value, display, days_ago=days_ago, status=status)


# --- cases ---------------------------------------------------------------------------------------

CASES: list[Case] = [
    # --- diagnostisk.begrunnet: ≥ 2 elements incl. one measurable sign, or ≥ 3 ------------------
    Case(BEG, "eksempel-patient-view", B, PV, True,
         "vekttap 8,0 % på fire måneder, sykdomsfølelse (A05) og anemi (Hb 10,9 L) hos kvinne 67"),
    Case(BEG, "order-select-utkast-oppdateres", B, OSEL, True,
         "begrunnet + utkast til henvisning (årsak T08): forslaget er update av utkastet"),
    Case(BEG, "order-sign-begrunnet", B, OSIGN, True,
         "begrunnet ved signering av umerket utkast: foreslå merking og innhold"),
    Case(BEG, "vekttap-5.0-prosent-henvis", B, PV, True,
         "80,0 → 76,0 kg = 5,0 % (grensen teller) + sykdomsfølelse; Hb normal",
         [HB_NORMAL_B, *weights(76.0)]),
    Case(BEG, "vekttap-4.9-prosent-stille", B, PV, False,
         "80,0 → 76,1 kg = 4,9 %: ikke vekttap, sykdomsfølelse alene gir ikke kort",
         [HB_NORMAL_B, *weights(76.1)]),
    # --- explained findings: intended weight loss, anaemia with a treated cause ---------------
    Case(BEG, "vekttap-semaglutid-forklart-stille", B, PV, False,
         "vekttap 8 % på semaglutid (A10BJ06) i bruk: planlagt, ikke utilsiktet; sykdomsfølelse "
         "alene gir ikke kort",
         [HB_NORMAL_B, medicine("semaglutid", "A10BJ06", "Semaglutid", days_ago=200)]),
    Case(BEG, "vekttap-semaglutid-startet-etter-vekttapet-henvis", B, PV, True,
         "semaglutid startet for 3 dager siden, siste veiing (72,2 kg) for 8 dager siden: "
         "medisinen kom etter vekttapet og forklarer det ikke (cause_first)",
         [HB_NORMAL_B, medicine("semaglutid", "A10BJ06", "Semaglutid", days_ago=3)]),
    Case(BEG, "vekttap-semaglutid-startet-samme-dag-som-veiing-stille", B, PV, False,
         "semaglutid startet samme dag som siste veiing: planlagt vektreduksjon (grensen teller)",
         [HB_NORMAL_B, medicine("semaglutid", "A10BJ06", "Semaglutid", days_ago=8)]),
    Case(BEG, "vekttap-semaglutid-avsluttet-henvis", B, PV, True,
         "semaglutid avsluttet: forklarer ikke et vekttap nå",
         [HB_NORMAL_B, medicine("semaglutid", "A10BJ06", "Semaglutid", days_ago=400,
                                status="completed")]),
    Case(BEG, "vekttap-gastric-bypass-forklart-stille", B, PV, False,
         "gastric bypass for 300 dager siden: vekttapet er planlagt",
         [HB_NORMAL_B, operation("bypass", "Laparoskopisk gastric bypass", days_ago=300)]),
    Case(BEG, "vekttap-forklart-anemi-teller-henvis", B, PV, True,
         "vekttap forklart av semaglutid, men anemi + sykdomsfølelse gjenstår: kortet sier hva "
         "som er forklart",
         [medicine("semaglutid", "A10BJ06", "Semaglutid", days_ago=200)]),
    Case(BEG, "anemi-behandlet-jernmangel-stille", T, PV, False,
         "Hb 12,9 L hos mann med jernmangelanemi (B80) og jerntabletter i bruk: forklart; "
         "tretthet alene gir ikke kort",
         [lab("hb-tretthet", 12.9, flag="L"), cond("jernmangel", (ICPC, "B80", "Jernmangelanemi")),
          medicine("jern", "B03AA07", "Jern(II)sulfat", days_ago=60)]),
    Case(BEG, "anemi-jern-uten-kjent-arsak-henvis", T, PV, True,
         "jerntabletter, men ingen kodet årsak: anemien er ikke vist forklart",
         [lab("hb-tretthet", 12.9, flag="L"),
          medicine("jern", "B03AA07", "Jern(II)sulfat", days_ago=60)]),
    Case(BEG, "anemi-jernmangel-ubehandlet-henvis", T, PV, True,
         "jernmangelanemi (B80) uten behandling: ikke en håndtert årsak",
         [lab("hb-tretthet", 12.9, flag="L"),
          cond("jernmangel", (ICPC, "B80", "Jernmangelanemi"))]),
    Case(BEG, "anemi-nyreanemi-epo-stille", T, PV, False,
         "kronisk nyresykdom (N18.4) og erytropoetin i bruk: nyreanemi under behandling",
         [lab("hb-tretthet", 12.9, flag="L"),
          cond("ckd", (ICD, "N18.4", "Kronisk nyresykdom, stadium 4")),
          medicine("epo", "B03XA01", "Erytropoietin", days_ago=90)]),
    Case(BEG, "tretthet-alene-stille", T, PV, False,
         "bare tretthet (A04), normale prøver: ett vanlig symptom gir ikke kort"),
    Case(BEG, "tretthet-og-anemi-henvis", T, PV, True,
         "tretthet + anemi (Hb 12,9 L hos mann): to elementer, ett målbart",
         [lab("hb-tretthet", 12.9, flag="L")]),
    Case(BEG, "tretthet-og-sykdomsfolelse-stille", T, PV, False,
         "tretthet + sykdomsfølelse: to subjektive symptomer uten målbart funn",
         [cond("sykdomsfolelse", A05)]),
    Case(BEG, "tre-subjektive-symptomer-henvis", T, PV, True,
         "tretthet + sykdomsfølelse + generelle smerter (A01): tre elementer",
         [cond("sykdomsfolelse", A05), cond("smerter", A01)]),
    Case(BEG, "kritisk-anemi-alene-stille", T, PV, False,
         "bare Hb 7,9 merket LL (tretthet fjernet): anemi teller én gang, ikke også som "
         "alarmerende prøve",
         [remove("tretthet-tretthet"), lab("hb-tretthet", 7.9, flag="LL")]),
    Case(BEG, "trombocytter-401-henvis", T, PV, True,
         "tretthet + trombocytter 401 (uten flagg og referanse): over 400",
         [lab("tpk-tretthet", 401, flag=None, ref="drop")]),
    Case(BEG, "trombocytter-400-stille", T, PV, False,
         "tretthet + trombocytter 400: ikke over 400",
         [lab("tpk-tretthet", 400, flag=None, ref="drop")]),
    Case(BEG, "korrigert-kalsium-2.81-henvis", T, PV, True,
         "tretthet + Ca 2,70 og albumin 36: korrigert 2,806 → 2,81 > 2,75",
         [lab("ca-tretthet", 2.70, flag=None), normal("alb-tretthet", 36)]),
    Case(BEG, "korrigert-kalsium-2.75-stille", T, PV, False,
         "tretthet + Ca 2,64 og albumin 36: korrigert 2,746 → 2,75, ikke over 2,75",
         [lab("ca-tretthet", 2.64, flag=None), normal("alb-tretthet", 36)]),
    Case(BEG, "natrium-kritisk-LL-henvis", T, PV, True,
         "tretthet + natrium 118 merket LL av laboratoriet: alarmerende prøve",
         [lab("na-tretthet", 118, flag="LL")]),
    Case(BEG, "natrium-lav-L-stille", T, PV, False,
         "tretthet + natrium 131 merket bare L: ikke alarmerende",
         [lab("na-tretthet", 131, flag="L")]),
    Case(BEG, "feber-og-kontakter-henvis", F, PV, True,
         "feber uten fokus (A03) + 6 kontaktdager siste 180 dager mot 1 året før"),
    Case(BEG, "kontakter-4-henvis", F, PV, True,
         "4 kontaktdager siste 180 dager (min_recent 4) + feber",
         [remove(*RECENT_F[:2])]),
    Case(BEG, "kontakter-3-stille", F, PV, False,
         "3 kontaktdager siste 180 dager: ikke markant økning, feber alene gir ikke kort",
         [remove(*RECENT_F[:3])]),
    Case(BEG, "kontakter-samme-dag-teller-en-stille", F, PV, False,
         "3 kontaktdager, hvorav én dag med to Encounter: telles som 3, ikke 4",
         [remove(*RECENT_F[:3]), encounter("kontakt-ekstra", 14)]),
    Case(BEG, "kontakter-tidligere-2-henvis", F, PV, True,
         "2 kontakter i året før (max_baseline 2) og 6 nå: fortsatt markant økning",
         [encounter("kontakt-tidligere-a", 250)]),
    Case(BEG, "kontakter-tidligere-3-stille", F, PV, False,
         "3 kontakter i året før: ikke «lavt forbruk tidligere»",
         [encounter("kontakt-tidligere-a", 250), encounter("kontakt-tidligere-b", 300)]),
    Case(BEG, "medisinbruk-henvis", M, PV, True,
         "økt bruk av antibiotika og smertestillende (og kontakter) + sykdomsfølelse + smerter: "
         "tre elementer"),
    Case(BEG, "antibiotika-3-kurer-henvis", M, PV, True,
         "uten kontakter og smertestillende: 3 antibiotikakurer siste 180 dager mot 0 før, "
         "+ sykdomsfølelse + smerter",
         [*ONLY_ANTIBIOTICS]),
    Case(BEG, "antibiotika-2-kurer-stille", M, PV, False,
         "bare 2 antibiotikakurer (min_recent 3): sykdomsfølelse + smerter er to subjektive",
         [*ONLY_ANTIBIOTICS, remove("doksysyklin-medisinbruk")]),
    Case(BEG, "antibiotika-tidligere-1-henvis", M, PV, True,
         "1 antibiotikakur i året før (max_baseline 1) og 3 nå: markant økning",
         [*ONLY_ANTIBIOTICS, statement("amoks-tidligere-a", "J01CA04", "amoksicillin", 250)]),
    Case(BEG, "antibiotika-tidligere-2-stille", M, PV, False,
         "2 antibiotikakurer i året før: ikke «tidligere lavt medisinforbruk»",
         [*ONLY_ANTIBIOTICS, statement("amoks-tidligere-a", "J01CA04", "amoksicillin", 250),
          statement("amoks-tidligere-b", "J01CA04", "amoksicillin", 300)]),
    Case(BEG, "kjent-kreft-stille", B, PV, False,
         "aktiv tykktarmskreft (C18.7) diagnostisert for 400 dager siden: følges av behandlende "
         "avdeling",
         [cond("kreft", (ICD, "C18.7", "Ondartet svulst i colon sigmoideum"), days_ago=400)]),
    Case(BEG, "kjent-kreft-tamoksifen-stille", B, PV, False,
         "tamoksifen (L02BA01) i bruk uten diagnosekode: kjent, behandlet kreft",
         [medicine("tamoksifen", "L02BA01", "Tamoksifen", days_ago=300)]),
    Case(BEG, "kjent-kreft-lenalidomid-stille", B, PV, False,
         "lenalidomid (L04AX04, myelomatose) i bruk uten diagnosekode: kjent, behandlet kreft",
         [medicine("lenalidomid", "L04AX04", "Lenalidomid", days_ago=120)]),
    Case(BEG, "metotreksat-ikke-kreftbehandling-henvis", B, PV, True,
         "metotreksat (L01BA01) ved leddgikt: ikke regnet som kreftbehandling",
         [medicine("mtx", "L01BA01", "Metotreksat", days_ago=300)]),
    Case(BEG, "kjent-kreft-1825-dager-stille", B, PV, False,
         "aktiv brystkreft (C50.9) datert for nøyaktig fem år (1825 dager) siden: fortsatt kjent",
         [cond("kreft", (ICD, "C50.9", "Ondartet svulst i bryst, uspesifisert"), days_ago=1825)]),
    Case(BEG, "kjent-kreft-1826-dager-henvis", B, PV, True,
         "brystkreft datert for 1826 dager siden: eldre enn fem år, utelukker ikke",
         [cond("kreft", (ICD, "C50.9", "Ondartet svulst i bryst, uspesifisert"), days_ago=1826)]),
    Case(BEG, "basalcellekarsinom-henvis", B, PV, True,
         "basalcellekarsinom (C44.3) for 100 dager siden: hudkreft C44 utelukker ikke",
         [cond("hudkreft", (ICD, "C44.3", "Annen ondartet svulst i hud i ansiktet"),
               days_ago=100)]),
    Case(BEG, "alder-17-stille", B, PV, False,
         "samme funn hos en 17-åring: barn og ungdom henvises ikke til diagnostisk pakkeforløp",
         [born("2009-05-08")]),
    Case(BEG, "alder-18-henvis", B, PV, True,
         "samme funn hos en 18-åring",
         [born("2008-05-08")]),
    Case(BEG, "allerede-henvist-180-dager-stille", B, PV, False,
         "henvisning merket «Diagnostisk pakkeforløp» for 180 dager siden (grense 180)",
         [referral("sendt", status="active", days_ago=180, text=MEDPOL, label=LABEL)]),
    Case(BEG, "allerede-henvist-181-dager-henvis", B, PV, True,
         "merket henvisning for 181 dager siden: utenfor grensen, kortet vises igjen",
         [referral("sendt", status="active", days_ago=181, text=MEDPOL, label=LABEL)]),
    # --- diagnostisk.feces-blod-positiv: positive faecal blood + ≥ 1 element -> colorectal ------
    Case(FEC, "eksempel-patient-view", FB, PV, True,
         "positiv F-Hb («Positiv», flagg POS) + jernmangelanemi + tretthet hos mann 63"),
    Case(FEC, "eksempel-order-sign", FB, OSIGN, True, "rådet gjelder også ved signering"),
    Case(FEC, "tekst-positiv-uten-flagg-henvis", FB, PV, True,
         "«Positiv» som tekst, uten tolkningsflagg: teksten avgjør",
         [fit_value("fit-feces-blod", text="Positiv")]),
    Case(FEC, "kvantitativ-flagget-H-henvis", FB, PV, True,
         "F-Hb 180 ng/mL merket H (over laboratoriets grense 100)",
         [fit_value("fit-feces-blod", quantity=180, flag="H")]),
    Case(FEC, "kvantitativ-uten-flagg-stille", FB, PV, False,
         "F-Hb 180 ng/mL uten flagg og tekst: tallet sammenlignes ikke (kjent begrensning, se "
         "kriteriene); begrunnet-kortet vises i stedet",
         [fit_value("fit-feces-blod", quantity=180)]),
    Case(FEC, "negativ-stille", FB, PV, False,
         "F-Hb «Negativ» (NEG): ingen omdirigering; anemi + tretthet gir begrunnet-kortet",
         [fit_value("fit-feces-blod", text="Negativ", flag="NEG")]),
    Case(FEC, "90-dager-henvis", FB, PV, True,
         "positiv prøve tatt for 90 dager siden: innenfor vinduet",
         [lab("fit-feces-blod", days_ago=90)]),
    Case(FEC, "91-dager-stille", FB, PV, False,
         "positiv prøve tatt for 91 dager siden: utenfor vinduet",
         [lab("fit-feces-blod", days_ago=91)]),
    Case(FEC, "uten-andre-funn-stille", FB, PV, False,
         "positiv prøve, men ingen symptomer/funn fra kriteriene: tykktarmsforløpets sak",
         [*FIT_CLEARED]),
    Case(FEC, "kjent-kreft-stille", FB, PV, False,
         "positiv prøve hos pasient med aktiv tykktarmskreft (C18.7)",
         [cond("kreft", (ICD, "C18.7", "Ondartet svulst i colon sigmoideum"), days_ago=200)]),
    # --- diagnostisk.signert-uten-grunnlag: order-sign, labelled draft, criterion not met ------
    Case(SIG, "merket-uten-grunnlag", T, OSIGN, True,
         "utkast merket «Diagnostisk pakkeforløp», bare tretthet i journalen: kortet viser hva "
         "som mangler",
         [referral("utkast-merket", status="draft", text=MEDPOL, label=LABEL)]),
    Case(SIG, "merket-order-select-stille", T, OSEL, False,
         "samme utkast ved order-select: regelen gjelder bare order-sign (mistanke-kortet tar "
         "over)",
         [referral("utkast-merket", status="draft", text=MEDPOL, label=LABEL)]),
    Case(SIG, "merket-og-begrunnet-stille", B, OSIGN, False,
         "merket utkast og kriteriet oppfylt: begrunnet-kortet, ikke «uten grunnlag»",
         [remove("henvisning-utkast-begrunnet"),
          referral("utkast-merket", status="draft", text=MEDPOL, label=LABEL)]),
    Case(SIG, "umerket-henvisning-tretthet-stille", T, OSIGN, False,
         "umerket henvisning med årsak tretthet (A04): ikke merket for pakkeforløpet",
         [referral("utkast-sovn", status="draft", text="Henvisning søvnpoliklinikk",
                   reason=(ICPC, "A04", "Slapphet/tretthet"))]),
    # --- diagnostisk.mistanke.bestilling: related draft, ≥ 1 element, tests missing ------------
    Case(MIS, "psa-mangler-order-select", P, OSEL, True,
         "mann 55, vekttap (T08), alt tatt unntatt PSA, utkast med årsak T08: PSA mangler"),
    Case(MIS, "psa-mangler-order-sign", P, OSIGN, True, "samme ved signering av umerket utkast"),
    Case(MIS, "patient-view-stille", P, PV, False,
         "ingen mistanke-kort i patient-view (policy), og ett element gir ikke begrunnet"),
    Case(MIS, "alder-51-psa-mangler", P, OSEL, True,
         "mann 51 år (> 50): PSA hører med og mangler",
         [born("1975-04-02")]),
    Case(MIS, "alder-50-psa-gjelder-ikke-stille", P, OSEL, False,
         "mann 50 år: PSA gjelder ikke, alle andre prøver er tatt",
         [born("1976-04-02")]),
    Case(MIS, "kvinne-psa-gjelder-ikke-stille", P, OSEL, False,
         "kvinne 55 år: PSA gjelder bare menn, alle andre prøver er tatt",
         [sex("female")]),
    Case(MIS, "psa-90-dager-stille", P, OSEL, False,
         "PSA tatt for 90 dager siden: fortsatt gyldig, ingenting mangler",
         [psa("psa", 90)]),
    Case(MIS, "psa-91-dager-henvis", P, OSEL, True,
         "PSA tatt for 91 dager siden: for gammel, foreslås på nytt",
         [psa("psa", 91)]),
    Case(MIS, "urelatert-henvisning-stille", P, OSEL, False,
         "utkastet er en ortopedihenvisning for kneplager: ikke relatert",
         [remove("henvisning-utkast-psa-mangler"),
          referral("utkast-kne", status="draft", text="Henvisning ortopedisk poliklinikk",
                   reason=(ICPC, "L15", "Kne symptomer/plager"))]),
    Case(MIS, "merket-utkast-order-select", P, OSEL, True,
         "utkast merket «Diagnostisk pakkeforløp» uten årsakskode: merket = relatert",
         [remove("henvisning-utkast-psa-mangler"),
          referral("utkast-merket", status="draft", text=MEDPOL, label=LABEL)]),
    Case(MIS, "ingen-funn-stille", P, OSEL, False,
         "uten vekttap-diagnosen: ingen symptomer/funn fra kriteriene",
         [remove("vekttap-psa-mangler")]),
    # --- values that cannot be used (cds/facts/numbers.py): «kunne ikke vurderes» --------------
    Case(BEG, "hb-1e308-kunne-ikke-vurderes", T, PV, False,
         "tretthet + Hb 1e308 (urimelig stor): anemi kunne ikke vurderes, et info-kort sier det",
         [raw_value("hb-tretthet", 1e308)]),
    Case(BEG, "tsh-nan-andre-funn-henvis", B, PV, True,
         "TSH «NaN» kan ikke brukes, men vekttap og anemi gir fortsatt begrunnet mistanke",
         [raw_value("tsh-begrunnet", "NaN")]),
]
