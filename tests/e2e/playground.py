"""End-to-end harness: run the Microsoft 365 Agents Playground on loopback, against the bot (which
`tests.support.bot_process.BotProcess` runs).

The Playground (npm ``@microsoft/m365agentsplayground``) is a real Teams client: it plays the
Bot Connector service for the bot and renders a Teams chat. Besides its web UI it has a small
test API that needs no browser, and this module drives that API:

* ``POST /_conversation/v1/conversations/{convId}/messages`` sends a user message;
* the WebSocket ``/_ws_conversation/v1/conversations/stream`` pushes what the chat shows
  (frames ``{"action": "createMessage" | "updateMessage" | "typing", ...}``);
* ``--enable-events-recording`` writes every request between bot and Playground to
  ``<cwd>/devTools/events_recording_<timestamp>.log``.

Everything binds and targets 127.0.0.1 only: the Playground listens on all interfaces by
default, so it is started with the ``loopback.cjs`` preload. Every wait has a deadline and
polls a condition; nothing sleeps for a fixed time. The Playground runs in its own process group
(`tests.support.processes`) and is killed by PID (group) when the context manager exits, on failure too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import aiohttp

from benchmarks.serving import LOOPBACK, free_port
from tests.support.processes import HarnessError, ManagedProcess, StartedInWith

E2E_DIR = Path(__file__).resolve().parent
REPO_DIR = E2E_DIR.parent.parent
PLAYGROUND_CLI = E2E_DIR / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
LOOPBACK_PRELOAD = E2E_DIR / "loopback.cjs"

Frame = dict[str, Any]


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """GET ``url`` and return ``(status, body)``; HTTP error statuses are returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def http_post_json(url: str, payload: Any, timeout: float = 10.0) -> tuple[int, Any]:
    """POST ``payload`` as JSON and return ``(status, decoded JSON body or None)``."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode(errors="replace")
    return status, body


def listening_addresses(pids: Sequence[int]) -> set[tuple[str, int]]:
    """The ``(address, port)`` of every listening TCP socket held by ``pids`` (from ``/proc``).

    Used to prove that the processes under test listen on 127.0.0.1 only.
    """
    inodes: set[str] = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
    found: set[tuple[str, int]] = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state != "0A" or inode not in inodes:  # 0A = LISTEN
                    continue
                hex_addr, hex_port = local.split(":")
                raw = bytes.fromhex(hex_addr)
                # /proc prints the address as 32-bit words in host (little-endian) order.
                raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                found.add((socket.inet_ntop(family, raw), int(hex_port, 16)))
    return found


@dataclass
class BotReply:
    """One bot bubble as the Playground showed it, built from WebSocket frames.

    ``frames`` are every ``createMessage``/``updateMessage`` frame for the bubble's
    ``message_id`` in arrival order; ``typing`` counts bare typing-indicator frames seen
    while waiting.
    """

    message_id: str
    frames: list[Frame] = field(default_factory=list)
    typing: int = 0

    @property
    def final(self) -> Frame:
        """The last frame's ``message`` (the bubble's final state)."""
        return self.frames[-1]["message"]

    @property
    def text(self) -> str:
        """The bubble's final text."""
        return str(self.final.get("text") or "")

    @property
    def actions(self) -> list[str]:
        """The frames' actions, e.g. ``["createMessage", "updateMessage", ...]``."""
        return [f["action"] for f in self.frames]

    @property
    def stream_types(self) -> list[str | None]:
        """Each frame's ``streamEntity.streamType`` (None for a frame without stream info)."""
        return [(f["message"].get("streamEntity") or {}).get("streamType") for f in self.frames]

    @property
    def texts(self) -> list[str]:
        """Each frame's text, in order: how the bubble grew."""
        return [str(f["message"].get("text") or "") for f in self.frames]


