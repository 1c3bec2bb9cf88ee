"""Teams' AI features on the Agents SDK host's answers, through the host process: the final message
of every model answer carries one schema.org Message entity (the AI label, the sensitivity label,
the citations its `[n]` markers refer to) and the feedback buttons, in each channel's form, exactly
as the botbuilder host sends them; the bot's own messages carry none.

The citations come from the knowledge search over a folder of the test, which the local model calls
as OpenAI streams tool calls; the recording connector refuses, as Teams and the Playground do, any
Message entity that breaks their rules.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from dialogs.commands import Command
from tests.agents_host.conftest import StartHost
from tests.support.activities import user_message
from tests.support.bot_process import BotProcess
from tests.support.connector import Received, RecordingConnector, is_final, is_message
from tests.support.model_server import ModelServer, ScriptedCall

DOCUMENT = """# Rainbows

## How they form

Sunlight refracts as it enters a raindrop, reflects inside it and splits into colours.
"""
BASE_URL = "https://docs.example.com/kb"
ANSWER = "Sunlight refracts in raindrops [1]."
CLAIM = {
    "@type": "Claim",
    "position": 1,
    "appearance": {
        "@type": "DigitalDocument",
        "name": "Rainbows: How they form",
        "abstract": "Sunlight refracts as it enters a raindrop, reflects inside it and splits into colours.",
        "url": f"{BASE_URL}/rainbows.md#how-they-form",
    },
}
ENTITY = {
    "type": "https://schema.org/Message",
    "@type": "Message",
    "@context": "https://schema.org",
    "@id": "",
    "additionalType": ["AIGeneratedContent"],
    "usageInfo": {"@type": "CreativeWork", "name": "Confidential", "description": "Staff only"},
}


async def start_with_knowledge(start_host: StartHost, folder: Path, **env: str) -> BotProcess:
    """The host with the knowledge search over `folder` (holding `DOCUMENT`), once its index is built."""
    await asyncio.to_thread(folder.mkdir)
    await asyncio.to_thread((folder / "rainbows.md").write_text, DOCUMENT)
    host = await start_host({"KNOWLEDGE_DIR": str(folder), "KNOWLEDGE_BASE_URL": BASE_URL, **env})
    await asyncio.to_thread(
        host.process.wait_until, lambda: "knowledge: indexed" in host.log, timeout=10, what="the index"
    )
    return host


async def cited_answer(
    host: BotProcess, connector: RecordingConnector, model_server: ModelServer, **where: str | None
) -> Received:
    """Ask on a channel; the model searches the knowledge base, then cites what it found. Its last message."""
    model_server.tool_rounds = [
        [ScriptedCall("call_1", "search_knowledge", json.dumps({"query": "rainbow"}))]
    ]
    answered = len(connector.accepted())
    await host.post(user_message("How do rainbows form?", connector.url, **where))  # type: ignore[arg-type]
    await connector.wait_until(
        lambda: any(is_final(item) or is_message(item) for item in connector.accepted()[answered:])
    )
    return connector.accepted()[-1]


async def test_each_channel_gets_the_label_the_citations_and_feedback_in_its_own_form(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer, tmp_path: Path
) -> None:
    model_server.tokens, model_server.token_delay = ["Sunlight refracts ", "in raindrops [1]."], 0.01
    host = await start_with_knowledge(
        start_host,
        tmp_path / "knowledge",
        SENSITIVITY_LABEL_NAME="Confidential",
        SENSITIVITY_LABEL_DESCRIPTION="Staff only",
    )

    # Teams: the claims in the entity, at the markers of the text, on the stream's final only.
    teams = await cited_answer(host, connector, model_server)
    assert is_final(teams)
    assert teams.activity["text"] == ANSWER
    assert teams.activity["entities"] == [teams.stream_info, {**ENTITY, "citation": [CLAIM]}]
    assert teams.activity["channelData"] == {
        "streamType": "final",
        "streamId": teams.stream_info["streamId"],  # type: ignore[index]
        "feedbackLoop": {"type": "default"},
    }
    updates = [item for item in connector.accepted() if item.activity["type"] == "typing"]
    assert updates and all(item.message_entity is None and item.feedback_loop is None for item in updates)
    # The model got the passage under the number it cites.
    tool_result = next(m for m in model_server.requests[1].body["messages"] if m["role"] == "tool")
    assert "[1]" in tool_result["content"] and "refracts as it enters a raindrop" in tool_result["content"]

    # Web Chat: link definitions under the text, which it draws as citations, and the same claims.
    web_chat = await cited_answer(host, connector, model_server, channel_id="webchat", conversation_type=None)
    assert is_final(web_chat)
    assert (
        web_chat.activity["text"]
        == f'{ANSWER}\n\n[1]: {CLAIM["appearance"]["url"]} "Rainbows: How they form"'
    )
    assert web_chat.message_entity == {**ENTITY, "citation": [CLAIM]}
    assert web_chat.feedback_loop == "default"

    # The Emulator: a list of sources under the text; the entity has the labels only.
    emulator = await cited_answer(
        host, connector, model_server, channel_id="emulator", conversation_type=None
    )
    assert is_message(emulator)
    assert emulator.activity["text"] == (
        f"{ANSWER}\n\nSources:\n\n- [1] [Rainbows: How they form]({CLAIM['appearance']['url']})"
    )
    assert emulator.message_entity == ENTITY
    assert emulator.feedback_loop == "default"


async def test_feedback_off_leaves_the_label_and_the_bots_own_words_carry_none(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    host = await start_host({"FEEDBACK": "off"})
    await host.post(user_message("Hi", connector.url, conversation_type="groupChat"))
    await connector.wait_for_answers()
    answer = connector.accepted()[-1]
    assert is_message(answer) and answer.activity["text"] == model_server.answer
    assert answer.activity["entities"] == [{k: v for k, v in ENTITY.items() if k != "usageInfo"}]
    assert "channelData" not in answer.activity  # no feedback buttons, and no stream in a group chat

    # A command's reply is the bot's, not the model's.
    await host.post(user_message(Command.HELP.value, connector.url, conversation_id="conv-help"))
    await connector.wait_until(lambda: len([item for item in connector.accepted() if is_message(item)]) == 2)
    reply = connector.accepted()[-1]
    assert is_message(reply) and "**help**" in reply.activity["text"]
    assert reply.message_entity is None and reply.feedback_loop is None
