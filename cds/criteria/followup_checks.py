"""Load-time checks of a follow-up programme (``criteria/oppfolging/*.yaml``) that its schema
cannot make on its own: the code sets, pathway and investigations it names exist, its regexes
compile, and every value a group or an activity asks for is one its characteristic defines.

Each problem is prefixed with its field path in the file, as the pathway checks are.
"""

from __future__ import annotations

from collections.abc import Collection

from cds.criteria.checks import check_codeset, check_regexes
from cds.criteria.codebook import CodeBook
from cds.criteria.followup import ABSENT, FollowupProgramme, Indicator


def check_programme(
    programme: FollowupProgramme, codebook: CodeBook, pathways: Collection[str]
) -> list[str]:
    """Every problem found in one programme."""
    problems: list[str] = []
    if programme.pathway not in pathways:
        problems.append(f"pathway: unknown pathway {programme.pathway!r}")
    problems += check_codeset(programme.diagnosis, codebook, "diagnosis")
    problems += check_regexes(programme.subject, "subject")
    for name, spec in programme.characteristics.items():
        for value, indicator in spec.values.items():
            problems += _check_indicator(
                indicator, codebook, f"characteristics.{name}.values.{value}"
            )
        if ABSENT in spec.values:
            problems.append(f"characteristics.{name}.values.{ABSENT}: reserved for «absent»")
    problems += _check_groups(programme)
    for key, inv in programme.investigations.items():
        at = f"investigations.{key}"
        problems += check_regexes(inv.departments, f"{at}.departments")
        problems += check_regexes(inv.patterns, f"{at}.patterns")
        problems.extend(
            f"{at}.done_with: unknown investigation {other!r}"
            for other in inv.done_with
            if other not in programme.investigations or other == key
        )
        if inv.imaging is not None:
            problems += check_regexes(inv.imaging.regions, f"{at}.imaging.regions")
            problems += check_regexes(inv.imaging.not_regions, f"{at}.imaging.not_regions")
    for i, treatment in enumerate(programme.treatments):
        problems += check_codeset(treatment.codeset, codebook, f"treatments[{i}].codeset")
    for reason, end in programme.ends.items():
        problems += _check_indicator(end.indicator, codebook, f"ends.{reason}.indicator")
    return problems


def _check_indicator(indicator: Indicator, codebook: CodeBook, at: str) -> list[str]:
    problems = check_regexes(indicator.patterns, f"{at}.patterns")
    for i, name in enumerate(indicator.codesets):
        problems += check_codeset(name, codebook, f"{at}.codesets[{i}]")
    return problems


def _check_groups(programme: FollowupProgramme) -> list[str]:
    """Group criteria and activity conditions name defined values; activities name defined
    investigations."""
    problems: list[str] = []

    def known(characteristic: str, values: tuple[str, ...], at: str) -> None:
        spec = programme.characteristics.get(characteristic)  # type: ignore[call-overload]
        if spec is None:
            problems.append(f"{at}: characteristic {characteristic!r} is not defined")
            return
        allowed = set(spec.values) | ({ABSENT} if spec.absent else set())
        problems.extend(
            f"{at}: unknown value {value!r} of {characteristic}"
            for value in values
            if value not in allowed
        )

    for gid, group in programme.groups.items():
        if group.criteria.grade:
            known("grade", group.criteria.grade, f"groups.{gid}.criteria.grade")
        if group.criteria.site:
            known("site", group.criteria.site, f"groups.{gid}.criteria.site")
        if not group.criteria.grade and not group.criteria.site:
            problems.append(f"groups.{gid}.criteria: a group needs grade or site")
        for i, activity in enumerate(group.schedule):
            at = f"groups.{gid}.schedule[{i}]"
            if activity.investigation not in programme.investigations:
                problems.append(f"{at}.investigation: unknown {activity.investigation!r}")
            for name, values in activity.when.items():
                known(name, values, f"{at}.when.{name}")
    return problems
