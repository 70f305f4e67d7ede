"""The schema of ``criteria/assertion.yaml``: the words that say what a sentence asserts.

One lexicon serves every text source of every pathway (criteria/README.md «Assertion»). The
algorithm that uses it lives in ``cds.facts.text``; this module only says what the data must look
like, so that a typo in a trigger list stops the service at start-up instead of silently letting
negated findings count.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# What a sentence says about one finding. ``affirmed``: the patient has it now.
Assertion = Literal["affirmed", "negated", "uncertain", "historical", "family"]
# Which trigger decides when several govern one finding: another person's finding is never the
# patient's, a denial beats history and doubt, and history beats doubt («tidligere mistanke om»).
PRECEDENCE: tuple[Assertion, ...] = ("family", "negated", "historical", "uncertain")

Direction = Literal["forward", "backward", "both"]


class Strict(BaseModel):
    """As ``cds.criteria.schema.Strict`` (which imports this module): unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Trigger(Strict):
    """A word or phrase that changes the assertion of findings near it.

    ``forward``: governs findings after it («ingen osteolyse»); ``backward``: findings before it
    («M-komponent ikke påvist»); ``both``. ``window``: at most this many words between trigger
    and finding (default: the group's). A case-insensitive Python regex.
    """

    pattern: str
    direction: Direction
    window: int | None = Field(default=None, ge=0)
    note: str | None = None


class TriggerGroup(Strict):
    """The triggers of one assertion (negated, uncertain, historical, family)."""

    window: int = Field(ge=0)  # default words between trigger and finding
    triggers: tuple[Trigger, ...] = Field(min_length=1)
    note: str | None = None


class AssertionLexicon(Strict):
    """criteria/assertion.yaml: triggers, pseudo-triggers, scope terminators and abbreviations."""

    version: str
    source: str  # where the word lists come from
    note: str | None = None
    # Points after these (regexes matched at the end of the text before the point) do not end a
    # sentence: «tidl.», «evt.», «ca.», «m. vastus».
    abbreviations: tuple[str, ...] = ()
    # End a trigger's scope inside a sentence (sentences end at «.», «;», «!», «?», line breaks).
    terminators: tuple[str, ...] = Field(min_length=1)
    # A comma does not end a forward scope when one of these follows it in the same segment: the
    # finding is an item of a denied list («ingen osteolyse, fraktur eller sammenfall»).
    list_words: tuple[str, ...] = ()
    # Words that join the items of one list without a comma («ingen feber og nattesvette»). A
    # forward scope reaches a finding past one of them only when that finding is an item of the
    # list the trigger governs (criteria/README.md «Assertion»); otherwise the joiner starts a new
    # statement («ingen osteolyse og kompresjonsfraktur Th12» affirms the fracture).
    list_joiners: tuple[str, ...] = ()
    # What may follow the last item of a joined list of findings and still belong to every item
    # («ingen kraftsvikt og nummenhet i bena»): regexes matched against the whole rest of the
    # clause after the finding.
    list_tails: tuple[str, ...] = ()
    # Phrases that look like triggers but are not («ingen endring», «ikke bare», «som tidligere»);
    # they take their words away from any trigger they overlap.
    pseudo: tuple[str, ...] = ()
    negated: TriggerGroup
    uncertain: TriggerGroup
    historical: TriggerGroup
    family: TriggerGroup

    def groups(self) -> tuple[tuple[Assertion, TriggerGroup], ...]:
        """(assertion, group) for every trigger group, in precedence order."""
        return tuple((name, getattr(self, name)) for name in PRECEDENCE)
