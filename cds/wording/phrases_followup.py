"""Phrases of the follow-up programme after cancer treatment (``followup.*``): the cards of
``cds.render.followup_cards`` and the CarePlan of ``cds.render.careplan``.

Kept beside the main table (``cds.wording.phrases`` merges them into ``PHRASES``) so that the
programme's words stay in one place. Field formatters as in the main table.
"""

from __future__ import annotations

FOLLOWUP_PHRASES: dict[str, str] = {
    # --- an instance's status, as the CarePlan's outcome and the cards say it ------------------
    "followup.status.planned": "planlagt",
    "followup.status.due": "forfaller",
    "followup.status.overdue": "forfalt",
    "followup.status.missed": "ikke utført",
    "followup.status.booked": "bestilt",
    "followup.status.done": "utført",
    "followup.status.not_assessed": "ikke vurdert",
    # What the missing part of a plan is called when it is not a characteristic.
    "followup.missing.treatment_end": "dato for avsluttet behandling",
    "followup.missing.treatment_ongoing": "behandlingen pågår fortsatt",
    # Kinds of initial treatment (late effects are listed per kind).
    "followup.treatment.surgery": "kirurgi",
    "followup.treatment.radiotherapy": "strålebehandling",
    "followup.treatment.drug": "medikamentell behandling",
    "followup.treatment.palliative": "palliativ behandling",
    "followup.treatment.surveillance": "aktiv overvåking",
    "followup.treatment.none": "ingen behandling",
    # --- shared lines -----------------------------------------------------------------------
    "followup.title": "Oppfølging etter {disease}",
    "followup.quote": "> «{quote}» — Kilde: {label}, «{section}»",
    "followup.group_line": "**{group}**.",
    "followup.start_end": "Planen regnes fra avsluttet behandling {start:date}.",
    "followup.start_long": (
        "Planen regnes fra {start:date}, {days} dager etter at langvarig behandling startet."
    ),
    "followup.evidence_heading": "Grunnlag:",
    "followup.ev_diagnosis": "**Diagnose:** {text} — {when:date}",
    "followup.ev_treatment": "**Siste behandling:** {text} — {when:date}",
    "followup.values_heading": "Om svulsten i journalen:",
    "followup.ev_values": "{values} — {text} — {when:date}",
    # --- control_due ------------------------------------------------------------------------
    "followup.summary_item": "{title}: {item} {status} (planlagt {planned:date})",
    "followup.summary_more": "{title}: {item} {status} (planlagt {planned:date}) + {more} til",
    "followup.summary_count": "{title}: {count} kontroller forfaller",
    "followup.due_heading": "Nå i programmet:",
    "followup.item": (
        "**{label}** — {status}, planlagt {planned:date} (tidsvindu {start:date}–{end:date})"
    ),
    "followup.item_last_done": "{item}; sist utført {when:date}",
    "followup.order": "Bestill {label}",
    "followup.order_action": "Lag en bestilling (ServiceRequest, utkast): {label}",
    "followup.override_booked": "Kontrollen er bestilt (ikke registrert i journalen)",
    "followup.override_elsewhere": "Pasienten følges opp et annet sted",
    "followup.override_not_relevant": "Oppfølgingsprogrammet passer ikke for pasienten",
    # --- needs_assessment -------------------------------------------------------------------
    "followup.summary_needs": "{title}: behovsvurdering og senfølger (planlagt {planned:date})",
    "followup.needs_intro": (
        "**Behovsvurdering** planlagt {planned:date} (tidsvindu {start:date}–{end:date}): "
        "er målene nådd, trengs videre tiltak, støtte til egenomsorg?"
    ),
    "followup.late_heading": "Senfølger å se etter:",
    "followup.late_line": "Etter {treatment}: {effects:and}",
    "followup.referrals": "Henvis ved behov: {items}.",
    "followup.referral_line": "{problem} → {to}",
    # --- completed --------------------------------------------------------------------------
    "followup.summary_completed": "Oppfølgingsprogrammet for {disease} ble avsluttet {end:date}",
    "followup.completed_text": (
        "**Pasienten går nå over til egenkontroll i samarbeid med fastlegen.** Nye symptomer "
        "vurderes mot kriteriene i pakkeforløpet for {disease}."
    ),
    "followup.missed_heading": "Ikke utført ved siste planlagte kontroll:",
    "followup.missed_line": "**{label}** — planlagt {planned:date} ({status})",
    # --- not_assigned -----------------------------------------------------------------------
    "followup.summary_unassigned": "{title}: gruppe kan ikke fastsettes (mangler: {missing})",
    "followup.summary_unassigned_none": "{title}: gruppe kan ikke fastsettes",
    "followup.unassigned_missing": (
        "Journalen viser ikke {missing:og}: oppfølgingsplanen kan ikke settes opp uten."
    ),
    "followup.unassigned_conflict": "Motstridende opplysninger om {items:og}.",
    "followup.unassigned_no_group": "Opplysningene i journalen passer ikke til noen gruppe.",
    "followup.unassigned_advice": (
        "Sjekk epikrise og patologisvar, eller spør sarkomsenteret, om oppfølgingen er avtalt."
    ),
    # --- order_not_due (order-select) -------------------------------------------------------
    "followup.summary_not_due": "{order} er ikke planlagt før {next:date} i oppfølgingsprogrammet",
    "followup.summary_not_in": "{order} er ikke en del av oppfølgingsprogrammet for {group}",
    "followup.summary_not_due_short": "Ikke planlagt nå i oppfølgingsprogrammet for {disease}",
    "followup.not_due_text": (
        "Pasienten følges i **{group}**; neste planlagte {order} er {next:date}."
    ),
    "followup.not_in_text": "Pasienten følges i **{group}**, som ikke har {order} i planen.",
    "followup.extra_allowed": "Ved mistanke om tilbakefall kan ekstra undersøkelser være riktig.",
    "followup.override_recurrence": "Mistanke om tilbakefall",
    "followup.override_clinical": "Klinisk begrunnet ekstra undersøkelse",
    # --- the CarePlan -----------------------------------------------------------------------
    "followup.plan_title": "{programme}: {group}",
    "followup.plan_description": (
        "{group}. Planperiode {start:date}–{end:date}, regnet fra {basis}."
    ),
    "followup.basis.treatment_end": "avsluttet behandling {start:date}",
    "followup.basis.long_treatment": (
        "{start:date}, {days} dager etter oppstart av langvarig behandling"
    ),
    "followup.plan_values": "Grunnlag for gruppen: {values}.",
    "followup.plan_value": "{characteristic}: {value}",
    "followup.plan_ended": (
        "Oppfølgingsprogrammet ble avsluttet før tiden: {reason} ({text}, {when:date})."
    ),
    "followup.plan_not_assessed": (
        "Ikke vurdert: journalen viser ikke {items:og}, som avgjør om undersøkelsen er aktuell."
    ),
}
