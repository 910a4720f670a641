"""The law as a library: the handbook's phases and obligations, shipped in the package.

``sphinx_crmrisk/catalogue/<date>/`` holds one statement of the law, dated by the
handbook's ``crmrisk_today``: ``needs.json`` (the phases and obligations, with their
fields, French text and links, lapsed rules included, and the watch items: the texts
awaited that will change them) and ``models.json`` (the model clauses and procedures),
both in sphinx-needs' own needs.json format, so that
``needimport`` reads them (the ``crmrisk-catalogue`` directive,
``sphinx_ext/catalogue_directive.py``). From 2026-12-05 on, ``oscal-catalog.json`` beside
them is the same law as an OSCAL catalog (:mod:`.oscal`), for the GRC tools that read OSCAL. They are generated from the handbook, their one
source, by ``make catalogue`` (``python -m sphinx_crmrisk.law_catalogue SOURCE``); ``tests/test_catalogue.py`` fails when they differ from what the handbook
gives. Each shipped record names its statement of the law in its ``catalogue`` field:
a watch item of it still open after its expected date tells the project that imports it
to upgrade (:mod:`.watch`). No Sphinx import.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .input_paths import LoadError
from .kinds import AUTHORED_FIELDS, Kind
from .model import parse_date
from .needs_cache import needs_json_of
from .settings import CONFIG_JSON

CATALOGUE_DIR = Path(__file__).parent / "catalogue"
#: The phases, obligations and watch items; the model clauses and procedures, an
#: optional part.
LAW_FILE = "needs.json"
MODELS_FILE = "models.json"
#: The law as an OSCAL catalog (:data:`.oscal.CATALOG_FILE`).
OSCAL_FILE = "oscal-catalog.json"  # oscal.CATALOG_FILE
LAW_KINDS = (Kind.PHASE, Kind.OBLIGATION, Kind.WATCH)
MODEL_KINDS = (Kind.CLAUSE, Kind.PROCEDURE)
PROJECT = "sphinx-crmrisk catalogue"
#: The links a shipped record keeps: risks are not shipped, nor their ``addresses``.
SHIPPED_LINKS = ("phase", "replaced_by", "covers", "affects")
#: The fields a shipped record leaves out: ``reviewed`` is the date the handbook's own
#: team last re-read a model, not a review by the organization that imports it (whose
#: calendar shows the model as never reviewed until it reviews it), and a date after an
#: importer's reference date would be a ``crmrisk.future_date`` warning there.
UNSHIPPED_FIELDS = frozenset({"reviewed"})
_CORE_KEYS = ("id", "type", "title", "status", "content", "doctype")


def versions(root: Path | None = None) -> list[str]:
    """The dated statements of the law shipped, oldest first."""
    root = CATALOGUE_DIR if root is None else root
    if not root.is_dir():
        return []
    return sorted(
        entry.name
        for entry in root.iterdir()
        if parse_date(entry.name) and (entry / LAW_FILE).is_file()
    )


def catalogue_file(
    version: str | None = None, models: bool = False, root: Path | None = None
) -> Path:
    """The file of ``version`` (default: the newest); LookupError names the versions."""
    root = CATALOGUE_DIR if root is None else root
    shipped = versions(root)
    if not shipped:
        raise LookupError(f"no catalogue is shipped in {root}")
    version = version or shipped[-1]
    if version not in shipped:
        raise LookupError(f"no catalogue version {version!r} (versions: {', '.join(shipped)})")
    return root / version / (MODELS_FILE if models else LAW_FILE)


def phase_of(record_id: str, records: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The phase a record is imported with when a project imports one phase a page:
    a phase is its own; an obligation goes with its first phase; a watch item with the
    first phase of the first obligation it affects that has one, else with the first
    phase of the catalogue. None: a record of no phase (a model)."""
    record = records[record_id]
    if record["type"] == Kind.PHASE.value:
        return record_id
    if record["type"] == Kind.OBLIGATION.value:
        first: str | None = (record.get("phase") or [None])[0]
        return first
    if record["type"] != Kind.WATCH.value:
        return None
    for obligation_id in record.get("affects") or []:
        obligation = records.get(obligation_id)
        if obligation is not None and obligation.get("phase"):
            phase: str = obligation["phase"][0]
            return phase
    phases = sorted(i for i, r in records.items() if r["type"] == Kind.PHASE.value)
    return phases[0] if phases else None


def read_needs(file: Path) -> dict[str, dict[str, Any]]:
    """The records of a shipped file (its one version)."""
    document = json.loads(file.read_text(encoding="utf-8"))
    needs: dict[str, dict[str, Any]] = document["versions"][document["current_version"]]["needs"]
    return needs


