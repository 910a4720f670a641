"""The handbook's notebooks, accessible: myst-nb's fold of a notebook's code.

myst-nb 1.4 writes the fold of a hidden code cell as ``<summary aria-label="Toggle hidden
content">`` around the words the book configures (« Afficher le code »): an English name
that does not hold the French words a reader sees, which WCAG 2.5.3 (label in name) forbids
and axe-core reports (label-content-name-mismatch). This writes the same fold without the
aria-label: the summary's name is then its visible words. Loaded by _config.yml
(sphinx.local_extensions), after myst-nb.
"""

from __future__ import annotations

from html import escape
from typing import Any

from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput


def visit_hidden_code(translator: Any, node: HideCodeCellNode) -> None:
    classes = " ".join(node["classes"])
    translator.body.append(f'<details class="admonition hide {classes}">\n')
    translator.body.append("<summary>\n")
    translator.body.append(
        f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n'
    )
    translator.body.append(
        f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n'
    )
    translator.body.append("</summary>\n")


def setup(app: Any) -> dict[str, Any]:
    app.setup_extension("myst_nb")
    app.add_node(HideCodeCellNode, override=True, html=(visit_hidden_code, depart_HideCellInput))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
