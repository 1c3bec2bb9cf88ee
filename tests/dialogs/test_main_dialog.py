"""The main dialog with the SDK's DialogTestClient, as a bot developer would test their own."""

from __future__ import annotations

from botbuilder.core import ConversationState
from botbuilder.testing import DialogTestClient

from config import DefaultConfig
from llm import ChatModel, create_chat_model
from llm.offline_model import OfflineChatModel, offline_answer
from tests.dialogs.harness import make_dialog_bot
from tests.support.model_server import ModelServer


def make_client(
    model: ChatModel, *, channel: str = "test", budget: int = 10_000
) -> tuple[DialogTestClient, ConversationState]:
    bot = make_dialog_bot(model, channel=channel, budget=budget)
    return bot.client, bot.conversation_state


async def test_answers_with_typing_then_one_message() -> None:
    client, _ = make_client(OfflineChatModel(tokens_per_second=10_000, first_token_delay=0.01))
    first = await client.send_activity("hello there")
    assert first.type == "typing"
    replies = [client.get_next_reply() for _ in range(len(client.test_adapter.activity_buffer))]
    messages = [reply for reply in replies if reply.type == "message"]
    assert [message.text for message in messages] == [offline_answer("hello there")]


async def test_web_chat_channel_gets_the_stream_protocol() -> None:
    client, _ = make_client(OfflineChatModel(tokens_per_second=100, first_token_delay=0.1), channel="webchat")
    start = await client.send_activity("stream please")
    assert (start.type, start.text, start.channel_data["streamType"]) == (
        "typing",
        "Thinking…",
        "informative",
    )
    rest = [client.get_next_reply() for _ in range(len(client.test_adapter.activity_buffer))]
    *updates, final = rest
    assert updates and all(update.channel_data["streamType"] == "streaming" for update in updates)
    stream_ids = {activity.channel_data["streamId"] for activity in rest}
    assert len(stream_ids) == 1
    # The final also asks for Teams' feedback buttons: the answer's marks are on by default.
    assert final.channel_data == {
        "streamType": "final",
        "streamId": stream_ids.pop(),
        "feedbackLoop": {"type": "default"},
    }
    assert final.text == offline_answer("stream please")


async def test_history_is_kept_and_sent_with_the_next_question(
    model_env: dict[str, str], model_server: ModelServer
) -> None:
    model_server.token_delay = 0.0
    model = create_chat_model(DefaultConfig(model_env).model)
    client, _ = make_client(model)
    await client.send_activity("first question")
    await client.send_activity("second question")
    await model.close()

    second_request = model_server.requests[1].body["messages"]
    assert second_request == [
        {"role": "system", "content": "You are a test."},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": model_server.answer},
        {"role": "user", "content": "second question"},
    ]


async def test_stored_history_stays_within_the_budget(
    model_env: dict[str, str], model_server: ModelServer
) -> None:
    model_server.token_delay = 0.0
    model = create_chat_model(DefaultConfig(model_env).model)
    budget = 3 * len(model_server.answer)
    client, state = make_client(model, budget=budget)
    for number in range(5):
        await client.send_activity(f"question {number}")
    await model.close()

    history = await state.create_property("history").get(client.dialog_context.context)
    assert sum(len(message["content"]) for message in history) <= budget
    assert history[-2:] == [
        {"role": "user", "content": "question 4"},
        {"role": "assistant", "content": model_server.answer, "outcome": "complete"},
    ]
    assert history[0]["role"] == "user"


async def test_model_failure_keeps_the_conversation_going(model_server: ModelServer) -> None:
    model_server.fail_with_status = 500
    env = {"OPENAI_BASE_URL": f"{model_server.url}/v1"}
    model = create_chat_model(DefaultConfig(env).model)
    client, _ = make_client(model)
    await client.send_activity("hello")
    replies = [client.get_next_reply() for _ in range(len(client.test_adapter.activity_buffer))]
    [message] = [reply for reply in replies if reply.type == "message"]
    assert (
        message.text == "_(The answer ended early: the model service answered HTTP 500. Please try again.)_"
    )
    await model.close()
