"""Synthetic compliance handbooks of any size, for the benchmarks.

One seeded item list (phases, obligations, clauses, procedures, risks, about twenty
a page) renders to two variants of the same content: ``plain`` declares the need
types, fields and links to sphinx-needs itself in conf.py; ``crmrisk`` loads
sphinx_crmrisk, which registers them (and adds its checks, matrix page, exports).
Every obligation is covered. ``edited=True`` renders the same handbook after one
edit: a clause loses its ``covers`` link to the one obligation only it covers.

The same items also render straight to a needs.json (for ``crmrisk check``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from sphinx_crmrisk.kinds import AUTHORED_FIELDS, FIELDS, PREFIXES, Kind
from sphinx_crmrisk.sphinx_ext.coexistence import ID_REGEX
from sphinx_crmrisk.sphinx_ext.layouts import link_labels, type_titles

NEEDS_PER_PAGE = 20
#: The reference date of the crmrisk variant: builds are reproducible.
TODAY = "2026-01-01"
#: Share of the non-phase needs by kind; phases are added on top (see ``plan``).
MIX = {Kind.OBLIGATION: 0.40, Kind.CLAUSE: 0.25, Kind.PROCEDURE: 0.20, Kind.RISK: 0.15}
#: Directives of sphinx_crmrisk's matrix page, used when the installed package has them.
MATRIX_DIRECTIVES = ("crmrisk-matrix", "crmrisk-coverage", "crmrisk-gaps")
MATRIX_PAGE = "matrix"

_WORDS = [
    "client",
    "consentement",
    "appel",
    "prestataire",
    "donnée",
    "contrat",
    "opposition",
    "conservation",
    "enregistrement",
    "campagne",
    "conseiller",
    "traitement",
    "sécurité",
    "accès",
    "preuve",
    "durée",
    "information",
    "démarchage",
    "réclamation",
    "contrôle",
    "registre",
    "audit",
    "formation",
    "sanction",
    "notification",
    "transfert",
    "sous-traitant",
    "fichier",
    "horaire",
    "fréquence",
    "script",
    "qualité",
]


class Variant(StrEnum):
    PLAIN = "plain"
    CRMRISK = "crmrisk"

    def __str__(self) -> str:
        return self.value


@dataclass
class Need:
    id: str
    kind: Kind
    title: str
    body: str
    fields: dict[str, str] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)
    status: str | None = None


@dataclass(frozen=True)
class Edit:
    """The clause whose ``covers`` link to ``obligation`` the edit removes."""

    clause: str
    obligation: str


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(_WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _need_id(kind: Kind, number: int) -> str:
    return f"{PREFIXES[kind]}{number:05d}"


def counts(n_needs: int) -> dict[Kind, int]:
    """How many needs of each kind a handbook of ``n_needs`` holds (they add up)."""
    phases = max(3, n_needs // 500)
    rest = n_needs - phases
    result = {Kind.PHASE: phases}
    for kind, share in MIX.items():
        result[kind] = int(rest * share)
    result[Kind.OBLIGATION] += n_needs - sum(result.values())
    return result


def plan(n_needs: int, seed: int = 0) -> tuple[list[Need], Edit]:
    """The needs (grouped by kind, in page order) and the edit that uncovers one."""
    rng = random.Random(seed)
    by_kind: dict[Kind, list[Need]] = {}
    for kind, count in counts(n_needs).items():
        by_kind[kind] = [
            Need(_need_id(kind, i + 1), kind, _sentence(rng, 5)[:-1], _sentence(rng, 30))
            for i in range(count)
        ]
    phase_ids = [need.id for need in by_kind[Kind.PHASE]]
    obligations = by_kind[Kind.OBLIGATION]
    for number, need in enumerate(obligations):
        need.links["phase"] = rng.sample(phase_ids, rng.choice((1, 1, 1, 2)))
        need.fields |= {
            "legal_basis": f"Code de la consommation, art. L{rng.randint(100, 999)}-{rng.randint(1, 30)}",
            "effective": f"{rng.randint(2000, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "sanction": f"Amende jusqu'à {rng.randint(1, 300)} 000 euros",
            "source": f"https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI{number:012d}",
            "verification": rng.choice(
                ("verified", "verified", "verified", "partial", "unverified")
            ),
        }
        if rng.random() < 0.05:
            need.fields["until"] = "2030-12-31"
        if rng.random() < 0.02:
            need.status = "not_applicable"
            need.fields["justification"] = _sentence(rng, 8)
        if rng.random() < 0.01 and number + 1 < len(obligations):
            need.links["replaced_by"] = [obligations[number + 1].id]
    covering = by_kind[Kind.CLAUSE] + by_kind[Kind.PROCEDURE]
    # every obligation gets one cover in turn, then each covering item a random extra
    for number, obligation in enumerate(obligations):
        covering[number % len(covering)].links.setdefault("covers", []).append(obligation.id)
    for need in covering:
        for extra in rng.sample(obligations, rng.choice((0, 1, 2))):
            if extra.id not in need.links.get("covers", []):
                need.links.setdefault("covers", []).append(extra.id)
    for need in by_kind[Kind.CLAUSE]:
        need.fields["party"] = rng.choice(("prestataire", "prestataire, intégrateur", "client"))
    for need in by_kind[Kind.PROCEDURE]:
        need.fields["owner"] = rng.choice(("DPO", "direction juridique", "responsable qualité"))
        need.fields["frequency"] = rng.choice(("mensuelle", "trimestrielle", "annuelle"))
    for need in by_kind[Kind.RISK]:
        need.links["addresses"] = [o.id for o in rng.sample(obligations, rng.choice((1, 2)))]
        need.links["phase"] = [rng.choice(phase_ids)]
    # in the order of the kinds (MIX has no watch items: the figures stay comparable)
    everyone = [need for kind in Kind for need in by_kind.get(kind, ())]
    # a page refers to a need of another page now and then, through a role
    for need in everyone[::5]:
        need.body += f" Voir {{ref:{rng.choice(everyone).id}}}."
    return everyone, _pick_edit(by_kind[Kind.CLAUSE], covering)


def _pick_edit(clauses: list[Need], covering: list[Need]) -> Edit:
    covered_by: dict[str, list[str]] = {}
    for need in covering:
        for obligation in need.links.get("covers", []):
            covered_by.setdefault(obligation, []).append(need.id)
    for clause in clauses:
        # a clause that keeps a covers link, so that only one obligation's coverage changes
        if len(clause.links.get("covers", [])) < 2:
            continue
        for obligation in clause.links["covers"]:
            if covered_by[obligation] == [clause.id]:
                return Edit(clause.id, obligation)
    raise ValueError("no obligation is covered by one clause alone: use a larger handbook")


# ---------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Syntax:
    """How a page of one markup writes a need, a role and a heading."""

    suffix: str

    def heading(self, text: str) -> str:
        if self.suffix == ".md":
            return f"# {text}\n"
        return f"{text}\n{'=' * len(text)}\n"

    def role(self, need_id: str) -> str:
        return f"{{need}}`{need_id}`" if self.suffix == ".md" else f":need:`{need_id}`"

    def body(self, need: Need) -> str:
        """The need's text as the page writes it: its ``{ref:ID}`` placeholders as roles."""
        return re.sub(r"\{ref:([^}]+)\}", lambda m: self.role(m.group(1)), need.body)

    def starts_need(self, line: str) -> bool:
        """Whether ``line`` opens a need's directive (its line in needs.json)."""
        if self.suffix == ".md":
            return line.startswith("```{") and not line.startswith("```{needtable")
        return line.startswith(".. ") and "::" in line

    def need(self, need: Need, options: Mapping[str, str]) -> str:
        body = self.body(need)
        lines = [f":{name}: {value}" for name, value in options.items()]
        if self.suffix == ".md":
            return "\n".join([f"```{{{need.kind}}} {need.title}", *lines, "", body, "```", ""])
        indented = [f"   {line}" for line in lines]
        return "\n".join([f".. {need.kind}:: {need.title}", *indented, "", f"   {body}", ""])

    def directive(self, name: str, options: Mapping[str, str]) -> str:
        if self.suffix == ".md":
            lines = [f"```{{{name}}}", *(f":{k}: {v}" for k, v in options.items()), "```", ""]
        else:
            lines = [f".. {name}::", *(f"   :{k}: {v}" for k, v in options.items()), ""]
        return "\n".join(lines)


