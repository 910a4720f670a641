"""``crmrisk-risks``: the risks on a 4x4 heat map, and their register.

The map crosses severity (rows, the most serious on top) with likelihood (columns),
each cell listing its risks as links and coloured by the level the two give
(:func:`~sphinx_crmrisk.model.risk_score`). The register lists every risk with its
score, its owner and the obligations it addresses with their states, so a reviewer
sees at once a high risk whose obligations are gaps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes

from ...kinds import RISK_SCALES, Kind
from ...model import RISK_LEVEL_LABELS, Item, RiskScore, risk_score
from ..i18n import _
from .base import PlaceholderDirective, ViewContext, state_labels
from .nodes import AggregateNode, Cell, risks_placeholder

if TYPE_CHECKING:
    pass

SCALE = (1, 2, 3, 4)


class RisksDirective(PlaceholderDirective):
    node_class = risks_placeholder
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {}


def scale_label(name: str, value: int) -> str:
    """``3 – Grave``: a value of an EBIOS RM scale with its words."""
    return f"{value} – {_(RISK_SCALES[name][value])}"


def _entry(*children: nodes.Node, classes: list[str] | None = None) -> nodes.entry:
    entry = nodes.entry("", classes=classes or [])
    entry += nodes.paragraph("", "", *children)
    return entry


def _heatmap(context: ViewContext, scored: list[tuple[Item, RiskScore]]) -> nodes.table:
    table = nodes.table("", classes=["crmrisk-table", "crmrisk-heatmap"])
    group = nodes.tgroup("", cols=5)
    table += group
    for width in (20, 20, 20, 20, 20):
        group += nodes.colspec("", colwidth=width)
    head = nodes.thead()
    heading = nodes.row()
    heading += _entry(nodes.Text(f"{_('Severity')} \u2193 / {_('Likelihood')} \u2192"))
    for likelihood in SCALE:
        heading += _entry(nodes.Text(scale_label("likelihood", likelihood)))
    head += heading
    group += head
    body = nodes.tbody()
    for severity in reversed(SCALE):
        row = nodes.row()
        row += _entry(nodes.strong("", scale_label("severity", severity)))
        for likelihood in SCALE:
            here = [
                item
                for item, score in scored
                if (score.likelihood, score.severity) == (likelihood, severity)
            ]
            level = RiskScore(likelihood, severity).level
            row += _entry(
                *context.links(here),
                classes=[f"crmrisk-level-{level.value}", "crmrisk-heatmap-cell"],
            )
        body += row
    group += body
    return table


def render_risks(context: ViewContext, node: AggregateNode) -> list[nodes.Node]:
    risks = sorted(context.model.of_kind(Kind.RISK), key=lambda item: item.id)
    if not risks:
        return [nodes.paragraph("", str(_("The project has no risk.")))]
    scores = {risk.id: risk_score(risk) for risk in risks}
    scored = [(risk, scores[risk.id]) for risk in risks if scores[risk.id] is not None]
    result: list[nodes.Node] = [_heatmap(context, scored)]  # type: ignore[arg-type]
    unscored = [risk for risk in risks if scores[risk.id] is None]
    if unscored:
        result.append(
            nodes.paragraph(
                "", str(_("Not scored:")) + " ", *context.links(unscored), classes=["crmrisk-note"]
            )
        )
    states = {a.obligation.id: a.state for a in context.assessments}
    labels = state_labels()

    def most_serious_first(risk: Item) -> tuple[int, int, int, str]:
        score = scores[risk.id]
        if score is None:
            return (1, 0, 0, risk.id)
        return (0, -list(RISK_LEVEL_LABELS).index(score.level), -score.product, risk.id)

    def obligations(risk: Item) -> list[nodes.Node]:
        parts: list[nodes.Node] = []
        for target_id in risk.linked("addresses"):
            target = context.model.items.get(target_id)
            if target is None:
                continue
            if parts:
                parts.append(nodes.Text(", "))
            parts.append(context.link(target))
            state = states.get(target_id)
            if state is not None:
                parts += [
                    nodes.Text(" ("),
                    nodes.inline("", labels[state], classes=[f"crmrisk-state-{state.value}"]),
                    nodes.Text(")"),
                ]
        return parts

    def cells(risk: Item) -> list[Cell]:
        score = scores[risk.id]
        if score is None:
            level: Cell = "\u2014"
            severity = likelihood = "\u2014"
        else:
            level = nodes.inline(
                "",
                str(_(RISK_LEVEL_LABELS[score.level])),
                classes=["crmrisk-level", f"crmrisk-level-{score.level.value}"],
            )
            severity = scale_label("severity", score.severity)
            likelihood = scale_label("likelihood", score.likelihood)
        return [
            context.link(risk),
            risk.title,
            level,
            severity,
            likelihood,
            risk.field("owner"),
            obligations(risk),
        ]

    headers = [
        str(_("ID")),
        str(_("Risk")),
        str(_("Level")),
        str(_("Severity")),
        str(_("Likelihood")),
        str(_("Owner")),
        str(_("Obligations addressed and their state")),
    ]
    register = context.table(
        headers,
        sorted(risks, key=most_serious_first),
        cells,
        ["crmrisk-risks"],
        widths=[9, 22, 8, 12, 14, 10, 25],
    )
    result.append(register)
    return result
