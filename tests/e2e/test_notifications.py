"""Notifications in Teams, as the Playground (``-c msteams``) shows them: the bot speaks first.

The bot is installed in the personal chat as the Playground's "Mock an activity" menu does it
(``GET /_internal/v1/customActivities/template?type=install``, then ``POST
/_internal/v1/customActivities``): the ``installationUpdate`` gives the bot that chat's reference.
An operator's ``POST /api/notify`` then puts a text, and the model's streamed answer to a prompt,
into the chat.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from proactive import operator_question
from tests.e2e.conftest import NOTIFY_API_KEY
from tests.e2e.expect import REPLY_LIMIT, assert_only_grows, full_answer, new_marker
from tests.e2e.playground import (
    TO_BOT,
    Playground,
    block_in_conversation,
    error_exchanges,
    http_get,
    http_post_json,
)
from tests.support.bot_process import BotProcess

pytestmark = pytest.mark.e2e

AUTHORIZATION = {"Authorization": f"Bearer {NOTIFY_API_KEY}"}


async def notify(bot: BotProcess, body: dict[str, Any]) -> dict[str, Any]:
    """POST /api/notify; the accepted job's record."""
    async with (
        aiohttp.ClientSession(headers=AUTHORIZATION) as session,
        session.post(f"{bot.url}/api/notify", json=body) as response,
    ):
        record = await response.json()
        assert response.status == 202, record
        return dict(record)


def installs_answered(pg: Playground, conversation_id: str) -> int:
    """How many `installationUpdate`s for `conversation_id` the bot has answered with a 2xx."""
    return sum(
        1
        for block in pg.recording()
        if block.get("direction") == TO_BOT
        and (block.get("request", {}).get("body") or {}).get("type") == "installationUpdate"
        and block_in_conversation(block, conversation_id)
        and 200 <= int((block.get("response") or {}).get("statusCode") or 0) < 300
    )


def install_bot(pg: Playground, conversation_id: str) -> None:
    """Send the bot Teams' `installationUpdate` (add) for `conversation_id`, from the Playground, and
    wait until the bot has answered it (it keeps the reference before it answers)."""
    before = installs_answered(pg, conversation_id)
    query = f"conversationId={quote(conversation_id)}&type=install"
    status, template = http_get(f"{pg.base_url}/_internal/v1/customActivities/template?{query}")
    assert status == 200, template
    activity = json.loads(template)
    assert (activity["type"], activity["action"]) == ("installationUpdate", "add"), activity
    status, answer = http_post_json(f"{pg.base_url}/_internal/v1/customActivities", activity)
    assert status == 200, answer
    assert pg.process is not None
    pg.process.wait_until(
        lambda: installs_answered(pg, conversation_id) > before,
        timeout=10.0,
        what="the bot's answer to the install",
    )


async def finished(bot: BotProcess, job_id: str, limit: float = REPLY_LIMIT) -> dict[str, Any]:
    """The job's record once it says it has finished (polled, within `limit` seconds)."""
    deadline = time.monotonic() + limit
    async with aiohttp.ClientSession(headers=AUTHORIZATION) as session:
        while True:
            async with session.get(f"{bot.url}/api/notify/{job_id}") as response:
                record = dict(await response.json())
            if record.get("state") == "finished":
                return record
            assert time.monotonic() < deadline, f"job {job_id} did not finish: {record}"
            await asyncio.sleep(0.1)


async def test_a_notification_appears_in_the_personal_chat(
    teams_playground: Playground, bot: BotProcess
) -> None:
    pg = teams_playground
    chat = pg.personal_chat_id
    text = f"The nightly build passed ({new_marker('notify')})."
    prompt = f"Announce that the nightly build passed ({new_marker('notify-prompt')})."

    await asyncio.to_thread(install_bot, pg, chat)
    async with pg.conversation_stream() as stream:
        job = await notify(bot, {"conversations": [chat], "text": text})
        message = await stream.wait_for_reply(chat, limit=REPLY_LIMIT)
        answer_job = await notify(bot, {"conversations": [chat], "prompt": prompt})
        answer = await stream.wait_for_reply(chat, limit=REPLY_LIMIT)

    # The text: one new bubble, as sent.
    assert message.actions == ["createMessage"] and message.final.get("streamEntity") is None
    assert message.text == text
    # The prompt: the model's answer, streamed into a bubble of its own like any answer.
    assert answer.actions[0] == "createMessage" and answer.stream_types[-1] == "final", answer.stream_types
    assert "streaming" in answer.stream_types, answer.stream_types
    assert_only_grows(
        [t for t, kind in zip(answer.texts, answer.stream_types, strict=True) if kind == "streaming"]
    )
    assert answer.text == full_answer(operator_question(prompt))
    assert answer.final["aiEntity"]["additionalType"] == ["AIGeneratedContent"]

    for record in (await finished(bot, job["job"]), await finished(bot, answer_job["job"])):
        assert [(entry["id"], entry["status"]) for entry in record["conversations"]] == [(chat, "sent")], (
            record
        )
    assert error_exchanges(pg.recording()) == []
