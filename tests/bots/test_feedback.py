"""Feedback invokes over real HTTP: both shapes stored and counted, bad ones refused with a 400.

The bot keeps its state in a SQLite file of the test, which the test reads the way an operator
would (the storage's own rows, see `stored_feedback`), to see what was stored.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from feedback import FORM_QUESTIONS
from tests.conftest import StartBot
from tests.support.activities import invoke
from tests.support.bot import BotClient
from tests.support.connector import RecordingConnector
from tests.support.stored_feedback import stored_feedback

FEEDBACK_TEXT = "The second paragraph was exactly what I needed"
SUBMIT = "message/submitAction"


def teams_feedback(reaction: str, text: str) -> dict[str, Any]:
    """`value` as Teams sends it: the form's fields as a JSON string."""
    feedback = json.dumps({"feedbackText": text})
    return {"actionName": "feedback", "actionValue": {"reaction": reaction, "feedback": feedback}}


def playground_feedback(reaction: str, text: str) -> dict[str, Any]:
    """`value` as the Microsoft 365 Agents Playground sends it: the raw text."""
    return {"actionName": "feedback", "actionValue": {"reaction": reaction, "feedback": text}}


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "state.sqlite3"


@pytest.fixture
async def bot(start_bot: StartBot, state_file: Path) -> BotClient:
    return await start_bot({"STORAGE": "sqlite", "SQLITE_PATH": str(state_file)})


async def feedback_count(bot: BotClient, reaction: str) -> float:
    return (await bot.metrics()).get(("bot_feedback_total", (("reaction", reaction),)), 0.0)


