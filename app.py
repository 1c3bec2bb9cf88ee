"""The bot's web host.

A message's way through the bot:
    POST /api/messages  ->  host.MessagesEndpoint (checks the request)
    ->  CloudAdapter.process_activity (authentication, middleware, TurnContext)
    ->  bots.ChatBot (state, welcome)  ->  dialogs.MainDialog  ->  a command's dialog, or dialogs.ChatDialog
    ->  llm model (streams the answer)  ->  streaming.AnswerStream  ->  the channel

Run it with `python app.py` (development), or in production under gunicorn with aiohttp's worker:
    gunicorn app:init_app --worker-class aiohttp.GunicornWebWorker --bind 0.0.0.0:3978
"""

from __future__ import annotations

import asyncio
import logging
import sys

from aiohttp import web
from botbuilder.core import ConversationState, UserState
from botbuilder.integration.aiohttp import CloudAdapter

from bots import ChatBot, GroupMentionMiddleware, TurnStateSaver
from config import ConfigError, DefaultConfig
from connector import ConnectorHttp, ReusingBotFrameworkAuthentication
from dialogs import ChatAnswerer, ChatDialog, ChatSettings, MainDialog, ResetDialog, SettingsDialog
from dialogs.chat_history import HISTORY_PROPERTY
from dialogs.user_profile import PROFILE_PROPERTY
from host import MessagesEndpoint, json_errors, on_turn_error
from host.health import Readiness, healthz
from host.runtime import tune_garbage_collector
from llm import ChatModel, create_chat_model
from llm.circuit_breaker import CircuitBreakerModel
from llm.moderation import OpenAIModeration
from observability import BotMetrics, TurnLogContextMiddleware, TurnTimingMiddleware, configure_logging
from observability.telemetry import start_telemetry
from observability.telemetry_settings import TelemetrySettings
from safety import ModerationMiddleware, Moderator, UserLimitsMiddleware
from storage import StorageSettings, create_storage
from streaming import ConversationAnswers, ConversationOrderMiddleware, StreamingSettings
from streaming.answer_stream import AnswerObserver, AnswerObservers

logger = logging.getLogger("bot")

ANSWERS = web.AppKey("answers", ConversationAnswers)
"""The app's answers in progress (tests wait on `app[ANSWERS].wait_idle()`)."""


def streaming_settings(config: DefaultConfig) -> StreamingSettings:
    """The streaming engine's pace and budgets, from the configuration."""
    return StreamingSettings(
        teams_interval=config.TEAMS_STREAM_INTERVAL,
        webchat_interval=config.WEBCHAT_STREAM_INTERVAL,
        typing_interval=config.TYPING_INTERVAL,
        keepalive_interval=config.STREAM_KEEPALIVE_SECONDS,
        max_message_utf16=config.MESSAGE_MAX_UTF16,
        max_stream_seconds=config.STREAM_MAX_SECONDS,
        delivery_deadline=config.DELIVERY_DEADLINE_SECONDS,
        model_idle_timeout=config.MODEL_IDLE_TIMEOUT_SECONDS,
    )


def storage_settings(config: DefaultConfig) -> StorageSettings:
    """Which storage keeps conversation and user state, from the configuration."""
    return StorageSettings(
        kind=config.STORAGE,
        sqlite_path=config.SQLITE_PATH,
        redis_url=config.REDIS_URL,
        redis_key_prefix=config.REDIS_KEY_PREFIX,
        blob_connection_string=config.BLOB_CONNECTION_STRING,
        blob_container=config.BLOB_CONTAINER,
    )


def telemetry_settings(config: DefaultConfig) -> TelemetrySettings:
    """Where traces and metrics are exported, from the configuration (nowhere by default)."""
    return TelemetrySettings(
        service_name=config.OTEL_SERVICE_NAME,
        app_insights_connection_string=config.APPLICATIONINSIGHTS_CONNECTION_STRING,
        otlp_traces_endpoint=config.OTLP_TRACES_ENDPOINT,
        otlp_metrics_endpoint=config.OTLP_METRICS_ENDPOINT,
    )


