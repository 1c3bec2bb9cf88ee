"""Feedback invokes on the Agents SDK host, through its process: both shapes (Teams', the Playground's)
answered 200, stored in the state storage in the botbuilder host's rows and counted; anything
malformed, and any other invoke, answered 4xx with a reason, never 5xx.

The host keeps its state in a SQLite file of the test, which the test reads the way an operator
would (`stored_feedback`); the botbuilder host's own tests are tests/bots/test_feedback.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from benchmarks.serving import LOOPBACK, free_port
from feedback import FORM_QUESTIONS
from host.turn_errors import STORAGE_UNAVAILABLE_REPLY
from tests.agents_host.conftest import StartHost, metrics_when
from tests.support.activities import invoke, user_message
from tests.support.agents_host import agents_host_process
from tests.support.bot_process import BotProcess
from tests.support.connector import RecordingConnector, is_final
from tests.support.model_server import ModelServer
from tests.support.stored_feedback import stored_feedback

FEEDBACK_TEXT = "The second paragraph was exactly what I needed"
SUBMIT = "message/submitAction"
ROWS = "msteams/conversations/conv-feedback/feedback"


def teams_feedback(reaction: str, text: str) -> dict[str, Any]:
    """`value` as Teams sends it: the form's fields as a JSON string."""
    feedback = json.dumps({"feedbackText": text})
    return {"actionName": "feedback", "actionValue": {"reaction": reaction, "feedback": feedback}}


def playground_feedback(reaction: str, text: str) -> dict[str, Any]:
    """`value` as the Microsoft 365 Agents Playground sends it: the raw text."""
    return {"actionName": "feedback", "actionValue": {"reaction": reaction, "feedback": text}}


async def post_invoke(host: BotProcess, activity: dict[str, Any]) -> tuple[int, bytes]:
    """POST an invoke; the HTTP status and the raw body of the host's answer."""
    async with aiohttp.ClientSession() as session, session.post(host.endpoint, json=activity) as response:
        return response.status, await response.read()


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "state.sqlite3"


async def test_both_shapes_are_answered_200_stored_by_rated_answer_and_user_and_counted(
    start_host: StartHost, connector: RecordingConnector, state_file: Path
) -> None:
    host = await start_host({"SQLITE_PATH": str(state_file)})
    teams = invoke(SUBMIT, teams_feedback("like", FEEDBACK_TEXT), connector.url, reply_to_id="answer-7")

    # No body at all: the Playground reads a field of a JSON body and fails on `null`.
    assert await post_invoke(host, teams) == (200, b"")
    stored = stored_feedback(state_file, "conv-feedback")
    assert list(stored) == [f"{ROWS}/answer-7/user-1"]
    [item] = stored.values()
    assert {key: value for key, value in item.items() if key != "given_at"} == {
        "reaction": "like",
        "text": FEEDBACK_TEXT,
        "answer_id": "answer-7",
        "user_id": "user-1",
        "user_aad_object_id": "aad-user-1",
    }
    assert item["given_at"].endswith("+00:00")

    # The same user changes their mind: the latest rating counts.
    changed = invoke(SUBMIT, teams_feedback("dislike", ""), connector.url, reply_to_id="answer-7")
    assert (await post_invoke(host, changed))[0] == 200
    [item] = stored_feedback(state_file, "conv-feedback").values()
    assert (item["reaction"], item["text"]) == ("dislike", "")

    # The Playground says neither which answer nor a JSON form: each rating is kept on its own.
    for _ in range(2):
        playground = invoke(SUBMIT, playground_feedback("dislike", "Too long"), connector.url)
        assert await post_invoke(host, playground) == (200, b"")
    stored = stored_feedback(state_file, "conv-feedback")
    assert len(stored) == 3
    unrated = [item for key, item in stored.items() if not key.startswith(f"{ROWS}/answer-7/")]
    assert [(item["reaction"], item["text"], item["answer_id"]) for item in unrated] == [
        ("dislike", "Too long", None)
    ] * 2

    await metrics_when(
        host, 'bot_feedback_total{reaction="like"} 1.0', 'bot_feedback_total{reaction="dislike"} 3.0'
    )
    assert FEEDBACK_TEXT not in host.log  # what users write is never logged
    assert connector.received == []  # answered in the invoke response, no message in the chat


