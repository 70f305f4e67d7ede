"""The committed docs/pathways/*.md are what `cds docs` generates, and `cds docs --check` says so.

If this fails after a criteria, example or golden-case change: run `cds docs` and commit the pages.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cds import docsgen
from cds.cli import main

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "docs" / "pathways"
CRITERIA = ROOT / "criteria"


def test_committed_pages_are_current(tmp_path: Path) -> None:
    docsgen.write(docsgen.generate(CRITERIA), tmp_path)
    generated = sorted(p.name for p in tmp_path.glob("*.md"))
    assert generated == sorted(p.name for p in COMMITTED.glob("*.md"))
    for name in generated:
        assert (COMMITTED / name).read_text("utf-8") == (tmp_path / name).read_text("utf-8"), (
            f"docs/pathways/{name} is out of date: run `cds docs`"
        )


def test_generation_is_deterministic() -> None:
    assert docsgen.generate(CRITERIA) == docsgen.generate(CRITERIA)


def test_pages_carry_rules_in_order_and_reviewer_comments() -> None:
    pages = docsgen.generate(CRITERIA)
    page = pages["myelomatose.md"]
    assert page.index("`myelomatose.akutt`") < page.index("`myelomatose.begrunnet`")
    # A REVIEWER note that stands only in a YAML comment (filter_tests of myelomatose.yaml).
    assert "`filter_tests.proteinelektroforese (line" in page
    assert "| [Pakkeforløp for myelomatose](myelomatose.md) | `myelomatose` |" in pages["README.md"]
    assert "`Patient/{{context.patientId}}`" in pages["README.md"]


def test_check_passes_when_current_and_fails_on_a_modified_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "pathways"
    shutil.copytree(COMMITTED, copy)
    assert main(["docs", "--out", str(copy), "--check"]) == 0

    page = copy / "sarkom.md"
    page.write_text(page.read_text("utf-8") + "edited by hand\n", encoding="utf-8")
    (copy / "README.md").unlink()
    capsys.readouterr()
    assert main(["docs", "--out", str(copy), "--check"]) == 1
    err = capsys.readouterr().err
    assert str(page) in err and str(copy / "README.md") in err
    assert "myelomatose.md" not in err

    assert main(["docs", "--out", str(copy)]) == 0
    assert main(["docs", "--out", str(copy), "--check"]) == 0


def test_integrators_page_matches_the_published_services() -> None:
    """docs/integrators.md repeats the services and prefetch templates by hand: they must be the
    ones discovery publishes (cds/services.py)."""
    from cds.services import PREFETCH, SERVICES

    page = (ROOT / "docs" / "integrators.md").read_text("utf-8")
    for service in SERVICES:
        assert f"| `{service.id}` | `{service.hook}` |" in page
    for key in PREFETCH:
        required = "yes" if key.required else "no"
        assert f"| `{key.key}` | `{key.template}` | {required} |" in page
