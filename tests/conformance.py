"""Every CDS Hooks 2.0 rule a service response must meet, as one assertion for the test suite.

Independent of :mod:`cds.cdshooks` on purpose: the wire models enforce these rules when cards are
built, and this module checks the JSON that actually leaves the service, so a bug in a model
validator or in ``dump()`` is caught too. Sources: ../shared/reference/
cds-hooks-service-checklist.md §1.1 (no null/empty values), §1.6 (card, source, suggestion,
action, link, coding rules) and §4.3 checks S1 (cards), S2 (actions) and S3 (no guidance is
``{"cards": []}``).

Beyond the spec, our own reading-time rules (docs: cds/render/budget.py, cds/render/links.py):
each card's ``detail`` within the length budget of its card type (named in the card's
``extension``; a card without one gets the largest budget), and at most three links.

``assert_conformant`` collects every problem before failing, so one run shows all of them.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlparse

from markdown_it import MarkdownIt

from cds.render.budget import CARD_TYPE_EXTENSION, DETAIL_BUDGET
from cds.render.links import MAX_LINKS

SUMMARY_MAX = 139  # "<140-character"; Inferno fails at length >= 140
INDICATORS = frozenset({"info", "warning", "critical"})
SELECTION_BEHAVIORS = frozenset({"at-most-one", "any"})
ACTION_TYPES = frozenset({"create", "update", "delete"})
LINK_TYPES = frozenset({"absolute", "smart"})
PATHWAY_LABEL = "Pakkeforløp for "
_RESOURCE_ID = re.compile(r"^[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")
# CommonMark with GitHub's tables and strikethrough; html stays on so raw HTML is *detected*.
_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def assert_conformant(response: dict[str, Any], request: dict[str, Any] | None = None) -> None:
    """Fail with every CDS Hooks 2.0 violation in ``response`` (a parsed JSON body).

    With ``request`` (the hook request that produced it), ``update``/``delete`` actions are also
    checked against the request's ``context.draftOrders``.
    """
    problems = problems_in(response, request)
    if problems:
        listing = "\n  - ".join(problems)
        raise AssertionError(f"CDS Hooks response is not conformant:\n  - {listing}")


def problems_in(response: Any, request: dict[str, Any] | None = None) -> list[str]:
    """The list of violations (empty when the response is conformant)."""
    if not isinstance(response, dict):
        return ["response is not a JSON object"]
    problems: list[str] = []
    problems += _empty_values(response)
    unknown = set(response) - {"cards", "systemActions", "extension"}
    if unknown:
        problems.append(f"unknown top-level keys {sorted(unknown)}")
    cards = response.get("cards")
    if not isinstance(cards, list):
        problems.append("'cards' is required and must be an array")
        cards = []
    drafts = _draft_refs(request)
    uuids: list[str] = []
    for i, card in enumerate(cards):
        problems += _card(f"cards[{i}]", card, uuids, drafts)
    actions = response.get("systemActions")
    if actions is not None:
        if not isinstance(actions, list):
            problems.append("systemActions must be an array")
        else:
            for j, action in enumerate(actions):
                problems += _action(f"systemActions[{j}]", action, drafts)
    duplicates = sorted({u for u in uuids if uuids.count(u) > 1})
    if duplicates:
        problems.append(f"uuids are not unique across cards and suggestions: {duplicates}")
    return problems


# --- JSON: no null / "" / [] / {} (spec §Use of JSON) -------------------------------------------


def _empty_values(response: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(value: Any, path: str) -> None:
        if value is None or value == "" or value == [] or value == {}:
            found.append(f"{path} is null or empty ({json.dumps(value)})")
            return
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    for key, value in response.items():
        if key == "cards" and value == []:
            continue  # the one empty value the spec allows: no guidance
        walk(value, key)
    return found


# --- cards ----------------------------------------------------------------------------------------


def _card(path: str, card: Any, uuids: list[str], drafts: set[str] | None) -> list[str]:
    if not isinstance(card, dict):
        return [f"{path} is not an object"]
    problems: list[str] = []
    if "uuid" in card:
        if isinstance(card["uuid"], str):
            uuids.append(card["uuid"])
        else:
            problems.append(f"{path}.uuid must be a string")
    summary = card.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        problems.append(f"{path}.summary is required (a non-empty string)")
    elif len(summary) > SUMMARY_MAX:
        problems.append(f"{path}.summary has {len(summary)} characters; it must be under 140")
    indicator = card.get("indicator")
    if indicator not in INDICATORS:
        problems.append(f"{path}.indicator {indicator!r} is not one of {sorted(INDICATORS)}")
    problems += _source(f"{path}.source", card.get("source"))
    if "detail" in card:
        problems += _detail(f"{path}.detail", card["detail"])
    problems += _budget(path, card)
    problems += _suggestions(path, card, uuids, drafts)
    for k, reason in enumerate(_list(card, "overrideReasons", path, problems)):
        problems += _coding(f"{path}.overrideReasons[{k}]", reason, display_required=True)
    for k, link in enumerate(_list(card, "links", path, problems)):
        problems += _link(f"{path}.links[{k}]", link)
    return problems


def _budget(path: str, card: dict[str, Any]) -> list[str]:
    """The card type's length budget for ``detail``, and at most :data:`MAX_LINKS` links."""
    problems: list[str] = []
    extension = card.get("extension")
    kind = extension.get(CARD_TYPE_EXTENSION) if isinstance(extension, dict) else None
    if kind is not None and kind not in DETAIL_BUDGET:
        problems.append(f"{path}.extension names an unknown card type {kind!r}")
    budget = DETAIL_BUDGET.get(str(kind), max(DETAIL_BUDGET.values()))
    detail = card.get("detail")
    if isinstance(detail, str) and len(detail) > budget:
        problems.append(
            f"{path}.detail has {len(detail)} characters; the budget for "
            f"{kind or 'a card without a type'} is {budget}"
        )
    links = card.get("links")
    if isinstance(links, list) and len(links) > MAX_LINKS:
        problems.append(f"{path} has {len(links)} links; at most {MAX_LINKS}")
    return problems


