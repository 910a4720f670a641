"""The one traceability object: a model assessed as of a date, its findings and its gaps.

A build makes one from its resolved needs (:mod:`.build_traceability`), the ``crmrisk``
command and the notebooks from a needs.json and the values its build recorded
(:mod:`.loading`). The checks, views, exports and reports all read it, so the build and
the command say the same thing about the same data. No Sphinx import.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from .model import (
    DEFAULT_INACTIVE_STATUSES,
    DEFAULT_REQUIRED_FIELDS,
    Assessment,
    Finding,
    Model,
    State,
    assess_all,
    find_problems,
)
from .scope import expand
from .reviews import (
    DEFAULT_REVIEW_EVERY,
    Review,
    ReviewLock,
    SuspectCover,
    assess_reviews,
    review_findings,
)


class AssessmentValues(Protocol):
    """The ``crmrisk_*`` values an assessment depends on (a :class:`.config.CrmriskConfig`)."""

    @property
    def reference_date(self) -> dt.date: ...

    @property
    def inactive_statuses(self) -> tuple[str, ...]: ...

    @property
    def required_fields(self) -> tuple[str, ...]: ...

    @property
    def profile(self) -> tuple[str, ...] | None: ...

    @property
    def review_every(self) -> int: ...

    @property
    def warn_never_reviewed(self) -> bool: ...


@dataclass(frozen=True)
class Traceability:
    """A model with the reference date, statuses, required fields and profile it is
    assessed with (``profile`` None: every obligation applies), the review cycle, and the
    review lock its covers are compared against."""

    model: Model
    today: dt.date
    inactive_statuses: tuple[str, ...] = DEFAULT_INACTIVE_STATUSES
    required_fields: tuple[str, ...] = DEFAULT_REQUIRED_FIELDS
    profile: tuple[str, ...] | None = None
    review_every: int = DEFAULT_REVIEW_EVERY
    warn_never_reviewed: bool = False
    lock: ReviewLock = ReviewLock()

    @classmethod
    def assessed_with(
        cls, model: Model, values: AssessmentValues, lock: ReviewLock | None = None
    ) -> Traceability:
        return cls(
            model,
            values.reference_date,
            values.inactive_statuses,
            values.required_fields,
            values.profile,
            values.review_every,
            values.warn_never_reviewed,
            lock or ReviewLock(),
        )

    @cached_property
    def assessments(self) -> list[Assessment]:
        """Every obligation's assessment, in ID order."""
        profile = None if self.profile is None else expand(self.profile)
        with gc_paused():  # collections would walk the whole model again and again
            return assess_all(self.model, self.today, self.inactive_statuses, profile)

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
        return find_problems(self.model, self.required_fields) + review_findings(
            self.model, self.reviews, self.warn_never_reviewed
        )

    @cached_property
    def reviews(self) -> list[Review]:
        """Every active clause's and procedure's review state, in ID order."""
        return assess_reviews(
            self.model, self.today, self.review_every, self.lock, self.inactive_statuses
        )

    @cached_property
    def suspects(self) -> dict[str, list[SuspectCover]]:
        """Suspect covers by the ID of the covering item and of the obligation covered."""
        by_id: dict[str, list[SuspectCover]] = {}
        for review in self.reviews:
            for suspect in review.suspects:
                by_id.setdefault(suspect.item.id, []).append(suspect)
                by_id.setdefault(suspect.obligation.id, []).append(suspect)
        return by_id


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a large model is read or assessed.

    Reading 50,000 needs creates millions of dicts, lists and objects; CPython collects
    every 700 new ones, and its full collections walk every live object: half of the
    time ``json.loads`` takes on such a file, and more in the model. Nothing made here
    holds a reference cycle, so reference counting frees all of it just the same.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            # what survives (the model) moves to the oldest generation, where it would
            # have gone after two collections that each walk all of it (0.15 s at
            # 50,000 needs): freeze() then unfreeze() moves it there without a walk
            gc.freeze()
            gc.unfreeze()
        gc.enable()
