"""The reports of ``crmrisk check``: text, JSON, JUnit XML and GitHub annotations.

Each reads one :class:`~.traceability.Traceability` and says what the build says as
``crmrisk`` warnings about the same data: the problems in the items (dates, fields,
link types...) and the obligations left uncovered, each with its subtype and
``file:line``. With ``gaps_only``, the uncovered obligations alone.

Every text taken from the items goes through :mod:`.text`: the text and GitHub
reports print one line a problem whatever the titles hold, and JUnit stays valid XML.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from .evidence import ProofState, proof_counts
from .kinds import N_
from .model import (
    Assessment,
    Finding,
    Item,
    State,
    out_of_scope_message,
    summarize,
    uncovered_message,
)
from .text import one_line, xml_text
from .traceability import Traceability
from .translations import translations

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

FORMATS = ("text", "json", "junit", "github")
UNCOVERED: Final = "uncovered"

#: The count of each state in the counts line, singular and plural (the English words
#: are the state codes, as ``--format json`` has them).
COUNT_WORDS: dict[State, tuple[str, str]] = {
    State.COVERED: (N_("{n} covered"), N_("{n} covered")),
    State.JUSTIFIED: (N_("{n} justified"), N_("{n} justified")),
    State.UPCOMING: (N_("{n} upcoming"), N_("{n} upcoming")),
    State.LAPSED: (N_("{n} lapsed"), N_("{n} lapsed")),
    State.OUT_OF_SCOPE: (N_("{n} out_of_scope"), N_("{n} out_of_scope")),
    State.UNCOVERED: (N_("{n} uncovered"), N_("{n} uncovered")),
}
#: The proof of the covered and upcoming obligations, counted the same way.
PROOF_COUNT_WORDS: dict[ProofState, tuple[str, str]] = {
    ProofState.PROVEN: (N_("{n} proven"), N_("{n} proven")),
    ProofState.INVALID: (N_("{n} invalid"), N_("{n} invalid")),
    ProofState.UNPROVEN: (N_("{n} unproven"), N_("{n} unproven")),
}


def problems(traceability: Traceability, gaps_only: bool = False) -> list[Finding]:
    """The findings (unless ``gaps_only``), then the gaps, each where the organization
    acts on it (:func:`~.model.gap_findings`): the build's order and words."""
    found = [] if gaps_only else list(traceability.findings)
    return found + traceability.gap_findings


def gap_record(assessment: Assessment, language: str | None = None) -> dict[str, Any]:
    obligation = assessment.obligation
    return {
        "id": obligation.id,
        "title": obligation.title,
        "file": obligation.file,
        "line": obligation.lineno,
        "location": obligation.location,
        "message": uncovered_message(assessment, language),
        "catalogue": obligation.catalogue,
        "act_at": assessment.acted_on.location,
    }


def _problem_record(problem: Finding) -> dict[str, Any]:
    item = problem.located_at
    record: dict[str, Any] = {
        "subtype": problem.subtype,
        "id": problem.item.id,
        "file": item.file,
        "line": item.lineno,
        "location": item.location,
        "message": problem.text,
    }
    if problem.obligations:
        record["obligations"] = [o.id for o in problem.obligations]
    return record


def counts_line(traceability: Traceability, gaps_only: bool = False) -> str:
    """``9 obligations on 2026-06-01: 4 covered, ..., 2 uncovered[; 3 other problems]``,
    in the build's language (« 9 obligations au 2026-06-01 : 4 couvertes... »)."""
    catalog = translations(traceability.language)
    assessments = traceability.assessments
    # out_of_scope is counted when a profile is declared: without one nothing can be
    parts = ", ".join(
        catalog.ngettext(*COUNT_WORDS[state], n).format(n=n)
        for state, n in summarize("", assessments).counts.items()
        if state is not State.OUT_OF_SCOPE or traceability.profile is not None
    )
    total = len(assessments)
    line = catalog.ngettext(
        N_("{n} obligation on {date}: {counts}"), N_("{n} obligations on {date}: {counts}"), total
    ).format(n=total, date=traceability.today.isoformat(), counts=parts)
    if traceability.has_evidence or traceability.settings.require_evidence:
        counts = proof_counts(assessments, traceability.proofs)
        proof = ", ".join(
            catalog.ngettext(*PROOF_COUNT_WORDS[state], n).format(n=n)
            for state, n in counts.items()
        )
        line += catalog.gettext(N_("; proof: {counts}")).format(counts=proof)
    others = len(traceability.findings)
    if not gaps_only and others:
        line += catalog.ngettext(
            N_("; {n} other problem"), N_("; {n} other problems"), others
        ).format(n=others)
    return line