def _list(obj: dict[str, Any], key: str, path: str, problems: list[str]) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(f"{path}.{key} must be an array")
        return []
    return value


def _source(path: str, source: Any) -> list[str]:
    if not isinstance(source, dict):
        return [f"{path} is required (an object)"]
    problems: list[str] = []
    if not isinstance(source.get("label"), str) or not source["label"].strip():
        problems.append(f"{path}.label is required")
    for key in ("url", "icon"):
        if key in source and not _absolute_url(source[key]):
            problems.append(f"{path}.{key} must be an absolute URL")
    if "topic" in source:
        problems += _coding(f"{path}.topic", source["topic"], display_required=False)
    return problems


def _detail(path: str, detail: Any) -> list[str]:
    if not isinstance(detail, str):
        return [f"{path} must be a string (GitHub-flavoured markdown)"]
    try:
        tokens = _MARKDOWN.parse(detail)
    except Exception as exc:  # markdown-it rarely raises; if it does, the detail is unusable
        return [f"{path} does not parse as markdown: {exc}"]
    html = [t for t in _flatten(tokens) if t.type in ("html_block", "html_inline")]
    if html:
        return [f"{path} contains raw HTML: {html[0].content.strip()[:60]!r}"]
    return []


def _flatten(tokens: list[Any]) -> list[Any]:
    out: list[Any] = []
    for token in tokens:
        out.append(token)
        if token.children:
            out += _flatten(token.children)
    return out


def _coding(path: str, coding: Any, *, display_required: bool) -> list[str]:
    if not isinstance(coding, dict):
        return [f"{path} is not an object"]
    needed = ("code", "system", "display") if display_required else ("code", "system")
    return [
        f"{path}.{key} is required"
        for key in needed
        if not isinstance(coding.get(key), str) or not coding[key].strip()
    ]


def _link(path: str, link: Any) -> list[str]:
    if not isinstance(link, dict):
        return [f"{path} is not an object"]
    problems: list[str] = []
    if not isinstance(link.get("label"), str) or not link["label"].strip():
        problems.append(f"{path}.label is required")
    if not _absolute_url(link.get("url")):
        problems.append(f"{path}.url must be an absolute URL")
    if link.get("type") not in LINK_TYPES:
        problems.append(f"{path}.type {link.get('type')!r} is not one of {sorted(LINK_TYPES)}")
    if link.get("type") == "absolute" and "appContext" in link:
        problems.append(f"{path}.appContext is only allowed on smart links")
    return problems


def _absolute_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


# --- suggestions and actions ----------------------------------------------------------------------