def is_final_frame(frame: Frame) -> bool:
    """Tell whether a frame completes a bubble.

    A streamed answer ends with an ``updateMessage`` whose ``streamEntity.streamType`` is
    ``final``; a plain (non-streamed) message is complete in its ``createMessage`` (no
    ``streamEntity``).
    """
    if frame.get("action") not in ("createMessage", "updateMessage"):
        return False
    stream = frame.get("message", {}).get("streamEntity")
    if not stream:
        return frame["action"] == "createMessage"
    return stream.get("streamType") == "final"


def in_conversation(frame: Frame, conversation_id: str) -> bool:
    """Tell whether a frame belongs to ``conversation_id``.

    In a Teams channel every post starts its own conversation ``"<channel id>;messageid=<id>"``
    and replies in that thread carry it as ``actionConversationId``, so those count as well.
    """
    frame_conversation = str(frame.get("actionConversationId") or "")
    return frame_conversation == conversation_id or frame_conversation.startswith(f"{conversation_id};")


class ConversationStream:
    """Client of the Playground's conversation WebSocket, which mirrors the chat pane.

    The Playground buffers frames while no client is connected and flushes them to the next
    one, so ``drain`` reads and keeps those stale frames first; a test then sends its message
    and picks its bubble by the ``messageId`` of the first bot ``createMessage``.
    """

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, bot_id: str | None) -> None:
        """Wrap an open WebSocket; ``bot_id`` identifies frames sent by the bot."""
        self.ws = ws
        self.bot_id = bot_id
        self.frames: list[Frame] = []
        self.drained: list[Frame] = []

    async def next_frame(self, limit: float) -> Frame:
        """Return the next frame (decoded JSON); raise ``TimeoutError`` after ``limit`` s."""
        msg = await self.ws.receive(timeout=limit)
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            raise HarnessError(f"Playground closed the conversation WebSocket: {msg!r}")
        data = msg.data if isinstance(msg.data, str) else bytes(msg.data).decode()
        frame: Frame = json.loads(data)
        self.frames.append(frame)
        return frame

    async def drain(self, quiet: float = 0.3, limit: float = 10.0) -> list[Frame]:
        """Read buffered frames until none arrives for ``quiet`` s (at most ``limit`` s)."""
        deadline = time.monotonic() + limit
        drained: list[Frame] = []
        while time.monotonic() < deadline:
            try:
                drained.append(await self.next_frame(min(quiet, deadline - time.monotonic())))
            except TimeoutError:
                break
        self.drained.extend(drained)
        return drained

    def _from_bot(self, frame: Frame) -> bool:
        sender = frame.get("message", {}).get("from", {}).get("id")
        return self.bot_id is None or sender == self.bot_id

    async def wait_for_reply(
        self,
        conversation_id: str,
        *,
        limit: float = 30.0,
        final: Callable[[Frame], bool] = is_final_frame,
    ) -> BotReply:
        """Collect the next bot bubble in ``conversation_id`` until its final frame.

        The bubble is the first bot ``createMessage`` in that conversation; later
        ``updateMessage`` frames with its ``messageId`` are added until ``final`` is true.
        Raises ``TimeoutError`` (with what was seen) if that does not happen in ``limit`` s.
        """
        deadline = time.monotonic() + limit
        reply: BotReply | None = None
        typing = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"no final bot message in {conversation_id} within {limit} s; "
                    f"frames so far: {json.dumps(self.frames)[-4000:]}"
                )
            try:
                frame = await self.next_frame(remaining)
            except TimeoutError:
                continue  # reported with context at the top of the loop
            if not in_conversation(frame, conversation_id):
                continue
            action = frame.get("action")
            if action == "typing":
                typing += 1
                continue
            if not self._from_bot(frame):
                continue
            message_id = frame.get("message", {}).get("messageId")
            if reply is None:
                if action != "createMessage":
                    continue  # an update of an older bubble
                reply = BotReply(message_id=message_id)
            elif message_id != reply.message_id:
                continue
            reply.frames.append(frame)
            if final(frame):
                reply.typing = typing
                return reply


