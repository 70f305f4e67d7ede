"""The CDS hooks we answer, in one table: everything else that knows a hook derives from it.

One row per hook (CDS Hooks 2.0 Hook Library): its name, whether it is an *order hook* (its
context carries the draft orders the GP is writing), the context keys it carries, and the CDS
service we publish for it. Derived from :data:`HOOKS`:

* the hook names a criteria rule may list (``HookName``; ``Rule.hooks`` in
  ``cds.criteria.schema``; the loader refuses a rule that lists none, so a new hook never applies
  every rule silently), the ``hook`` of discovery entries (``cds.cdshooks.ServiceDefinition``);
* the published services and their discovery texts (``cds.services.SERVICES``);
* the requests the command line and the golden cases build from a Bundle
  (``cds.record.bundle``: which hooks exist, which carry ``draftOrders`` and ``selections``).

A leaf: it imports nothing of ``cds``. Adding a hook: a row here, its name in ``HookName``
(checked below), and ``hooks:`` on every criteria rule that should apply to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

# The hook names as a type (pydantic validates ``Rule.hooks`` against it); the rows below are
# the same names, in the same order (checked at import).
HookName = Literal["patient-view", "order-select", "order-sign"]


@dataclass(frozen=True, slots=True)
class Hook:
    """One hook we answer and the service we publish for it (texts in Norwegian / English)."""

    name: HookName
    order_hook: bool  # the context carries draftOrders (and, for order-select, selections)
    context_keys: tuple[str, ...]  # context fields of the hook (Hook Library), required first
    service_id: str
    title: str
    description: str


HOOKS: tuple[Hook, ...] = (
    Hook(
        name="patient-view",
        order_hook=False,
        context_keys=("userId", "patientId", "encounterId"),
        service_id="pakkeforlop-patient-view",
        title="Pakkeforløp kreft: mulige henvisningskriterier",
        description=(
            "Når journalen åpnes: sjekker lab-svar, diagnoser, medisiner og tidligere "
            "henvisninger mot Helsedirektoratets kriterier for henvisning til pakkeforløp for "
            "kreft, og viser et kort når kriteriene er oppfylt eller bør utredes videre. / On "
            "chart open: checks the record against the Norwegian cancer patient pathway referral "
            "criteria and shows a card when they are met or worth working up."
        ),
    ),
    Hook(
        name="order-select",
        order_hook=True,
        context_keys=("userId", "patientId", "encounterId", "selections", "draftOrders"),
        service_id="pakkeforlop-order-select",
        title="Pakkeforløp kreft: kontroll ved valg av henvisning",
        description=(
            "Når en henvisning eller rekvisisjon velges: vurderer om pasienten oppfyller "
            "kriteriene for pakkeforløp og foreslår en utfylt henvisning eller manglende prøver. "
            "/ On order select: assesses the cancer pathway criteria and suggests a pre-filled "
            "referral or the missing lab tests."
        ),
    ),
    Hook(
        name="order-sign",
        order_hook=True,
        context_keys=("userId", "patientId", "encounterId", "draftOrders"),
        service_id="pakkeforlop-order-sign",
        title="Pakkeforløp kreft: kontroll før signering av henvisning",
        description=(
            "Før signering: kontrollerer at en henvisning til pakkeforløp er begrunnet og "
            "komplett, og foreslår oppdatering av utkastet. / Before signing: checks that a "
            "cancer pathway referral is justified and complete, and suggests updating the draft."
        ),
    ),
)

HOOK_NAMES: tuple[HookName, ...] = tuple(hook.name for hook in HOOKS)
ORDER_HOOKS: frozenset[str] = frozenset(hook.name for hook in HOOKS if hook.order_hook)

if HOOK_NAMES != get_args(HookName):  # pragma: no cover - a table edit without the type
    raise RuntimeError(f"HookName {get_args(HookName)} and the HOOKS rows {HOOK_NAMES} differ")

_BY_NAME: dict[str, Hook] = {hook.name: hook for hook in HOOKS}


def hook_named(name: str) -> Hook | None:
    """The row of hook ``name``, or None for a hook we do not answer."""
    return _BY_NAME.get(name)
