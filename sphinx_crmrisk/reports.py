"""The reports of ``crmrisk check``: text, JSON, JUnit XML and GitHub annotations.

Each takes the assessments of :func:`.model.assess_all` and says the same thing: the
obligations left uncovered, with :func:`.model.uncovered_message` and ``file:line``.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from typing import Any

from .model import Assessment, State, uncovered_message

FORMATS = ("text", "json", "junit", "github")


def gaps(assessments: Sequence[Assessment]) -> list[Assessment]:
    return [a for a in assessments if a.state is State.UNCOVERED]


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


def state_counts(assessments: Sequence[Assessment]) -> dict[State, int]:
    """How many obligations are in each state, in the order of :class:`.State`."""
    counts = {state: 0 for state in State}
    for assessment in assessments:
        counts[assessment.state] += 1
    return counts


def counts_line(assessments: Sequence[Assessment], today: dt.date) -> str:
    """``9 obligations on 2026-06-01: 4 covered, ..., 2 uncovered``."""
    counts = state_counts(assessments)
    parts = ", ".join(f"{n} {state.value}" for state, n in counts.items())
    return f"{len(assessments)} obligations on {today.isoformat()}: {parts}"


def text_report(assessments: Sequence[Assessment], today: dt.date) -> str:
    lines = [
        f"{a.obligation.location}: {uncovered_message(a)}" for a in gaps(assessments)
    ]
    lines.append(counts_line(assessments, today))
    return "\n".join(lines) + "\n"


def json_report(assessments: Sequence[Assessment], today: dt.date) -> str:
    found = gaps(assessments)
    document = {
        "reference_date": today.isoformat(),
        "ok": not found,
        # one pass over the assessments, not one a state
        "counts": {state.value: n for state, n in state_counts(assessments).items()},
        "uncovered": [gap_record(a) for a in found],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def junit_report(assessments: Sequence[Assessment], today: dt.date) -> str:
    """One test case per obligation: a failure when uncovered, skipped when lapsed."""
    found = gaps(assessments)
    suite = ET.Element(
        "testsuite",
        name=f"crmrisk coverage on {today.isoformat()}",
        tests=str(len(assessments)),
        failures=str(len(found)),
        errors="0",
        skipped=str(sum(a.state is State.LAPSED for a in assessments)),
    )
    for assessment in assessments:
        obligation = assessment.obligation
        case = ET.SubElement(
            suite, "testcase", classname="crmrisk.obligations", name=obligation.id
        )
        if obligation.file:
            case.set("file", obligation.file)
        if obligation.lineno:
            case.set("line", str(obligation.lineno))
        if assessment.state is State.UNCOVERED:
            message = uncovered_message(assessment)
            failure = ET.SubElement(case, "failure", message=message, type="uncovered")
            failure.text = f"{obligation.location}: {message}"
        elif assessment.state is State.LAPSED:
            ET.SubElement(case, "skipped", message=f"lapsed on {obligation.field('until')}")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _escape_data(text: str) -> str:
    # https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_report(assessments: Sequence[Assessment], today: dt.date) -> str:
    """``::error file=...,line=...::message`` workflow commands, then the counts."""
    lines = []
    for assessment in gaps(assessments):
        obligation = assessment.obligation
        properties = []
        if obligation.file:
            properties.append(f"file={_escape_property(obligation.file)}")
            if obligation.lineno:
                properties.append(f"line={obligation.lineno}")
        properties.append(f"title={_escape_property('uncovered ' + obligation.id)}")
        lines.append(f"::error {','.join(properties)}::{_escape_data(uncovered_message(assessment))}")
    lines.append(counts_line(assessments, today))
    return "\n".join(lines) + "\n"


REPORTERS: dict[str, Callable[[Sequence[Assessment], dt.date], str]] = {
    "text": text_report,
    "json": json_report,
    "junit": junit_report,
    "github": github_report,
}
