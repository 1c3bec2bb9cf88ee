"""Answers with tools, through the bot: the model's calls run, their results go back, the user waits
with a status line, and nothing a tool does can crash or hang an answer."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from answers.chat_answer import TOOL_GUIDANCE
from answers.sources import CITE_INSTRUCTION
from answers.tool_runner import MAX_CALLS_PER_ROUND
from answers.tools import SourcePassage, ToolResult
from dialogs.typed_stop import STOPPED_REPLY
from streaming.notes import STOP_NOTES
from streaming.outcome import StopReason
from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.bot import BotClient
from tests.support.connector import Received, RecordingConnector, is_final
from tests.support.model_server import ModelRequest, ModelServer, ScriptedCall
from tests.support.tools import ScriptedTool, answers, fails, hangs, waits_for

WEATHER = SourcePassage("Weather today", "Sunny in Paris, 24 °C.", "https://example.org/weather")
QUICK = {"STREAM_KEEPALIVE_SECONDS": "0.2"}


@pytest.fixture(autouse=True)
def quick_model(model_server: ModelServer) -> None:
    """A short answer, quickly: the tests are about what happens around it."""
    model_server.tokens, model_server.token_delay = ["It is ", "sunny ", "[1]."], 0.01


def call(call_id: str, name: str, **arguments: object) -> ScriptedCall:
    return ScriptedCall(call_id, name, json.dumps(arguments))


def tool_results(request: ModelRequest) -> dict[str, str]:
    """The `tool` messages of a request: each call's id and what the model read of its result."""
    return {m["tool_call_id"]: m["content"] for m in request.body["messages"] if m["role"] == "tool"}


def informative(item: Received) -> str | None:
    info = item.stream_info
    return item.activity.get("text") if info and info.get("streamType") == "informative" else None


async def ask(bot: BotClient, connector: RecordingConnector, text: str, **where: Any) -> dict[str, Any]:
    """Post a question (by default on the Emulator: the whole answer as one message)."""
    where.setdefault("channel_id", "emulator")
    where.setdefault("conversation_type", None)
    question = user_message(text, connector.url, **where)
    await bot.post_activity(question)
    return question


async def test_the_user_sees_the_tools_status_and_the_model_gets_calls_and_results_back(
    start_bot: StartBot,
    model_env: dict[str, str],
    model_server: ModelServer,
    connector: RecordingConnector,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="answers.citing")
    release = asyncio.Event()
    search = ScriptedTool(
        "search_docs",
        waits_for(release, ToolResult("One passage found.", (WEATHER,))),
        status="Searching the docs…",
    )
    model_server.tool_rounds = [[call("call_1", "search_docs", query="weather in Paris")]]
    bot = await start_bot(model_env, tools=[search])
    question = await ask(
        bot, connector, "Weather in Paris?", channel_id="msteams", conversation_type="personal"
    )

    await connector.wait_until(lambda: any(informative(item) == search.status for item in connector.received))
    assert not release.is_set() and not search.cancelled.is_set()  # shown while the tool runs
    release.set()
    assert await connector.wait_for_answers() == ["It is sunny [1]."]
    shown = [informative(item) or item.activity.get("text") for item in connector.accepted()]
    assert shown.index(search.status) < shown.index("It is sunny [1].")

    first, second = model_server.requests
    assert first.body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "search_docs",
                "description": search.description,
                "parameters": search.parameters,
            },
        }
    ]
    system = first.body["messages"][0]
    assert system["role"] == "system" and system["content"].endswith(TOOL_GUIDANCE)
    assert search.calls == [{"query": "weather in Paris"}]
    # The next round: the question, the model's calls as it made them, then each call's result.
    assert second.body["messages"][:-2] == first.body["messages"]
    assert second.body["messages"][-2] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "search_docs", "arguments": '{"query": "weather in Paris"}'},
            }
        ],
    }
    assert tool_results(second) == {
        "call_1": f"One passage found.\n\n{CITE_INSTRUCTION}\n\n"
        "[1] Weather today <https://example.org/weather>\nSunny in Paris, 24 °C."
    }
    # Only the result messages carry tool output: the system prompt is the same in both rounds.
    assert second.body["messages"][0] == system
    # The passage the answer marks is what it cites (see answers/citing.py): a claim on the final.
    assert "the answer cites [1] Weather today" in caplog.messages
    [final] = [item for item in connector.received if is_final(item)]
    [claim] = (final.message_entity or {})["citation"]
    appearance = claim["appearance"]
    assert (claim["position"], appearance["name"], appearance["url"]) == (
        1,
        "Weather today",
        "https://example.org/weather",
    )

    # The history keeps the question and the answer, not the tool rounds.
    await bot.answers_done()
    await ask(
        bot, connector, "And tomorrow?", channel_id="msteams", conversation_id=question["conversation"]["id"]
    )
    await bot.answers_done()
    history = model_server.requests[-1].body["messages"]
    assert [(m["role"], m["content"]) for m in history[1:]] == [
        ("user", "Weather in Paris?"),
        ("assistant", "It is sunny [1]."),
        ("user", "And tomorrow?"),
    ]


