"""The cards of a CDS Hooks response as plain terminal text (``cds evaluate --format text``):
indicator, summary, detail, suggestions and links, as a GP would read them."""

from __future__ import annotations

import textwrap
from typing import Any

_INDICATOR_LABEL = {"critical": "KRITISK", "warning": "ADVARSEL", "info": "INFO"}


def render_text(response: dict[str, Any]) -> str:
    """The cards as plain terminal text: indicator, summary, detail, suggestions and links."""
    cards = response.get("cards", [])
    if not cards:
        return "Ingen kort (no cards): nothing to say about this patient."
    blocks = [_card_text(card) for card in cards]
    return "\n\n".join(blocks)


def _card_text(card: dict[str, Any]) -> str:
    indicator = card.get("indicator", "info")
    lines = [f"[{_INDICATOR_LABEL.get(indicator, indicator.upper())}] {card.get('summary', '')}"]
    source = card.get("source", {})
    if source.get("label"):
        url = f" <{source['url']}>" if "url" in source else ""
        lines.append(f"  Kilde: {source['label']}{url}")
    if card.get("detail"):
        lines.append("")
        lines += [_indent(line) for line in card["detail"].splitlines()]
    suggestions = card.get("suggestions", [])
    if suggestions:
        lines.append("")
        lines.append(f"  Forslag ({card.get('selectionBehavior', '')}):")
        for suggestion in suggestions:
            star = " (anbefalt)" if suggestion.get("isRecommended") else ""
            lines.append(f"    -> {suggestion.get('label', '')}{star}")
            for action in suggestion.get("actions", []):
                lines.append(f"       {action.get('type', '?')} {_action_target(action)}")
                if action.get("description"):
                    lines.append(f"         {action['description']}")
    for link in card.get("links", []):
        lines.append(f"  Lenke: {link.get('label', '')} <{link.get('url', '')}>")
    return "\n".join(lines)


def _action_target(action: dict[str, Any]) -> str:
    """``ServiceRequest «label»`` for create/update, ``Type/id`` for delete."""
    resource = action.get("resource")
    if not isinstance(resource, dict):
        return str(action.get("resourceId", ""))
    label = _resource_label(resource)
    kind = str(resource.get("resourceType", "?"))
    return f"{kind} «{label}»" if label else kind


def _resource_label(resource: dict[str, Any]) -> str:
    code = resource.get("code")
    if isinstance(code, dict):
        if code.get("text"):
            return str(code["text"])
        for coding in code.get("coding", []):
            if isinstance(coding, dict) and coding.get("display"):
                return str(coding["display"])
    return ""


def _indent(line: str) -> str:
    if not line.strip() or line.lstrip().startswith(("|", "-", "*")):
        return "  " + line if line.strip() else ""  # tables and lists keep their layout
    wrapped = textwrap.wrap(line, width=96, subsequent_indent="  ")
    return "\n".join("  " + part if part else "" for part in wrapped)
