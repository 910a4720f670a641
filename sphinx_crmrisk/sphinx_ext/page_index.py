"""The page index: what each page shows of needs (and which statement of the law it
imports), kept whole through parallel reads.

A Sphinx domain used as per-document storage (as ``sphinx.ext.duration`` does): cleared
when a page is read again, merged after parallel reads. The incremental build reads it
to know which pages to write again (``incremental.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sphinx.domains import Domain


class CrmriskDomain(Domain):
    """What each page shows of needs: cleared per document, merged after parallel reads."""

    name = "crmrisk"
    label = "sphinx-crmrisk"
    initial_data = {  # noqa: RUF012 - Domain declares it an instance attribute
        "references": {},
        "named": {},
        "aggregates": set(),
        "failed": set(),
        "catalogues": {},
    }

    @property
    def references(self) -> dict[str, set[str]]:
        """Need IDs referenced by roles that show what a need links (``need_incoming``,
        ``need_outgoing``), or by a ``need`` role whose text may show any of its fields,
        by document."""
        return self.data["references"]

    @property
    def named(self) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
        """By document: the need IDs its ``need`` roles name, and the fields of a need
        their text can show (its title and ID by default; see ``incremental.py``)."""
        # an environment pickled before this key was added has none: filled as read
        return self.data.setdefault("named", {})

    @property
    def aggregates(self) -> set[str]:
        """Documents that show aggregated needs (views, tables of needs)."""
        return self.data["aggregates"]

    @property
    def failed(self) -> set[str]:
        """Documents with an item that could not be created (a duplicate ID...)."""
        return self.data["failed"]

    @property
    def catalogues(self) -> dict[str, set[str]]:
        """The dated statements of the shipped law each document imports
        (``crmrisk-catalogue``): the law's date of a project that does not set one."""
        return self.data["catalogues"]

    def clear_doc(self, docname: str) -> None:
        self.references.pop(docname, None)
        self.named.pop(docname, None)
        self.catalogues.pop(docname, None)
        self.aggregates.discard(docname)
        self.failed.discard(docname)

    def merge_domaindata(self, docnames: Iterable[str], otherdata: dict[str, Any]) -> None:
        for docname in docnames:
            if docname in otherdata["references"]:
                self.references[docname] = otherdata["references"][docname]
            if docname in otherdata.get("named", {}):
                self.named[docname] = otherdata["named"][docname]
            if docname in otherdata["aggregates"]:
                self.aggregates.add(docname)
            if docname in otherdata["failed"]:
                self.failed.add(docname)
            if docname in otherdata["catalogues"]:
                self.catalogues[docname] = otherdata["catalogues"][docname]

    def resolve_any_xref(self, *args: Any) -> list[Any]:
        return []


def get_domain(env: Any) -> CrmriskDomain:
    domain: CrmriskDomain = env.get_domain(CrmriskDomain.name)
    return domain
