"""The audit's HTML report: counts per pathway and outcome, and a bar chart per outcome, in one
self-contained file a practice opens in any browser (no script, no network: the chart is an SVG
drawn by matplotlib and embedded). Bokmål, like everything a clinician reads; no patient rows."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date
from pathlib import Path

import jinja2
import matplotlib

matplotlib.use("Agg")  # no display: draw to a file
import matplotlib.pyplot as plt  # after the backend is chosen

from cds.bulk.patient import OUTCOMES
from cds.bulk.report import OUTCOME_WORDS

_TEMPLATE = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="nb"><head><meta charset="utf-8"><title>Pakkeforløp – gjennomgang {{ today }}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
td.n{text-align:right}</style></head><body>
<h1>Pakkeforløp – gjennomgang av listen per {{ today }}</h1>
<p>{{ patients }} pasienter i eksporten. Tallene er pasienter per pakkeforløp og funn; kriteriene
er de samme som i beslutningsstøtten (Pakkeforløp CDS {{ version }}).</p>
{% for outcome, chart, rows in sections %}
<h2>{{ outcome }}</h2>
{{ chart | safe }}
<table><tr><th>Pakkeforløp</th><th>Pasienter</th></tr>
{% for pathway, count in rows %}<tr><td>{{ pathway }}</td><td class="n">{{ count }}</td></tr>
{% endfor %}</table>
{% else %}<p>Ingen funn.</p>{% endfor %}
</body></html>
"""
)


def _chart(rows: list[tuple[str, int]]) -> str:
    """A horizontal bar chart of patients per pathway, as inline SVG."""
    figure, axes = plt.subplots(figsize=(6, 0.4 + 0.35 * len(rows)))
    names = [p for p, _ in rows]
    axes.barh(names, [n for _, n in rows], color="#2b6cb0")
    axes.invert_yaxis()
    axes.set_xlabel("pasienter")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def write_html(
    summary: list[tuple[str, str, int]], out: Path, *, patients: int, today: date, version: str
) -> None:
    """The report file (see the module docstring)."""
    by_outcome: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for pathway, outcome, count in summary:
        by_outcome[outcome].append((pathway, count))
    sections = [
        (OUTCOME_WORDS.get(o, o).capitalize(), _chart(by_outcome[o]), by_outcome[o])
        for o in OUTCOMES
        if by_outcome.get(o)
    ]
    html = _TEMPLATE.render(
        today=today.strftime("%d.%m.%Y"), patients=patients, version=version, sections=sections
    )
    out.write_text(html, encoding="utf-8")
