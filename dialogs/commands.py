"""Commands and their natural-language forms, recognized by simple phrase matching (no model call).

A message is a command only if the whole message, once normalized, is one of the phrases below:
lower case, surrounding spaces and a leading "/" removed, trailing ".", "!" or "?" removed, inner
runs of spaces made single. So "Help!", "/settings" and "What can you do?" are commands, while
"help me write a poem" or "how do I reset my router" are questions for the model.
"""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    HELP = "help"
    CANCEL = "cancel"
    RESET = "reset"
    SETTINGS = "settings"


PHRASES: dict[Command, frozenset[str]] = {
    Command.HELP: frozenset(
        {
            "help",
            "?",
            "commands",
            "menu",
            "what can you do",
            "what can i do",
            "how does this work",
            "how do you work",
        }
    ),
    Command.CANCEL: frozenset(
        {
            "cancel",
            "never mind",
            "nevermind",
            "quit",
            "abort",
            "exit",
            "cancel that",
            "stop",
            "stop it",
            "stop that",
            "stop generating",
            "stop answering",
        }
    ),
    Command.RESET: frozenset(
        {
            "reset",
            "start over",
            "forget everything",
            "forget our conversation",
            "clear history",
            "clear the history",
            "clear our history",
            "new conversation",
        }
    ),
    Command.SETTINGS: frozenset(
        {"settings", "preferences", "options", "my settings", "change settings", "change my settings"}
    ),
}


def normalize(text: str | None) -> str:
    """The text as phrases are compared: see the module's docstring."""
    text = " ".join((text or "").lower().split())
    if text != "?":
        text = text.rstrip(".!?").rstrip()
    return text.removeprefix("/").strip()


def recognize_command(text: str | None) -> Command | None:
    """The command `text` says, or None for anything else (a question for the model)."""
    phrase = normalize(text)
    for command, phrases in PHRASES.items():
        if phrase in phrases:
            return command
    return None
