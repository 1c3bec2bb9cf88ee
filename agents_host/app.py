"""The Agents SDK host: `/api/messages` on the SDK's aiohttp CloudAdapter, and `/healthz`.

It reads the same settings as the botbuilder host (config.py's environment variables) and keeps
state in the same backends (through `AgentsStorage`). Run it with `python -m agents_host`.
"""

from __future__ import annotations

import logging

from aiohttp import web
from microsoft_agents.activity import Activity, ActivityTypes
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_decorator
from microsoft_agents.hosting.core import TurnContext
from pydantic import ValidationError

from config import DefaultConfig
from llm import ChatModel
from storage import RowStore, StorageSettings

from .agent import AnswerSettings, ChatAgent
from .auth import connections
from .continuations import Continuations
from .storage import AgentsStorage

logger = logging.getLogger(__name__)

SORRY = "Sorry, something went wrong on my side and I could not answer. Please try again."


def storage_settings(config: DefaultConfig) -> StorageSettings:
    """Which storage keeps conversation state, from the configuration."""
    return StorageSettings(
        kind=config.STORAGE,
        sqlite_path=config.SQLITE_PATH,
        redis_url=config.REDIS_URL,
        redis_key_prefix=config.REDIS_KEY_PREFIX,
        blob_connection_string=config.BLOB_CONNECTION_STRING,
        blob_container=config.BLOB_CONTAINER,
    )


async def on_turn_error(context: TurnContext, error: Exception) -> None:
    """Log the failure and tell the user, in plain words (the SDK's default shows them the exception)."""
    logger.error("turn failed", exc_info=error)
    try:
        await context.send_activity(Activity(type=ActivityTypes.message, text=SORRY))
    except Exception:
        logger.warning("could not tell the user that the turn failed", exc_info=True)


def create_app(config: DefaultConfig, model: ChatModel, rows: RowStore) -> web.Application:
    """The aiohttp application; the model and the row store are closed when it shuts down."""
    auth, connection_manager = connections(config)
    adapter = CloudAdapter(connection_manager=connection_manager)
    adapter.on_turn_error = on_turn_error
    storage = AgentsStorage(rows)
    continuations = Continuations(adapter)
    agent = ChatAgent(
        storage,
        model,
        continuations,
        AnswerSettings(
            system_prompt=config.SYSTEM_PROMPT,
            history_char_budget=config.HISTORY_CHAR_BUDGET,
            teams_interval=config.TEAMS_STREAM_INTERVAL,
            webchat_interval=config.WEBCHAT_STREAM_INTERVAL,
        ),
    )

    async def messages(request: web.Request) -> web.StreamResponse:
        try:
            return await adapter.process(request, agent)
        except ValidationError as error:
            # The SDK validates the activity outside its own error handling: a 500 without this.
            return web.json_response(
                {"error": f"Not a valid activity: {error.error_count()} errors"}, status=400
            )

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def close(_app: web.Application) -> None:
        await continuations.shutdown(config.SHUTDOWN_GRACE_SECONDS)
        await model.close()
        await storage.close()

    app = web.Application(client_max_size=config.MAX_REQUEST_BYTES)
    app["agent_configuration"] = auth  # where the SDK's token check finds its settings
    app.router.add_post("/api/messages", jwt_authorization_decorator(messages))
    app.router.add_get("/healthz", healthz)
    app.on_shutdown.append(close)
    return app