#: ``{doc}`text <page>``` or ``{doc}`page```: a page of the handbook, which a project
#: importing the catalogue does not have.
_DOC_ROLE = re.compile(r"\{doc\}`(?:([^`<]*?)\s*<[^`>]*>|([^`]*))`")


#: A bare ``http(s)://`` address in the text: not already ``<...>``, a Markdown link's
#: target ``](...)`` nor code.
_BARE_URL = re.compile(r"(?<![<`])(?<!\]\()https?://[^\s<>`]+")
#: What ends a sentence or a parenthesis after an address, not the address.
_TRAILING = ".,;:!?'\")»"


def _autolink(match: re.Match[str]) -> str:
    """``https://x.fr/a).`` -> ``<https://x.fr/a>).``: a CommonMark autolink, which every
    MyST project makes a link (the handbook's own Jupyter Book links bare addresses with
    linkify, which a project importing the catalogue may not have)."""
    url, tail = match.group(), ""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break  # a parenthesis of the address itself
        url, tail = url[:-1], url[-1] + tail
    return f"<{url}>{tail}"


def _record(need: Mapping[str, Any], version: str) -> dict[str, Any]:
    """A need of the handbook as shipped: what an import needs, no location; a link to
    a page of the handbook becomes its text, a bare address a link; ``catalogue`` names
    the statement of the law it belongs to."""
    record = {key: need[key] for key in _CORE_KEYS if need.get(key)}
    if "content" in record:
        text = _DOC_ROLE.sub(lambda m: m.group(1) or m.group(2), record["content"])
        record["content"] = _BARE_URL.sub(_autolink, text)
    for name in AUTHORED_FIELDS:
        if need.get(name) and name not in UNSHIPPED_FIELDS:
            record[name] = need[name]
    record[CATALOGUE_FIELD] = version
    for name in SHIPPED_LINKS:
        if need.get(name):
            record[name] = list(need[name])
    return record


#: The field each shipped record names its statement of the law in.
CATALOGUE_FIELD = "catalogue"


def needs_document(version: str, needs: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A needs.json of sphinx-needs' format with one version, dated by the law."""
    records = {need["id"]: _record(need, version) for need in sorted(needs, key=lambda n: n["id"])}
    created = f"{version}T00:00:00"
    return {
        "created": created,
        "current_version": version,
        "project": PROJECT,
        "versions": {
            version: {"created": created, "needs": records, "needs_amount": len(records)},
        },
    }


def catalogue_documents(handbook_needs: Path) -> tuple[str, dict[str, dict[str, Any]]]:
    """The version (the handbook's reference date) and each file's document, from the
    needs.json a build of the handbook wrote and the values it recorded beside it."""
    document = json.loads(handbook_needs.read_text(encoding="utf-8"))
    needs = document["versions"][document["current_version"]]["needs"].values()
    recorded = json.loads((handbook_needs.parent / CONFIG_JSON).read_text(encoding="utf-8"))
    version = recorded["crmrisk_today"]
    by_kind = {
        LAW_FILE: [n for n in needs if n["type"] in {k.value for k in LAW_KINDS}],
        MODELS_FILE: [n for n in needs if n["type"] in {k.value for k in MODEL_KINDS}],
    }
    return version, {name: needs_document(version, chosen) for name, chosen in by_kind.items()}


def file_text(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def oscal_text(version: str, law: Mapping[str, Any]) -> str:
    """The law document (:data:`LAW_FILE`'s) as an OSCAL catalog, assessed at ``version``."""
    import datetime as dt

    from .model import Model
    from .oscal import catalog_document, document_bytes
    from .traceability import Traceability

    model = Model.from_needs(law["versions"][law["current_version"]]["needs"])
    traceability = Traceability.at(model, dt.date.fromisoformat(version))
    title = f"{PROJECT}: the law as of {version}"
    return document_bytes(catalog_document(traceability, title)).decode("utf-8")


def generate(source: Path, root: Path | None = None) -> Path:
    """Builds ``source``'s needs.json and writes its catalogue under ``root``: the law,
    the models, and the law as an OSCAL catalog."""
    root = CATALOGUE_DIR if root is None else root
    version, documents = catalogue_documents(needs_json_of(source))
    folder = root / version
    folder.mkdir(parents=True, exist_ok=True)
    for name, document in documents.items():
        (folder / name).write_text(file_text(document), encoding="utf-8")
    (folder / OSCAL_FILE).write_text(oscal_text(version, documents[LAW_FILE]), encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    """``python -m sphinx_crmrisk.law_catalogue SOURCE``: what ``make catalogue`` runs."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m sphinx_crmrisk.law_catalogue SOURCE", file=sys.stderr)
        return 2
    try:
        folder = generate(Path(args[0]))
    except LoadError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
