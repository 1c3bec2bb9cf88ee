"""The Agents SDK host: `/api/messages` on the SDK's aiohttp CloudAdapter, `/healthz` and `/metrics`.

A message's way through this host, next to botbuilder's (app.py):
    POST /api/messages  ->  the SDK's JWT check and CloudAdapter.process
    ->  middleware (log ids, turn timing, typed stop, per-user limits, moderation, one turn at a time
        per conversation)  ->  ChatAgent  ->  BackgroundAnswers (a continuation turn)
    ->  answers.ChatAnswer (with the knowledge search tool)  ->  streaming.AnswerStream
    ->  AgentsChannel  ->  the channel
A feedback invoke goes from ChatAgent to FeedbackInvokes, which stores it in the state storage.

It reads the same settings as the botbuilder host (`config.DefaultConfig`) and keeps state in the
same rows. Run it with `python -m agents_host`.
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from pathlib import Path

from aiohttp import web
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_decorator
from pydantic import ValidationError

from answers import ChatAnswer
from config import DefaultConfig
from feedback import FeedbackRecorder
from host import json_errors, on_turn_error
from host.health import healthz
from knowledge import Fts5Retriever, KnowledgeTool
from llm import create_chat_model, openai_client
from llm.circuit_breaker import CircuitBreakerModel
from observability import BotMetrics
from safety import moderator_for, user_limits_for
from storage import create_row_store
from streaming import ConversationScheduler

from .agent import ChatAgent
from .auth import connections
from .background_answers import BackgroundAnswers, ConversationOrderMiddleware
from .feedback import FeedbackInvokes
from .refusals import ModerationMiddleware, UserLimitsMiddleware
from .storage import AgentsStorage
from .turn_observability import TurnLogContextMiddleware, TurnTimingMiddleware
from .typed_stop import TypedStopMiddleware

logger = logging.getLogger("agents_host")

ANSWERS = web.AppKey("answers", ConversationScheduler)
"""The app's answers in progress."""


def create_app(config: DefaultConfig) -> web.Application:
    """Wire the adapter, middleware, state, model and tools into an aiohttp application.

    The model may search the knowledge base over `KNOWLEDGE_DIR` when it is on (the offline model,
    too, answers from it), as on the botbuilder host; MCP servers are the botbuilder host's only.
    """
    retriever = (
        Fts5Retriever(Path(config.knowledge.directory), base_url=config.knowledge.base_url)
        if config.knowledge.enabled
        else None
    )
    if config.mcp.servers:
        logger.warning(
            "MCP_SERVERS is set, but the Agents SDK host has no MCP client: their tools are left out"
        )
    if config.notify.api_key:
        logger.warning("NOTIFY_API_KEY is set, but the Agents SDK host does not serve /api/notify")
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
        tools=[KnowledgeTool(retriever)] if retriever is not None else [],
    )
    feedback = FeedbackInvokes(
        FeedbackRecorder(storage.write_documents, [metrics]), config.chat.marks.feedback
    )
    agent = ChatAgent(chat, storage, BackgroundAnswers(answers, adapter, limits.running_answers), feedback)

    async def messages(request: web.Request) -> web.StreamResponse:
        try:
            response = await adapter.process(request, agent)
        except ValidationError as error:
            # The SDK validates the activity outside its own error handling: a 500 without this.
            return web.json_response(
                {"error": f"Not a valid activity: {error.error_count()} errors"}, status=400
            )
        if response.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            # The SDK's only 5xx: 501 for an invoke that got no invoke response, because its turn
            # failed (`on_turn_error` logged it and told the user). A 5xx would show the user
            # "Unable to reach app"; the botbuilder host answers such an invoke 400 too.
            logger.info("an invoke's turn failed before it was answered: %d", response.status)
            return web.json_response({"error": "The bot could not answer this invoke."}, status=400)
        return response

    async def start_background_work(_app: web.Application) -> None:
        """The knowledge index gets ready in the background: the host serves, and answers, while it does."""
        if retriever is not None:
            retriever.start()

    async def finish_answers(_app: web.Application) -> None:
        """On SIGTERM/SIGINT: end every open answer with a note, and save its history."""
        await answers.shutdown(config.host.shutdown_grace)

    async def close_connections(_app: web.Application) -> None:
        await model.close()
        await limits.close()
        await storage.close()
        if retriever is not None:
            await asyncio.to_thread(retriever.close)

    app = web.Application(client_max_size=config.host.max_request_bytes, middlewares=[json_errors])
    app[ANSWERS] = answers
    app["agent_configuration"] = auth  # where the SDK's token check finds its settings (its own key)
    app.router.add_post("/api/messages", jwt_authorization_decorator(messages))
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics.handle)
    app.on_startup.append(start_background_work)
    app.on_shutdown.append(finish_answers)
    app.on_cleanup.append(close_connections)
    logger.info("answering with %s", model.description)
    return app
