"""The bot's web host.

A message's way through the bot:
    POST /api/messages  ->  host.MessagesEndpoint (checks the request, authenticates it, answers 201)
    ->  host.InboundTurns (the turn in the background, in its conversation's order)
    ->  CloudAdapter.process_activity (middleware, TurnContext)
    ->  bots.ChatBot (state, welcome)  ->  dialogs.MainDialog  ->  a command's dialog, or dialogs.ChatDialog
    ->  bots.BackgroundAnswers (shows "Thinking…" at once)  ->  streaming.ConversationScheduler
        (the answer in a turn of its own, in order)
    ->  answers.ChatAnswer  ->  llm model (streams the answer)  ->  streaming.AnswerStream
    ->  channels.TurnContextChannel  ->  the channel

A notification's way (when NOTIFY_API_KEY is set):
    POST /api/notify  ->  proactive.NotifyEndpoint  ->  proactive.Notifier (a job, in the background)
    ->  bots.ProactiveTurns (the stored reference, adapter.continue_conversation, in the scheduler's order)
    ->  a message, or dialogs.ChatDialog.answer  ->  ... as above

Run it with `python app.py` (development), or in production under gunicorn with aiohttp's worker:
    gunicorn app:init_app --worker-class aiohttp.GunicornWebWorker --bind 0.0.0.0:3978
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from botbuilder.core import ConversationState, UserState
from botbuilder.integration.aiohttp import CloudAdapter

from answers import ChatAnswer
from answers.tools import Tool
from bots import (
    AnswerRecovery,
    BackgroundAnswers,
    ChatBot,
    ConversationOrderMiddleware,
    FeedbackInvokes,
    GroupMentionMiddleware,
    TurnStateSaver,
    TypedStopMiddleware,
)
from bots.conversation_references import ConversationReferenceMiddleware
from bots.proactive_turns import ProactiveTurns
from config import ConfigError, DefaultConfig
from connector import ConnectorHttp, ReusingBotFrameworkAuthentication
from dialogs import HISTORY_PROPERTY, ChatDialog, MainDialog, ResetDialog, SettingsDialog
from dialogs.user_profile import PROFILE_PROPERTY
from feedback import FeedbackObserver, FeedbackRecorder
from host import MessagesEndpoint, json_errors, on_turn_error
from host.health import Readiness, healthz
from host.inbound_turns import InboundTurns
from host.runtime import tune_garbage_collector
from knowledge import Fts5Retriever, KnowledgeTool
from llm import create_chat_model, openai_client
from llm.circuit_breaker import CircuitBreakerModel
from mcp_tools import McpServers
from observability import BotMetrics, TurnLogContextMiddleware, TurnTimingMiddleware, configure_logging
from observability.telemetry import start_telemetry
from proactive import ConversationReferences, JobRecords, Notifier, NotifyEndpoint
from safety import ModerationMiddleware, UserLimitsMiddleware, moderator_for, user_limits_for
from storage import create_storage
from streaming import AnswerObserver, AnswerObservers, ConversationScheduler, SignPriority

if TYPE_CHECKING:
    from instances import RedisLeases

logger = logging.getLogger("bot")

ANSWERS = web.AppKey("answers", ConversationScheduler)
"""The app's answers in progress (tests wait on `app[ANSWERS].wait_idle()`)."""
TURNS = web.AppKey("turns", InboundTurns)
"""The app's accepted messages whose turn has not ended (tests wait on `app[TURNS].wait_idle()`)."""
MCP_SERVERS = web.AppKey("mcp_servers", McpServers)
"""The app's MCP servers (tests wait on `app[MCP_SERVERS].settled()`)."""
KNOWLEDGE = web.AppKey("knowledge", Fts5Retriever)
"""The app's own knowledge search, when it has one (tests wait on `app[KNOWLEDGE].wait_ready()`)."""
NOTIFIER = web.AppKey("notifier", Notifier)
"""The app's notification jobs, when NOTIFY_API_KEY is set (tests wait on `app[NOTIFIER].wait_idle()`)."""
REFERENCES = web.AppKey("references", ConversationReferences)
"""The conversations' references, kept in the background (tests wait on `app[REFERENCES].wait_idle()`)."""