class LogStream:
    """Collects the Playground's log panel (WebSocket ``/_ws/log/stream``) in the background.

    Items are ``{"logAction": "appendLog", "log": {...}}``; a ``log`` of ``"type": "bot"`` is one
    exchange between the bot and the Playground with its ``response.statusCode``; ``"type":
    "text"`` is a notice; ``"type": "error"`` is what the UI shows as an error. Items logged
    while no client was connected are flushed to the next one, so a new ``LogStream`` also
    sees what happened before it opened.
    """

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Start collecting from an open WebSocket."""
        self.ws = ws
        self.items: list[dict[str, Any]] = []
        self._task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.items.append(json.loads(msg.data))

    async def close(self) -> None:
        """Stop collecting."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def logs(self) -> list[dict[str, Any]]:
        """The ``log`` objects collected so far."""
        return [item["log"] for item in self.items if item.get("logAction") == "appendLog" and "log" in item]

    def errors(self) -> list[dict[str, Any]]:
        """Log entries that show a problem: errors, and exchanges answered 4xx/5xx."""
        bad = []
        for log in self.logs():
            status = (log.get("response") or {}).get("statusCode")
            if log.get("type") == "error" or (isinstance(status, int) and status >= 400):
                bad.append(log)
        return bad


# -- the events recording ---------------------------------------------------------------------

#: ``direction`` of a recorded request the bot made to the Playground (its Bot Connector).
FROM_BOT = "User Application -> Microsoft 365 Agents Playground"
#: ``direction`` of a recorded request the Playground made to the bot (``POST /api/messages``).
TO_BOT = "Microsoft 365 Agents Playground -> User Application"


def block_in_conversation(block: dict[str, Any], conversation_id: str) -> bool:
    """Tell whether a recorded exchange belongs to ``conversation_id`` (or a channel thread of it)."""
    conversation = str(block.get("conversationId") or "")
    if not conversation:
        body = block.get("request", {}).get("body") or {}
        conversation = str((body.get("conversation") or {}).get("id") or "")
    return conversation == conversation_id or conversation.startswith(f"{conversation_id};")


