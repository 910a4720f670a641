"""The activities an obligation may concern, and which obligations a profile keeps in scope.

An obligation lists the activities it concerns in ``:applies_to:`` (none: it concerns
every organization); it applies when the organization carries out EVERY activity it
lists. The organization declares what it does in ``crmrisk_profile`` (unset: every
obligation applies). The vocabulary is described here once: the reference
documentation, the checks (an unknown word is a ``bad_value``), ``crmrisk_profile``'s
validation and ``crmrisk init --profile`` all read it. No Sphinx import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .kinds import N_
from .text import split_list
from .translations import Gettext, same

#: Each activity word, with one line for the reference documentation (and, translated,
#: for the comments of ``crmrisk init``'s configuration).
ACTIVITIES: Mapping[str, str] = {
    "prospection": N_("Outbound canvassing by phone, SMS or e-mail."),
    "enregistrement": N_("Call recording."),
    "offshore": N_("Personal data processed outside the European Union."),
    "sous-traitance": N_("An outsourced contact center."),
    "ia": N_("Chatbots, voicebots or AI analytics of calls and messages."),
    "en-ligne": N_("Online sales or an online customer area."),
    "assurance": N_("Selling insurance (implies services-financiers)."),
    "credit": N_("Selling consumer credit (implies services-financiers)."),
    "services-financiers": N_("Selling financial services (banking, credit, insurance, payment)."),
    "renovation": N_("Energy-renovation works or their canvassing."),
    "formation-cpf": N_("Training paid with the personal training account (CPF)."),
}

#: A word of a profile that brings others with it: an insurer sells a financial
#: service, so the rules on distance-sold financial services apply to it.
IMPLIES: Mapping[str, frozenset[str]] = {
    "assurance": frozenset({"services-financiers"}),
    "credit": frozenset({"services-financiers"}),
}


def unknown_words(words: Iterable[str]) -> list[str]:
    """The words that are not activities, in the order given."""
    return [word for word in words if word not in ACTIVITIES]


def not_activities(words: Iterable[str], gettext: Gettext = same) -> str | None:
    """``'x', 'y' is not an activity (activities: ...)``: the end of the message that
    refuses the unknown words among ``words``; None when all are activities. In the
    language of ``gettext`` (English by default)."""
    unknown = unknown_words(words)
    if not unknown:
        return None
    if len(unknown) == 1:
        template = gettext(N_("{words} is not an activity (activities: {activities})"))
    else:
        template = gettext(N_("{words} are not activities (activities: {activities})"))
    return template.format(words=", ".join(repr(w) for w in unknown), activities=valid_words())


def valid_words() -> str:
    """``prospection, enregistrement, ...``: for messages naming the valid words."""
    return ", ".join(ACTIVITIES)


def expand(profile: Iterable[str]) -> frozenset[str]:
    """The profile's words and every word they imply."""
    words = set(profile)
    for word in list(words):
        words |= IMPLIES.get(word, frozenset())
    return frozenset(words)


def missing_activities(applies_to: str, profile: frozenset[str] | None) -> tuple[str, ...]:
    """The activities of ``applies_to`` that the (expanded) profile lacks.

    Empty: the obligation is in scope (no profile, no ``applies_to``, or the profile
    has every activity listed).
    """
    if profile is None or not applies_to:
        return ()
    return tuple(word for word in split_list(applies_to) if word not in profile)
