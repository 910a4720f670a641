"""``crmrisk-catalogue``: the shipped statement of the law, imported where it stands.

The directive is sphinx-needs' own ``needimport``, pointed at a file of the catalogue
(:mod:`.library`): the imported needs are sphinx-needs needs like written ones, located
at the directive, so the checks, badges, views and exports treat them alike. Options:

- ``:version:`` a dated statement of the law (default: the newest shipped), so that a
  project may pin one; an upgrade of the package brings newer ones;
- ``:phase:`` one phase and its obligations (and, with ``:models:``, its models);
- ``:models:`` the model clauses and procedures too;
- ``:tags:`` tags added to every imported need (as ``needimport``'s).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx_needs.directives.needimport import NeedimportDirective

from .i18n import _
from .kinds import Kind
from .library import catalogue_file, read_needs, versions
from .warnings_ import log_warning

if TYPE_CHECKING:
    from sphinx.application import Sphinx


class CatalogueDirective(NeedimportDirective):
    required_arguments = 0
    optional_arguments = 0
    has_content = False
    option_spec = {
        "version": directives.unchanged_required,
        "phase": directives.unchanged_required,
        "models": directives.flag,
        "tags": directives.unchanged_required,
    }

    def run(self) -> Sequence[nodes.Node]:
        asked = dict(self.options)
        try:
            law = catalogue_file(asked.get("version"))
        except LookupError as err:
            return self._catalogue_refused(str(err))
        version = law.parent.name
        phase = asked.get("phase")
        if phase is not None:
            phases = sorted(
                need_id
                for need_id, need in read_needs(law).items()
                if need.get("type") == Kind.PHASE.value
            )
            if phase not in phases:
                return self._catalogue_refused(
                    f"{phase!r} given to :phase: is not a phase of the catalogue "
                    f"{version} (phases: {', '.join(phases)})"
                )
        files = [law]
        if "models" in asked:
            files.append(catalogue_file(version, models=True))
        note = nodes.paragraph(
            "",
            str(_("Statement of the law as of {date}, imported from the sphinx-crmrisk "
                  "catalogue.")).format(date=version),
            classes=["crmrisk-catalogue-version"],
        )
        result: list[nodes.Node] = [note]
        for file in files:
            options = {"version": version, "parse_by_doctype": True}
            if phase is not None:
                # the phase itself, and every item linked to it
                options["filter"] = f"id == {phase!r} or {phase!r} in phase"
            if "tags" in asked:
                options["tags"] = asked["tags"]
            self.options = options
            # needimport reads a path relative to the source folder when it starts
            # with "/": the package's file, wherever the package is installed
            self.arguments = ["/" + os.path.relpath(file, self.env.srcdir)]
            result.extend(super().run())
        self.options = asked
        return result

    def _catalogue_refused(self, message: str) -> list[nodes.Node]:
        log_warning(self.env.app, "catalogue", message, (self.env.docname, self.lineno))
        return []


def catalogue_versions() -> list[str]:
    """The statements of the law this package ships (for ``crmrisk init``)."""
    return versions()


def setup_catalogue(app: Sphinx) -> None:
    app.add_directive("crmrisk-catalogue", CatalogueDirective)
