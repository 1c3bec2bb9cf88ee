"""The user's answer preferences, kept in `UserState`, and how they shape a model request.

The profile is a plain dict (it is stored as JSON): the answer style, custom instructions and the
temperature ("creativity"). Each is optional; what is missing leaves the bot's defaults in place.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypedDict

from botbuilder.core import TurnContext

PROFILE_PROPERTY = "profile"
"""The `UserState` property that holds the profile."""
PROFILE_SAVED_KEY = "profile.saved"
"""turn_state key of the profile this turn saved, so a conflicting save can apply it again."""

MAX_INSTRUCTIONS_CHARS = 500
MIN_TEMPERATURE = 0.0
MAX_TEMPERATURE = 2.0


class AnswerStyle(StrEnum):
    CONCISE = "concise"
    BALANCED = "balanced"
    DETAILED = "detailed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


STYLE_INSTRUCTIONS: dict[AnswerStyle, str] = {
    AnswerStyle.CONCISE: "Keep answers short: a few sentences or a brief list, without preamble.",
    AnswerStyle.BALANCED: "",
    AnswerStyle.DETAILED: "Give thorough, detailed answers, with examples or steps where they help.",
}


class UserProfile(TypedDict, total=False):
    style: str  # an AnswerStyle value
    instructions: str  # empty: none
    temperature: float


def style_of(profile: UserProfile | None) -> AnswerStyle:
    """The profile's answer style; balanced when it has none (or one this version does not know)."""
    try:
        return AnswerStyle((profile or {}).get("style", AnswerStyle.BALANCED))
    except ValueError:
        return AnswerStyle.BALANCED


def system_prompt_for(base: str, profile: UserProfile | None) -> str:
    """`base` followed by the style's instruction and the user's own instructions, if any."""
    parts = [base]
    style = style_of(profile)
    if STYLE_INSTRUCTIONS[style]:
        parts.append(STYLE_INSTRUCTIONS[style])
    instructions = ((profile or {}).get("instructions") or "").strip()
    if instructions:
        parts.append(f"The user's own instructions for your answers: {instructions}")
    return "\n\n".join(parts)


def temperature_for(profile: UserProfile | None) -> float | None:
    """The profile's temperature, or None for the model's configured default."""
    temperature = (profile or {}).get("temperature")
    return None if temperature is None else float(temperature)


def describe(profile: UserProfile) -> str:
    """The profile as a short Markdown list, for the summary."""
    style = style_of(profile).label
    instructions = profile.get("instructions") or "none"
    temperature = profile.get("temperature")
    creativity = "the bot's default" if temperature is None else f"{temperature:g}"
    return (
        f"- Answer style: **{style}**\n"
        f"- Custom instructions: {instructions}\n"
        f"- Creativity (temperature): **{creativity}**"
    )


def record_profile_saved(context: TurnContext, profile: UserProfile) -> None:
    """Remember the profile this turn saved, for `merge_profile`."""
    context.turn_state[PROFILE_SAVED_KEY] = dict(profile)


def merge_profile(context: TurnContext, fresh_state: dict[str, object]) -> None:
    """On a conflicting save: this turn's saved profile replaces the one another turn saved meanwhile.

    A turn that did not save a profile keeps the fresh one, so a turn that only read the profile never
    undoes a profile that a settings dialog in another turn saved.
    """
    saved = context.turn_state.get(PROFILE_SAVED_KEY)
    if saved is not None:
        fresh_state[PROFILE_PROPERTY] = dict(saved)
