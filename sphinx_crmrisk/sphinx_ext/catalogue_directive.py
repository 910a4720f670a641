"""``crmrisk-catalogue``: the shipped statement of the law, imported where it stands.

The directive is sphinx-needs' own ``needimport``, pointed at a file of the catalogue
(:mod:`sphinx_crmrisk.law_catalogue`): the imported needs are sphinx-needs needs like written ones, located
at the directive, so the checks, badges, views and exports treat them alike. Options:

- ``:version:`` a dated statement of the law (default: the newest shipped), so that a
  project may pin one; an upgrade of the package brings newer ones;
- ``:phase:`` one phase, the obligations whose first phase it is, and the watch items
  whose first affected obligation is of it (:func:`~sphinx_crmrisk.law_catalogue.phase_of`):
  one page per phase imports each item once (alone, the links to the other phases and
  their obligations are sphinx-needs' dead-link warnings);
- ``:models:`` the model clauses and procedures too (of every phase: not with
  ``:phase:``, whose other obligations their ``covers`` links would miss);
- ``:tags:`` tags added to every imported need (as ``needimport``'s).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx_needs.data import SphinxNeedsData
from sphinx_needs.directives.needimport import NeedimportDirective

from ..kinds import Kind
from .build_warnings import log_warning
from .i18n import _
from .item_directive import CATALOGUE
from .page_index import get_domain

if TYPE_CHECKING:
    pass


#: Brings the shipped catalogue's items in: a page holding it has crmrisk items.
CATALOGUE_DIRECTIVE = "crmrisk-catalogue"


class CatalogueDirective(NeedimportDirective):
    required_arguments = 0
    optional_arguments = 0
    has_content = False
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {
        "version": directives.unchanged_required,
        "phase": directives.unchanged_required,
        "models": directives.flag,
        "tags": directives.unchanged_required,
    }

    def run(self) -> Sequence[nodes.Node]:
        # imported by the pages that use the directive: most builds have none
        from ..law_catalogue import catalogue_file, phase_of, read_needs

        asked = dict(self.options)
        try:
            law = catalogue_file(asked.get("version"))
        except LookupError as err:
            return self._catalogue_refused(str(err))
        version = law.parent.name
        # the date of the law the build records (outputs.py), when the project sets none
        get_domain(self.env).catalogues.setdefault(self.env.docname, set()).add(version)
        phase = asked.get("phase")
        files = [law]
        if "models" in asked:
            if phase is not None:
                return self._catalogue_refused(
                    ":models: cannot be combined with :phase:: the model clauses and "
                    "procedures cover obligations of every phase"
                )
            files.append(catalogue_file(version, models=True))
        ids: str | None = None
        if phase is not None:
            records = read_needs(law)
            phases = sorted(i for i, need in records.items() if need["type"] == Kind.PHASE.value)
            if phase not in phases:
                return self._catalogue_refused(
                    f"{phase!r} given to :phase: is not a phase of the catalogue "
                    f"{version} (phases: {', '.join(phases)})"
                )
            # the phase, the obligations whose first phase it is and the watch items
            # that go with them: one directive a phase imports each item once
            ids = ",".join(
                sorted(need_id for need_id in records if phase_of(need_id, records) == phase)
            )
        note = nodes.paragraph(
            "",
            str(
                _("Statement of the law as of {date}, imported from the sphinx-crmrisk catalogue.")
            ).format(date=version),
            classes=["crmrisk-catalogue-version"],
        )
        result: list[nodes.Node] = [note]
        for file in files:
            options = {"version": version, "parse_by_doctype": True}
            if ids is not None:
                options["ids"] = ids
            if "tags" in asked:
                options["tags"] = asked["tags"]
            self.options = options
            # needimport reads a path relative to the source folder when it starts
            # with "/": the package's file, wherever the package is installed
            self.arguments = ["/" + os.path.relpath(file, self.env.srcdir)]
            result.extend(super().run())
        self.options = asked
        self._mark_imported(version)
        return result

    def _mark_imported(self, version: str) -> None:
        """Each item this directive imported records the catalogue's version (the
        ``catalogue`` field): its gaps say where they come from, and needs.json carries
        it to the ``crmrisk`` command."""
        # the project's name of the field (validated at config-inited)
        field = (self.config.crmrisk_field_names or {}).get(CATALOGUE, CATALOGUE)
        docname, lineno = self.env.docname, self.lineno
        for need in SphinxNeedsData(self.env).get_needs_mutable().values():
            if need.get("is_import") and need["docname"] == docname and need["lineno"] == lineno:
                need[field] = version

    def _catalogue_refused(self, message: str) -> list[nodes.Node]:
        log_warning(self, "catalogue", message, (self.env.docname, self.lineno))
        return []
