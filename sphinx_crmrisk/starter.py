"""``crmrisk init``: the starter handbook of one organization, on the shipped catalogue.

The starter imports the newest statement of the law the package ships
(``crmrisk-catalogue``), scoped by ``crmrisk_profile``; the organization writes only
its clauses and procedures. Its first build succeeds in drafting mode
(``crmrisk_fail_on_uncovered = False``) and its gaps page lists every obligation in
scope left to cover. Everything it writes is French, as the handbook it starts: the
pages, the comments of its configuration and its README.

The organization's name is the folder's, whatever the user typed: it is written into
Python as a literal (``repr``), into YAML as a double-quoted scalar with its escapes,
and into MyST, reST and Markdown with every ASCII punctuation escaped, so that it is
only ever shown, never run nor read as markup. A name that cannot be shown on one line
(a line break, a control character, a bidirectional override) is refused.

No Sphinx import: the command starts fast.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import re
import string
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from .kinds import N_
from .law_catalogue import versions
from .reviews import add_months
from .scope import ACTIVITIES, not_activities
from .text import one_line, split_list
from .translations import translator

FORMATS = ("myst", "rst")
#: The worked examples cover obligations that concern every organization; they are
#: drafts, so they do not count until the organization makes them its own.
EXAMPLE_CLAUSE_COVERS = "OBL-RGPD-28-3"
EXAMPLE_PROCEDURE_COVERS = "OBL-RGPD-30"
#: The language of the starter: its pages, comments and README.
LANGUAGE = "fr"
#: The theme of a conf.py starter, when it is installed (the ``theme`` extra, the
#: starter's requirements.txt): its chrome is translated into French and it is built
#: for accessibility (docs/explanation/french-and-accessible.md).
THEME = "pydata_sphinx_theme"
THEME_REQUIREMENT = "sphinx-crmrisk[theme]"
#: Its options: the search as an icon, no light/dark switch (axe-core finds that their
#: accessible names do not hold what they show: WCAG 2.5.3, label in name), the light
#: mode the extension's colours are made for. tests/test_browser.py builds the views with
#: them and checks them with axe-core.
THEME_OPTIONS = {
    "navbar_persistent": [],
    "navbar_end": ["search-button", "navbar-icon-links"],
    "navigation_with_keys": False,
    # the follow-up page's tables take the page's width, not its table of contents'
    "secondary_sidebar_items": {"**": ["page-toc", "sourcelink"], "suivi": []},
}
THEME_CONTEXT = {"default_mode": "light"}
#: No primary sidebar: the starter's few pages are in the top bar, the sidebar was empty.
THEME_SIDEBARS: dict[str, list[str]] = {"**": []}
#: The same for a Jupyter Book (sphinx-book-theme, on pydata-sphinx-theme, puts the search
#: button and the switch in its own places): templates of the theme's, made accessible,
#: written into the starter's _templates/ (the handbook uses them from here).
BOOK_TEMPLATES = Path(__file__).parent / "book_templates"

#: Line breaks, controls, lone surrogates and bidirectional overrides: a name holding
#: one cannot be shown as it is stored on one line (:mod:`.text`).
_NOT_SHOWABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_PUNCTUATION = frozenset(string.punctuation)


class StarterError(Exception):
    """A starter that cannot be written: one line, exit status 2, nothing written."""


def parse_profile(text: str | None, language: str | None = None) -> list[str] | None:
    """``"prospection,ia"`` -> the words; an unknown one names the valid ones (in
    ``language``)."""
    if text is None:
        return None
    words = list(split_list(text))
    refused = not_activities(words, translator(language))
    if refused:
        raise StarterError(f"--profile: {refused}")
    return words


# -- the name, escaped for each language it is written in ------------------------------


def check_name(name: str, directory: Path, language: str | None = None) -> None:
    """Refuses a name that cannot be shown on one line (the message shows it escaped)."""
    t = translator(language)
    if not name.strip():
        message = t(N_("{folder}: the folder has no name to show: nothing written"))
        raise StarterError(message.format(folder=one_line(str(directory))))
    if _NOT_SHOWABLE.search(name):
        message = t(
            N_(
                "{folder}: the folder's name holds a line break or a control character; "
                "choose a name that shows on one line: nothing written"
            )
        )
        raise StarterError(message.format(folder=one_line(str(directory))))


def markup_text(name: str) -> str:
    """``name`` as text in MyST, CommonMark and reST: each ASCII punctuation escaped
    with a backslash (all three take ``\\<`` as ``<``), so that no character of it
    starts markup: no HTML, no role, no link, no emphasis."""
    return "".join(f"\\{c}" if c in _PUNCTUATION else c for c in name)


def yaml_text(name: str) -> str:
    """``name`` as a YAML double-quoted scalar: ``"`` and ``\\`` escaped (JSON's
    escapes are YAML's; :func:`check_name` already refused line breaks)."""
    return json.dumps(name, ensure_ascii=False)


