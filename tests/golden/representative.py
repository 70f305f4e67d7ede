"""The golden cases whose full response is committed (``<rule-id>/<case>.expected.json``).

One case per pathway and outcome (card type), on each hook where the card differs, plus the
shapes only a full file shows: a merged card, two cards of two pathways, an ``update`` and a
``delete`` of the draft, the not-assessed and not-met cards, and the silent answer. Every other
case is compared by its projection (``projection.py``, ``<rule-id>/projections.json``): a change
to a referral's text, a lab order or a link shows up here first. Keep the list short (the
tracked golden data stays under ~3 MB); ``pytest tests/golden --update-golden`` writes the files.
"""

from __future__ import annotations

FULL: dict[str, str] = {
    # --- myelomatose -----------------------------------------------------------------------------
    "myelomatose.akutt/eksempel-patient-view":
        "acute card (critical, 1-2 døgn) in patient-view, with its referral",
    "myelomatose.akutt/eksempel-order-sign":
        "acute card on order-sign: the signed draft is the acute referral",
    "myelomatose.akutt/hyperkalsemi-uten-m-komponent-ikke-akutt":
        "two cards of two pathways (begrunnet + mistanke) in one answer",
    "myelomatose.begrunnet/eksempel-patient-view":
        "merged begrunnet card (myelomatose recommended, diagnostisk as the alternative)",
    "myelomatose.begrunnet/order-select-utkast-oppdateres":
        "order-select: the draft referral is updated (update action), not a new one",
    "myelomatose.begrunnet/ukjent-hb-enhet-kunne-ikke-vurderes-patient-view":
        "not-assessed card: a result in an unknown unit",
    "myelomatose.mistanke.patient-view/eksempel-3-funn":
        "mistanke in patient-view: the filter tests as lab orders",
    "myelomatose.mistanke.bestilling/eksempel-order-select":
        "mistanke on order-select: the missing filter tests next to the draft",
    "myelomatose.mgus/mgus-stabil-ckd3-order-select-info":
        "not-met card (MGUS), information only",
    "myelomatose.kjent-sykdom/kjent-myelomatose-order-select-info":
        "advice card: known myelomatosis, no new pathway referral",
    "myelomatose.signert-uten-grunnlag/order-sign-merket-uten-grunnlag":
        "order-sign of a labelled referral without grounds (myelomatose)",
    # --- sarkom ----------------------------------------------------------------------------------
    "sarkom.begrunnet.mr/eksempel-patient-view":
        "sarkom begrunnet mistanke from an MR report",
    "sarkom.begrunnet.abdominal/eksempel-order-sign":
        "sarkom begrunnet on order-sign",
    "sarkom.mistanke.blotvev/eksempel-dyp-4cm":
        "sarkom mistanke (soft-tissue lump): imaging to order",
    "sarkom.stopp-biopsi/eksempel-order-select":
        "stop card (critical): the biopsy draft is deleted (delete action)",
    "sarkom.barn.blotvevssvulst/eksempel-patient-view":
        "advice card (warning) for a child: the children's pathway",
    "sarkom.rtg-tidligere-kreft/eksempel-patient-view":
        "advice card (info): skeletal finding after earlier cancer",
    "sarkom.signert-uten-grunnlag/merket-uten-grunnlag":
        "order-sign of a labelled referral without grounds (sarkom)",
    # --- diagnostisk -----------------------------------------------------------------------------
    "diagnostisk.begrunnet/eksempel-patient-view":
        "diagnostisk begrunnet mistanke alone (no organ-specific pathway)",
    "diagnostisk.feces-blod-positiv/eksempel-patient-view":
        "advice card (warning): positive faecal blood test",
    "diagnostisk.mistanke.bestilling/psa-mangler-order-select":
        "diagnostisk mistanke on order-select: the missing PSA",
    "diagnostisk.signert-uten-grunnlag/merket-uten-grunnlag":
        "order-sign of a labelled referral without grounds (diagnostisk)",
    # --- registration proposals (pakkeforlop-registrering) ------------------------------------
    "sarkom.registrering.ikke-kreft/epikrise-uten-holdepunkt-for-sarkom":
        "registration proposals (A36A, A36S) and the A36CA/A36CI choice: the Observations in full",
    # --- nothing to say --------------------------------------------------------------------------
    "silent/frisk-patient-view":
        "a healthy record: no cards at all",
}
