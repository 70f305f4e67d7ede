"""``make pytest`` runs with ``--dist loadgroup`` so that tests marked ``xdist_group`` share one
worker (the Spark tests: one JVM). pytest 9.2 with pytest-xdist 3.8 silently dropped the
grouping; this notices if a version change does it again."""

from __future__ import annotations

import os

import pytest


@pytest.mark.xdist_group("spark")
def test_loadgroup_groups_the_marked_tests(request: pytest.FixtureRequest) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        pytest.skip("only meaningful on xdist workers (make pytest)")
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("only meaningful with --dist loadgroup (make pytest)")
    # xdist marks a grouped test by a «@group» suffix of its node id; without it the scheduler
    # spreads the group over the workers
    assert request.node.nodeid.endswith("@spark"), request.node.nodeid
