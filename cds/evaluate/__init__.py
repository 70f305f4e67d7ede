"""Evaluate stage: pure functions of facts and criteria (clock passed in, no I/O).

Importing the stage installs the feature source kinds into the criteria schema
(``cds.evaluate.sources``): whatever has imported evaluate can validate a ``Pathway``.
"""

from cds.evaluate import sources as sources