def of_name(name: str) -> str:
    """``de X``, or ``d'X`` before a vowel (« Manuel de conformité d'acme »). Not before
    an h or a y: whether they elide depends on the word (« de Hachette », « d'Hermès »),
    which a program cannot know."""
    first = unicodedata.normalize("NFD", name[:1]).casefold()[:1]
    return f"d'{name}" if first in ("a", "e", "i", "o", "u", "æ", "œ") else f"de {name}"


_NARROW = "\u202f"


def typography(text: str) -> str:
    """French typography in French prose: a narrow no-break space before « : ; ? ! »
    and inside « » (``crmrisk init`` writes French)."""
    text = re.sub(r" ([:;?!])(?=\s|$)", _NARROW + r"\1", text, flags=re.M)
    return text.replace("« ", "«" + _NARROW).replace(" »", _NARROW + "»")


def _width(text: str) -> int:
    """The columns reST counts for a title's underline: wide characters take two,
    combining characters none."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
        for c in text
    )


# -- the configuration ---------------------------------------------------------------


def _profile_lines(profile: Sequence[str] | None, comment: str) -> list[str]:
    french = translator(LANGUAGE)
    described = [f"{comment}   {word} : {french(line)}" for word, line in ACTIVITIES.items()]
    if profile is None:
        head = [
            f"{comment} crmrisk_profile : les activités que vous exercez. Sans lui, toute "
            "obligation s'applique ;",
            f"{comment} avec lui, une obligation qui concerne une activité que vous n'exercez "
            "pas est hors périmètre.",
        ]
        return [typography(line) for line in head + described]
    lines = [
        f"{comment} crmrisk_profile : les activités que vous exercez ; une obligation qui en "
        "concerne une",
        f"{comment} que vous n'exercez pas est hors périmètre (listée à part, jamais "
        "oubliée). Les mots :",
        *described,
    ]
    return [typography(line) for line in lines]


_DRAFTING = [
    "mode brouillon : les obligations non couvertes sont listées (page des écarts,",
    "`crmrisk check`) mais ne font pas échouer le build. Passez-le à True quand chaque",
    "obligation du périmètre est couverte ou justifiée : la CI échouera alors sur tout",
    "nouvel écart.",
]


_REPRODUCIBLE = [
    "needs.json sans l'heure de sa construction : deux constructions d'un même commit, et",
    "leurs dossiers d'audit (crmrisk pack), donnent les mêmes octets.",
]


def _python(value: object) -> str:
    """A literal of the options (texts, lists of texts, booleans), double-quoted as the
    rest of conf.py."""
    return repr(value) if isinstance(value, bool) else json.dumps(value, ensure_ascii=False)


def conf_py(name: str, profile: Sequence[str] | None, year: int | None = None) -> str:
    """The conf.py of a Sphinx project; the name only as Python literals."""
    year = year or dt.date.today().year
    lines = [
        "# Configuration Sphinx du manuel de conformité, écrite par `crmrisk init`.",
        typography("# Les valeurs de Sphinx : ")
        + "https://www.sphinx-doc.org/fr/master/usage/configuration.html",
        "",
        f"project = {name!r}",
        f"author = {name!r}",
        f"copyright = {f'{year}, {name}'!r}",
        # themes write the title into their HTML as it is (pydata-sphinx-theme's navbar):
        # the name's HTML is escaped, as the pages' titles are
        f"html_title = {f'Manuel de conformité {of_name(html.escape(name))}'!r}",
        'language = "fr"',
        'extensions = ["myst_parser", "sphinx_crmrisk"]',
        'exclude_patterns = ["_build", "README.md", "requirements.txt"]',
        "",
        typography(
            "# Le thème : pydata-sphinx-theme, traduit en français et conçu pour l'accessibilité"
        ),
        f'# (pip install "{THEME_REQUIREMENT}", ou pip install -r requirements.txt). Sans',
        "# lui, le thème par défaut de Sphinx (alabaster), dont l'habillage reste en anglais.",
        "try:",
        f"    import {THEME}  # noqa: F401",
        "except ImportError:",
        '    html_theme = "alabaster"',
        '    html_theme_options = {"show_powered_by": False}',
        "else:",
        f'    html_theme = "{THEME}"',
        typography(
            "    # la recherche en icône, sans bascule de thème clair ou sombre : axe-core trouve"
        ),
        typography(
            "    # que leur nom accessible ne contient pas leur texte visible (WCAG 2.5.3) ; le"
        ),
        "    # mode clair, pour lequel les couleurs de sphinx-crmrisk sont faites",
        "    html_theme_options = {",
        *(f"        {_python(key)}: {_python(value)}," for key, value in THEME_OPTIONS.items()),
        "    }",
        f"    html_context = {{{', '.join(f'{_python(k)}: {_python(v)}' for k, v in THEME_CONTEXT.items())}}}",
        typography("    # les pages sont dans la barre du haut : pas de barre latérale vide"),
        f"    html_sidebars = {_python(THEME_SIDEBARS)}",
        "",
        *_profile_lines(profile, "#"),
    ]
    if profile is not None:
        lines.append(f"crmrisk_profile = {list(profile)!r}")
    else:
        lines.append("# crmrisk_profile = []")
    drafting = [typography(f"# {line}") for line in _DRAFTING]
    lines += ["", *drafting, "crmrisk_fail_on_uncovered = False"]
    reproducible = [typography(f"# {line}") for line in _REPRODUCIBLE]
    lines += ["", *reproducible, "needs_reproducible_json = True", ""]
    return "\n".join(lines)


def config_yml(name: str, profile: Sequence[str] | None, year: int | None = None) -> str:
    """The _config.yml of a Jupyter Book; the name only as double-quoted scalars."""
    year = year or dt.date.today().year
    lines = [
        "# Configuration Jupyter Book du manuel de conformité, écrite par `crmrisk init`.",
        typography("# Les valeurs : ") + "https://jupyterbook.org/en/stable/customize/config.html",
        # the theme writes the title into its HTML as it is: its HTML escaped
        f"title: {yaml_text(f'Manuel de conformité {of_name(html.escape(name))}')}",
        f"author: {yaml_text(name)}",
        f'copyright: "{year}"',
        "only_build_toc_files: true",
        'exclude_patterns: ["_build/*", "README.md", "requirements.txt"]',
        "execute:",
        '  execute_notebooks: "off"',
        "html:",
        "  use_repository_button: false",
        "sphinx:",
        "  extra_extensions:",
        "    - sphinx_crmrisk",
        "  config:",
        "    language: fr",
        typography(
            "    # le bouton de recherche et la bascule clair ou sombre du thème, accessibles"
        ),
        typography(
            "    # (_templates/ : leur nom accessible contient ce qu'ils montrent, WCAG 2.5.3) ;"
        ),
        "    # le mode clair, pour lequel les couleurs de sphinx-crmrisk sont faites",
        '    templates_path: ["_templates"]',
        "    html_context:",
        "      default_mode: light",
        *_profile_lines(profile, "    #"),
    ]
    if profile is not None:
        lines.append(f"    crmrisk_profile: [{', '.join(profile)}]")
    else:
        lines.append("    # crmrisk_profile: []")
    drafting = [typography(f"    # {line}") for line in _DRAFTING]
    lines += [*drafting, "    crmrisk_fail_on_uncovered: false"]
    reproducible = [typography(f"    # {line}") for line in _REPRODUCIBLE]
    lines += [*reproducible, "    needs_reproducible_json: true", ""]
    return "\n".join(lines)


def requirements_txt(jupyter_book: bool) -> str:
    """What the starter's build needs: the extension, its theme or Jupyter Book."""
    needs = ["jupyter-book>=1.0.4,<2", "sphinx-crmrisk"] if jupyter_book else [THEME_REQUIREMENT]
    return "\n".join(needs) + "\n"


