"""Generate examples/requests/<example>.<hook>.json from the example Bundles (``make examples``).

Every example gets a ``patient-view`` request; examples with a draft order (``status: draft``)
also get ``order-select`` and ``order-sign`` requests, with the draft in ``context.draftOrders``.
The output is deterministic (the hookInstance is a UUID5 of hook and Bundle), so a re-run on
unchanged Bundles changes nothing; ``--check`` exits 1 when a committed file is out of date.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cds.hooks import ORDER_HOOKS
from cds.record.bundle import is_draft_order, request_from_bundle

HERE = Path(__file__).resolve().parent
OUT = HERE / "requests"


def has_draft_order(bundle: dict[str, Any]) -> bool:
    """True when the record holds an unsigned order, which makes the order hooks relevant."""
    return any(is_draft_order(entry.get("resource", {})) for entry in bundle.get("entry", []))


def render(data: dict[str, Any]) -> str:
    """The committed JSON layout: two-space indent, UTF-8 text (Norwegian letters kept)."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def build() -> dict[Path, str]:
    """Every request file, by path, as text."""
    files: dict[Path, str] = {}
    for path in sorted(HERE.glob("*.json")):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        hooks = ["patient-view"]
        if has_draft_order(bundle):
            hooks += sorted(ORDER_HOOKS)
        for hook in hooks:
            request = request_from_bundle(bundle, hook=hook)
            files[OUT / f"{path.stem}.{hook}.json"] = render(request)
    return files


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` verify) the request files; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args(argv)
    files = build()
    stale = sorted(
        p
        for p in set(files) | set(OUT.glob("*.json"))
        if not p.exists() or p.read_text(encoding="utf-8") != files.get(p)
    )
    if args.check:
        for path in stale:
            sys.stderr.write(f"out of date: {path.relative_to(HERE.parent)}\n")
        return 1 if stale else 0
    OUT.mkdir(exist_ok=True)
    for path in stale:
        if path in files:
            path.write_text(files[path], encoding="utf-8")
        else:
            path.unlink()  # a request for an example or hook that no longer exists
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
