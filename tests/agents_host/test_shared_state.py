"""Either host serves a conversation: the botbuilder bot and the Agents SDK host on one SQLite file
take turns in one Teams chat, and each answers with the history and the profile the other saved."""

from __future__ import annotations

from pathlib import Path

from answers.profile import STYLE_INSTRUCTIONS, AnswerStyle
from tests.agents_host.conftest import metrics_when
from tests.support.activities import user_message
from tests.support.agents_host import agents_host_process
from tests.support.bot_process import BotProcess
from tests.support.connector import RecordingConnector
from tests.support.model_server import ModelServer


def turns_ended(*, messages: int, answers: int) -> tuple[str, str]:
    """The /metrics lines that say how many user turns and answer turns a host has finished."""
    return (
        f'bot_turn_seconds_count{{activity_type="message"}} {messages:.1f}',
        f'bot_turn_seconds_count{{activity_type="event"}} {answers:.1f}',
    )


async def test_a_conversation_moves_between_the_hosts_with_its_history_and_profile(
    connector: RecordingConnector, model_server: ModelServer, tmp_path: Path
) -> None:
    env = {
        "OPENAI_BASE_URL": f"{model_server.url}/v1",
        "OPENAI_MODEL": "local-test-model",
        "SQLITE_PATH": str(tmp_path / "shared.sqlite3"),
        "KNOWLEDGE_DIR": "",  # no tools: the system prompt ends with the profile's instructions
    }
    model_server.token_delay = 0.0  # the answers' pace plays no part here
    sent = 0

    async def say(host: BotProcess, text: str) -> None:
        nonlocal sent
        assert await host.post(user_message(text, connector.url, conversation_id="shared")) in (201, 202)
        sent += 1
        await connector.wait_for_answers(sent)

    async with BotProcess(env) as botbuilder, agents_host_process(env) as agents:
        await say(botbuilder, "First question")
        for answer in ("settings", "concise", "Call me Sam.", "0.3"):  # botbuilder's settings dialog
            await say(botbuilder, answer)
        # Each host's reply goes out before its turn saves: switch hosts once the turns have ended.
        await metrics_when(botbuilder, *turns_ended(messages=5, answers=1))
        await say(agents, "Second question")
        await metrics_when(agents, *turns_ended(messages=1, answers=1))
        await say(botbuilder, "Third question")

    first, on_agents, back_on_botbuilder = model_server.requests
    history = [message["content"] for message in back_on_botbuilder.body["messages"][1:]]
    assert history == [
        "First question",
        model_server.answer,
        "Second question",
        model_server.answer,
        "Third question",
    ]
    # The Agents SDK host read the profile botbuilder's settings dialog saved.
    system = on_agents.body["messages"][0]["content"]
    instructions = "The user's own instructions for your answers: Call me Sam."
    assert system.endswith(f"\n\n{STYLE_INSTRUCTIONS[AnswerStyle.CONCISE]}\n\n{instructions}")
    assert (first.body["temperature"], on_agents.body["temperature"]) == (0.7, 0.3)