PAGES = ("obligations", "clauses", "procedures", "preuves", "suivi")


def toc_yml() -> str:
    chapters = "\n".join(f"  - file: {page}" for page in PAGES)
    return f"format: jb-book\nroot: index\nchapters:\n{chapters}\n"


# -- the pages -------------------------------------------------------------------------


def _block(fmt: str, name: str, argument: str, options: dict[str, str], body: str = "") -> str:
    """One directive, in MyST or reST."""
    if fmt == "myst":
        lines = [f"```{{{name}}} {argument}".rstrip()]
        lines += [f":{key}: {value}".rstrip() for key, value in options.items()]
        if body:
            lines += ["", body]
        lines.append("```")
        return "\n".join(lines)
    lines = [f".. {name}:: {argument}".rstrip()]
    lines += [f"   :{key}: {value}".rstrip() for key, value in options.items()]
    if body:
        lines += [""] + [f"   {line}" if line else "" for line in body.splitlines()]
    return "\n".join(lines)


def _title(fmt: str, text: str) -> str:
    """A page's title; ``text`` is markup already (the name escaped)."""
    return f"# {text}" if fmt == "myst" else f"{text}\n{'=' * _width(text)}"


def _subtitle(fmt: str, text: str) -> str:
    return f"## {text}" if fmt == "myst" else f"{text}\n{'-' * _width(text)}"


