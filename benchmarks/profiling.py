"""A py-spy profile of a bot under load, and where its samples went on the path before the first send.

py-spy samples the bot from outside (`--nonblocking`, so the bot is not paused; `--subprocesses`,
so gunicorn's workers too) and writes collapsed stacks ("frame;frame;… count") with full file
names. A stack's last frame is where the time was spent (self time); every frame on it shares the
total. `benchmarks.run` samples from just before the first message until every conversation has
shown its first sign, so the profile covers what runs before the first send and what competes with
it.

In an asyncio program a sample's stack is the running task's chain of coroutines, so the stack says
which piece of work the sample belongs to. `PHASES` sorts our bot's samples by marker frames (the
names are our bot's and aiohttp's; another bot's samples land in "other"):
- the inbound request: aiohttp's server handling `POST /api/messages`, and the user's turn (which
  our bot runs after its 201, see host/inbound_turns.py, and which shows the first sign itself);
- the answer's turn until it streams: the continuation turn, its state, the prompt, the stream's
  opening (and, marked apart, its end: the final message and the state save);
- stream sends: the answers' updates (and the "Thinking…" informative where the answer's own turn
  sends it, as before this bot showed it from the user's turn; `benchmarks.run` counts both at the
  connector);
- the model: opening its request and reading its stream;
- the storage thread (SQLite works on a thread of its own), the event loop waiting, and the rest
  (socket callbacks, the loop's own work, stacks py-spy read only in part).
The first three are on the path before the first send.

Nonblocking sampling reads a running process, so some stacks are cut short; they count as "other".
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SAMPLE_RATE = 100  # Samples a second: py-spy's own CPU competes with the bot's on a small machine.
STOP_TIMEOUT = 30.0
ROOT = Path(__file__).resolve().parent.parent
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*):(?P<line>\d+)\)$")
_LIBRARY_PREFIX = re.compile(r"^.*/(?:site-packages|dist-packages|python3\.\d+)/")

INBOUND = "inbound request (the user's turn)"
ANSWER_OPENING = "answer's turn until it streams"
STREAM_SENDS = "stream sends (Thinking… and updates)"
ON_PATH = (INBOUND, ANSWER_OPENING, STREAM_SENDS)
"""The phases before the first send (for stream sends: the first ones)."""
ANSWER_END = "answer's turn, its end (final message, state save)"
MODEL = "model request and stream"
STORAGE_THREAD = "storage thread"
IDLE = "event loop waiting"
OTHER = "other (socket callbacks, loop, partial stacks)"


class Frame:
    """One frame of a sampled stack: its function, and its file shortened for reading."""

    __slots__ = ("file", "function", "line", "ours")

    def __init__(self, text: str) -> None:
        match = _FRAME.match(text)
        function, file, line = (match["function"], match["file"], match["line"]) if match else (text, "", "")
        self.function = function
        self.ours = file.startswith(f"{ROOT}/") and "/.venv" not in file
        self.file = file.removeprefix(f"{ROOT}/") if self.ours else _LIBRARY_PREFIX.sub("", file)
        self.line = line

    @property
    def name(self) -> str:
        """The function and its file, without the line (so that a function's lines count together)."""
        return f"{self.function} ({self.file})"

    @property
    def located(self) -> str:
        """The function, its file and line, as py-spy printed it (file shortened)."""
        return f"{self.function} ({self.file}:{self.line})"


INBOUND_FRAMES = frozenset(
    {
        "MessagesEndpoint.handle",
        "InboundTurns._run",
        "CloudAdapterBase.process_activity",
        "ChatBot.on_turn",
        "ChatBot.on_message_activity",
        "DialogExtensions.run_dialog",
        "ChatDialog.begin_dialog",
    }
)
"""Frames only a user's turn has (a stack py-spy read in part may lack aiohttp's server frames)."""
ANSWER_FRAMES = frozenset(
    {
        "CloudAdapterBase.continue_conversation",
        "ChatDialog.answer",
        "ChatAnswer.answer",
        "AnswerStream.__aenter__",
    }
)
"""Frames of an answer's own turn (besides the continuation in bots/background_answers.py)."""
ANSWER_END_FRAMES = frozenset(
    {"AnswerStream.__aexit__", "AnswerStream.end", "TurnStateSaver.save", "trim_history"}
)
"""Frames of an answer's turn once the answer is complete."""


def phase_of(stack: list[Frame]) -> str:
    """Which piece of work a sampled stack belongs to (see the module docstring)."""
    functions = [frame.function for frame in stack]
    if functions[0].startswith("Thread._bootstrap"):
        return STORAGE_THREAD
    if any(frame.file.endswith("aiohttp/web_protocol.py") for frame in stack):
        return INBOUND
    if INBOUND_FRAMES.intersection(functions):
        return INBOUND
    if any(function.startswith("UpdateSender.") for function in functions):
        return STREAM_SENDS
    if any(function.startswith("ModelFeed.") for function in functions):
        return MODEL
    if ANSWER_FRAMES.intersection(functions) or any("answer_turn" in function for function in functions):
        return ANSWER_END if ANSWER_END_FRAMES.intersection(functions) else ANSWER_OPENING
    if functions[-1].endswith("Selector.select"):
        return IDLE
    return OTHER


def _below_event_loop(stack: list[Frame]) -> list[Frame]:
    """The frames of the running task or callback: those below the event loop's `Handle._run`."""
    for index in range(len(stack) - 1, -1, -1):
        if stack[index].function == "Handle._run":
            return stack[index + 1 :]
    return stack


def read_stacks(collapsed: Path) -> Iterator[tuple[list[Frame], int]]:
    """Each sampled stack (root first, without py-spy's process frame) and how many samples it had."""
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        frames = [Frame(text) for text in stack.split(";") if not text.startswith("process ")]
        if frames:
            yield frames, int(number)


def _top(counts: Counter[str], total: Counter[str], samples: int, count: int) -> list[dict[str, Any]]:
    return [
        {"function": name, "self_pct": 100 * counts[name] / samples, "total_pct": 100 * total[name] / samples}
        for name, _ in counts.most_common(count)
    ]


LIBRARIES_ONLY = "(libraries only: aiohttp's server, the event loop)"


def _deepest_ours(stack: list[Frame]) -> str:
    """The last of our functions on the stack: the one whose call the sample's time went to."""
    ours = [frame for frame in _below_event_loop(stack) if frame.ours]
    return ours[-1].name if ours else LIBRARIES_ONLY


def summary(collapsed: Path, count: int = 15) -> dict[str, Any]:
    """Where the samples went: phases; the top functions overall and on the path before the first
    send; on that path, our functions by total time and each sample charged to the deepest of our
    functions on its stack. Shares are of all samples."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    path_own: Counter[str] = Counter()
    path_ours: Counter[str] = Counter()
    path_deepest: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    samples = 0
    for stack, weight in read_stacks(collapsed):
        samples += weight
        phase = phase_of(stack)
        phases[phase] += weight
        own[stack[-1].located] += weight
        for name in {frame.located for frame in stack}:
            total[name] += weight
        if phase in ON_PATH:
            path_own[stack[-1].located] += weight
            for name in {frame.name for frame in _below_event_loop(stack) if frame.ours}:
                path_ours[name] += weight
            path_deepest[_deepest_ours(stack)] += weight
    if not samples:
        return {
            "samples": 0,
            "phases": {},
            "top_self": [],
            "top_on_path": [],
            "ours_on_path": [],
            "deepest_ours": [],
        }
    order = (*ON_PATH, ANSWER_END, MODEL, STORAGE_THREAD, IDLE, OTHER)
    return {
        "samples": samples,
        "phases": {phase: 100 * phases[phase] / samples for phase in order if phases[phase]},
        "on_path_pct": 100 * sum(phases[phase] for phase in ON_PATH) / samples,
        "top_self": _top(own, total, samples, count),
        "top_on_path": _top(path_own, total, samples, count),
        "ours_on_path": [
            {"function": name, "total_pct": 100 * weight / samples}
            for name, weight in path_ours.most_common(count)
        ],
        "deepest_ours": [
            {"function": name, "pct": 100 * weight / samples}
            for name, weight in path_deepest.most_common(count)
        ],
    }


def start_profile(pid: int, seconds: float, output: Path) -> subprocess.Popen[bytes]:
    """Start sampling `pid` (and its children) for at most `seconds` into `output` (collapsed stacks)."""
    beside_python = Path(sys.executable).parent / "py-spy"  # Installed into the running venv.
    py_spy = str(beside_python) if beside_python.exists() else shutil.which("py-spy")
    if py_spy is None:
        raise RuntimeError("py-spy is not installed: pip install -r benchmarks/requirements.txt")
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds)))]
    command += ["--rate", str(SAMPLE_RATE), "--nonblocking", "--subprocesses", "--full-filenames"]
    command += ["--format", "raw", "--output", str(output)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profile(profiler: subprocess.Popen[bytes]) -> None:
    """End sampling now; py-spy writes what it has on SIGINT, as on Ctrl-C."""
    if profiler.poll() is None:
        profiler.send_signal(signal.SIGINT)
    profiler.wait(STOP_TIMEOUT)
