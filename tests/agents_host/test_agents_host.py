"""The Agents SDK host, run from its own environment, delivers answers like the botbuilder host on
every channel.

The recording connector checks the stream protocol (sequence, cumulative text, the stream fields in
the `streaminfo` entity and, by Web Chat's rule, in channelData, nothing after the final) on every test.
"""

from __future__ import annotations

import asyncio

import aiohttp

from answers.chat_answer import GROUP_SYSTEM_NOTE
from tests.agents_host.conftest import StartHost, metrics_when
from tests.support.activities import user_message
from tests.support.connector import Fault, RecordingConnector, is_final, is_message, is_stream_update
from tests.support.model_server import ModelServer


async def test_a_teams_personal_chat_gets_a_streamed_markdown_answer_and_metrics_count_it(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    host = await start_host({})
    question = user_message("Why stream?", connector.url)
    assert await host.post(question) == 202

    assert await connector.wait_for_answers() == [model_server.answer]
    kinds = [(item.stream_info or {}).get("streamType") for item in connector.accepted()]
    assert kinds[0] == "informative"
    assert "streaming" in kinds
    assert kinds[-1] == "final"
    final = connector.accepted()[-1].activity
    assert final["textFormat"] == "markdown"
    assert final["replyToId"] == question["id"]  # a reply to the user's message, not to the continuation
    await metrics_when(
        host,
        'bot_answers_total{outcome="complete"} 1.0',
        'bot_turn_seconds_count{activity_type="message"} 1.0',
        'bot_turn_seconds_count{activity_type="event"} 1.0',  # the answer's own turn
        "bot_active_answers 0.0",
    )


async def test_web_chat_gets_a_streamed_answer(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    host = await start_host({})
    await host.post(user_message("Hi", connector.url, channel_id="webchat", conversation_type=None))

    assert await connector.wait_for_answers() == [model_server.answer]
    assert any(is_stream_update(item) for item in connector.accepted())
    first = connector.accepted()[0].activity
    assert first["channelData"] == {"streamType": "informative"}  # no sequence there: Web Chat's rule


async def test_the_emulator_gets_typing_then_one_message(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    host = await start_host({})
    await host.post(user_message("Hi", connector.url, channel_id="emulator", conversation_type=None))

    assert await connector.wait_for_answers() == [model_server.answer]
    assert {item.activity["type"] for item in connector.accepted()[:-1]} == {"typing"}
    assert connector.accepted()[-1].activity["type"] == "message"
    assert all(item.stream_info is None for item in connector.received)


async def test_a_teams_group_chat_gets_one_message_with_the_question_attributed(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    connector.refuse_streaming = True  # as Teams does outside 1:1 chats: a stream send would fail
    host = await start_host({})
    await host.post(user_message("Hi", connector.url, conversation_type="groupChat"))

    assert await connector.wait_for_answers() == [model_server.answer]
    assert all(item.status == 201 and item.stream_info is None for item in connector.received)
    system, question = model_server.requests[0].body["messages"]
    assert system["content"].endswith(f"\n\n{GROUP_SYSTEM_NOTE}")
    assert question == {"role": "user", "content": "Test User: Hi"}


async def test_a_429_on_an_update_is_waited_out_and_the_answer_completes(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    connector.faults.append(Fault(is_stream_update, 429, "Too many requests", "Throttled", retry_after=1.5))
    host = await start_host({})
    await host.post(user_message("Hi", connector.url))

    assert await connector.wait_for_answers() == [model_server.answer]
    refused = next(index for index, item in enumerate(connector.received) if item.status == 429)
    after = connector.received[refused + 1]
    assert after.accepted
    assert after.received_at - connector.received[refused].received_at >= 1.5  # Retry-After honoured


async def test_the_user_pressing_stop_ends_the_stream_and_closes_the_model_request(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    model_server.tokens, model_server.token_delay = [f" word{number}" for number in range(40)], 0.1
    connector.stop_after_requests = 2  # Teams answers 403 "cancelled by user" from then on
    host = await start_host({})
    await host.post(user_message("Hi", connector.url))

    await asyncio.wait_for(model_server.disconnected.wait(), timeout=20)  # the model request was closed
    assert any(item.status == 403 for item in connector.received)
    assert not any(is_final(item) for item in connector.received)  # nothing more on a stopped stream
    assert len(model_server.token_sent_at) < len(model_server.tokens)


async def test_bad_input_is_a_4xx_and_the_host_keeps_serving(
    start_host: StartHost, connector: RecordingConnector
) -> None:
    host = await start_host({})
    async with aiohttp.ClientSession() as session:
        for body in (b"{not json", b'{"type": 5, "conversation": {"id": "c"}}', b'{"type": "message"}'):
            async with session.post(
                host.endpoint, data=body, headers={"Content-Type": "application/json"}
            ) as response:
                assert response.status == 400, body
                assert "error" in await response.json()
    assert await host.post(user_message("Hi", connector.url)) == 202
    await connector.wait_for_answers()
    assert is_message(connector.accepted()[-1]) or is_final(connector.accepted()[-1])


async def test_an_expect_replies_request_gets_the_whole_answer_in_its_response(
    start_host: StartHost, connector: RecordingConnector, model_server: ModelServer
) -> None:
    host = await start_host({})
    question = user_message("Hi", connector.url, channel_id="emulator", delivery_mode="expectReplies")
    async with aiohttp.ClientSession() as session, session.post(host.endpoint, json=question) as response:
        assert response.status == 200
        replies = (await response.json())["activities"]

    assert [reply["text"] for reply in replies if reply["type"] == "message"] == [model_server.answer]
    assert connector.received == []  # nothing went through the connector