def _code(fmt: str, text: str) -> str:
    """Inline code: single backticks in MyST, double in reST (single is emphasis)."""
    return f"`{text}`" if fmt == "myst" else f"``{text}``"


def _toctree(fmt: str, pages: Sequence[str], jupyter_book: bool) -> str:
    if jupyter_book:
        return ""  # _toc.yml says it
    if fmt == "myst":
        return "```{toctree}\n:maxdepth: 1\n\n" + "\n".join(pages) + "\n```"
    return ".. toctree::\n   :maxdepth: 1\n\n" + "\n".join(f"   {p}" for p in pages)


#: The states the matrix opens on: what the organization has to cover; the lapsed and
#: out-of-scope obligations are listed apart, below.
IN_SCOPE_STATES = "uncovered, upcoming, covered, justified"


def pages(name: str, fmt: str, version: str, jupyter_book: bool) -> dict[str, str]:
    """Each page's text, by its name without suffix."""
    c = _code
    index = "\n\n".join(
        part
        for part in (
            _title(fmt, f"Manuel de conformité {of_name(markup_text(name))}"),
            f"Ce manuel importe l'état du droit au {version} publié par sphinx-crmrisk "
            "(la page des obligations indique la version que chaque build importe). Il "
            "relie chaque obligation qui concerne nos activités aux clauses de nos "
            "contrats et à nos procédures internes qui la couvrent.",
            "Ce manuel n'est pas un avis juridique : l'état du droit importé est un "
            "travail de veille, à faire valider par un juriste pour les décisions qui "
            "engagent l'organisation.",
            _toctree(fmt, PAGES, jupyter_book),
        )
        if part
    )
    obligations = "\n\n".join(
        (
            _title(fmt, "Obligations"),
            "Les phases et les obligations du catalogue de sphinx-crmrisk, importées ici. "
            f"Celles qui concernent une activité absente de {c(fmt, 'crmrisk_profile')} "
            "sont « hors périmètre ». Pour importer aussi les clauses et procédures "
            f"modèles, ajouter l'option {c(fmt, 'models')} ; pour figer une version, "
            f"l'option {c(fmt, 'version')}.",
            _block(fmt, "crmrisk-catalogue", "", {}),
        )
    )
    clauses = "\n\n".join(
        (
            _title(fmt, "Clauses"),
            f"Nos clauses contractuelles. Chacune dit, avec {c(fmt, 'covers')}, les "
            f"obligations qu'elle couvre. L'exemple ci-dessous a le statut "
            f"{c(fmt, 'brouillon')} : il ne compte qu'une fois ce statut supprimé ou "
            f"passé à {c(fmt, 'active')}. Les statuts admis, en français ou en anglais : "
            f"{c(fmt, 'active')} ({c(fmt, 'en vigueur')}), {c(fmt, 'brouillon')} "
            f"({c(fmt, 'draft')}), {c(fmt, 'retirée')} ({c(fmt, 'retired')}) ; un autre "
            "mot est signalé et ne compte pas.",
            _block(
                fmt,
                "clause",
                "Accord de sous-traitance des données (exemple)",
                {
                    "id": "CLA-EXEMPLE-01",
                    "status": "brouillon",
                    "party": "prestataire",
                    "phase": "PH-DEPLOIEMENT",
                    "covers": EXAMPLE_CLAUSE_COVERS,
                },
                "Le prestataire traite les données pour notre seul compte, sur nos "
                "instructions écrites, et nous aide à répondre aux demandes des personnes.",
            ),
        )
    )
    procedures = "\n\n".join(
        (
            _title(fmt, "Procédures"),
            "Nos procédures internes, chacune avec son responsable et sa fréquence. "
            "L'exemple est un brouillon, comme celui des clauses.",
            _block(
                fmt,
                "procedure",
                "Revue du registre des traitements (exemple)",
                {
                    "id": "PROC-EXEMPLE-01",
                    "status": "brouillon",
                    "owner": "DPO",
                    "frequency": "annuelle",
                    "covers": EXAMPLE_PROCEDURE_COVERS,
                },
                "Chaque année, le DPO relit le registre avec les métiers et le met à jour.",
            ),
        )
    )
    preuves = "\n\n".join(
        (
            _title(fmt, "Preuves"),
            "Les preuves que nos clauses et nos procédures sont appliquées : contrats signés, "
            "extraits de registres, comptes rendus. Chacune dit ce qu'elle prouve (`proves`), "
            "où est le document (un chemin dans ce dépôt, vérifié à chaque construction, ou "
            "une référence de la GED), sa date et sa fin de validité. L'exemple est un "
            "brouillon : il n'est ni compté ni vérifié tant que son statut est `draft`.",
            _block(
                fmt,
                "evidence",
                "Accord de sous-traitance signé (exemple)",
                {
                    "id": "EVD-EXEMPLE-01",
                    "status": "draft",
                    "proves": "CLA-EXEMPLE-01",
                    "document": "preuves/accord-sous-traitance-signe.pdf",
                    "dated": version,
                    "valid_until": add_months(dt.date.fromisoformat(version), 36).isoformat(),
                    "owner": "DPO",
                },
                "L'accord signé par les deux parties. Une fois le fichier déposé à ce chemin, "
                'approuver la preuve avec `crmrisk review . EVD-EXEMPLE-01 --by "Nom, '
                'fonction"` : toute modification du fichier fera ensuite échouer la '
                "construction.",
            ),
            _subtitle(fmt, "Registre des preuves"),
            _block(fmt, "crmrisk-evidence", "", {}),
        )
    )
    suivi = "\n\n".join(
        (
            _title(fmt, "Suivi de la couverture"),
            _subtitle(fmt, "Couverture par phase"),
            _block(fmt, "crmrisk-coverage", "", {}),
            _subtitle(fmt, "Obligations à couvrir"),
            _block(fmt, "crmrisk-gaps", "", {}),
            _subtitle(fmt, "Matrice"),
            "Les obligations du périmètre ; les obligations caduques et hors périmètre "
            "sont listées ensuite.",
            _block(fmt, "crmrisk-matrix", "", {"state": IN_SCOPE_STATES}),
            _subtitle(fmt, "Obligations caduques et hors périmètre"),
            _block(fmt, "crmrisk-matrix", "", {"state": "out_of_scope, lapsed"}),
            _subtitle(fmt, "Textes à surveiller"),
            "Les textes annoncés ou attendus qui modifieront des obligations du catalogue, "
            "par date. Une fiche encore ouverte après sa date signale que l'état du droit "
            "importé a vieilli : mettre à jour sphinx-crmrisk, ou figer une version plus "
            "récente du catalogue.",
            _block(fmt, "crmrisk-watch", "", {}),
        )
    )
    texts = {
        "index": index,
        "obligations": obligations,
        "clauses": clauses,
        "procedures": procedures,
        "preuves": preuves,
        "suivi": suivi,
    }
    return {page: _french_prose(text) + "\n" for page, text in texts.items()}