MYST, REST = Syntax(".md"), Syntax(".rst")


def _options(need: Need) -> dict[str, str]:
    options = {"id": need.id}
    if need.status:
        options["status"] = need.status
    options |= need.fields
    options |= {name: ", ".join(ids) for name, ids in need.links.items()}
    return options


@dataclass(frozen=True)
class Page:
    docname: str
    syntax: Syntax
    title: str
    needs: list[Need]


def paginate(needs: list[Need]) -> list[Page]:
    """One kind a page, about twenty needs each, MyST and reST in turn."""
    pages = []
    for kind in Kind:
        of_kind = [need for need in needs if need.kind is kind]
        for start in range(0, len(of_kind), NEEDS_PER_PAGE):
            syntax = REST if len(pages) % 2 else MYST
            chunk = of_kind[start : start + NEEDS_PER_PAGE]
            title = f"{type_titles()[kind]} {start + 1}-{start + len(chunk)}"
            pages.append(Page(f"{kind}/page-{len(pages) + 1:04d}", syntax, title, chunk))
    return pages


def _need_lines(page: Page) -> list[int]:
    """The line (from 1) of each need's directive in the page's text, in page order."""
    text = _page_text(page, None)
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if page.syntax.starts_need(line)
    ]


def _page_text(page: Page, edit: Edit | None) -> str:
    parts = [page.syntax.heading(page.title)]
    for need in page.needs:
        options = _options(need)
        if edit is not None and need.id == edit.clause:
            options["covers"] = ", ".join(i for i in need.links["covers"] if i != edit.obligation)
        parts.append(page.syntax.need(need, options))
    return "\n".join(parts)