def error_exchanges(blocks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Recorded exchanges, in either direction, that were answered with a 4xx or 5xx status."""
    return [b for b in blocks if int((b.get("response") or {}).get("statusCode") or 0) >= 400]


def stream_info(activity: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``streaminfo`` entity of an activity, or None."""
    return next((e for e in activity.get("entities") or [] if e.get("type") == "streaminfo"), None)


@dataclass
class Turn:
    """One user message and what the bot did about it, from the events recording.

    ``request`` is the user's activity as the bot got it; ``response`` is the bot's HTTP answer
    (``statusCode``, ``body``); ``calls`` are the bot's connector calls that followed, until the
    next user message in that conversation, sorted by time. Each call has ``request.body``
    (the activity), ``response.statusCode`` and ``timestamp`` (ms, when the Playground got it).
    """

    request: dict[str, Any]
    response: dict[str, Any]
    timestamp: int
    calls: list[dict[str, Any]]

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The activities the bot sent through the connector, in order."""
        return [c["request"]["body"] for c in self.calls]

    @property
    def statuses(self) -> list[int]:
        """The Playground's answer status to each of the bot's calls."""
        return [int(c["response"].get("statusCode") or 0) for c in self.calls]


class Playground(StartedInWith):
    """Run the Microsoft 365 Agents Playground on a free loopback port, in a temporary cwd.

    Use as a context manager (or ``start``/``stop``). It needs ``npm ci`` to have been run in
    ``tests/e2e`` (see ``package.json``). The Playground keeps all chat history in memory for
    its lifetime: put a unique marker in each test message.
    """

    def __init__(
        self,
        bot_endpoint: str,
        *,
        channel: str = "msteams",
        port: int | None = None,
        delivery_mode: str | None = None,
        conversation_id: str | None = None,
        config_file: Path | None = None,
        extra_env: Mapping[str, str] | None = None,
        startup_timeout: float = 30.0,
        attempts: int = 3,
    ) -> None:
        """Configure the Playground.

        ``channel`` is its ``-c`` (msteams, directline, webchat, emulator, agents);
        ``delivery_mode`` ``"expectReplies"`` makes it send that delivery mode;
        ``config_file`` is a ``.m365agentsplayground.yml`` (mock users, chats, teams).
        ``attempts`` bounds retries when the chosen port was taken before the Playground
        bound it (it would silently move to another port, breaking ``--service-url``).
        """
        self.bot_endpoint = bot_endpoint
        self.channel = channel
        self.requested_port = port
        self.delivery_mode = delivery_mode
        self.conversation_id = conversation_id
        self.config_file = config_file
        self.extra_env = dict(extra_env or {})
        self.startup_timeout = startup_timeout
        self.attempts = attempts
        self.cwd = Path(tempfile.mkdtemp(prefix="e2e-playground-"))
        self.port = 0
        self.process: ManagedProcess | None = None
        self._config: dict[str, Any] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def _argv(self, port: int) -> list[str]:
        argv = [
            "node",
            "-r",
            str(LOOPBACK_PRELOAD),
            str(PLAYGROUND_CLI),
            "start",
            "-e",
            self.bot_endpoint,
            "-c",
            self.channel,
            "-p",
            str(port),
            "--service-url",
            f"http://{LOOPBACK}:{port}/_connector",
            "--disable-telemetry",
            "--enable-events-recording",
        ]
        if self.delivery_mode:
            argv += ["--delivery-mode", self.delivery_mode]
        if self.conversation_id:
            argv += ["--conversation-id", self.conversation_id]
        return argv

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["TEAMSAPPTESTER_BROWSER"] = "none"  # never try to open a browser
        env.pop("BOT_ENDPOINT", None)  # -e decides
        if self.config_file is not None:
            env["M365_AGENTS_PLAYGROUND_CONFIG_PATH"] = str(self.config_file)
        env.update(self.extra_env)
        return env

    def _listening_port(self, process: ManagedProcess) -> int | None:
        match = re.search(r"Listening on (\d+)", process.output())
        return int(match.group(1)) if match else None

    def start(self) -> Self:
        """Start the Playground and wait until ``GET /_debug/ping`` answers ``pong``."""
        if not PLAYGROUND_CLI.exists():
            raise HarnessError(f"{PLAYGROUND_CLI} is missing: run `npm ci` in {E2E_DIR}")
        for attempt in range(1, self.attempts + 1):
            port = self.requested_port or free_port()
            process = ManagedProcess("Playground", self.cwd / f"playground-{attempt}.log")
            process.spawn(self._argv(port), cwd=self.cwd, env=self._env())
            self.process = process
            process.wait_until(
                lambda p=process: self._listening_port(p) is not None,
                timeout=self.startup_timeout,
                what="'Listening on <port>'",
            )
            if self._listening_port(process) == port:
                self.port = port
                break
            # The port was taken meanwhile and the Playground moved: its --service-url is
            # wrong now, so start over on another port.
            process.stop()
            if self.requested_port or attempt == self.attempts:
                raise HarnessError(f"Playground did not get port {port}:\n{process.output()[-2000:]}")
        assert self.process is not None
        self.process.wait_until(
            lambda: self._ping(),
            timeout=self.startup_timeout,
            what="pong from /_debug/ping",
        )
        return self

    def _ping(self) -> bool:
        try:
            status, body = http_get(f"{self.base_url}/_debug/ping", timeout=1.0)
        except OSError:
            return False
        return status == 200 and body.strip() == b"pong"

    def stop(self) -> None:
        """Stop the Playground's process group; its cwd (logs, recording) stays until ``cleanup``."""
        if self.process is not None:
            self.process.stop()

    def cleanup(self) -> None:
        """Stop the Playground and delete its temporary cwd (logs and recordings)."""
        self.stop()
        shutil.rmtree(self.cwd, ignore_errors=True)

    # -- addresses and configuration ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: the UI, the test API and the mock connector."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def service_url(self) -> str:
        """The Bot Connector URL the bot is told to call (``<base_url>/_connector``)."""
        return f"{self.base_url}/_connector"

    def config(self, refresh: bool = False) -> dict[str, Any]:
        """Return ``GET /_internal/v1/config``: ``{"config": {...}, "internalConfig": {...}}``."""
        if self._config is None or refresh:
            status, body = http_get(f"{self.base_url}/_internal/v1/config", timeout=5.0)
            if status != 200:
                raise HarnessError(f"/_internal/v1/config answered {status}: {body[:500]!r}")
            self._config = json.loads(body)
        return self._config

    @property
    def personal_chat_id(self) -> str:
        """Conversation id of the 1:1 chat between the current user and the bot."""
        return str(self.config()["config"]["personalChat"]["id"])

    @property
    def group_chat_ids(self) -> list[str]:
        """Conversation ids of the mock group chats (the bot only hears @mentions there)."""
        return [str(chat["id"]) for chat in self.config()["config"]["groupChats"]]

    @property
    def bot_id(self) -> str:
        """The bot's account id (``from.id`` of its messages)."""
        return str(self.config()["config"]["bot"]["id"])

    @property
    def bot_name(self) -> str:
        """The bot's display name (used in ``<at>...</at>`` mentions)."""
        return str(self.config()["config"]["bot"]["name"])

    @property
    def user_id(self) -> str:
        """The current (sending) user's id."""
        return str(self.config()["config"]["currentUser"]["id"])

    @property
    def user_name(self) -> str:
        """The current (sending) user's display name."""
        return str(self.config()["config"]["currentUser"]["name"])

    # -- test API ----------------------------------------------------------------------------

    def post_message(
        self,
        conversation_id: str,
        text: str,
        *,
        from_id: str | None = None,
        mention_bot: bool = False,
        text_format: str = "plain",
    ) -> dict[str, Any]:
        """Send a user message into a conversation, as if typed in the compose box.

        The Playground answers 200 at once and calls the bot afterwards. With
        ``mention_bot`` the text is prefixed with ``<at>{bot name}</at>`` and a mention of the
        bot is attached, which group chats and channels need for the bot to be called at all.
        Returns the Playground's answer (``{"messageId": ..., "timestamp": ...}``).
        """
        payload: dict[str, Any] = {
            "type": "text",
            "text": text,
            "textFormat": text_format,
            "from": {"id": from_id or self.user_id},
        }
        if mention_bot:
            at = f"<at>{self.bot_name}</at>"
            payload["text"] = f"{at} {text}"
            payload["mentions"] = [{"mentioned": {"id": self.bot_id}, "text": at}]
        url = f"{self.base_url}/_conversation/v1/conversations/{conversation_id}/messages"
        status, body = http_post_json(url, payload)
        if status != 200:
            raise HarnessError(f"posting a message answered {status}: {body!r}")
        return dict(body or {})

    @contextlib.asynccontextmanager
    async def conversation_stream(self, drain: bool = True) -> AsyncIterator[ConversationStream]:
        """Open the conversation WebSocket (and by default drain buffered frames first)."""
        url = f"ws://{LOOPBACK}:{self.port}/_ws_conversation/v1/conversations/stream"
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(url, heartbeat=None) as ws,
        ):
            stream = ConversationStream(ws, self.bot_id)
            if drain:
                await stream.drain()
            yield stream

    async def post_and_wait(
        self,
        stream: ConversationStream,
        conversation_id: str,
        text: str,
        *,
        limit: float = 30.0,
        **kwargs: Any,
    ) -> BotReply:
        """Post ``text`` and return the bot's reply bubble from ``stream`` within ``limit`` s.

        ``kwargs`` go to ``post_message`` (``mention_bot``, ``from_id``, ``text_format``).
        """
        await asyncio.to_thread(self.post_message, conversation_id, text, **kwargs)
        return await stream.wait_for_reply(conversation_id, limit=limit)

    @contextlib.asynccontextmanager
    async def log_stream(self) -> AsyncIterator[LogStream]:
        """Collect the log panel's items (see ``LogStream``) while the block runs."""
        url = f"ws://{LOOPBACK}:{self.port}/_ws/log/stream"
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(url, heartbeat=None) as ws,
        ):
            stream = LogStream(ws)
            try:
                yield stream
            finally:
                await stream.close()

    # -- logs --------------------------------------------------------------------------------

    def output(self) -> str:
        """The Playground's stdout/stderr so far."""
        return self.process.output() if self.process else ""

    def log_text(self) -> str:
        """The Playground's own debug log (``<cwd>/devTools/m365agentsplayground.log``)."""
        path = self.cwd / "devTools" / "m365agentsplayground.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def recording(self) -> list[dict[str, Any]]:
        """Parse the events-recording log(s): one dict per bot/Playground exchange.

        Blocks are pretty-printed JSON separated by a line ``---``. Each has ``timestamp``,
        ``conversationId``, ``direction`` (``"User Application -> Microsoft 365 Agents
        Playground"`` for the bot's connector calls, the reverse for activities sent to the
        bot), ``activityName``, ``request`` (headers, body, url, method) and ``response``
        (statusCode, body). A block is written when its response is known, so the user's
        message to the bot comes after the bot's replies made during that turn. A block being
        written while this reads is skipped.
        """
        blocks: list[dict[str, Any]] = []
        for path in sorted((self.cwd / "devTools").glob("events_recording_*.log")):
            text = path.read_text(errors="replace")
            for chunk in re.split(r"^---\s*$", text, flags=re.MULTILINE):
                if not chunk.strip():
                    continue
                try:
                    blocks.append(json.loads(chunk))
                except ValueError:
                    continue
        return blocks

    def turn(self, conversation_id: str, marker: str, *, timeout: float = 30.0) -> Turn:
        """Wait for the recording of the user message holding ``marker`` and the bot's answer.

        The answer is complete when the bot has sent a ``message`` through the connector after
        the user's message, or, with ``deliveryMode: expectReplies``, when the bot's HTTP
        response (which holds the replies) is recorded.
        """
        result: list[Turn] = []

        def is_user_message(block: dict[str, Any]) -> bool:
            body = block.get("request", {}).get("body") or {}
            return (
                block.get("direction") == TO_BOT
                and body.get("type") == "message"
                and marker in str(body.get("text", ""))
                and block_in_conversation(block, conversation_id)
            )

        def check() -> bool:
            blocks = sorted(self.recording(), key=lambda b: b.get("timestamp", 0))
            user = next((b for b in blocks if is_user_message(b)), None)
            if user is None:
                return False
            start = user["timestamp"]
            later_user = [
                b["timestamp"]
                for b in blocks
                if b.get("direction") == TO_BOT
                and b["timestamp"] > start
                and (b.get("request", {}).get("body") or {}).get("type") == "message"
                and block_in_conversation(b, conversation_id)
            ]
            end = min(later_user, default=float("inf"))
            calls = [
                b
                for b in blocks
                if b.get("direction") == FROM_BOT
                and start <= b["timestamp"] < end
                and block_in_conversation(b, conversation_id)
            ]
            expect_replies = user["request"]["body"].get("deliveryMode") == "expectReplies"
            if not expect_replies and not any(c["request"]["body"].get("type") == "message" for c in calls):
                return False
            result[:] = [Turn(user["request"]["body"], user.get("response") or {}, start, calls)]
            return True

        assert self.process is not None
        self.process.wait_until(check, timeout=timeout, what=f"a recorded answer to {marker!r}")
        return result[0]

    def save_artifacts(self, dest: Path) -> None:
        """Copy the Playground's output, debug log and events recordings into ``dest``."""
        dest.mkdir(parents=True, exist_ok=True)
        for path in self.cwd.glob("playground-*.log"):
            shutil.copy(path, dest / path.name)
        devtools = self.cwd / "devTools"
        if devtools.is_dir():
            shutil.copytree(devtools, dest / "devTools", dirs_exist_ok=True)
