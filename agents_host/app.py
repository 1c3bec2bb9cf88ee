"""The Agents SDK host: `/api/messages` on the SDK's aiohttp CloudAdapter, `/healthz` and `/metrics`.

A message's way through this host, next to botbuilder's (app.py):
    POST /api/messages  ->  the SDK's JWT check and CloudAdapter.process
    ->  middleware (log ids, turn timing, typed stop, per-user limits, moderation, one turn at a time
        per conversation)  ->  ChatAgent  ->  BackgroundAnswers (a continuation turn)
    ->  answers.ChatAnswer  ->  streaming.AnswerStream  ->  AgentsChannel  ->  the channel

It reads the same settings as the botbuilder host (`config.DefaultConfig`) and keeps state in the
same rows. Run it with `python -m agents_host`.
"""

from __future__ import annotations

import logging

from aiohttp import web
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_decorator
from pydantic import ValidationError

from answers import ChatAnswer
from config import DefaultConfig
from host import json_errors, on_turn_error
from host.health import healthz
from llm import create_chat_model, openai_client
from llm.circuit_breaker import CircuitBreakerModel
from observability import BotMetrics
from safety import moderator_for, user_limits_for
from storage import create_row_store
from streaming import ConversationScheduler

from .agent import ChatAgent
from .auth import connections
from .background_answers import BackgroundAnswers, ConversationOrderMiddleware
from .refusals import ModerationMiddleware, UserLimitsMiddleware
from .storage import AgentsStorage
from .turn_observability import TurnLogContextMiddleware, TurnTimingMiddleware
from .typed_stop import TypedStopMiddleware

logger = logging.getLogger("agents_host")

ANSWERS = web.AppKey("answers", ConversationScheduler)
"""The app's answers in progress."""


def create_app(config: DefaultConfig) -> web.Application:
    """Wire the adapter, middleware, state and model into an aiohttp application."""
    storage = AgentsStorage(create_row_store(config.storage))
    client = openai_client(config.model)  # shared by the model and the moderation check; the model closes it
    model = create_chat_model(config.model, client)
    metrics = BotMetrics()
    if isinstance(model, CircuitBreakerModel):
        metrics.watch_circuit(lambda: model.is_open)

    auth, connection_manager = connections(config)
    adapter = CloudAdapter(connection_manager=connection_manager)
    adapter.on_turn_error = on_turn_error
    answers = ConversationScheduler()
    adapter.use(TurnLogContextMiddleware())
    adapter.use(TurnTimingMiddleware(metrics))
    # A typed stop is never refused by the limits below, and does not wait behind the answer it ends.
    adapter.use(TypedStopMiddleware(answers))
    # Limits and moderation refuse a message before it interrupts the answer in progress.
    limits = user_limits_for(config.safety, config.storage, answers)
    adapter.use(UserLimitsMiddleware(limits))
    moderator = moderator_for(config.safety, client)
    if moderator.active:
        adapter.use(ModerationMiddleware(moderator))
    adapter.use(ConversationOrderMiddleware(answers))

    chat = ChatAnswer(
        model,
        config.chat,
        config.streaming,
        answer_filter=moderator if moderator.active else None,
        observer=metrics,
    )
    agent = ChatAgent(chat, storage, BackgroundAnswers(answers, adapter, limits.running_answers))

    async def messages(request: web.Request) -> web.StreamResponse:
        try:
            return await adapter.process(request, agent)
        except ValidationError as error:
            # The SDK validates the activity outside its own error handling: a 500 without this.
            return web.json_response(
                {"error": f"Not a valid activity: {error.error_count()} errors"}, status=400
            )

    async def finish_answers(_app: web.Application) -> None:
        """On SIGTERM/SIGINT: end every open answer with a note, and save its history."""
        await answers.shutdown(config.host.shutdown_grace)

    async def close_connections(_app: web.Application) -> None:
        await model.close()
        await limits.close()
        await storage.close()

    app = web.Application(client_max_size=config.host.max_request_bytes, middlewares=[json_errors])
    app[ANSWERS] = answers
    app["agent_configuration"] = auth  # where the SDK's token check finds its settings (its own key)
    app.router.add_post("/api/messages", jwt_authorization_decorator(messages))
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics.handle)
    app.on_shutdown.append(finish_answers)
    app.on_cleanup.append(close_connections)
    logger.info("answering with %s", model.description)
    return app