def _matrix_page(variant: Variant, directives: tuple[str, ...]) -> str:
    parts = [MYST.heading("Matrice de traçabilité")]
    if variant is Variant.CRMRISK and directives:
        parts += [MYST.directive(name, {}) for name in directives]
    else:
        parts.append(
            MYST.directive(
                "needtable",
                {
                    "types": "obligation",
                    "columns": "id, title, phase, covers_back",
                    "style": "table",
                },
            )
        )
    return "\n".join(parts)


def _conf(variant: Variant) -> str:
    common = [
        '"""Generated by benchmarks/generate.py."""',
        'project = "Synthetic handbook"',
        'exclude_patterns = ["_build"]',
        "suppress_warnings = ['myst.header']",
    ]
    if variant is Variant.CRMRISK:
        return "\n".join(
            [
                *common,
                'extensions = ["myst_parser", "sphinx_crmrisk"]',
                f"crmrisk_today = {TODAY!r}",
                "",
            ]
        )
    types = [
        {"directive": kind.value, "title": title, "prefix": PREFIXES[kind], "style": "node"}
        for kind, title in type_titles().items()
    ]
    # what an author writes: the fields the extension computes (coverage_state...) would
    # only cost plain sphinx-needs layout work for values nobody sets
    fields = {
        name: {"description": name, "schema": {"type": "string"}, "nullable": True}
        for name in AUTHORED_FIELDS
    }
    links = {
        name: {"outgoing": outgoing, "incoming": incoming}
        for name, (outgoing, incoming) in link_labels().items()
    }
    return "\n".join(
        [
            *common,
            'extensions = ["myst_parser", "sphinx_needs"]',
            f"needs_types = {types!r}",
            f"needs_fields = {fields!r}",
            f"needs_links = {links!r}",
            f"needs_id_regex = {ID_REGEX!r}",
            "needs_build_json = True",
            "",
        ]
    )


def available_matrix_directives() -> tuple[str, ...]:
    """The matrix directives the installed sphinx_crmrisk defines (it may have none yet)."""
    import sphinx_crmrisk

    sources = "".join(
        path.read_text(encoding="utf-8")
        for path in Path(sphinx_crmrisk.__file__).parent.rglob("*.py")
    )
    return tuple(name for name in MATRIX_DIRECTIVES if f'"{name}"' in sources)


def render(
    n_needs: int,
    variant: Variant,
    *,
    edited: bool = False,
    seed: int = 0,
    directives: tuple[str, ...] | None = None,
) -> dict[str, str]:
    """The source files (relative path -> text) of a handbook of ``n_needs`` needs."""
    needs, edit = plan(n_needs, seed)
    if directives is None:
        directives = available_matrix_directives()
    pages = paginate(needs)
    files = {"conf.py": _conf(variant), f"{MATRIX_PAGE}.md": _matrix_page(variant, directives)}
    toctree = "\n".join(f"   {name}" for name in [*(p.docname for p in pages), MATRIX_PAGE])
    files["index.rst"] = (
        f"Synthetic handbook\n==================\n\n.. toctree::\n   :maxdepth: 1\n\n{toctree}\n"
    )
    files |= {
        page.docname + page.syntax.suffix: _page_text(page, edit if edited else None)
        for page in pages
    }
    return files


def write(files: Mapping[str, str], src: Path) -> list[str]:
    """Writes the files that differ from what ``src`` holds (others keep their mtime)."""
    written = []
    for name, text in files.items():
        path = src / name
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(name)
    return written


def needs_json(
    n_needs: int, seed: int = 0, templates: Mapping[str, Mapping[str, object]] | None = None
) -> dict[str, object]:
    """The needs.json a build of the handbook would write.

    ``templates`` (need type -> a need of a real build's needs.json) gives each need
    the many other keys sphinx-needs writes, so that the file has a real one's size.
    """
    needs, _edit = plan(n_needs, seed)
    titles = type_titles()
    backlinks: dict[tuple[str, str], list[str]] = {}
    for need in needs:
        for name, targets in need.links.items():
            for target in targets:
                backlinks.setdefault((target, name), []).append(need.id)
    data = {}
    for page in paginate(needs):
        lines = _need_lines(page)
        for need, lineno in zip(page.needs, lines, strict=True):
            entry = dict((templates or {}).get(need.kind.value, {}))
            entry |= {
                "id": need.id,
                "type": need.kind.value,
                "type_name": titles[need.kind],
                "title": need.title,
                "status": need.status,
                "docname": page.docname,
                "doctype": page.syntax.suffix,
                "lineno": lineno,
                "is_external": False,
                "content": page.syntax.body(need),
            }
            entry |= {name: need.fields.get(name, "") for name in FIELDS}
            for name in link_labels():
                # the build lists a need's links in sorted order, whatever order is written
                entry[name] = sorted(need.links.get(name, []))
                entry[f"{name}_back"] = sorted(backlinks.get((need.id, name), []))
            data[need.id] = entry
    return {"current_version": "", "versions": {"": {"needs": data, "needs_amount": len(data)}}}
