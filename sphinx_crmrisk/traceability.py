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

from .gc_pause import gc_paused
from .model import Assessment, Finding, Model, State, assess_all, find_problems
from .reviews import Review, ReviewLock, SuspectCover, assess_reviews, review_findings
from .scope import expand
from .settings import Settings


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
        review findings (bad review values, overdue reviews, suspect covers)."""
        return find_problems(self.model, self.settings.required_fields) + review_findings(
            self.model, self.reviews, self.settings.warn_never_reviewed
        )

    @cached_property
    def reviews(self) -> list[Review]:
        """Every active clause's and procedure's review state, in ID order."""
        return assess_reviews(
            self.model, self.today, self.settings.review_every, self.lock, self.inactive_statuses
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
