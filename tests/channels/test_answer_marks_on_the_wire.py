"""An answer's marks as each channel receives them, over real HTTP to the recording connector.

The citation tests run the streaming engine in a turn of the bot's own adapter (a continuation,
as the bot's answers run), through the botbuilder binding and the SDK's connector client; the
rest post messages to the whole bot. The connector refuses, as Teams and the Playground do, any
Message entity that breaks their rules (see `ai_field_problems`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference

from channels import TurnContextChannel, conversation_facts
from config import DefaultConfig
from connector import ConnectorHttp, ReusingBotFrameworkAuthentication
from streaming import AnswerMarks, AnswerStream, Citation, SensitivityLabel, StreamingSettings, plan_delivery
from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.connector import Received, RecordingConnector, is_final, is_message
from tests.support.model_server import ModelServer

QUICK = StreamingSettings(teams_interval=0.05, webchat_interval=0.05, typing_interval=0.05)
ANSWER = "Rainbows form when sunlight refracts in raindrops [1], which act as tiny prisms [2]."
CITATIONS = (
    Citation(1, "Rainbow physics", "Sunlight bends as it enters a drop.", url="https://example.com/rainbow"),
    Citation(2, "Optics notes", "Each drop splits white light into colours."),
    Citation(3, "Uncited", "Never cited in the text, so never sent."),
)
MARKS = AnswerMarks(feedback="default", sensitivity=SensitivityLabel("General", "Fine to share"))

AnswerTurn = Callable[[str, str | None], Awaitable[list[Received]]]


@pytest.fixture
async def answer_in(connector: RecordingConnector) -> AsyncIterator[AnswerTurn]:
    """Answer `ANSWER` citing `CITATIONS` in a conversation of a channel; what the connector got."""
    http = ConnectorHttp()
    adapter = CloudAdapter(ReusingBotFrameworkAuthentication(DefaultConfig({}), http))

    async def answer(channel_id: str, conversation_type: str | None) -> list[Received]:
        reference = ConversationReference(
            channel_id=channel_id,
            service_url=connector.url,
            conversation=ConversationAccount(
                id=f"{channel_id}-conversation", conversation_type=conversation_type
            ),
            user=ChannelAccount(id="user-1"),
            bot=ChannelAccount(id="bot-1"),
            activity_id="question-1",
        )

        async def logic(context: TurnContext) -> None:
            plan = plan_delivery(conversation_facts(context.activity), QUICK)
            first, rest = ANSWER.split(" [1]")

            def shown() -> bool:
                """The start of the answer is on screen (streams), or typing shows (elsewhere)."""
                typing = [item.activity for item in connector.received if item.activity["type"] == "typing"]
                return any(first in (activity.get("text") or "") or not plan.stream for activity in typing)

            async with AnswerStream(TurnContextChannel(context), plan, QUICK, marks=MARKS) as stream:
                stream.append(first)
                await connector.wait_until(shown)
                stream.append(f" [1]{rest}")
                stream.cite(CITATIONS)

        await adapter.continue_conversation(reference, logic, "")
        return [item for item in connector.received if item.activity["type"] == "message"]

    yield answer
    await http.close()


def claims(item: Received) -> list[tuple[int, str, str | None, str | None]]:
    """(position, name, url, popup text) of each claim in the item's Message entity."""
    entity = item.message_entity or {}
    return [
        (c["position"], c["appearance"]["name"], c["appearance"].get("url"), c["appearance"].get("text"))
        for c in entity.get("citation", [])
    ]


def assert_labelled(item: Received) -> None:
    entity = item.message_entity
    assert entity is not None and entity["additionalType"] == ["AIGeneratedContent"]
    assert entity["usageInfo"] == {"@type": "CreativeWork", "name": "General", "description": "Fine to share"}
    assert item.feedback_loop == "default"
    assert len([e for e in item.activity["entities"] if e["type"] == entity["type"]]) == 1