def out_of_scope_record(assessment: Assessment) -> dict[str, Any]:
    obligation = assessment.obligation
    return {
        "id": obligation.id,
        "title": obligation.title,
        "missing": list(assessment.out_of_scope_by),
        "location": obligation.location,
    }


def out_of_scope_line(traceability: Traceability) -> list[str]:
    """``Out of scope (profile: a, b): OBL-X (lacks c), ...``: none when nothing is."""
    if not traceability.out_of_scope:
        return []
    gettext = translations(traceability.language).gettext
    lacks = gettext(N_("{id} (lacks {activities})"))
    entries = ", ".join(
        lacks.format(id=a.obligation.id, activities=", ".join(a.out_of_scope_by))
        for a in traceability.out_of_scope
    )
    profile = ", ".join(traceability.profile or ())
    line = gettext(N_("Out of scope (profile: {profile}): {entries}"))
    return [one_line(line.format(profile=profile, entries=entries))]


def _lines(problem: Finding) -> list[str]:
    """A problem's message, then its details (a grouped gap's, one a gap), each a line
    safe to print: a line break of the data is an escape, never a new line."""
    return [one_line(line) for line in (problem.message, *problem.details)]


def text_report(traceability: Traceability, gaps_only: bool = False) -> str:
    lines = []
    for p in problems(traceability, gaps_only):
        first, *more = _lines(p)
        lines.append(f"{one_line(p.located_at.location)}: {first} [crmrisk.{p.subtype}]")
        lines += more
    lines.append(counts_line(traceability, gaps_only))
    lines += out_of_scope_line(traceability)
    return "\n".join(lines) + "\n"