async def test_teams_feedback_is_stored_under_the_rated_answer_and_counted(
    bot: BotClient, connector: RecordingConnector, state_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    activity = invoke(SUBMIT, teams_feedback("like", FEEDBACK_TEXT), connector.url, reply_to_id="answer-7")
    async with bot.session.post(f"{bot.url}/api/messages", json=activity) as response:
        status, body = response.status, await response.read()

    # No body at all: the Playground reads a field of a JSON body and fails on `null`.
    assert (status, body) == (200, b"")
    stored = stored_feedback(state_file, "conv-feedback")
    assert list(stored) == ["msteams/conversations/conv-feedback/feedback/answer-7/user-1"]
    [item] = stored.values()
    assert item["reaction"] == "like"
    assert item["text"] == FEEDBACK_TEXT
    assert item["answer_id"] == "answer-7"
    assert (item["user_id"], item["user_aad_object_id"]) == ("user-1", "aad-user-1")
    assert item["given_at"].endswith("+00:00")
    assert await feedback_count(bot, "like") == 1
    assert FEEDBACK_TEXT not in caplog.text  # what users write is never logged
    assert connector.received == []  # answered in the invoke response, no message in the chat


async def test_a_user_changing_their_rating_replaces_it(
    bot: BotClient, connector: RecordingConnector, state_file: Path
) -> None:
    for reaction in ("like", "dislike"):
        activity = invoke(SUBMIT, teams_feedback(reaction, ""), connector.url, reply_to_id="answer-7")
        assert (await bot.post_activity(activity))[0] == 200
    [item] = stored_feedback(state_file, "conv-feedback").values()
    assert item["reaction"] == "dislike"
    assert (await feedback_count(bot, "like"), await feedback_count(bot, "dislike")) == (1, 1)


async def test_playground_feedback_without_an_answer_id_gets_an_id_of_its_own(
    bot: BotClient, connector: RecordingConnector, state_file: Path
) -> None:
    for _ in range(2):
        status, _ = await bot.post_activity(
            invoke(SUBMIT, playground_feedback("dislike", "Too long"), connector.url)
        )
        assert status == 200
    stored = stored_feedback(state_file, "conv-feedback")
    assert len(stored) == 2  # two ratings, neither overwriting the other
    assert all(item["reaction"] == "dislike" and item["text"] == "Too long" for item in stored.values())
    assert all(item["answer_id"] is None for item in stored.values())
    assert await feedback_count(bot, "dislike") == 2


async def test_feedback_on_an_answer_id_the_bot_does_not_know_is_still_kept(
    bot: BotClient, connector: RecordingConnector, state_file: Path
) -> None:
    """The bot keeps no list of the ids of its messages: any instance, or one before a restart,
    may have sent the rated answer, so an unknown id is stored as it is."""
    activity = invoke(SUBMIT, teams_feedback("like", "ok"), connector.url, reply_to_id="never-sent-by-me")
    assert (await bot.post_activity(activity))[0] == 200
    assert list(stored_feedback(state_file, "conv-feedback")) == [
        "msteams/conversations/conv-feedback/feedback/never-sent-by-me/user-1"
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("thumbs up", "actionName"),
        ({"actionName": "feedback"}, "actionValue must be an object"),
        ({"actionName": "feedback", "actionValue": {"reaction": "love"}}, "reaction must be"),
        (
            {"actionName": "feedback", "actionValue": {"reaction": "like", "feedback": 5}},
            "feedback must be text",
        ),
        (
            {
                "actionName": "feedback",
                "actionValue": {"reaction": "like", "feedback": '{"feedbackText": [1]}'},
            },
            "feedbackText must be text",
        ),
        (None, "actionName"),
    ],
)
async def test_malformed_feedback_is_refused_with_a_reason_and_not_stored(
    bot: BotClient, connector: RecordingConnector, state_file: Path, value: object, reason: str
) -> None:
    status, body = await bot.post_activity(invoke(SUBMIT, value, connector.url, reply_to_id="answer-7"))
    assert status == 400
    assert body["error"]["code"] == "BadArgument" and reason in body["error"]["message"]
    assert stored_feedback(state_file, "conv-feedback") == {}
    assert await feedback_count(bot, "like") == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("message/submitAction", {"actionName": "share", "actionValue": {}}),
        ("composeExtension/query", {"commandId": "search"}),
        ("message/fetchTask", {"actionName": "feedback", "actionValue": {"reaction": "like"}}),
    ],
)
async def test_other_invokes_keep_the_sdks_answer(
    bot: BotClient, connector: RecordingConnector, name: str, value: object
) -> None:
    """The SDK answers what no handler answers with 501, which the endpoint turns into a 400; with
    `FEEDBACK=default` Teams never asks for a form."""
    status, body = await bot.post_activity(invoke(name, value, connector.url))
    assert (status, body) == (400, {"error": "The bot does not handle this invoke."})


async def test_custom_feedback_gets_the_bots_form_and_then_its_answer_is_stored(
    start_bot: StartBot, connector: RecordingConnector, state_file: Path
) -> None:
    bot = await start_bot({"STORAGE": "sqlite", "SQLITE_PATH": str(state_file), "FEEDBACK": "custom"})
    fetch = invoke(
        "message/fetchTask",
        {"actionName": "feedback", "actionValue": {"reaction": "dislike"}},
        connector.url,
        reply_to_id="answer-9",
    )
    status, body = await bot.post_activity(fetch)

    assert status == 200
    task = body["task"]
    assert task["type"] == "continue" and task["value"]["title"] == "Feedback"
    card = task["value"]["card"]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    question, text_box = card["content"]["body"]
    assert question["text"] == FORM_QUESTIONS["dislike"]
    assert (text_box["type"], text_box["id"]) == ("Input.Text", "feedbackText")
    assert [action["type"] for action in card["content"]["actions"]] == ["Action.Submit"]

    # Teams then submits the form's fields as the feedback's JSON string.
    submit = invoke(
        SUBMIT, teams_feedback("dislike", "It missed the point"), connector.url, reply_to_id="answer-9"
    )
    assert (await bot.post_activity(submit))[0] == 200
    [item] = stored_feedback(state_file, "conv-feedback").values()
    assert (item["reaction"], item["text"]) == ("dislike", "It missed the point")
