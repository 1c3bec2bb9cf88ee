"""AgentsChannel: the port's activities reach the connector as channels read them; refusals are classified."""

from __future__ import annotations

import pytest
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import TurnContext

from agents_host.channel import AgentsChannel, conversation_facts
from streaming import ConversationFacts, Outgoing, SendError, SendFailure, StreamInfo
from tests.agents_host.sdk.conftest import InTurn
from tests.support.activities import user_message
from tests.support.connector import Fault, RecordingConnector, is_stream_update
from tests.support.loopback import serve


def start(text: str = "Thinking…") -> Outgoing:
    return Outgoing("typing", text, StreamInfo("informative", None, 1))


async def test_a_stream_gets_its_id_from_the_first_send_and_keeps_to_the_protocol(
    connector: RecordingConnector, in_turn: InTurn
) -> None:
    ids: list[str | None] = []

    async def work(context: TurnContext) -> None:
        channel = AgentsChannel(context)
        ids.append(stream_id := await channel.send(start()))
        ids.append(await channel.send(Outgoing("typing", "Hel", StreamInfo("streaming", stream_id, 2))))
        ids.append(
            await channel.send(Outgoing("message", "Hello **world**", StreamInfo("final", stream_id, None)))
        )

    await in_turn(user_message("Hi", connector.url), work)

    stream_id = connector.received[0].reply_id
    assert ids == [stream_id, None, stream_id]  # an accepted update (202 {}) has no id
    first, update, final = (item.activity for item in connector.received)
    # The connector also checks that the entity and channelData carry the same fields.
    assert first["entities"] == [{"type": "streaminfo", "streamType": "informative", "streamSequence": 1}]
    # Web Chat's rule (streaming/stream_fields.py): a stream's first send has no sequence in channelData.
    assert first["channelData"] == {"streamType": "informative"}
    assert update["channelData"] == {"streamType": "streaming", "streamId": stream_id, "streamSequence": 2}
    assert final["channelData"] == {"streamType": "final", "streamId": stream_id}
    assert (final["type"], final["textFormat"], final["text"]) == ("message", "markdown", "Hello **world**")
    assert "textFormat" not in first  # typing activities carry no text format
    assert connector.bubbles() == ["Hello **world**"]


async def test_plain_typing_and_messages_carry_no_stream_fields(
    connector: RecordingConnector, in_turn: InTurn
) -> None:
    async def work(context: TurnContext) -> None:
        channel = AgentsChannel(context)
        assert await channel.send(Outgoing("typing")) is not None
        assert await channel.send(Outgoing("message", "An answer")) == connector.received[-1].reply_id

    await in_turn(user_message("Hi", connector.url, channel_id="emulator"), work)

    typing, message = (item.activity for item in connector.received)
    assert typing["type"] == "typing" and "text" not in typing and "entities" not in typing
    assert "channelData" not in message and message["textFormat"] == "markdown"


async def send_refused(connector: RecordingConnector, in_turn: InTurn, update_text: str = "Hel") -> SendError:
    """Start a stream, then send an update that the connector refuses; the binding's error."""
    errors: list[SendError] = []

    async def work(context: TurnContext) -> None:
        channel = AgentsChannel(context)
        stream_id = await channel.send(start())
        with pytest.raises(SendError) as refused:
            await channel.send(Outgoing("typing", update_text, StreamInfo("streaming", stream_id, 2)))
        errors.append(refused.value)

    await in_turn(user_message("Hi", connector.url), work)
    return errors[0]


async def test_a_429_is_rate_limited_with_the_retry_after_and_the_message(
    connector: RecordingConnector, in_turn: InTurn
) -> None:
    connector.faults.append(Fault(is_stream_update, 429, "Too many requests", "Throttled", retry_after=1.5))
    error = await send_refused(connector, in_turn)
    assert (error.failure, error.status, error.detail, error.retry_after) == (
        SendFailure.RATE_LIMITED,
        429,
        "Too many requests",
        1.5,
    )


async def test_a_bare_503_is_transient_with_the_reason_phrase(
    connector: RecordingConnector, in_turn: InTurn
) -> None:
    connector.faults.append(Fault(is_stream_update, 503, bare=True))
    error = await send_refused(connector, in_turn)
    assert (error.failure, error.status, error.detail, error.retry_after) == (
        SendFailure.TRANSIENT,
        503,
        "Service Unavailable",
        None,
    )


async def test_teams_refusals_are_told_apart_by_their_message(
    connector: RecordingConnector, in_turn: InTurn
) -> None:
    connector.stop_after_requests = 1  # the user pressed Stop right after the stream began
    assert (await send_refused(connector, in_turn)).failure == SendFailure.STOPPED_BY_USER
    connector.stop_after_requests, connector.max_text_utf16 = None, 5
    assert (await send_refused(connector, in_turn, "Hello there")).failure == SendFailure.TOO_LARGE


async def test_a_group_chat_refusing_streams_is_streaming_not_allowed(
    connector: RecordingConnector, in_turn: InTurn
) -> None:
    connector.refuse_streaming = True
    errors: list[SendError] = []

    async def work(context: TurnContext) -> None:
        with pytest.raises(SendError) as refused:
            await AgentsChannel(context).send(start())
        errors.append(refused.value)

    await in_turn(user_message("Hi", connector.url, conversation_type="groupChat"), work)
    assert (errors[0].failure, errors[0].status) == (SendFailure.STREAMING_NOT_ALLOWED, 405)


async def test_a_connector_that_cannot_be_reached_is_transient(in_turn: InTurn) -> None:
    async with serve(RecordingConnector().app()) as url:
        pass  # closed again: nothing listens there now
    errors: list[SendError] = []

    async def work(context: TurnContext) -> None:
        with pytest.raises(SendError) as refused:
            await AgentsChannel(context).send(Outgoing("message", "Hi"))
        errors.append(refused.value)

    await in_turn(user_message("Hi", url), work)
    assert (errors[0].failure, errors[0].status) == (SendFailure.TRANSIENT, None)
    assert "ClientConnectorError" in errors[0].detail


@pytest.mark.parametrize(
    ("inbound", "expected"),
    [
        (
            user_message("Hi", "http://x"),
            ConversationFacts("msteams", "personal", False, citation_style="entity"),
        ),
        (
            user_message("Hi", "http://x", conversation_type="groupChat"),
            ConversationFacts("msteams", "groupChat", False, group=True, citation_style="entity"),
        ),
        (
            user_message("Hi", "http://x", channel_id="webchat", conversation_type=None),
            ConversationFacts("webchat", None, False, citation_style="link_definitions"),
        ),
        (
            user_message("Hi", "http://x", channel_id="directline", conversation_type=None),
            ConversationFacts("directline", None, False, citation_style="link_definitions"),
        ),
        (
            user_message("Hi", "http://x", channel_id="emulator", delivery_mode="expectReplies"),
            ConversationFacts("emulator", "personal", True),
        ),
        (
            user_message("Hi", "http://x", channel_id="msteams:COPILOT"),
            ConversationFacts("msteams", "personal", False, citation_style="entity"),
        ),
    ],
)
def test_facts_come_from_the_inbound_activity(
    inbound: dict[str, object], expected: ConversationFacts
) -> None:
    assert conversation_facts(Activity.model_validate(inbound)) == expected
