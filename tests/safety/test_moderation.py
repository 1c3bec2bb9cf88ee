"""Moderation: blocked input never reaches the model; blocked output never reaches the user."""

from __future__ import annotations

import asyncio
import logging

import pytest

from safety.moderator import BLOCKED_REPLY
from streaming.notes import WITHHELD_NOTE
from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.connector import RecordingConnector, is_stream_update
from tests.support.model_server import FLAGGED_MARKER, ModelServer

TERMS = {"BLOCKED_TERMS": "forbidden, secret plan"}


async def test_a_message_with_a_blocked_term_is_refused_and_logged_without_its_text(
    start_bot: StartBot,
    model_env: dict[str, str],
    model_server: ModelServer,
    connector: RecordingConnector,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    bot = await start_bot({**model_env, **TERMS})
    await bot.post_activity(user_message("Tell me the SECRET PLAN of the lab", connector.url))
    assert await connector.wait_for_answers() == [BLOCKED_REPLY]
    assert model_server.requests == []
    assert "blocked a message: blocked term" in caplog.text
    assert "lab" not in caplog.text


async def test_blocked_output_is_withheld_and_the_model_stopped(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.tokens = [*[f" safe{number}" for number in range(12)], " forbidden", " more", *[" x"] * 30]
    model_server.token_delay = 0.1
    bot = await start_bot({**model_env, **TERMS})
    await bot.post_activity(user_message("go", connector.url))
    [bubble] = await connector.wait_for_answers()
    assert bubble == "".join(model_server.tokens[:12]) + f"\n\n{WITHHELD_NOTE}"
    updates = [item.activity["text"] for item in connector.received if is_stream_update(item)]
    assert updates and not any("forbidden" in text for text in updates)
    await asyncio.wait_for(model_server.disconnected.wait(), timeout=5)  # the model was stopped


async def test_the_moderation_endpoint_checks_input_and_the_finished_answer(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    bot = await start_bot({**model_env, "MODERATION": "openai"})
    await bot.post_activity(user_message(f"please {FLAGGED_MARKER}", connector.url, channel_id="emulator"))
    assert await connector.wait_for_answers() == [BLOCKED_REPLY]
    assert model_server.requests == []

    model_server.tokens = ["Here", " is", f" {FLAGGED_MARKER}"]
    await bot.post_activity(user_message("fine question", connector.url, channel_id="emulator"))
    bubbles = await connector.wait_for_answers(2)
    assert bubbles[-1] == WITHHELD_NOTE  # nothing was shown before the final, so nothing of it is sent
    assert model_server.moderated == [
        f"please {FLAGGED_MARKER}",
        "fine question",
        f"Here is {FLAGGED_MARKER}",
    ]