async def test_malformed_feedback_and_other_invokes_get_a_4xx_with_a_reason_and_nothing_is_stored(
    start_host: StartHost, connector: RecordingConnector, state_file: Path
) -> None:
    host = await start_host({"SQLITE_PATH": str(state_file)})
    malformed = [
        ("thumbs up", "actionName"),
        (None, "actionName"),
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
    ]
    for value, reason in malformed:
        status, body = await post_invoke(host, invoke(SUBMIT, value, connector.url, reply_to_id="answer-7"))
        error = json.loads(body)["error"]
        assert (status, error["code"]) == (400, "BadArgument"), value
        assert reason in error["message"], value

    # Invokes the bot does not handle; with FEEDBACK=default Teams never asks for a form.
    for name, value in [
        (SUBMIT, {"actionName": "share", "actionValue": {}}),
        ("composeExtension/query", {"commandId": "search"}),
        ("message/fetchTask", {"actionName": "feedback", "actionValue": {"reaction": "like"}}),
    ]:
        status, body = await post_invoke(host, invoke(name, value, connector.url))
        assert (status, json.loads(body)) == (400, {"error": "The bot does not handle this invoke."}), name

    assert stored_feedback(state_file, "conv-feedback") == {}
    metrics = await metrics_when(host, f'bot_turn_seconds_count{{activity_type="invoke"}} {9:.1f}')
    assert "bot_feedback_total{" not in metrics  # nothing counted


async def test_custom_feedback_offers_the_bots_form_and_stores_what_it_sends(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer, state_file: Path
) -> None:
    host = await start_host({"SQLITE_PATH": str(state_file), "FEEDBACK": "custom"})
    await host.post(user_message("Hi", connector.url, conversation_id="conv-feedback"))
    await connector.wait_for_answers()
    final = connector.accepted()[-1]
    assert is_final(final) and final.feedback_loop == "custom"

    # Teams asks for the form for the answer, then submits its fields as the feedback's JSON string.
    fetch = invoke(
        "message/fetchTask",
        {"actionName": "feedback", "actionValue": {"reaction": "dislike"}},
        connector.url,
        reply_to_id=final.reply_id,
    )
    status, body = await post_invoke(host, fetch)
    assert status == 200
    task = json.loads(body)["task"]
    assert task["type"] == "continue" and task["value"]["title"] == "Feedback"
    card = task["value"]["card"]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    question, text_box = card["content"]["body"]
    assert question["text"] == FORM_QUESTIONS["dislike"]
    assert (text_box["type"], text_box["id"]) == ("Input.Text", "feedbackText")
    assert [action["type"] for action in card["content"]["actions"]] == ["Action.Submit"]

    submit = invoke(
        SUBMIT, teams_feedback("dislike", "It missed the point"), connector.url, reply_to_id=final.reply_id
    )
    assert (await post_invoke(host, submit))[0] == 200
    assert list(stored_feedback(state_file, "conv-feedback")) == [f"{ROWS}/{final.reply_id}/user-1"]


async def test_the_hosts_keep_one_rating_per_user_and_answer_in_the_same_row(
    connector: RecordingConnector, model_server: ModelServer, state_file: Path
) -> None:
    """A rating given through one host is replaced by the same user's later rating through the
    other: the same key and the same document, whichever host an instance runs."""
    env = {"OPENAI_BASE_URL": f"{model_server.url}/v1", "SQLITE_PATH": str(state_file), "KNOWLEDGE_DIR": ""}
    async with BotProcess(env) as botbuilder, agents_host_process(env) as agents:
        for host, reaction in ((botbuilder, "like"), (agents, "dislike")):
            rating = invoke(SUBMIT, teams_feedback(reaction, reaction), connector.url, reply_to_id="answer-7")
            assert await post_invoke(host, rating) == (200, b""), host.endpoint
            [item] = stored_feedback(state_file, "conv-feedback").values()
            assert (item["reaction"], item["text"], item["answer_id"]) == (reaction, reaction, "answer-7")


async def test_an_invoke_whose_turn_fails_is_answered_4xx_not_5xx(
    start_host: StartHost, connector: RecordingConnector
) -> None:
    """Storage out of reach: the turn fails (logged, and the user told), the invoke still gets a 4xx."""
    nowhere = f"redis://{LOOPBACK}:{free_port()}/0"  # a free port: nothing listens there
    host = await start_host({"STORAGE": "redis", "REDIS_URL": nowhere})
    rating = invoke(SUBMIT, teams_feedback("like", ""), connector.url, reply_to_id="answer-7")
    status, body = await post_invoke(host, rating)
    assert (status, json.loads(body)) == (400, {"error": "The bot could not answer this invoke."})
    assert "turn failed" in host.log
    await connector.wait_until(lambda: len(connector.accepted()) == 1)
    assert connector.accepted()[0].activity["text"] == STORAGE_UNAVAILABLE_REPLY
