"""The Agents SDK host, run from its own environment, answers like the botbuilder host on every channel.

The recording connector checks the stream protocol (sequence, cumulative text, the same stream
fields in the `streaminfo` entity and in channelData, nothing after the final) on every test.
"""

from __future__ import annotations

from tests.agents_host.conftest import StartHost
from tests.support.activities import user_message
from tests.support.connector import Fault, RecordingConnector, is_final, is_message, is_stream_update
from tests.support.model_server import ModelServer


async def test_a_teams_personal_chat_gets_a_streamed_markdown_answer(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    host = await start_host({"TEAMS_STREAM_INTERVAL": "1"})
    question = user_message("Why stream?", connector.url)
    assert (await host.post(question))[0] == 202

    assert await connector.wait_for_answers() == [model_server.answer]
    kinds = [(item.stream_info or {}).get("streamType") for item in connector.accepted()]
    assert kinds[0] == "informative"
    assert "streaming" in kinds
    assert kinds[-1] == "final"
    final = connector.accepted()[-1].activity
    assert final["textFormat"] == "markdown"
    assert final["replyToId"] == question["id"]  # a reply to the user's message, not to the continuation


async def test_web_chat_gets_a_streamed_answer(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    host = await start_host({})
    await host.post(user_message("Hi", connector.url, channel_id="webchat", conversation_type=None))

    assert await connector.wait_for_answers() == [model_server.answer]
    assert any(is_stream_update(item) for item in connector.accepted())


async def test_the_emulator_gets_typing_then_one_message(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    host = await start_host({})
    await host.post(user_message("Hi", connector.url, channel_id="emulator", conversation_type=None))

    assert await connector.wait_for_answers() == [model_server.answer]
    assert [item.activity["type"] for item in connector.accepted()] == ["typing", "message"]
    assert all(item.stream_info is None for item in connector.received)


async def test_a_teams_group_chat_gets_one_message_without_stream_sends(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    connector.refuse_streaming = True  # as Teams does outside 1:1 chats
    host = await start_host({})
    await host.post(user_message("Hi", connector.url, conversation_type="groupChat"))

    assert await connector.wait_for_answers() == [model_server.answer]
    assert [item.status for item in connector.received] == [201, 201]  # typing, the message


async def test_a_429_on_an_update_is_waited_out_and_the_answer_completes(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    connector.faults.append(Fault(is_stream_update, 429, "Too many requests", "Throttled", retry_after=1.5))
    host = await start_host({"TEAMS_STREAM_INTERVAL": "1"})
    await host.post(user_message("Hi", connector.url))

    assert await connector.wait_for_answers() == [model_server.answer]
    refused = next(index for index, item in enumerate(connector.received) if item.status == 429)
    after = connector.received[refused + 1]
    assert after.accepted
    assert after.received_at - connector.received[refused].received_at >= 1.5  # Retry-After honoured
    # The refused update's sequence number is used again: the channel never counted it.
    assert after.stream_info["streamSequence"] == connector.received[refused].stream_info["streamSequence"]


async def test_the_user_pressing_stop_ends_the_stream_without_a_final(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    connector.stop_after_requests = 2  # Teams answers 403 "cancelled by user" from then on
    host = await start_host({"TEAMS_STREAM_INTERVAL": "1"})
    await host.post(user_message("Hi", connector.url))
    await connector.wait_until(lambda: any(item.status == 403 for item in connector.received))

    # A later answer elsewhere (the Emulator does not stream) takes the model's whole answer time,
    # by which the stopped answer has long been read to its end: a final would have gone out.
    await host.post(user_message("And now?", connector.url, channel_id="emulator", conversation_type=None))
    assert (await connector.wait_for_answers())[-1] == model_server.answer
    assert not any(is_final(item) for item in connector.received)
    assert connector.received[-1].activity["channelId"] == "emulator"


async def test_the_history_is_kept_between_turns(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    host = await start_host({})
    await host.post(user_message("First question", connector.url, conversation_id="conv-history"))
    await connector.wait_for_answers(1)
    await host.post(user_message("Second question", connector.url, conversation_id="conv-history"))
    await connector.wait_for_answers(2)

    sent = [message["content"] for message in model_server.requests[-1].body["messages"]]
    assert sent[1:] == ["First question", model_server.answer, "Second question"]


async def test_bad_input_is_a_4xx_and_the_host_keeps_serving(
    start_host: StartHost, connector: RecordingConnector
) -> None:
    host = await start_host({})
    assert (await host.post(b"{not json"))[0] == 400
    assert (await host.post({"type": 5, "conversation": {"id": "c"}}))[0] == 400
    assert (await host.post({"type": "message"}))[0] == 400  # no conversation
    assert (await host.post(user_message("Hi", connector.url)))[0] == 202
    await connector.wait_for_answers()
    assert is_message(connector.accepted()[-1]) or is_final(connector.accepted()[-1])