async def test_parallel_calls_run_at_the_same_time_and_their_results_keep_the_calls_order(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    both_running = asyncio.Barrier(2)

    async def meets_the_other(arguments: dict[str, object]) -> ToolResult:
        await both_running.wait()  # a second call run only after the first would time out here
        return ToolResult(f"weather in {arguments['query']}")

    search = ScriptedTool("search_docs", meets_the_other, timeout=3.0)
    model_server.tool_rounds = [
        [call("call_paris", "search_docs", query="Paris"), call("call_rome", "search_docs", query="Rome")]
    ]
    bot = await start_bot(model_env, tools=[search])
    await ask(bot, connector, "Paris and Rome?")
    assert await connector.wait_for_answers() == ["It is sunny [1]."]

    second = model_server.requests[1]
    assert list(tool_results(second).items()) == [
        ("call_paris", "weather in Paris"),
        ("call_rome", "weather in Rome"),
    ]
    assert [c["id"] for c in second.body["messages"][-3]["tool_calls"]] == ["call_paris", "call_rome"]


async def test_a_tool_that_times_out_is_cancelled_and_the_model_is_told(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    slow = ScriptedTool("slow_search", hangs, timeout=0.2)
    model_server.tool_rounds = [[call("call_1", "slow_search", query="x")]]
    bot = await start_bot(model_env, tools=[slow])
    await ask(bot, connector, "Anything?")
    assert await connector.wait_for_answers() == ["It is sunny [1]."]
    assert slow.cancelled.is_set()
    assert tool_results(model_server.requests[1]) == {
        "call_1": "Error: slow_search did not answer within 0.2 seconds."
    }


async def test_failing_tools_unknown_tools_bad_arguments_and_too_many_calls_give_short_errors(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    broken = ScriptedTool("broken_search", fails)
    working = ScriptedTool("search_docs", answers("found it"))
    model_server.tool_rounds = [
        [
            call("call_1", "broken_search", query="x"),
            call("call_2", "no_such_tool"),
            ScriptedCall("call_3", "search_docs", '{"query": "unfinished'),
            ScriptedCall("call_4", "search_docs", '["not", "an", "object"]'),
            *(call(f"call_{n}", "search_docs", query="y") for n in range(5, 7)),
        ]
    ]
    bot = await start_bot(model_env, tools=[broken, working])
    await ask(bot, connector, "Anything?")
    assert await connector.wait_for_answers() == ["It is sunny [1]."]

    results = tool_results(model_server.requests[1])
    assert results == {
        "call_1": "Error: broken_search failed.",
        "call_2": "Error: there is no tool named 'no_such_tool'.",
        "call_3": "Error: the arguments for search_docs were not usable: they are not valid JSON.",
        "call_4": "Error: the arguments for search_docs were not usable: they are not a JSON object.",
        "call_5": "Error: not run: at most 4 tool calls run at once.",
        "call_6": "Error: not run: at most 4 tool calls run at once.",
    }
    assert MAX_CALLS_PER_ROUND == 4
    assert working.calls == []  # neither the bad calls nor those over the limit ran
    assert "the search index is corrupt" not in json.dumps(model_server.requests[1].body)


async def test_a_result_too_large_is_cut_to_the_configured_size(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    huge = ScriptedTool("dump", answers("x" * 100_000, WEATHER))
    model_server.tool_rounds = [[call("call_1", "dump")]]
    bot = await start_bot({**model_env, "TOOL_RESULT_MAX_CHARS": "500"}, tools=[huge])
    await ask(bot, connector, "Everything?")
    assert await connector.wait_for_answers() == ["It is sunny [1]."]
    [result] = tool_results(model_server.requests[1]).values()
    assert len(result) <= 500
    assert result.startswith("xxxx") and result.endswith("…(cut: the result was longer than 500 characters)")


async def test_after_the_last_round_of_calls_the_model_must_answer(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    search = ScriptedTool("search_docs", answers("nothing new"))
    model_server.tool_rounds = [[call(f"call_{n}", "search_docs", query=str(n))] for n in range(5)]
    bot = await start_bot({**model_env, "TOOL_MAX_ROUNDS": "2"}, tools=[search])
    await ask(bot, connector, "Keep looking")
    assert await connector.wait_for_answers() == ["It is sunny [1]."]
    assert [r.body.get("tool_choice", "auto") for r in model_server.requests] == ["auto", "auto", "none"]
    assert len(search.calls) == 2
    last = model_server.requests[-1].body["messages"]
    assert [m["role"] for m in last[-4:]] == ["assistant", "tool", "assistant", "tool"]


async def test_a_model_that_calls_tools_when_told_not_to_ends_with_a_note(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    search = ScriptedTool("search_docs", answers("nothing new"))
    model_server.ignore_tool_choice = True
    model_server.text_before_calls = "Looking."
    model_server.tool_rounds = [[call(f"call_{n}", "search_docs")] for n in range(3)]
    bot = await start_bot({**model_env, "TOOL_MAX_ROUNDS": "1"}, tools=[search])
    await ask(bot, connector, "Keep looking")
    note = "_(The answer ended early: the model kept asking for tools. Please try again.)_"
    assert await connector.wait_for_answers() == [f"Looking.\n\nLooking.\n\n{note}"]
    assert len(search.calls) == 1


async def test_a_tool_that_runs_longer_than_the_model_may_be_silent_is_not_silence(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    async def takes_a_while(_arguments: dict[str, object]) -> ToolResult:
        await asyncio.sleep(1.0)  # the tool's own work, three idle timeouts long
        return ToolResult("done")

    patient = ScriptedTool("patient_search", takes_a_while)
    model_server.tool_rounds = [[call("call_1", "patient_search")]]
    bot = await start_bot({**model_env, "MODEL_IDLE_TIMEOUT_SECONDS": "0.3"}, tools=[patient])
    await ask(bot, connector, "Anything?")
    assert await connector.wait_for_answers() == ["It is sunny [1]."]
    assert tool_results(model_server.requests[1]) == {"call_1": "done"}


@pytest.mark.parametrize("interruption", ["typed stop", "new message", "shutdown"])
async def test_an_interruption_while_a_tool_runs_cancels_the_tool_and_ends_the_answer(
    start_bot: StartBot,
    model_env: dict[str, str],
    model_server: ModelServer,
    connector: RecordingConnector,
    interruption: str,
) -> None:
    slow = ScriptedTool("slow_search", hangs, timeout=60.0)
    model_server.tool_rounds = [[call("call_1", "slow_search", query="x")]]
    bot = await start_bot({**model_env, **QUICK}, tools=[slow])
    where = {"channel_id": "webchat", "conversation_id": "conv-tools"}
    await ask(bot, connector, "Anything?", **where)
    await asyncio.wait_for(slow.started.wait(), 5)

    if interruption == "shutdown":
        await bot.app.shutdown()  # what aiohttp runs on SIGTERM
    else:
        await ask(bot, connector, "stop" if interruption == "typed stop" else "Something else?", **where)
    await bot.answers_done()

    await asyncio.wait_for(slow.cancelled.wait(), 5)
    reason = {
        "typed stop": StopReason.STOP_COMMAND,
        "new message": StopReason.NEW_MESSAGE,
        "shutdown": StopReason.SHUTDOWN,
    }[interruption]
    bubbles = connector.bubbles()
    assert bubbles[0] == STOP_NOTES[reason]  # the answer had no text yet: its note alone
    if interruption == "typed stop":
        assert bubbles[1:] == [STOPPED_REPLY]
        assert len(model_server.requests) == 1
    elif interruption == "new message":
        assert bubbles[1:] == ["It is sunny [1]."]  # the new question, answered without tools
        assert len(model_server.requests) == 2


async def test_the_teams_stop_button_while_a_tool_runs_cancels_the_tool(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    slow = ScriptedTool("slow_search", hangs, timeout=60.0)
    model_server.tool_rounds = [[call("call_1", "slow_search", query="x")]]
    connector.stop_after_requests = 2  # the start and one more: then the user presses Stop
    bot = await start_bot({**model_env, **QUICK}, tools=[slow])
    await ask(bot, connector, "Anything?", channel_id="msteams", conversation_type="personal")
    await asyncio.wait_for(slow.cancelled.wait(), 10)
    await bot.answers_done()
    assert len(model_server.requests) == 1
    assert not any(is_final(item) for item in connector.received)  # nothing more after a Stop


async def test_without_tools_the_model_is_offered_none(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.tool_rounds = [[call("call_1", "search_docs")]]  # never used: no tools offered
    bot = await start_bot(model_env)
    await ask(bot, connector, "Hello?")
    assert await connector.wait_for_answers() == ["It is sunny [1]."]
    [request] = model_server.requests
    assert "tools" not in request.body and "tool_choice" not in request.body
    assert TOOL_GUIDANCE not in request.body["messages"][0]["content"]