def _suggestions(
    path: str, card: dict[str, Any], uuids: list[str], drafts: set[str] | None
) -> list[str]:
    problems: list[str] = []
    suggestions = _list(card, "suggestions", path, problems)
    behavior = card.get("selectionBehavior")
    if suggestions and behavior not in SELECTION_BEHAVIORS:
        problems.append(
            f"{path}.selectionBehavior must be one of {sorted(SELECTION_BEHAVIORS)} "
            "when there are suggestions"
        )
    if not suggestions and "selectionBehavior" in card:
        problems.append(f"{path}.selectionBehavior is only allowed with suggestions")
    recommended = 0
    for k, suggestion in enumerate(suggestions):
        where = f"{path}.suggestions[{k}]"
        if not isinstance(suggestion, dict):
            problems.append(f"{where} is not an object")
            continue
        if not isinstance(suggestion.get("label"), str) or not suggestion["label"].strip():
            problems.append(f"{where}.label is required")
        if "uuid" in suggestion:
            if isinstance(suggestion["uuid"], str):
                uuids.append(suggestion["uuid"])
            else:
                problems.append(f"{where}.uuid must be a string")
        if "isRecommended" in suggestion and not isinstance(suggestion["isRecommended"], bool):
            problems.append(f"{where}.isRecommended must be a boolean")
        recommended += suggestion.get("isRecommended") is True
        for a, action in enumerate(_list(suggestion, "actions", where, problems)):
            problems += _action(f"{where}.actions[{a}]", action, drafts)
    if behavior == "at-most-one" and recommended > 1:
        problems.append(f"{path} has {recommended} isRecommended suggestions with at-most-one")
    return problems


def _action(path: str, action: Any, drafts: set[str] | None) -> list[str]:
    if not isinstance(action, dict):
        return [f"{path} is not an object"]
    problems: list[str] = []
    kind = action.get("type")
    if kind not in ACTION_TYPES:
        problems.append(f"{path}.type {kind!r} is not one of {sorted(ACTION_TYPES)}")
    if not isinstance(action.get("description"), str) or not action["description"].strip():
        problems.append(f"{path}.description is required")
    if kind in ("create", "update"):
        resource = action.get("resource")
        if not isinstance(resource, dict):
            problems.append(f"{path}.resource is required for {kind}")
        else:
            problems += _fhir(f"{path}.resource", resource)
            if kind == "update" and drafts is not None:
                ref = f"{resource.get('resourceType')}/{resource.get('id')}"
                if ref not in drafts:
                    problems.append(f"{path} updates {ref}, which is not in context.draftOrders")
    if kind == "delete":
        target = action.get("resourceId")
        if not isinstance(target, str) or not _RESOURCE_ID.match(target):
            problems.append(f"{path}.resourceId must be a relative reference Type/id")
        elif drafts is not None and target not in drafts:
            problems.append(f"{path} deletes {target}, which is not in context.draftOrders")
    return problems


def _fhir(path: str, resource: dict[str, Any]) -> list[str]:
    """R4B structure (fhir.resources) and, for pathway referrals, our ServiceRequest profile."""
    # Imported here: fhir.resources is slow to import and only needed for responses with actions.
    from fhir.resources.R4B import get_fhir_model_class

    resource_type = resource.get("resourceType")
    try:
        model = get_fhir_model_class(str(resource_type))
    except (KeyError, ValueError):
        return [f"{path}.resourceType {resource_type!r} is not a FHIR R4B resource type"]
    try:
        model.model_validate(resource)
    except ValueError as exc:  # pydantic.ValidationError is a ValueError
        return [f"{path} is not a valid R4B {resource_type}: {_first_line(exc)}"]
    if resource_type == "ServiceRequest" and _labelled(resource):
        from cds.profile import load_profile, validate_profile

        errors = validate_profile(resource, load_profile())
        if errors:
            return [f"{path} violates the pakkeforløp referral profile: {'; '.join(errors)}"]
    return []


def _labelled(resource: dict[str, Any]) -> bool:
    """True for our pathway referrals: a coding in our pathway code system (any pathway,
    «Diagnostisk pakkeforløp» included) or a «Pakkeforløp for …» marking in its text."""
    from cds.render.format import PATHWAY_CODE_SYSTEM

    codings = (resource.get("code") or {}).get("coding") or []
    if any(c.get("system") == PATHWAY_CODE_SYSTEM for c in codings if isinstance(c, dict)):
        return True
    return PATHWAY_LABEL.lower() in json.dumps(resource, ensure_ascii=False).lower()


def _first_line(exc: Exception) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return " / ".join(lines[:3])


def _draft_refs(request: dict[str, Any] | None) -> set[str] | None:
    """``Type/id`` of every entry in the request's ``context.draftOrders`` (None: no request)."""
    if request is None:
        return None
    context = request.get("context")
    bundle = context.get("draftOrders") if isinstance(context, dict) else None
    entries = bundle.get("entry", []) if isinstance(bundle, dict) else []
    refs: set[str] = set()
    for entry in entries if isinstance(entries, list) else []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict):
            refs.add(f"{resource.get('resourceType')}/{resource.get('id')}")
    return refs
