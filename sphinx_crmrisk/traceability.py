"""The one traceability object: a model assessed as of a date, its findings and its gaps.

A build makes one from its resolved needs (``sphinx_ext/state.py``), the ``crmrisk``
command and the notebooks from a needs.json and the settings its build recorded
(:mod:`.loading`). The checks, views, exports and reports all read it, so the build and
the command say the same thing about the same data. No Sphinx import.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .evidence import (
    EvidenceAssessment,
    Proof,
    ProofState,
    assess_evidence,
    evidence_findings,
    evidence_of_items,
    proof_counts_by_phase,
    proofs_of,
    unproven_findings,
)
from .gc_pause import gc_paused
from .model import (
    Assessment,
    Finding,
    Model,
    State,
    assess_all,
    find_problems,
    gap_findings,
    not_counting_statuses,
)
from .reviews import (
    Review,
    ReviewLock,
    SuspectCover,
    assess_reviews,
    reported_reviews,
    review_findings,
)
from .scope import expand
from .settings import Settings
from .watch import Watch, assess_watch, watch_findings


@dataclass(frozen=True)
class Traceability:
    """A model, the settings it is assessed with (reference date, inactive statuses,
    required fields, profile, review cycle...), and the review lock its covers are
    compared against."""

    model: Model
    settings: Settings = field(default_factory=Settings)
    lock: ReviewLock = field(default_factory=ReviewLock)

    @classmethod
    def at(
        cls, model: Model, today: dt.date, *, lock: ReviewLock | None = None, **settings: Any
    ) -> Traceability:
        """``model`` assessed at ``today``, with the default settings but those given
        (``profile=("assurance",)``, ``inactive_statuses=...``)."""
        return cls(model, Settings(today=today.isoformat(), **settings), lock or ReviewLock())

    def with_settings(self, **changes: Any) -> Traceability:
        """The same model and lock, assessed with these settings changed (``today`` as a
        date or a text, ``inactive_statuses``...)."""
        today = changes.get("today")
        if isinstance(today, dt.date):
            changes["today"] = today.isoformat()
        return Traceability(self.model, dataclasses.replace(self.settings, **changes), self.lock)

    @cached_property
    def today(self) -> dt.date:
        """The reference date the obligations are assessed at."""
        return self.settings.reference_date

    @property
    def profile(self) -> tuple[str, ...] | None:
        """The organization's activities (None: every obligation applies)."""
        return self.settings.profile

    @property
    def inactive_statuses(self) -> tuple[str, ...]:
        return self.settings.inactive_statuses

    @cached_property
    def assessments(self) -> list[Assessment]:
        """Every obligation's assessment, in ID order."""
        profile = None if self.profile is None else expand(self.profile)
        with gc_paused():  # collections would walk the whole model again and again
            return assess_all(self.model, self.today, self.inactive_statuses, profile)

    @cached_property
    def assessment_of(self) -> dict[str, Assessment]:
        """Each obligation's assessment, by the obligation's ID (made once: a build's
        pages each look up theirs)."""
        return {a.obligation.id: a for a in self.assessments}

    @cached_property
    def out_of_scope(self) -> list[Assessment]:
        """The obligations the profile puts out of scope, with the activities why."""
        return [a for a in self.assessments if a.state is State.OUT_OF_SCOPE]

    @cached_property
    def gaps(self) -> list[Assessment]:
        """The obligations that fail the coverage rule."""
        return [a for a in self.assessments if a.state.is_gap]

    @cached_property
    def findings(self) -> list[Finding]:
        """Problems in the data other than gaps (dates, fields, link types...), then the
        review findings (bad review values, overdue reviews, suspect covers), the watch
        items' (bad values, overdue items), the evidence findings (expired, missing,
        changed...) and, with ``crmrisk_require_evidence``, the obligations not proven."""
        found = find_problems(
            self.model,
            self.settings.required_fields,
            self.inactive_statuses,
            self.settings.language,
        )
        language = self.settings.language
        settings = self.settings
        # the reviews made already (a view showed them), else those that may have a
        # finding: review_findings finds in them what it finds in all
        reviews = self.__dict__.get("reviews")
        if reviews is None:
            reviews = reported_reviews(
                self.model,
                self.today,
                settings.review_every,
                self.lock,
                not_counting_statuses(self.model, self.inactive_statuses),
                settings.warn_never_reviewed,
            )
        found += review_findings(
            self.model, reviews, settings.warn_never_reviewed, self.today, language
        )
        found += watch_findings(self.model, self.watches, self.today, language)
        found += evidence_findings(self.model, self.evidence, self.today, language)
        if self.settings.require_evidence:
            found += unproven_findings(self.assessments, self.proofs, language)
        return found

    @cached_property
    def gap_findings(self) -> list[Finding]:
        """The gaps as findings, each where the organization acts on it (a catalogue's
        gaps grouped at the directive that imports them), in the build's language."""
        return gap_findings(self.gaps, self.settings.language)

    @property
    def language(self) -> str:
        """The language of the build (Sphinx's ``language``): its messages' too."""
        return self.settings.language

    @cached_property
    def evidence(self) -> list[EvidenceAssessment]:
        """Every evidence's state, in ID order."""
        return assess_evidence(self.model, self.today, self.lock, self.inactive_statuses)

    @cached_property
    def evidence_of_items(self) -> dict[str, list[EvidenceAssessment]]:
        """Clause or procedure ID -> the active evidence that proves it."""
        return evidence_of_items(self.evidence)

    @cached_property
    def proofs(self) -> dict[str, Proof]:
        """Obligation ID -> its proof, for each covered or upcoming obligation."""
        return proofs_of(self.assessments, self.evidence)

    @property
    def has_evidence(self) -> bool:
        """Whether the project has any evidence item (views then show the proof)."""
        return bool(self.evidence)

    @cached_property
    def proof_summaries(self) -> list[dict[ProofState, int]]:
        """Proof counts per phase (in ID order), then of all: the rows of
        :func:`~.model.summaries_by_phase`, in its order."""
        return proof_counts_by_phase(self.model, self.assessments, self.proofs)

    @cached_property
    def watches(self) -> list[Watch]:
        """Every watch item's state: overdue first, then open, then closed, by date."""
        return assess_watch(self.model, self.today)

    @cached_property
    def reviews(self) -> list[Review]:
        """Every active clause's and procedure's review state, in ID order."""
        # the statuses as written that do not count, whatever their language (and the
        # unknown ones): the reviews compare the written words
        not_counting = not_counting_statuses(self.model, self.inactive_statuses)
        return assess_reviews(
            self.model, self.today, self.settings.review_every, self.lock, not_counting
        )

    @cached_property
    def review_of(self) -> dict[str, Review]:
        """Each active clause's and procedure's review, by the item's ID."""
        return {r.item.id: r for r in self.reviews}

    @cached_property
    def suspects(self) -> dict[str, list[SuspectCover]]:
        """Suspect covers by the ID of the covering item and of the obligation covered."""
        by_id: dict[str, list[SuspectCover]] = {}
        for review in self.reviews:
            for suspect in review.suspects:
                by_id.setdefault(suspect.item.id, []).append(suspect)
                by_id.setdefault(suspect.obligation.id, []).append(suspect)
        return by_id
