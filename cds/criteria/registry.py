"""The loaded criteria: every pathway, the follow-up programmes and the shared code book, built
once at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cds.criteria.codebook import CodeBook
from cds.criteria.followup import FollowupProgramme
from cds.criteria.schema import Pathway


@dataclass(frozen=True, slots=True)
class Registry:
    """Pathways in a deterministic order (sorted by id) and the merged code lists.

    ``lab_horizons``: per analyte, the most days before today any rule may read its results
    (``cds.evaluate.horizon``, computed by the loader); None reads every result.
    """

    pathways: tuple[Pathway, ...]
    codebook: CodeBook
    lab_horizons: Mapping[str, int] | None = None
    # Follow-up programmes after treatment (criteria/oppfolging/), sorted by id.
    followups: tuple[FollowupProgramme, ...] = ()

    def get(self, pathway_id: str) -> Pathway:
        """The pathway with this id (KeyError if unknown)."""
        for pathway in self.pathways:
            if pathway.id == pathway_id:
                return pathway
        raise KeyError(pathway_id)