def _french_prose(text: str) -> str:
    """French typography in the paragraphs of a page, not in its directives (whose
    options are ``:name: value``) nor in the escaped name of a title."""
    blocks = text.split("\n\n")
    return "\n\n".join(
        block
        if block.startswith(("```", "..", "#")) or "\n=" in block or "\n-" in block
        else typography(block)
        for block in blocks
    )


def readme(name: str, jupyter_book: bool) -> str:
    build = (
        "jupyter-book build . -W -n --keep-going"
        if jupyter_book
        else "sphinx-build -W --keep-going -b html . _build/html"
    )
    output = "_build/html"
    title = f"# Manuel de conformité {of_name(markup_text(name))}"
    return title + typography(f"""

Construit avec sphinx-crmrisk sur son catalogue du droit français. Ce n'est pas un avis
juridique.

```sh
pip install -r requirements.txt
{build}
crmrisk check {output}     # sortie 1 tant qu'une obligation du périmètre n'est pas couverte
```

Étapes suivantes :

1. Vérifier `crmrisk_profile` dans la configuration : les activités que vous exercez
   décident des obligations du périmètre (les autres sont listées hors périmètre).
2. Pour chaque obligation de la page des écarts (`suivi`), écrire la clause ou la
   procédure qui la couvre (`covers: OBL-...`), ou la déclarer `non applicable` avec une
   `justification` ; faire vôtres les deux exemples, ou les supprimer.
3. Quand il ne reste aucun écart, passer `crmrisk_fail_on_uncovered` à vrai et lancer le
   build et `crmrisk check` en CI : une obligation nouvelle d'un catalogue ultérieur fera
   alors échouer le build.
4. Tenir sphinx-crmrisk à jour : le catalogue livre ses textes à surveiller (annoncés ou
   attendus, chacun avec une date) ; si l'un d'eux est encore ouvert après sa date, le build
   avertit (`crmrisk.watch_overdue`) que l'état du droit importé a peut-être vieilli.
""")


