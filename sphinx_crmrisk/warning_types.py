"""The warning subtypes of sphinx_crmrisk, each with its one-line description.

Every warning has ``type="crmrisk"``, a subtype from :data:`WARNING_SUBTYPES`, and the
location of the item, so ``suppress_warnings = ["crmrisk.<subtype>"]`` silences one
kind and every message points at ``file:line``. The build logs them
(``sphinx_ext/build_warnings.py``), ``crmrisk check`` reports the same ones, and the
reference documentation lists them from here. No Sphinx import.
"""

from __future__ import annotations

from typing import Literal

WARNING_TYPE = "crmrisk"

WarningSubtype = Literal[
    "bad_date",
    "bad_value",
    "catalogue",
    "computed_field",
    "export",
    "link_type",
    "missing_field",
    "review_overdue",
    "suspect",
    "uncovered",
    "view_option",
]

#: One line per subtype, for the reference documentation.
WARNING_SUBTYPES: dict[WarningSubtype, str] = {
    "bad_date": "A date that is not YYYY-MM-DD ('effective', 'until', 'reviewed'), or 'until' "
    "before 'effective'.",
    "bad_value": "A field value outside its allowed set: a status that is no word of its "
    "kind's statuses (a clause or procedure with one does not count), a 'verification' "
    "other than verified/partial/unverified, a 'review_every' that is not a number of "
    "months, an 'applies_to' word that is not an activity, a risk's 'likelihood' or "
    "'severity' other than 1 to 4.",
    "catalogue": "A crmrisk-catalogue option the shipped catalogue has not: an unknown "
    ":version: or :phase:.",
    "computed_field": "A field the build sets ('coverage_state', 'review_state') written by an author, "
    "in a need or a needextend: the build's value replaces it.",
    "export": "A traceability export that could not be written, or an XLSX cell cut to "
    "Excel's 32,767 characters (the cell has a note; traceability.json has the whole text).",
    "link_type": "A 'covers'/'addresses'/'phase'/'replaced_by' link between the wrong kinds.",
    "missing_field": "An obligation without a required field, a phase, or a justification.",
    "review_overdue": "A clause or procedure whose last review plus its cycle is before the "
    "reference date (or, with crmrisk_warn_never_reviewed, that was never reviewed).",
    "suspect": "A cover whose obligation changed (title, legal basis, dates, phases, "
    "sanction, source, text) since the covering item was last reviewed against it.",
    "uncovered": "An obligation in force that no active clause or procedure covers.",
    "view_option": "A view's option that names nothing the project has (an unknown :phase:).",
}

#: Subtypes the build alone reports: about the pages or the output, not the items
#: (``crmrisk check`` reads needs.json, which holds the items only), or about what
#: needs.json cannot tell (an author's value of a field the build then sets).
BUILD_ONLY_SUBTYPES: frozenset[WarningSubtype] = frozenset(
    {"catalogue", "computed_field", "export", "view_option"}
)
