"""The loaded criteria: every pathway plus the shared code book, built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from cds.criteria.codebook import CodeBook
from cds.criteria.schema import Pathway


@dataclass(frozen=True, slots=True)
class Registry:
    """Pathways in a deterministic order (sorted by id) and the merged code lists."""

    pathways: tuple[Pathway, ...]
    codebook: CodeBook

    def get(self, pathway_id: str) -> Pathway:
        """The pathway with this id (KeyError if unknown)."""
        for pathway in self.pathways:
            if pathway.id == pathway_id:
                return pathway
        raise KeyError(pathway_id)
