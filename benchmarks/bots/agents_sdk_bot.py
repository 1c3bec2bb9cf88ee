"""A minimal streaming bot on the Microsoft 365 Agents SDK for Python, as its samples build one.

An `AgentApplication` (memory storage, default options) behind the aiohttp `CloudAdapter` and
`start_agent_process`; each message queues a "Thinking…" informative update, streams the `openai`
client's deltas into `context.streaming_response` with `queue_text_chunk`, and calls `end_stream`.
The SDK paces the stream itself (1 s on Teams, 0.5 s on Web Chat).

Local and anonymous: the JWT middleware admits requests without a token, and outbound calls use
the SDK's anonymous token provider, as with an empty app id in the Bot Framework SDK.

It runs in its own virtual environment (benchmarks/requirements-agents.txt), which
`benchmarks.run` creates; it imports nothing from this repository.

Run: `python benchmarks/bots/agents_sdk_bot.py` with HOST, PORT, OPENAI_BASE_URL and OPENAI_MODEL set.
"""

from __future__ import annotations

import os

import openai
from aiohttp import web
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_middleware, start_agent_process
from microsoft_agents.hosting.core import (
    AgentApplication,
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    MemoryStorage,
    TurnContext,
    TurnState,
)
from microsoft_agents.hosting.core.authorization import ConnectionManager

INFORMATIVE_TEXT = "Thinking…"


def create_app(base_url: str, model: str) -> web.Application:
    """The aiohttp application: `/api/messages` into an `AgentApplication` that streams the model."""
    auth = AgentAuthConfiguration(anonymous_allowed=True)
    connections = ConnectionManager(
        provider_factory=lambda _config: AnonymousTokenProvider(),
        connections_configurations={"SERVICE_CONNECTION": auth},
    )
    storage = MemoryStorage()
    adapter = CloudAdapter(connection_manager=connections)
    agent = AgentApplication[TurnState](storage=storage, connection_manager=connections)
    client = openai.AsyncOpenAI(base_url=base_url, api_key="not-needed")

    @agent.activity("message")
    async def on_message(context: TurnContext, _state: TurnState) -> None:
        streaming = context.streaming_response
        streaming.queue_informative_update(INFORMATIVE_TEXT)
        try:
            stream = await client.chat.completions.create(
                model=model,
                messages=[{"role": "user", "content": context.activity.text or ""}],
                stream=True,
            )
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    streaming.queue_text_chunk(chunk.choices[0].delta.content)
        finally:
            await streaming.end_stream()

    async def messages(request: web.Request) -> web.Response:
        return await start_agent_process(request, agent, adapter)

    app = web.Application(middlewares=[jwt_authorization_middleware])
    app["agent_configuration"] = auth
    app.router.add_post("/api/messages", messages)
    return app


def main() -> None:
    app = create_app(os.environ["OPENAI_BASE_URL"], os.environ.get("OPENAI_MODEL", "bench-model"))
    web.run_app(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "3978")),
        access_log=None,
        backlog=4096,
        print=None,
    )


if __name__ == "__main__":
    main()
