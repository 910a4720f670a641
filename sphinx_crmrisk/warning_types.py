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
    "environment",
    "evidence_changed",
    "evidence_expired",
    "evidence_missing",
    "export",
    "future_date",
    "link_type",
    "missing_field",
    "review_overdue",
    "suspect",
    "uncovered",
    "unproven",
    "view_option",
    "watch_overdue",
]

#: One line per subtype, for the reference documentation.
WARNING_SUBTYPES: dict[WarningSubtype, str] = {
    "bad_date": "A date that is not YYYY-MM-DD ('effective', 'until', 'reviewed', 'expected', "
    "'dated', 'valid_until') or not of the years read, 'until' before 'effective', or "
    "'valid_until' before 'dated'.",
    "bad_value": "A field value outside its allowed set: a status that is no word of its "
    "kind's statuses (a clause or procedure with one does not count), a 'verification' "
    "other than verified/partial/unverified, a 'review_every' that is not a number of "
    "months, an 'applies_to' word that is not an activity, a risk's 'likelihood' or "
    "'severity' other than 1 to 4, a watch item's status other than open/done/abandoned, "
    "an evidence's 'document' path out of the source folder.",
    "catalogue": "A crmrisk-catalogue option the shipped catalogue has not: an unknown "
    ":version: or :phase:.",
    "computed_field": "A field the build sets ('coverage_state', 'review_state', 'proof_state', "
    "'evidence_state', 'document_sha256') written by an author, in a need or a needextend: "
    "the build's value replaces it.",
    "environment": "An environment variable of sphinx-crmrisk with a value it does not know "
    "(CRMRISK_WARM other than keep, build or off; CRMRISK_WARM_IDLE not a number of seconds): "
    "its default is used.",
    "evidence_changed": "An active evidence whose document file's SHA-256 differs from the one "
    "recorded when it was last approved ('crmrisk review'): check the file, then approve it "
    "again.",
    "evidence_expired": "An active evidence whose 'valid_until' is before the reference date.",
    "evidence_missing": "An active evidence whose 'document' is a path with no readable file "
    "in the source folder.",
    "export": "A traceability export that could not be written, or an XLSX cell cut to "
    "Excel's 32,767 characters (the cell has a note; traceability.json has the whole text).",
    "future_date": "A date that cannot be after the reference date and is: a clause's or "
    "procedure's 'reviewed', an evidence's 'dated'.",
    "link_type": "A 'covers'/'addresses'/'affects'/'phase'/'replaced_by'/'proves' link "
    "between the wrong kinds.",
    "missing_field": "An obligation without a required field, a phase, or a justification; "
    "an open watch item without an 'expected' date; an evidence without a 'document', a "
    "'dated' or a 'proves' link.",
    "review_overdue": "A clause or procedure whose last review plus its cycle is before the "
    "reference date (or, with crmrisk_warn_never_reviewed, that was never reviewed).",
    "suspect": "A cover whose obligation changed (title, legal basis, dates, phases, "
    "sanction, source, text) since the covering item was last reviewed against it.",
    "uncovered": "An obligation in force that no active clause or procedure covers.",
    "unproven": "With crmrisk_require_evidence: a covered or upcoming obligation that no valid "
    "evidence of an item covering it proves.",
    "view_option": "A view's option that names nothing the project has (an unknown :phase:).",
    "watch_overdue": "A watch item still open after its 'expected' date: what it awaited "
    "should have happened (update it; one imported from the shipped catalogue asks for an "
    "upgrade of sphinx-crmrisk or a newer :version:).",
}

#: Subtypes the build alone reports: about the pages or the output, not the items
#: (``crmrisk check`` reads needs.json, which holds the items only), or about what
#: needs.json cannot tell (an author's value of a field the build then sets).
BUILD_ONLY_SUBTYPES: frozenset[WarningSubtype] = frozenset(
    {"catalogue", "computed_field", "environment", "export", "view_option"}
)
