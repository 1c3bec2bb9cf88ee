"""The user's answer preferences, kept in `UserState`, and how they shape a model request.

The profile is a plain dict (it is stored as JSON): the answer style, custom instructions and the
temperature ("creativity"). Each is optional; what is missing leaves the bot's defaults in place.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypedDict

PROFILE_PROPERTY = "profile"
"""The `UserState` property that holds the profile."""

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