def create_app(config: DefaultConfig, *, tools: Sequence[Tool] | None = None) -> web.Application:
    """Wire the adapter, state, dialogs and model into an aiohttp application.

    `tools` are what the model may call while it answers; by default the bot's own: the knowledge
    search over `KNOWLEDGE_DIR` when it is on (the offline model, too, answers from it). The tools of the
    MCP servers in `MCP_SERVERS` that are connected when an answer starts join them.
    """
    retriever = (
        Fts5Retriever(Path(config.knowledge.directory), base_url=config.knowledge.base_url)
        if tools is None and config.knowledge.enabled
        else None
    )
    if tools is None:
        tools = [KnowledgeTool(retriever)] if retriever is not None else []
    storage = create_storage(config.storage)
    # One `openai` client, and its connections, for the model and the moderation check; the model closes it.
    client = openai_client(config.model)
    model = create_chat_model(config.model, client)
    conversation_state = ConversationState(storage)
    user_state = UserState(storage)
    state_saver = TurnStateSaver(conversation_state, user_state, config.chat.history_char_budget)

    metrics = BotMetrics()
    if isinstance(model, CircuitBreakerModel):
        metrics.watch_circuit(lambda: model.is_open)
    telemetry = start_telemetry(config.telemetry)
    observer: AnswerObserver = metrics if telemetry is None else AnswerObservers(metrics, telemetry.answers)
    feedback_observers: list[FeedbackObserver] = [metrics]
    if telemetry is not None:
        feedback_observers.append(telemetry.feedback)
    mcp_servers = _mcp_servers(config)

    connector_http = ConnectorHttp()
    adapter = CloudAdapter(ReusingBotFrameworkAuthentication(config, connector_http))
    adapter.on_turn_error = on_turn_error
    recovery = AnswerRecovery(
        adapter,
        config.APP_ID,
        conversation_state,
        state_saver,
        config.streaming,
        marks=config.chat.marks,
        observer=observer,
        history_budget=config.chat.history_char_budget,
    )
    shared_leases = _shared_leases(config, recovery)
    answers = ConversationScheduler(shared_leases)
    # Each message's first sign goes out before the work that can wait (see streaming/sign_priority.py).
    priority = SignPriority()
    turns = InboundTurns(priority)
    adapter.use(TurnLogContextMiddleware())
    if telemetry is not None:
        adapter.use(telemetry.turn_spans)
    adapter.use(TurnTimingMiddleware(metrics))
    # Before the turn order: a group message that does not @mention the bot must not interrupt
    # the answer in progress.
    adapter.use(GroupMentionMiddleware())
    # A typed stop is never refused by the limits below, and does not wait behind the answer it ends.
    adapter.use(TypedStopMiddleware(answers))
    # Limits and moderation refuse a message before it interrupts the answer in progress.
    limits = user_limits_for(config.safety, config.storage, answers)
    adapter.use(UserLimitsMiddleware(limits))
    moderator = moderator_for(config.safety, client)
    if moderator.active:
        adapter.use(ModerationMiddleware(moderator))
    # Every turn that gets this far keeps its conversation's reference, for notifications (after the
    # limits: a refused message, or a slow store the limits already found, costs no storage write),
    # in the background once the turn has run.
    references = ConversationReferences(storage)
    adapter.use(ConversationReferenceMiddleware(references))
    adapter.use(ConversationOrderMiddleware(answers))

    chat = ChatAnswer(
        model,
        config.chat,
        config.streaming,
        answer_filter=moderator if moderator.active else None,
        observer=observer,
        tools=lambda: (*tools, *mcp_servers.tools()),
    )
    background = BackgroundAnswers(
        answers,
        adapter,
        config.APP_ID,
        state_saver.save,
        state_saver.hand_over,
        running_answers=limits.running_answers,
        priority=priority,
    )
    chat_dialog = ChatDialog(chat, conversation_state, user_state, background)
    main_dialog = MainDialog(
        chat_dialog,
        SettingsDialog(user_state.create_property(PROFILE_PROPERTY)),
        ResetDialog(conversation_state.create_property(HISTORY_PROPERTY)),
    )
    recorder = FeedbackRecorder(storage.write, feedback_observers)
    feedback = FeedbackInvokes(recorder, config.chat.marks.feedback)
    bot = ChatBot(
        conversation_state, state_saver, main_dialog, feedback, offline=config.model.provider == "offline"
    )

    host = config.host
    endpoint = MessagesEndpoint(adapter, bot, turns, max_request_bytes=host.max_request_bytes)
    readiness = Readiness(
        storage,
        model,
        host.ready_timeout,
        lambda: endpoint.accepting,
        information=_information(retriever, mcp_servers),
    )
    app = web.Application(client_max_size=host.max_request_bytes, middlewares=[json_errors])
    app[ANSWERS] = answers
    app[TURNS] = turns
    app[MCP_SERVERS] = mcp_servers
    app[REFERENCES] = references
    if retriever is not None:
        app[KNOWLEDGE] = retriever
    handle_messages = endpoint.handle if telemetry is None else telemetry.trace_requests(endpoint.handle)
    app.router.add_post("/api/messages", handle_messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readiness.handle)
    app.router.add_get("/metrics", metrics.handle)
    notifier: Notifier | None = None
    if config.notify.api_key:  # Without a key the notification API does not exist (404).
        records = JobRecords(storage)
        proactive_turns = ProactiveTurns(
            answers,
            adapter,
            config.APP_ID,
            chat_dialog,
            state_saver.save,
            delivery_deadline=config.streaming.delivery_deadline,
        )
        notifier = Notifier(
            references, records, proactive_turns.deliver, concurrency=config.notify.concurrency
        )
        notify = NotifyEndpoint(
            config.notify.api_key,
            notifier,
            records,
            max_text_utf16=config.streaming.max_message_utf16,
            max_prompt_chars=config.safety.max_message_chars,
            accepting=lambda: endpoint.accepting,
        )
        app[NOTIFIER] = notifier
        app.router.add_post("/api/notify", notify.submit)
        app.router.add_get("/api/notify/{job}", notify.status)

    async def start_background_work(_app: web.Application) -> None:
        """The knowledge index and the MCP servers get ready in the background: the bot serves,
        and answers, while they do."""
        if retriever is not None:
            retriever.start()
        mcp_servers.start()
        if shared_leases is not None:
            shared_leases.start()

    async def finish_answers(_app: web.Application) -> None:
        """On SIGTERM/SIGINT: take no new turns, end every open answer with a note, save state."""
        endpoint.stop_accepting()
        await answers.shutdown(host.shutdown_grace)  # from here on, a message's turn starts no answer
        await turns.shutdown(host.shutdown_grace)
        if notifier is not None:
            await notifier.shutdown(host.shutdown_grace)  # the rest of each job: not sent, and recorded

    async def close_connections(_app: web.Application) -> None:
        # The last turns ended before this (aiohttp waits for its handlers): their references go out
        # before the storage closes.
        await references.flush(host.shutdown_grace)
        if shared_leases is not None:
            await shared_leases.close()
        await mcp_servers.close()
        await model.close()
        await limits.close()
        await storage.close()
        await connector_http.close()
        if retriever is not None:
            await asyncio.to_thread(retriever.close)
        if telemetry is not None:
            await asyncio.to_thread(telemetry.shutdown)  # the answers' spans are all ended by now

    app.on_startup.append(start_background_work)
    app.on_shutdown.append(finish_answers)
    app.on_cleanup.append(close_connections)
    logger.info("answering with %s", model.description)
    return app


