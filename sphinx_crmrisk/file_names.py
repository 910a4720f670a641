"""The names of the files a build writes beside its pages and a pack holds, and the
suffixes of the registers ``crmrisk import`` reads.

Kept apart from :mod:`.exports` and :mod:`.pack` so that the command names them in its
help without loading either (each is start-up time of every ``crmrisk`` call).
"""

from __future__ import annotations

from .translations import is_french

#: The file sphinx-needs writes, with every need of the build.
NEEDS_JSON = "needs.json"
#: The exports a build writes into its output folder, by format.
BUILD_FILES = {"csv": "traceability.csv", "xlsx": "traceability.xlsx", "json": "traceability.json"}
#: The pack's list of SHA-256 sums, in the form ``sha256sum -c`` checks.
MANIFEST = "SHA256SUMS"
PDF_NAME = "audit-pack.pdf"
FRENCH_PDF_NAME = "dossier-audit.pdf"

#: The register formats read, by suffix.
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")
ODS_SUFFIXES = (".ods",)
CSV_SUFFIXES = (".csv", ".txt")
SUFFIXES = (*SPREADSHEET_SUFFIXES, *ODS_SUFFIXES, *CSV_SUFFIXES)


def pdf_name(language: str) -> str:
    """The pack's PDF, named in the build's language."""
    return FRENCH_PDF_NAME if is_french(language) else PDF_NAME
