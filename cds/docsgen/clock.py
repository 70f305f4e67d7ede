"""The «Forløpsklokke og registrering» section of a pathway page: the registration codes per
event, the forløpstider between events as the clock counts them, and how a record shows an event
nobody has registered (the pathway's ``timeline:`` block). Generated from the criteria file."""

from __future__ import annotations

from cds.criteria.base import Citation
from cds.criteria.schema import Pathway
from cds.render.timeline import EVENT_WORDS, OUTCOME_WORDS, TREATMENT_WORDS


def _cite(cite: Citation) -> str:
    return f"{cite.file} «{cite.section}»"


def clock_section(pathway: Pathway) -> list[str]:
    """The section's Markdown lines."""
    out = [
        "## Forløpsklokke og registrering",
        "",
        "What `cds timeline`, the GP's safety-net cards and the hospital's registration proposals "
        "count with (docs/architecture.md «The pathway clock»).",
        "",
        "* **Fastlegen** (`patient-view`): er en henvisning merket for pakkeforløpet sendt, og "
        "ingen time eller første fremmøte er registrert innen forløpstiden, kommer et stille "
        "`info`-kort (`warning` når fristen er passert med mer enn "
        "`CDS_SAFETY_NET_WARNING_AFTER_DAYS` dager), med forslag om å dokumentere at pasienten "
        "er kontaktet eller lage en påminnelse. Er forløpet avsluttet uten påvist kreft mens "
        "funnet fortsatt registreres, sier et kort det. Korttypen `safety_net` kan slås av.",
        "* **Sykehuset** (tjenesten `pakkeforlop-registrering`): koder journalen viser, men som "
        "ikke er registrert, foreslås som registreringer (én `Observation` per hendelse, "
        "docs/registration.md). Tjenesten registrerer aldri noe selv; koordinator godtar eller "
        "avviser hvert forslag.",
        "",
        "| kode | hendelse | betydning | kilde |",
        "|---|---|---|---|",
    ]
    for c in pathway.registration_codes:
        kind = EVENT_WORDS[c.event]
        if c.outcome is not None:
            kind += f": {OUTCOME_WORDS[c.outcome]}"
        if c.treatment is not None:
            kind += f": {TREATMENT_WORDS[c.treatment]}"
        out.append(f"| `{c.code}` | {c.display} | {kind} | {_cite(c.cite)} |")
    out += ["", "**Forløpstider i klokken** (kalenderdager, regnet fra den faktiske datoen):", ""]
    for t in pathway.times:
        if t.start is None or t.end is None:
            continue
        kinds = f" ({', '.join(TREATMENT_WORDS[k] for k in t.treatments)})" if t.treatments else ""
        out.append(
            f"* {EVENT_WORDS[t.start]} → {EVENT_WORDS[t.end]}{kinds}: {t.days} dager — "
            f"«{' '.join(t.cite.quote.split())}»"
        )
    spec = pathway.timeline
    if spec is None:
        return [*out, "", "(ingen `timeline:`-blokk: bare registrerte koder teller)", ""]
    out += [
        "",
        "**Når ingen har registrert** (the record's evidence, `timeline:`):",
        "",
        f"* Første fremmøte: kontakt eller time med `basedOn` til henvisningen, eller ved "
        f"avdeling som samsvarer med `{'`, `'.join(spec.departments)}`.",
        f"* Klinisk beslutning: diagnose fra kodelisten `{spec.diagnosis}` (påvist kreft)"
        + (f", `{spec.other_cancer}` (annen kreft)" if spec.other_cancer else "")
        + "; et notat (tittel som beslutningsnotat) som avkrefter alle omtaler av kreft.",
    ]
    if spec.treatments:
        out.append(
            "* Behandling start: "
            + "; ".join(f"{TREATMENT_WORDS[t.kind]} fra `{t.codeset}`" for t in spec.treatments)
            + "."
        )
    out += ["", "**Kilder**:", ""]
    out += [f"* «{' '.join(c.quote.split())}» ({_cite(c)})" for c in spec.cite]
    return [*out, ""]