def _information(retriever: Fts5Retriever | None, mcp_servers: McpServers) -> dict[str, Callable[[], object]]:
    """What /readyz reports besides its checks: the knowledge base and the MCP servers, when there are any."""
    information: dict[str, Callable[[], object]] = {}
    if retriever is not None:
        information["knowledge"] = retriever.report
    if mcp_servers.connections:
        information["mcp_servers"] = mcp_servers.report
    return information


def _shared_leases(config: DefaultConfig, recovery: AnswerRecovery) -> RedisLeases | None:
    """The conversation leases the instances on one Redis share; None: this process orders its own
    conversations (`STORAGE` other than redis, see README "Running several instances")."""
    if config.storage.kind == "redis":
        from instances import RedisLeases  # loaded only when used: see instances/__init__.py

        storage = config.storage
        return RedisLeases(storage.redis_url, storage.redis_key_prefix, config.instances, recovery)
    if config.storage.kind == "blob":
        logger.warning(
            "STORAGE=blob: this process orders only its own answers; if several instances serve the "
            "bot, a message on one does not end the answer another gives (use STORAGE=redis)"
        )
    return None


def _mcp_servers(config: DefaultConfig) -> McpServers:
    """The MCP servers to connect to: none for the offline stand-in, which calls only the knowledge search."""
    servers = config.mcp.servers
    if servers and config.model.provider == "offline":
        logger.warning("MCP_SERVERS is set, but the offline model calls no MCP tool: none is started")
        return McpServers(())
    return McpServers(servers)


def _read_config() -> DefaultConfig:
    """The configuration from the environment; logging set up from it, and the start-up lines an
    operator looks for."""
    config = DefaultConfig()
    configure_logging(config.logging)
    if config.APP_ID:
        logger.info("requests are authenticated: MicrosoftAppId %s (%s)", config.APP_ID, config.APP_TYPE)
    else:
        logger.info("MicrosoftAppId is not set: requests are not authenticated (local development only)")
    return config


async def init_app() -> web.Application:
    """The application factory for gunicorn's aiohttp worker (`gunicorn app:init_app ...`).

    A configuration error stops gunicorn: a worker that exits with gunicorn's WORKER_BOOT_ERROR (3)
    makes the master halt with "Worker failed to boot" instead of starting workers again and again.
    """
    try:
        config = _read_config()
    except ConfigError as error:
        logger.error("Configuration error: %s", error)
        raise SystemExit(3) from None
    app = create_app(config)
    tune_garbage_collector()
    return app


def main() -> None:
    """`python app.py`: read the configuration, then serve until stopped."""
    try:
        config = _read_config()
    except ConfigError as error:
        sys.exit(f"Configuration error: {error}")
    app = create_app(config)
    tune_garbage_collector()
    web.run_app(app, host=config.host.host, port=config.host.port)
    logger.info("stopped")


if __name__ == "__main__":
    main()
