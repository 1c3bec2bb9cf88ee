"""An answer's marks through AgentsChannel, as each channel receives them over real HTTP: the same
wire forms as the botbuilder binding's (tests/channels/test_answer_marks_on_the_wire.py).

The streaming engine runs in a continuation turn of the SDK's adapter, as the host's answers do; the
recording connector refuses, as Teams and the Playground do, any Message entity that breaks their rules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from microsoft_agents.hosting.core import TurnContext

from agents_host.channel import AgentsChannel, conversation_facts
from streaming import (
    AnswerMarks,
    AnswerStream,
    Citation,
    Outgoing,
    SensitivityLabel,
    StreamingSettings,
    plan_delivery,
)
from tests.agents_host.sdk.conftest import InTurn
from tests.support.activities import user_message
from tests.support.connector import Received, RecordingConnector, is_final, is_message

QUICK = StreamingSettings(teams_interval=0.05, webchat_interval=0.05, typing_interval=0.05)
ANSWER = "Rainbows form when sunlight refracts in raindrops [1], which act as tiny prisms [2]."
CITATIONS = (
    Citation(1, "Rainbow physics", "Sunlight bends as it enters a drop.", url="https://example.com/rainbow"),
    Citation(2, "Optics notes", "Each drop splits white light into colours.", keywords=("optics",)),
    Citation(3, "Uncited", "Never cited in the text, so never sent."),
)
MARKS = AnswerMarks(feedback="default", sensitivity=SensitivityLabel("General", "Fine to share"))
ENTITY_HEAD = {
    "type": "https://schema.org/Message",
    "@type": "Message",
    "@context": "https://schema.org",
    "@id": "",
    "additionalType": ["AIGeneratedContent"],
}
USAGE_INFO = {"@type": "CreativeWork", "name": "General", "description": "Fine to share"}
RAINBOW = {
    "@type": "Claim",
    "position": 1,
    "appearance": {
        "@type": "DigitalDocument",
        "name": "Rainbow physics",
        "abstract": "Sunlight bends as it enters a drop.",
        "url": "https://example.com/rainbow",
    },
}
OPTICS = {
    "@type": "Claim",
    "position": 2,
    "appearance": {
        "@type": "DigitalDocument",
        "name": "Optics notes",
        "abstract": "Each drop splits white light into colours.",
        "keywords": ["optics"],
    },
}

AnswerIn = Callable[[str, str | None], Awaitable[list[Received]]]


@pytest.fixture
def answer_in(connector: RecordingConnector, in_turn: InTurn) -> AnswerIn:
    """Answer `ANSWER` citing `CITATIONS` in a conversation of a channel; the messages the connector got."""

    async def answer(channel_id: str, conversation_type: str | None) -> list[Received]:
        async def work(context: TurnContext) -> None:
            plan = plan_delivery(conversation_facts(context.activity), QUICK)
            first, rest = ANSWER.split(" [1]")
            async with AnswerStream(AgentsChannel(context), plan, QUICK, marks=MARKS) as stream:
                stream.append(first)
                # The start of the answer is on screen (streams), or typing shows (elsewhere).
                await connector.wait_until(
                    lambda: any(item.activity["type"] == "typing" for item in connector.received)
                )
                stream.append(f" [1]{rest}")
                stream.cite(CITATIONS)

        inbound = user_message("Why rainbows?", connector.url, channel_id=channel_id)
        inbound["conversation"]["conversationType"] = conversation_type
        await in_turn(inbound, work)
        return [item for item in connector.received if item.activity["type"] == "message"]

    return answer


async def test_teams_personal_chat_final_carries_the_claims_next_to_the_stream_fields(
    answer_in: AnswerIn, connector: RecordingConnector
) -> None:
    [final] = await answer_in("msteams", "personal")
    assert is_final(final) and final.accepted
    assert final.activity["text"] == ANSWER  # Teams shows the claims at the markers: no list
    # Exactly the rendered entity: nothing of the SDK's own (its `Entity` would add an `atId`).
    assert final.activity["entities"] == [
        final.stream_info,
        {**ENTITY_HEAD, "citation": [RAINBOW, OPTICS], "usageInfo": USAGE_INFO},
    ]
    assert final.activity["channelData"] == {
        "streamType": "final",
        "streamId": final.stream_info["streamId"],  # type: ignore[index]
        "feedbackLoop": {"type": "default"},
    }
    updates = [item for item in connector.received if item.activity["type"] == "typing"]
    assert updates and all(item.message_entity is None and item.feedback_loop is None for item in updates)


async def test_teams_group_chat_message_carries_them_without_stream_fields(answer_in: AnswerIn) -> None:
    [message] = await answer_in("msteams", "groupChat")
    assert is_message(message) and message.accepted
    assert message.activity["text"] == ANSWER
    assert message.activity["entities"] == [
        {**ENTITY_HEAD, "citation": [RAINBOW, OPTICS], "usageInfo": USAGE_INFO}
    ]
    assert message.activity["channelData"] == {"feedbackLoop": {"type": "default"}}


async def test_web_chat_gets_link_definitions_and_claims_with_a_popup(answer_in: AnswerIn) -> None:
    [final] = await answer_in("webchat", None)
    assert is_final(final) and final.accepted
    assert final.activity["text"] == (
        f'{ANSWER}\n\n[1]: https://example.com/rainbow "Rainbow physics"\n[2]: cite:2 "Optics notes"'
    )
    popup = {**OPTICS, "appearance": {**OPTICS["appearance"], "text": CITATIONS[1].abstract}}
    assert final.message_entity == {**ENTITY_HEAD, "citation": [RAINBOW, popup], "usageInfo": USAGE_INFO}
    assert final.feedback_loop == "default"


async def test_the_emulator_gets_a_numbered_source_list_and_no_claims(answer_in: AnswerIn) -> None:
    [message] = await answer_in("emulator", None)
    assert is_message(message) and message.accepted
    assert message.activity["text"] == (
        f"{ANSWER}\n\nSources:\n\n- [1] [Rainbow physics](https://example.com/rainbow)\n- [2] Optics notes"
    )
    assert message.message_entity == {**ENTITY_HEAD, "usageInfo": USAGE_INFO}
    assert message.feedback_loop == "default"


async def test_a_message_without_marks_carries_neither(
    connector: RecordingConnector, in_turn: InTurn
) -> None:
    async def work(context: TurnContext) -> None:
        channel = AgentsChannel(context)
        await channel.send(Outgoing("message", "The bot's own words"))
        await channel.send(Outgoing("message", "No label asked", marks=AnswerMarks(ai_generated=False)))

    await in_turn(user_message("Hi", connector.url), work)
    assert [("entities" in item.activity, "channelData" in item.activity) for item in connector.received] == [
        (False, False),
        (False, False),
    ]
