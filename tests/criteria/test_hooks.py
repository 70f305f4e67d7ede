"""The hook table (cds/hooks.py) is the one list of hooks: services, requests, rules follow it."""

from __future__ import annotations

from typing import get_args

import pytest

from cds.criteria.schema import ALL_HOOKS, Rule
from cds.hooks import HOOK_NAMES, HOOKS, ORDER_HOOKS, HookName, hook_named
from cds.record.bundle import HOOKS as BUNDLE_HOOKS
from cds.record.bundle import request_from_bundle
from cds.services import HOOK_SERVICES, REGISTRATION, SERVICES, discovery, service_for_hook

BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1"}},
        {
            "resource": {
                "resourceType": "ServiceRequest",
                "id": "draft-1",
                "status": "draft",
                "intent": "order",
                "subject": {"reference": "Patient/p1"},
            }
        },
    ],
}


def test_one_service_per_hook_in_table_order() -> None:
    assert tuple(s.hook for s in HOOK_SERVICES) == HOOK_NAMES
    # then the registration proposals, a second patient-view service (docs/registration.md)
    assert [d.hook for d in discovery().services] == [*HOOK_NAMES, "patient-view"]
    assert {s.id for s in HOOK_SERVICES} == {h.service_id for h in HOOKS}
    assert SERVICES == (*HOOK_SERVICES, REGISTRATION)
    assert all(service_for_hook(h).id == hook_named(h).service_id for h in HOOK_NAMES)  # type: ignore[union-attr]


def test_names_agree_everywhere() -> None:
    assert get_args(HookName) == HOOK_NAMES == ALL_HOOKS == BUNDLE_HOOKS


def test_order_hooks_are_the_ones_with_draft_orders() -> None:
    assert {h.name for h in HOOKS if "draftOrders" in h.context_keys} == ORDER_HOOKS
    assert {s.hook for s in SERVICES if s.hook in ORDER_HOOKS} == ORDER_HOOKS
    assert ORDER_HOOKS == {"order-select", "order-sign"}


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_bundle_requests_carry_the_hooks_context_keys(name: str) -> None:
    request = request_from_bundle(BUNDLE, hook=name)
    row = hook_named(name)
    assert row is not None
    assert set(request["context"]) <= set(row.context_keys)
    assert ("draftOrders" in request["context"]) == row.order_hook
    assert ("selections" in request["context"]) == ("selections" in row.context_keys)


def test_unknown_hook_has_no_row() -> None:
    assert hook_named("encounter-start") is None


def test_rule_hooks_are_validated_against_the_table() -> None:
    base = {"id": "r", "outcome": "begrunnet", "cite": [], "when": {"feature": "f"}}
    assert Rule.model_validate({**base, "hooks": ["order-sign"]}).hooks == ("order-sign",)
    with pytest.raises(ValueError, match="patient-view"):
        Rule.model_validate({**base, "hooks": ["encounter-start"]})
