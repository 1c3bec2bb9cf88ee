"""A user's answer preferences and how they shape a model request: the style, their own instructions
and the temperature ("creativity"). The profile is a plain dict (it is stored as JSON); what is
missing leaves the bot's defaults in place."""

from __future__ import annotations

from enum import StrEnum
from typing import TypedDict


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