async def test_teams_personal_chat_final_carries_the_claims_next_to_the_stream_fields(
    answer_in: AnswerTurn, connector: RecordingConnector
) -> None:
    [final] = await answer_in("msteams", "personal")
    assert is_final(final) and final.accepted
    assert final.activity["text"] == ANSWER  # Teams shows the claims at the markers: no list
    assert claims(final) == [
        (1, "Rainbow physics", "https://example.com/rainbow", None),
        (2, "Optics notes", None, None),
    ]
    assert_labelled(final)
    assert final.activity["channelData"] == {
        "streamType": "final",
        "streamId": final.stream_info["streamId"],  # type: ignore[index]
        "feedbackLoop": {"type": "default"},
    }
    updates = [item for item in connector.received if item.activity["type"] == "typing"]
    assert updates and all(item.message_entity is None and item.feedback_loop is None for item in updates)


async def test_teams_group_chat_message_carries_them_without_stream_fields(answer_in: AnswerTurn) -> None:
    [message] = await answer_in("msteams", "groupChat")
    assert is_message(message) and message.accepted
    assert message.activity["text"] == ANSWER
    assert [position for position, *_ in claims(message)] == [1, 2]
    assert_labelled(message)
    assert message.activity["channelData"] == {"feedbackLoop": {"type": "default"}}


async def test_web_chat_gets_link_definitions_it_renders_as_citations(answer_in: AnswerTurn) -> None:
    [final] = await answer_in("webchat", None)
    assert is_final(final) and final.accepted
    assert final.activity["text"] == (
        f'{ANSWER}\n\n[1]: https://example.com/rainbow "Rainbow physics"\n[2]: cite:2 "Optics notes"'
    )
    assert claims(final) == [
        (1, "Rainbow physics", "https://example.com/rainbow", None),
        (2, "Optics notes", None, "Each drop splits white light into colours."),
    ]
    assert_labelled(final)


async def test_the_emulator_gets_a_numbered_source_list(answer_in: AnswerTurn) -> None:
    [message] = await answer_in("emulator", None)
    assert is_message(message) and message.accepted
    assert message.activity["text"] == (
        f"{ANSWER}\n\nSources:\n\n- [1] [Rainbow physics](https://example.com/rainbow)\n- [2] Optics notes"
    )
    assert claims(message) == []
    assert_labelled(message)


async def test_feedback_off_and_a_sensitivity_label_over_the_whole_bot(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    env = {**model_env, "FEEDBACK": "off", "SENSITIVITY_LABEL_NAME": "Internal"}
    bot = await start_bot(env)
    await bot.post_activity(
        user_message("Hi", connector.url, conversation_type="groupChat", mention_bot=True)
    )
    await connector.wait_for_answers()
    [answer] = [item for item in connector.received if is_message(item)]
    assert answer.activity["text"] == model_server.answer
    assert answer.message_entity == {
        "type": "https://schema.org/Message",
        "@type": "Message",
        "@context": "https://schema.org",
        "@id": "",
        "additionalType": ["AIGeneratedContent"],
        "usageInfo": {"@type": "CreativeWork", "name": "Internal"},
    }
    assert answer.feedback_loop is None


async def test_the_bots_own_messages_carry_no_ai_label(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    """A command's reply, and a model failure before any text, are the bot's words, not the model's."""
    bot = await start_bot(model_env)
    await bot.post_activity(user_message("help", connector.url, conversation_id="conv-help"))
    model_server.fail_with_status = 400
    await bot.post_activity(user_message("Hi", connector.url, conversation_id="conv-fail"))
    await connector.wait_for_answers(2)
    await bot.answers_done()
    messages = [item for item in connector.received if is_final(item) or is_message(item)]
    assert len(messages) == 2
    assert "help" in messages[0].activity["text"].lower()
    assert "answer ended early" in messages[1].activity["text"]
    assert all(item.message_entity is None and item.feedback_loop is None for item in messages)