def write_starter(
    directory: Path,
    profile: Sequence[str] | None = None,
    jupyter_book: bool = False,
    fmt: str = "myst",
    language: str | None = None,
) -> list[Path]:
    """Writes the starter into ``directory`` (missing or empty); the files written.
    Raises :class:`StarterError`, its message in ``language`` (None: English)."""
    t = translator(language)
    if fmt not in FORMATS:
        raise StarterError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    shown = one_line(str(directory))
    try:
        name = directory.resolve().name
        check_name(name, directory, language)
        if directory.exists():
            if not directory.is_dir():
                message = t(N_("{folder} exists and is not a folder: nothing written"))
                raise StarterError(message.format(folder=shown))
            if any(directory.iterdir()):
                raise StarterError(
                    t(N_("{folder} is not empty: nothing written")).format(folder=shown)
                )
    except OSError as err:
        message = t(N_("cannot use {folder}: {reason}: nothing written"))
        raise StarterError(message.format(folder=shown, reason=err.strerror or err)) from None
    shipped = versions()
    if not shipped:
        raise StarterError(t(N_("this sphinx-crmrisk ships no catalogue of the law")))
    suffix = ".md" if fmt == "myst" else ".rst"
    texts = pages(name, fmt, shipped[-1], jupyter_book)
    files = {f"{page}{suffix}": text for page, text in texts.items()}
    if jupyter_book:
        files["_config.yml"] = config_yml(name, profile)
        files["_toc.yml"] = toc_yml()
        for template in sorted(BOOK_TEMPLATES.glob("*.html")):
            files[f"_templates/{template.name}"] = template.read_text(encoding="utf-8")
    else:
        files["conf.py"] = conf_py(name, profile)
    files["requirements.txt"] = requirements_txt(jupyter_book)
    files["README.md"] = readme(name, jupyter_book)
    created = not directory.exists()
    written: list[Path] = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for relative, text in files.items():
            path = directory / relative
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as err:
        # nothing half-written: what this call wrote is taken back
        for path in written:
            path.unlink(missing_ok=True)
        for folder in {path.parent for path in written} - {directory}:
            with contextlib.suppress(OSError):
                folder.rmdir()
        if created:
            with contextlib.suppress(OSError):  # another process wrote into it
                directory.rmdir()
        message = t(N_("cannot write {folder}: {reason}: nothing written"))
        raise StarterError(message.format(folder=shown, reason=err.strerror or err)) from None
    return written
