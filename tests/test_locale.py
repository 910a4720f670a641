"""The French catalog: compiled from its source, and complete."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from sphinx_crmrisk.translations import CATALOG, LOCALE_DIR

PACKAGE = Path(__file__).parents[1] / "sphinx_crmrisk"
MESSAGES = LOCALE_DIR / "fr" / "LC_MESSAGES"


def translations(catalog) -> dict[str, str]:
    """Each message ID and its translation; a plural message's singular and plural IDs
    each with the tuple of its forms."""
    found = {}
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, (tuple, list)):  # msgid, msgid_plural
            forms = tuple(message.string)
            found.update(dict.fromkeys(message.id, forms if all(forms) else ""))
        else:
            found[message.id] = message.string
    return found


def labels_in_code() -> set[str]:
    """Every literal passed to ``_()`` or marked with ``N_()`` in the package."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(node.args[0].value)
    return found


def test_compiled_catalog_matches_its_source():
    with open(MESSAGES / f"{CATALOG}.po", "rb") as po, open(MESSAGES / f"{CATALOG}.mo", "rb") as mo:
        compiled, source = translations(read_mo(mo)), translations(read_po(po))
        assert compiled == source, (
            "recompile: pybabel compile -d sphinx_crmrisk/locale -D sphinx_crmrisk -l fr"
        )


def test_every_label_has_a_french_translation():
    with open(MESSAGES / f"{CATALOG}.po", "rb") as po:
        french = translations(read_po(po))
    labels = labels_in_code()
    assert len(labels) > 20
    missing = sorted(label for label in labels if not french.get(label))
    assert missing == []


def test_the_french_catalog_keeps_french_typography():
    """A narrow no-break space (U+202F) before « : ; ? ! » and inside « », never a
    plain or a no-break space (issue 24)."""
    with open(MESSAGES / f"{CATALOG}.po", "rb") as po:
        french = [m.string for m in read_po(po) if m.id]
    strings = [s for forms in french for s in (forms if isinstance(forms, tuple) else (forms,))]
    wrong = [
        s
        for s in strings
        if re.search(r"[ \u00a0][:;?!]|«[ \u00a0]|[ \u00a0]»", s)
        or re.search(r"[^\u202f\s][;?!]|«[^\u202f]|[^\u202f]»", s)
    ]
    assert wrong == []


def test_a_language_that_is_no_code_is_english_never_a_path():
    # the recorded language is input (crmrisk-config.json): gettext must not look a
    # catalog up under a path it names
    from sphinx_crmrisk.translations import translations

    assert translations("fr").gettext("draft") == "brouillon"
    assert translations("fr-FR").gettext("draft") == "brouillon"
    for hostile in ("../../fr", "fr/../../x", "fr\n", "", None):
        assert translations(hostile).gettext("draft") == "draft"
