"""What the bot sends to each kind of conversation, end to end over real HTTP.

The bot runs on loopback with its `openai` client pointed at a local streaming model server, and
sends its replies to a local Teams-like Bot Connector. The bot acknowledges each message at once
and streams the answer afterwards, so the tests wait for the final message at the connector.
"""

from __future__ import annotations

from itertools import pairwise

from tests.conftest import ANSWER_TOKEN_DELAY, StartBot
from tests.support.activities import user_message
from tests.support.connector import Received, RecordingConnector, message_entities, web_chat_fields
from tests.support.model_server import ModelServer

AI_LABEL = ["AIGeneratedContent"]


def assert_model_answer_marks(final: Received) -> None:
    """The answer's last message carries the AI label and Teams' feedback buttons (the defaults)."""
    entity = final.message_entity
    assert entity is not None and entity["additionalType"] == AI_LABEL, final.activity
    assert "citation" not in entity and "usageInfo" not in entity
    assert final.feedback_loop == "default"


def assert_streamed(received: list[Received], answer: str, interval: float) -> None:
    """The whole stream protocol: informative start, growing updates, one final, at the pace;
    only the final carries the answer's marks."""
    start, *updates, final = received
    assert start.activity["type"] == "typing"
    assert start.activity["text"] == "Thinking…"
    assert start.stream_info == {"type": "streaminfo", "streamType": "informative", "streamSequence": 1}
    stream_id = start.reply_id
    assert stream_id

    assert updates, "the answer never appeared before the final message"
    previous_text = ""
    for sequence, update in enumerate(updates, start=2):
        assert update.activity["type"] == "typing"
        assert update.stream_info == {
            "type": "streaminfo",
            "streamType": "streaming",
            "streamId": stream_id,
            "streamSequence": sequence,
        }
        text = update.activity["text"]
        assert text.startswith(previous_text) and len(text) > len(previous_text)
        previous_text = text

    assert final.activity["type"] == "message"
    assert final.stream_info == {"type": "streaminfo", "streamType": "final", "streamId": stream_id}
    assert final.activity["text"] == answer
    assert final.activity["text"].startswith(previous_text)

    assert_model_answer_marks(final)
    for item in received:
        # Web Chat reads the same fields from channelData only (a start without its sequence number).
        assert item.stream_channel_data == web_chat_fields(item.stream_info)
        assert item.accepted
    for update in received[:-1]:
        assert update.message_entity is None and update.feedback_loop is None
    gaps = [later.received_at - earlier.received_at for earlier, later in pairwise(received)]
    assert min(gaps) >= interval, f"sends came faster than every {interval}s: {gaps}"


def assert_one_message(received: list[Received], answer: str) -> None:
    """Typing while the model works, then the answer as one plain message."""
    # The SDK's dialog runner adds a state-snapshot trace for the Emulator's inspector.
    *typing, message = [item for item in received if item.activity["type"] != "trace"]
    assert typing, "no typing indicator while the answer was produced"
    assert all(item.activity["type"] == "typing" for item in typing)
    assert all("text" not in item.activity and not item.stream_info for item in typing)
    assert message.activity["type"] == "message"
    assert message.activity["text"] == answer
    assert not message.stream_info and not message.stream_channel_data
    assert_model_answer_marks(message)


async def test_teams_personal_chat_streams_at_one_update_a_second(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    connector.rate_limit_interval = 1.0
    bot = await start_bot(model_env)
    status, _ = await bot.post_activity(user_message("What is streaming?", connector.url))
    assert status == 201
    await connector.wait_for_answers()
    assert_streamed(connector.received, model_server.answer, interval=1.0)
    assert len(connector.received) >= 4  # start, at least two growing updates, final


async def test_web_chat_streams_at_twice_the_pace(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    bot = await start_bot(model_env)
    activity = user_message("What is streaming?", connector.url, channel_id="webchat", conversation_type=None)
    status, _ = await bot.post_activity(activity)
    assert status == 201
    await connector.wait_for_answers()
    assert_streamed(connector.received, model_server.answer, interval=0.5)
    # About 2 s of answer at one update per 0.5 s: more updates than Teams would get.
    assert len(connector.received) >= 5


async def test_direct_line_streams_like_web_chat(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    bot = await start_bot(model_env)
    activity = user_message("Hi", connector.url, channel_id="directline", conversation_type=None)
    await bot.post_activity(activity)
    await connector.wait_for_answers()
    assert_streamed(connector.received, model_server.answer, interval=0.5)


async def test_emulator_gets_typing_then_one_message(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    bot = await start_bot({**model_env, "TYPING_INTERVAL": "0.5"})
    activity = user_message("Hi", connector.url, channel_id="emulator", conversation_type=None)
    status, _ = await bot.post_activity(activity)
    assert status == 201
    await connector.wait_for_answers()
    assert_one_message(connector.received, model_server.answer)
    # The answer takes about 2 s: typing is renewed while it is produced.
    assert len(connector.received) >= 3


async def test_teams_group_chat_gets_one_message(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    bot = await start_bot(model_env)
    activity = user_message("Hi", connector.url, conversation_type="groupChat", mention_bot=True)
    await bot.post_activity(activity)
    await connector.wait_for_answers()
    assert_one_message(connector.received, model_server.answer)


async def test_teams_channel_gets_one_message(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    bot = await start_bot(model_env)
    await bot.post_activity(user_message("Hi", connector.url, conversation_type="channel", mention_bot=True))
    await connector.wait_for_answers()
    assert_one_message(connector.received, model_server.answer)


async def test_expect_replies_turn_answers_in_the_http_response(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    bot = await start_bot(model_env)
    status, body = await bot.post_activity(user_message("Hi", connector.url, delivery_mode="expectReplies"))
    assert status == 200
    assert [(reply["type"], reply["text"]) for reply in body["activities"]] == [
        ("message", model_server.answer)
    ]
    [reply] = body["activities"]
    assert [entity["additionalType"] for entity in message_entities(reply)] == [AI_LABEL]
    assert reply["channelData"] == {"feedbackLoop": {"type": "default"}}
    assert connector.received == []


async def test_slow_model_shows_thinking_until_the_first_token(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.first_token_delay = 1.5
    model_server.tokens = ["Done."]
    bot = await start_bot(model_env)
    await bot.post_activity(user_message("Hi", connector.url))
    await connector.wait_for_answers()
    start, *_, final = connector.received
    assert start.stream_info["streamType"] == "informative"
    assert final.received_at - start.received_at >= 1.5 - ANSWER_TOKEN_DELAY
    assert final.activity["text"] == "Done."


async def test_updates_and_the_final_carry_what_the_model_sent_before_them(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    # The answer reads the model's stream in batches, just before each update may go out: no update
    # may lag behind what had arrived, and the final must follow the last token by at most a pace.
    model_server.tokens = [f" w{number}" for number in range(60)]
    model_server.token_delay = 0.05
    bot = await start_bot(model_env)
    await bot.post_activity(user_message("A long one, please.", connector.url))
    assert await connector.wait_for_answers() == [model_server.answer]

    sent = list(zip(model_server.tokens, model_server.token_sent_at, strict=True))
    _thinking, *updates, final = [item for item in connector.accepted() if item.stream_info]
    assert len(updates) >= 2
    for update in updates:
        # Loopback moves a token in well under 50 ms; the update's send started before it arrived.
        arrived = "".join(token for token, at in sent if at < update.received_at - 0.05)
        assert update.activity["text"].startswith(arrived)
    assert final.received_at - model_server.token_sent_at[-1] < 1.0 + 0.25
