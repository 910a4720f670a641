"""``crmrisk init``: the starter handbook of one organization, on the shipped catalogue.

The starter imports the newest statement of the law the package ships
(``crmrisk-catalogue``), scoped by ``crmrisk_profile``; the organization writes only
its clauses and procedures. Its first build succeeds in drafting mode
(``crmrisk_fail_on_uncovered = False``) and its gaps page lists every obligation in
scope left to cover. No Sphinx import: the command starts fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from .law_catalogue import versions
from .reviews import add_months
from .scope import ACTIVITIES, not_activities
from .text import split_list

FORMATS = ("myst", "rst")
#: The worked examples cover obligations that concern every organization; they are
#: drafts, so they do not count until the organization makes them its own.
EXAMPLE_CLAUSE_COVERS = "OBL-RGPD-28-3"
EXAMPLE_PROCEDURE_COVERS = "OBL-RGPD-30"


class StarterError(Exception):
    """A starter that cannot be written: one line, exit status 2, nothing written."""


def parse_profile(text: str | None) -> list[str] | None:
    """``"prospection,ia"`` -> the words; an unknown one names the valid ones."""
    if text is None:
        return None
    words = list(split_list(text))
    refused = not_activities(words)
    if refused:
        raise StarterError(f"--profile: {refused}")
    return words


def _profile_lines(profile: Sequence[str] | None, comment: str) -> list[str]:
    described = [f"{comment}   {word}: {line}" for word, line in ACTIVITIES.items()]
    if profile is None:
        head = [
            f"{comment} crmrisk_profile: the activities you carry out. Unset, every "
            "obligation applies;",
            f"{comment} with it, an obligation concerning an activity you do not carry "
            "out is out_of_scope.",
        ]
        return head + described
    return [
        f"{comment} crmrisk_profile: the activities you carry out; an obligation that concerns one",
        f"{comment} you do not is out_of_scope (listed apart, never dropped). The words:",
        *described,
    ]


_DRAFTING = [
    "drafting mode: uncovered obligations are listed (on the gaps page and by",
    "`crmrisk check`) but do not fail the build. Switch it to True once every",
    "obligation in scope is covered or justified, so that CI fails on a new gap.",
]


_REPRODUCIBLE = [
    "needs.json without the time of its build: two builds of one commit, and their",
    "audit packs (crmrisk pack), are the same bytes.",
]


def conf_py(name: str, profile: Sequence[str] | None) -> str:
    lines = [
        f'"""Sphinx configuration of the compliance handbook of {name}."""',
        "",
        f"project = {name!r}",
        'extensions = ["myst_parser", "sphinx_crmrisk"]',
        'language = "fr"',
        'exclude_patterns = ["_build", "README.md"]',
        "",
        *_profile_lines(profile, "#"),
    ]
    if profile is not None:
        lines.append(f"crmrisk_profile = {list(profile)!r}")
    else:
        lines.append("# crmrisk_profile = []")
    lines += ["", *(f"# {line}" for line in _DRAFTING), "crmrisk_fail_on_uncovered = False"]
    lines += ["", *(f"# {line}" for line in _REPRODUCIBLE), "needs_reproducible_json = True", ""]
    return "\n".join(lines)


def config_yml(name: str, profile: Sequence[str] | None) -> str:
    lines = [
        f"# Jupyter Book configuration of the compliance handbook of {name}",
        f'title: "{name}"',
        "only_build_toc_files: true",
        'exclude_patterns: ["_build/*", "README.md"]',
        "execute:",
        '  execute_notebooks: "off"',
        "sphinx:",
        "  extra_extensions:",
        "    - sphinx_crmrisk",
        "  config:",
        "    language: fr",
        *_profile_lines(profile, "    #"),
    ]
    if profile is not None:
        lines.append(f"    crmrisk_profile: [{', '.join(profile)}]")
    else:
        lines.append("    # crmrisk_profile: []")
    lines += [*(f"    # {line}" for line in _DRAFTING), "    crmrisk_fail_on_uncovered: false"]
    lines += [*(f"    # {line}" for line in _REPRODUCIBLE), "    needs_reproducible_json: true", ""]
    return "\n".join(lines)


PAGES = ("obligations", "clauses", "procedures", "preuves", "suivi")


def toc_yml() -> str:
    chapters = "\n".join(f"  - file: {page}" for page in PAGES)
    return f"format: jb-book\nroot: index\nchapters:\n{chapters}\n"


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
    return f"# {text}" if fmt == "myst" else f"{text}\n{'=' * len(text)}"


def _subtitle(fmt: str, text: str) -> str:
    return f"## {text}" if fmt == "myst" else f"{text}\n{'-' * len(text)}"


def _toctree(fmt: str, pages: Sequence[str], jupyter_book: bool) -> str:
    if jupyter_book:
        return ""  # _toc.yml says it
    if fmt == "myst":
        return "```{toctree}\n:maxdepth: 1\n\n" + "\n".join(pages) + "\n```"
    return ".. toctree::\n   :maxdepth: 1\n\n" + "\n".join(f"   {p}" for p in pages)


def pages(name: str, fmt: str, version: str, jupyter_book: bool) -> dict[str, str]:
    """Each page's text, by its name without suffix."""
    index = "\n\n".join(
        part
        for part in (
            _title(fmt, f"Manuel de conformité de {name}"),
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
            "Celles qui concernent une activité absente de `crmrisk_profile` sont "
            "« hors périmètre ». Pour importer aussi les clauses et procédures modèles, "
            "ajouter l'option `models` ; pour figer une version, l'option `version`.",
            _block(fmt, "crmrisk-catalogue", "", {}),
        )
    )
    clauses = "\n\n".join(
        (
            _title(fmt, "Clauses"),
            "Nos clauses contractuelles. Chacune dit, avec `covers`, les obligations "
            "qu'elle couvre. L'exemple ci-dessous est un brouillon (`draft`) : il ne "
            "compte qu'une fois son statut retiré ou passé à `active`.",
            _block(
                fmt,
                "clause",
                "Accord de sous-traitance des données (exemple)",
                {
                    "id": "CLA-EXEMPLE-01",
                    "status": "draft",
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
                    "status": "draft",
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
            _block(fmt, "crmrisk-matrix", "", {}),
            _subtitle(fmt, "Textes à surveiller"),
            "Les textes annoncés ou attendus qui modifieront des obligations du catalogue, "
            "par date. Une fiche encore ouverte après sa date signale que l'état du droit "
            "importé a vieilli : mettre à jour sphinx-crmrisk, ou figer une version plus "
            "récente du catalogue.",
            _block(fmt, "crmrisk-watch", "", {}),
        )
    )
    return {
        "index": index + "\n",
        "obligations": obligations + "\n",
        "clauses": clauses + "\n",
        "procedures": procedures + "\n",
        "preuves": preuves + "\n",
        "suivi": suivi + "\n",
    }


def readme(name: str, jupyter_book: bool) -> str:
    build = (
        "jupyter-book build . -W -n --keep-going"
        if jupyter_book
        else "sphinx-build -W --keep-going -b html . _build/html"
    )
    return f"""# Compliance handbook of {name}

Built with sphinx-crmrisk on its catalogue of the law (French). Not legal advice.

```sh
{build}
crmrisk check _build/html     # exit 1 while an obligation in scope is uncovered
```

Next steps:

1. Check `crmrisk_profile` in the configuration: the activities you carry out decide
   which obligations are in scope (the others are listed as out of scope).
2. For each obligation on the gaps page (`suivi`), write the clause or procedure that
   covers it (`covers: OBL-...`), or mark it `not_applicable` with a `justification`;
   make the two worked examples your own or delete them.
3. When no gap is left, set `crmrisk_fail_on_uncovered` to true and run the build and
   `crmrisk check` in CI: a new obligation of a later catalogue then fails the build.
4. Keep sphinx-crmrisk up to date: the catalogue ships its watch items (texts announced or
   awaited, each with a date); once one of them is still open after its date, the build warns
   (`crmrisk.watch_overdue`) that the statement of the law you import may be out of date.
"""


def write_starter(
    directory: Path,
    profile: Sequence[str] | None = None,
    jupyter_book: bool = False,
    fmt: str = "myst",
) -> list[Path]:
    """Writes the starter into ``directory`` (missing or empty); the files written."""
    if fmt not in FORMATS:
        raise StarterError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if directory.exists():
        if not directory.is_dir():
            raise StarterError(f"{directory} exists and is not a folder")
        if any(directory.iterdir()):
            raise StarterError(f"{directory} is not empty: nothing written")
    shipped = versions()
    if not shipped:
        raise StarterError("this sphinx-crmrisk ships no catalogue of the law")
    name = directory.resolve().name
    suffix = ".md" if fmt == "myst" else ".rst"
    texts = pages(name, fmt, shipped[-1], jupyter_book)
    files = {f"{page}{suffix}": text for page, text in texts.items()}
    if jupyter_book:
        files["_config.yml"] = config_yml(name, profile)
        files["_toc.yml"] = toc_yml()
    else:
        files["conf.py"] = conf_py(name, profile)
    files["README.md"] = readme(name, jupyter_book)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for relative, text in files.items():
            path = directory / relative
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as err:
        raise StarterError(f"cannot write {directory}: {err.strerror or err}") from None
    return written
