"""Which messages are commands: whole-message phrase matching, no model call."""

from __future__ import annotations

import pytest

from dialogs.commands import Command, recognize_command


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("help", Command.HELP),
        ("Help!", Command.HELP),
        ("/help", Command.HELP),
        ("?", Command.HELP),
        ("What can you do?", Command.HELP),
        ("  what   can you DO  ", Command.HELP),
        ("cancel", Command.CANCEL),
        ("Never mind.", Command.CANCEL),
        ("quit", Command.CANCEL),
        ("reset", Command.RESET),
        ("Start over", Command.RESET),
        ("forget everything!", Command.RESET),
        ("clear history", Command.RESET),
        ("settings", Command.SETTINGS),
        ("/settings", Command.SETTINGS),
        ("Change my settings", Command.SETTINGS),
        ("preferences", Command.SETTINGS),
    ],
)
def test_commands_and_their_natural_language_forms(text: str, command: Command) -> None:
    assert recognize_command(text) is command


@pytest.mark.parametrize(
    "text",
    [
        "help me write a poem",
        "how do I reset my router?",
        "what settings does a camera have",
        "can you cancel my order",
        "",
        None,
        "??",
    ],
)
def test_everything_else_is_a_question_for_the_model(text: str | None) -> None:
    assert recognize_command(text) is None
