"""The profile sorts py-spy's samples into the work before the first send and the rest."""

from __future__ import annotations

from pathlib import Path

from benchmarks import profiling, report
from benchmarks.profiling import ROOT, Frame, phase_of, summary

LIBRARY = "/opt/bench/.venv/lib/python3.11/site-packages"
STDLIB = "/usr/lib/python3.11"


def ours(function: str, file: str, line: int = 1) -> str:
    return f"{function} ({ROOT}/{file}:{line})"


def library(function: str, file: str, line: int = 1) -> str:
    return f"{function} ({LIBRARY}/{file}:{line})"


def stdlib(function: str, file: str, line: int = 1) -> str:
    return f"{function} ({STDLIB}/{file}:{line})"


PROCESS = 'process 4242:"python app.py"'
LOOP = [
    ours("<module>", "app.py", 286),
    ours("main", "app.py", 281),
    stdlib("BaseEventLoop._run_once", "asyncio/base_events.py", 1922),
    stdlib("Handle._run", "asyncio/events.py", 80),
]
USER_TURN = [
    *LOOP,
    library("RequestHandler._handle_request", "aiohttp/web_protocol.py", 577),
    ours("MessagesEndpoint.handle", "host/messages.py", 127),
    ours("ChatBot.on_turn", "bots/chat_bot.py", 43),
    ours("TurnStateSaver.save", "bots/state_saver.py", 42),
    library("Pickler._flatten", "jsonpickle/pickler.py", 326),
]
ANSWER_OPENING = [
    *LOOP,
    ours("ConversationScheduler._run", "streaming/conversation_scheduler.py", 167),
    ours("BackgroundAnswers.continuation.<locals>.answer_turn", "bots/background_answers.py", 55),
    ours("ChatDialog.answer", "dialogs/chat_dialog.py", 80),
    ours("build_prompt", "answers/history.py", 30),
]
ANSWER_END = [
    *ANSWER_OPENING[:-2],
    ours("TurnStateSaver.save", "bots/state_saver.py", 42),
    library("Pickler._flatten", "jsonpickle/pickler.py", 326),
]
FIRST_SEND = [
    *LOOP,
    ours("UpdateSender._send_updates", "streaming/update_sender.py", 127),
    ours("ChannelStream.send_update", "streaming/channel_stream.py", 57),
    library("ClientSession._request", "aiohttp/client.py", 900),
]
MODEL = [*LOOP, ours("ModelFeed._read", "streaming/model_feed.py", 87), library("x", "openai/_client.py")]
STORAGE = [
    stdlib("Thread._bootstrap", "threading.py", 1002),
    ours("SqliteRows._write_rows.<locals>.write", "storage/sqlite_rows.py", 66),
]
IDLE = [*LOOP[:3], stdlib("EpollSelector.select", "selectors.py", 468)]
CUT_SHORT = [ours("ChatDialog.begin_dialog", "dialogs/chat_dialog.py", 70)]  # read in part: the user's turn


def stacks(*weighted: tuple[list[str], int]) -> str:
    return "".join(f"{';'.join([PROCESS, *stack])} {weight}\n" for stack, weight in weighted)


def frames(stack: list[str]) -> list[Frame]:
    return [Frame(text) for text in stack]


def test_each_stack_goes_to_the_work_it_belongs_to() -> None:
    assert phase_of(frames(USER_TURN)) == profiling.INBOUND
    assert phase_of(frames(CUT_SHORT)) == profiling.INBOUND
    assert phase_of(frames(ANSWER_OPENING)) == profiling.ANSWER_OPENING
    assert phase_of(frames(ANSWER_END)) == profiling.ANSWER_END
    assert phase_of(frames(FIRST_SEND)) == profiling.STREAM_SENDS
    assert phase_of(frames(MODEL)) == profiling.MODEL
    assert phase_of(frames(STORAGE)) == profiling.STORAGE_THREAD
    assert phase_of(frames(IDLE)) == profiling.IDLE
    assert phase_of(frames([*LOOP, stdlib("Transport._read_ready", "asyncio/selector_events.py")])) == (
        profiling.OTHER
    )


def test_frames_name_our_files_from_the_repository_and_libraries_from_their_package() -> None:
    mine, theirs = Frame(USER_TURN[5]), Frame(USER_TURN[4])
    assert mine.ours and mine.located == "MessagesEndpoint.handle (host/messages.py:127)"
    assert not theirs.ours and theirs.name == "RequestHandler._handle_request (aiohttp/web_protocol.py)"


def test_the_summary_says_how_much_went_to_the_path_before_the_first_send(tmp_path: Path) -> None:
    collapsed = tmp_path / "profile.txt"
    collapsed.write_text(
        stacks(
            (USER_TURN, 30),
            (CUT_SHORT, 10),
            (ANSWER_OPENING, 5),
            (ANSWER_END, 5),
            (FIRST_SEND, 15),
            (MODEL, 10),
            (STORAGE, 20),
            (IDLE, 5),
        )
    )

    result = summary(collapsed)

    assert result["samples"] == 100
    assert result["phases"] == {
        profiling.INBOUND: 40.0,
        profiling.ANSWER_OPENING: 5.0,
        profiling.STREAM_SENDS: 15.0,
        profiling.ANSWER_END: 5.0,
        profiling.MODEL: 10.0,
        profiling.STORAGE_THREAD: 20.0,
        profiling.IDLE: 5.0,
    }
    assert result["on_path_pct"] == 60.0
    # On the path, the user's turn's state save leads; the answer's own save is not on it.
    assert result["top_on_path"][0] == {
        "function": "Pickler._flatten (jsonpickle/pickler.py:326)",
        "self_pct": 30.0,
        "total_pct": 35.0,
    }
    ours_on_path = {row["function"]: row["total_pct"] for row in result["ours_on_path"]}
    assert ours_on_path["MessagesEndpoint.handle (host/messages.py)"] == 30.0
    assert ours_on_path["TurnStateSaver.save (bots/state_saver.py)"] == 30.0
    assert ours_on_path["UpdateSender._send_updates (streaming/update_sender.py)"] == 15.0
    assert "main (app.py)" not in ours_on_path  # The process's entry is on every stack: left out.
    # Each sample on the path goes to the deepest of our functions: the save calls jsonpickle.
    assert result["deepest_ours"][0] == {"function": "TurnStateSaver.save (bots/state_saver.py)", "pct": 30.0}
    deepest = {row["function"]: row["pct"] for row in result["deepest_ours"]}
    assert sum(deepest.values()) == result["on_path_pct"]
    assert result["top_self"][0]["function"] == "Pickler._flatten (jsonpickle/pickler.py:326)"

    text = report.profile_text(
        {
            "bot": "ours",
            "conversations": 1000,
            "window": {"seconds": 4.2, "sends": {"first": 1000, "later": 120}},
            "first_sign": {"p50": 1.5, "p95": 3.0},
            **result,
        }
    )
    assert "| inbound request (the user's turn) | 40.0 |" in text
    assert "1000 first, 120 later" in text


def test_an_empty_profile_has_no_shares(tmp_path: Path) -> None:
    collapsed = tmp_path / "profile.txt"
    collapsed.write_text("")
    assert summary(collapsed)["samples"] == 0
