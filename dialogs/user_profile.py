"""The user's answer preferences as the settings dialog keeps them in `UserState` (how they shape a
model request is `answers.profile`)."""

from __future__ import annotations

from answers.profile import UserProfile, style_of

PROFILE_PROPERTY = "profile"
"""The `UserState` property that holds the profile."""

MAX_INSTRUCTIONS_CHARS = 500
MIN_TEMPERATURE = 0.0
MAX_TEMPERATURE = 2.0


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
