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

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

FORMATS = ("text", "json", "junit", "github")
UNCOVERED: Final = "uncovered"


def problems(traceability: Traceability, gaps_only: bool = False) -> list[Finding]:
    """The findings (unless ``gaps_only``), then the gaps: the build's order."""
    found = [] if gaps_only else list(traceability.findings)
    found += [Finding(UNCOVERED, a.obligation, uncovered_message(a)) for a in traceability.gaps]
    return found


def gap_record(assessment: Assessment) -> dict[str, Any]:
    obligation = assessment.obligation
    return {
        "id": obligation.id,
        "title": obligation.title,
        "file": obligation.file,
        "line": obligation.lineno,
        "location": obligation.location,
        "message": uncovered_message(assessment),
    }


def _problem_record(problem: Finding) -> dict[str, Any]:
    item = problem.item
    return {
        "subtype": problem.subtype,
        "id": item.id,
        "file": item.file,
        "line": item.lineno,
        "location": item.location,
        "message": problem.message,
    }


def counts_line(traceability: Traceability, gaps_only: bool = False) -> str:
    """``9 obligations on 2026-06-01: 4 covered, ..., 2 uncovered[; 3 other problems]``."""
    assessments = traceability.assessments
    # out_of_scope is counted when a profile is declared: without one nothing can be
    parts = ", ".join(
        f"{n} {state.value}"
        for state, n in summarize("", assessments).counts.items()
        if state is not State.OUT_OF_SCOPE or traceability.profile is not None
    )
    line = f"{len(assessments)} obligations on {traceability.today.isoformat()}: {parts}"
    if not gaps_only and traceability.findings:
        line += f"; {len(traceability.findings)} other problem(s)"
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
    entries = ", ".join(
        f"{a.obligation.id} (lacks {', '.join(a.out_of_scope_by)})"
        for a in traceability.out_of_scope
    )
    profile = ", ".join(traceability.profile or ())
    return [one_line(f"Out of scope (profile: {profile}): {entries}")]


def text_report(traceability: Traceability, gaps_only: bool = False) -> str:
    lines = [
        one_line(f"{p.item.location}: {p.message} [crmrisk.{p.subtype}]")
        for p in problems(traceability, gaps_only)
    ]
    lines.append(counts_line(traceability, gaps_only))
    lines += out_of_scope_line(traceability)
    return "\n".join(lines) + "\n"


def json_report(traceability: Traceability, gaps_only: bool = False) -> str:
    found = problems(traceability, gaps_only)
    document = {
        "reference_date": traceability.today.isoformat(),
        "ok": not found,
        # one pass over the assessments, not one a state
        "counts": {
            state.value: n for state, n in summarize("", traceability.assessments).counts.items()
        },
        "uncovered": [gap_record(a) for a in traceability.gaps],
        "profile": None if traceability.profile is None else list(traceability.profile),
        "out_of_scope": [out_of_scope_record(a) for a in traceability.out_of_scope],
        "problems": [_problem_record(p) for p in found],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def junit_report(traceability: Traceability, gaps_only: bool = False) -> str:
    """One test case per obligation (a failure when uncovered, skipped when lapsed),
    then one failed case per other problem."""
    # imported here: the other formats of the gate do without it (9 ms)
    import xml.etree.ElementTree as ET

    assessments = traceability.assessments
    others = [p for p in problems(traceability, gaps_only) if p.subtype != UNCOVERED]
    suite = ET.Element(
        "testsuite",
        name=f"crmrisk coverage on {traceability.today.isoformat()}",
        tests=str(len(assessments) + len(others)),
        failures=str(len(traceability.gaps) + len(others)),
        errors="0",
        skipped=str(sum(a.state in (State.LAPSED, State.OUT_OF_SCOPE) for a in assessments)),
    )

    def case(classname: str, name: str, item: Item) -> ET.Element:
        element = ET.SubElement(suite, "testcase", classname=classname, name=xml_text(name))
        if item.file:
            element.set("file", xml_text(item.file))
        if item.lineno:
            element.set("line", str(item.lineno))
        return element

    def fail(element: ET.Element, kind: str, item: Item, message: str) -> None:
        failure = ET.SubElement(element, "failure", message=xml_text(message), type=kind)
        failure.text = xml_text(f"{item.location}: {message}")

    for assessment in assessments:
        obligation = assessment.obligation
        element = case("crmrisk.obligations", obligation.id, obligation)
        if assessment.state.is_gap:
            fail(element, UNCOVERED, obligation, uncovered_message(assessment))
        elif assessment.state is State.LAPSED:
            lapsed = f"lapsed on {obligation.field('until')}"
            ET.SubElement(element, "skipped", message=xml_text(lapsed))
        elif assessment.state is State.OUT_OF_SCOPE:
            message = xml_text(out_of_scope_message(assessment))
            ET.SubElement(element, "skipped", message=message)
    for problem in others:
        element = case("crmrisk.problems", f"{problem.subtype} {problem.item.id}", problem.item)
        fail(element, problem.subtype, problem.item, problem.message)
    root = ET.Element("testsuites")
    root.append(suite)
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
        item = problem.item
        properties = []
        if item.file:
            properties.append(f"file={_escape_property(item.file)}")
            if item.lineno:
                properties.append(f"line={item.lineno}")
        properties.append(f"title={_escape_property(f'{problem.subtype} {item.id}')}")
        lines.append(f"::error {','.join(properties)}::{_escape_data(problem.message)}")
    lines.append(counts_line(traceability, gaps_only))
    lines += out_of_scope_line(traceability)
    return "\n".join(lines) + "\n"


REPORTERS: dict[str, Callable[[Traceability, bool], str]] = {
    "text": text_report,
    "json": json_report,
    "junit": junit_report,
    "github": github_report,
}