def create_app(config: DefaultConfig, model: ChatModel | None = None) -> web.Application:
    """Wire the adapter, state, dialogs and model into an aiohttp application."""
    storage = create_storage(storage_settings(config))
    model = model or create_chat_model(config)
    conversation_state = ConversationState(storage)
    user_state = UserState(storage)
    state_saver = TurnStateSaver(conversation_state, user_state, config.HISTORY_CHAR_BUDGET)

    metrics = BotMetrics()
    if isinstance(model, CircuitBreakerModel):
        metrics.watch_circuit(lambda: model.is_open)
    telemetry = start_telemetry(telemetry_settings(config))
    observer: AnswerObserver = metrics if telemetry is None else AnswerObservers(metrics, telemetry.answers)

    connector_http = ConnectorHttp()
    adapter = CloudAdapter(ReusingBotFrameworkAuthentication(config, connector_http))
    adapter.on_turn_error = on_turn_error
    answers = ConversationAnswers(adapter, config.APP_ID, state_saver.save, state_saver.hand_over)
    adapter.use(TurnLogContextMiddleware())
    if telemetry is not None:
        adapter.use(telemetry.turn_spans)
    adapter.use(TurnTimingMiddleware(metrics))
    # Before the turn order: a group message that does not @mention the bot must not interrupt
    # the answer in progress.
    adapter.use(GroupMentionMiddleware())
    # Limits and moderation refuse a message before it interrupts the answer in progress.
    adapter.use(
        UserLimitsMiddleware(
            answers,
            max_chars=config.MAX_MESSAGE_CHARS,
            per_minute=config.USER_MESSAGES_PER_MINUTE,
            burst=config.USER_MESSAGE_BURST,
        )
    )
    moderation_service = OpenAIModeration(config) if config.MODERATION == "openai" else None
    moderator = Moderator(config.BLOCKED_TERMS, moderation_service.flagged if moderation_service else None)
    if moderator.active:
        adapter.use(ModerationMiddleware(moderator))
    adapter.use(ConversationOrderMiddleware(answers))

    answerer = ChatAnswerer(
        model,
        conversation_state,
        user_state,
        ChatSettings(config.SYSTEM_PROMPT, config.HISTORY_CHAR_BUDGET),
        streaming_settings(config),
        observer=observer,
    )
    main_dialog = MainDialog(
        ChatDialog(answerer, answers),
        SettingsDialog(user_state.create_property(PROFILE_PROPERTY)),
        ResetDialog(conversation_state.create_property(HISTORY_PROPERTY)),
    )
    bot = ChatBot(conversation_state, state_saver, main_dialog, offline=config.MODEL_PROVIDER == "offline")

    endpoint = MessagesEndpoint(adapter, bot, max_request_bytes=config.MAX_REQUEST_BYTES)
    readiness = Readiness(storage, model, config.READY_TIMEOUT_SECONDS, lambda: endpoint.accepting)
    app = web.Application(client_max_size=config.MAX_REQUEST_BYTES, middlewares=[json_errors])
    app[ANSWERS] = answers
    handle_messages = endpoint.handle if telemetry is None else telemetry.trace_requests(endpoint.handle)
    app.router.add_post("/api/messages", handle_messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readiness.handle)
    app.router.add_get("/metrics", metrics.handle)

    async def finish_answers(_app: web.Application) -> None:
        """On SIGTERM/SIGINT: take no new turns, end every open answer with a note, save state."""
        endpoint.stop_accepting()
        await answers.shutdown(config.SHUTDOWN_GRACE_SECONDS)

    async def close_connections(_app: web.Application) -> None:
        await model.close()
        await storage.close()
        if moderation_service is not None:
            await moderation_service.close()
        await connector_http.close()
        if telemetry is not None:
            await asyncio.to_thread(telemetry.shutdown)  # the answers' spans are all ended by now

    app.on_shutdown.append(finish_answers)
    app.on_cleanup.append(close_connections)
    logger.info("answering with %s", model.description)
    return app


def _read_config() -> DefaultConfig:
    """The configuration from the environment; logging set up from it, and the start-up lines an
    operator looks for."""
    config = DefaultConfig()
    configure_logging(
        json_lines=config.LOG_FORMAT == "json", level=config.LOG_LEVEL, secrets=config.secrets()
    )
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
    web.run_app(app, host=config.HOST, port=config.PORT)
    logger.info("stopped")


if __name__ == "__main__":
    main()