def json_report(traceability: Traceability, gaps_only: bool = False) -> str:
    found = problems(traceability, gaps_only)
    document = {
        "reference_date": traceability.today.isoformat(),
        "language": traceability.language,
        "ok": not found,
        # one pass over the assessments, not one a state
        "counts": {
            state.value: n for state, n in summarize("", traceability.assessments).counts.items()
        },
        "proof": {
            state.value: n
            for state, n in proof_counts(traceability.assessments, traceability.proofs).items()
        },
        "uncovered": [gap_record(a, traceability.language) for a in traceability.gaps],
        "profile": None if traceability.profile is None else list(traceability.profile),
        "out_of_scope": [out_of_scope_record(a) for a in traceability.out_of_scope],
        "problems": [_problem_record(p) for p in found],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def junit_report(traceability: Traceability, gaps_only: bool = False) -> str:
    """One test case per obligation (a failure when uncovered, skipped when lapsed or out
    of scope), then one failed case per other problem. The obligations imported from
    the shipped catalogue are a test suite of their own, one an import (its version and
    the file that imports it); the others, and the problems, are the first suite."""
    language = traceability.language
    gettext = translations(language).gettext
    # imported here: the other formats of the gate do without it (9 ms)
    import xml.etree.ElementTree as ET

    assessments = traceability.assessments
    others = [p for p in problems(traceability, gaps_only) if p.subtype != UNCOVERED]
    root = ET.Element("testsuites")
    date = traceability.today.isoformat()
    own = [a for a in assessments if not a.obligation.catalogue]
    imports: dict[tuple[str, str], list[Assessment]] = {}
    for assessment in assessments:
        obligation = assessment.obligation
        if obligation.catalogue:
            imports.setdefault((obligation.catalogue, obligation.location), []).append(assessment)

    def suite(name: str, cases: list[Assessment], problems_too: list[Finding]) -> ET.Element:
        return ET.SubElement(
            root,
            "testsuite",
            name=xml_text(name),
            tests=str(len(cases) + len(problems_too)),
            failures=str(sum(a.state.is_gap for a in cases) + len(problems_too)),
            errors="0",
            skipped=str(sum(a.state in (State.LAPSED, State.OUT_OF_SCOPE) for a in cases)),
        )

    def case(parent: ET.Element, classname: str, name: str, item: Item) -> ET.Element:
        element = ET.SubElement(parent, "testcase", classname=classname, name=xml_text(name))
        if item.file:
            element.set("file", xml_text(item.file))
        if item.lineno:
            element.set("line", str(item.lineno))
        return element

    def fail(element: ET.Element, kind: str, item: Item, message: str) -> None:
        failure = ET.SubElement(element, "failure", message=xml_text(message), type=kind)
        failure.text = xml_text(f"{item.location}: {message}")

    def obligations(parent: ET.Element, classname: str, cases: list[Assessment]) -> None:
        for assessment in cases:
            obligation = assessment.obligation
            where = assessment.acted_on if assessment.state.is_gap else obligation
            element = case(parent, classname, obligation.id, where)
            if assessment.state.is_gap:
                fail(element, UNCOVERED, where, uncovered_message(assessment, language))
            elif assessment.state is State.LAPSED:
                lapsed = gettext(N_("lapsed on {date}")).format(date=obligation.field("until"))
                ET.SubElement(element, "skipped", message=xml_text(lapsed))
            elif assessment.state is State.OUT_OF_SCOPE:
                message = xml_text(out_of_scope_message(assessment, language))
                ET.SubElement(element, "skipped", message=message)

    first = suite(gettext(N_("crmrisk coverage on {date}")).format(date=date), own, others)
    obligations(first, "crmrisk.obligations", own)
    for problem in others:
        where = problem.located_at
        element = case(first, "crmrisk.problems", f"{problem.subtype} {problem.item.id}", where)
        fail(element, problem.subtype, where, problem.text)
    for (version, location), cases in imports.items():
        name = gettext(
            N_("crmrisk coverage on {date}: catalogue {version} imported at {location}")
        ).format(date=date, version=version, location=location)
        obligations(suite(name, cases, []), xml_text(f"crmrisk.catalogue.{version}"), cases)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _escape_data(text: str) -> str:
    # https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts; a
    # line break or control character in the source is shown as an escape, never sent
    return one_line(text).replace("%", "%25")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_report(traceability: Traceability, gaps_only: bool = False) -> str:
    """``::error file=...,line=...::message`` workflow commands, then the counts."""
    lines = []
    for problem in problems(traceability, gaps_only):
        item = problem.located_at
        properties = []
        if item.file:
            properties.append(f"file={_escape_property(item.file)}")
            if item.lineno:
                properties.append(f"line={item.lineno}")
        ids = problem.item.id
        if len(problem.obligations) > 1:
            ids = f"{problem.obligations[0].id}…{problem.obligations[-1].id}"
        properties.append(f"title={_escape_property(f'{problem.subtype} {ids}')}")
        # a grouped gap's lines as the annotation's own lines (%0A), each escaped
        message = "%0A".join(_escape_data(line) for line in (problem.message, *problem.details))
        lines.append(f"::error {','.join(properties)}::{message}")
    lines.append(counts_line(traceability, gaps_only))
    lines += out_of_scope_line(traceability)
    return "\n".join(lines) + "\n"


REPORTERS: dict[str, Callable[[Traceability, bool], str]] = {
    "text": text_report,
    "json": json_report,
    "junit": junit_report,
    "github": github_report,
}
