"""Several `python app.py` instances on one Redis behind a real load balancer, as an operator runs them.

`BotInstances` starts the instances side by side (each its own process group and log), then HAProxy
in front of them (`tests/support/load_balancer.py`). A test posts Teams messages through the balancer
and learns from each response which instance took it; it can `kill` one instance as `kill -9` does.
Leaving the `async with` block stops the balancer and every instance, also after a failure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import aiohttp

from storage import RedisStorage
from tests.support.activities import user_message
from tests.support.bot_process import BotProcess
from tests.support.load_balancer import INSTANCE_HEADER, LoadBalancer


@dataclass(frozen=True)
class Delivery:
    """How the balancer answered one posted activity, and which instance it went to."""

    status: int
    instance: str


class BotInstances:
    """`count` bot processes with the same `env` (named bot1, bot2, …) behind one `LoadBalancer`;
    `overrides` changes some settings of some of them, by name (an instance set up wrongly).

    `service_url` is where the instances send their replies: the test's recording connector.
    """

    def __init__(
        self,
        count: int,
        env: Mapping[str, str],
        service_url: str,
        workdir: Path,
        overrides: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.env = dict(env)
        names = [f"bot{number}" for number in range(1, count + 1)]
        self.instances = {name: BotProcess({**env, **(overrides or {}).get(name, {})}) for name in names}
        self.balancer = LoadBalancer(
            {name: f"{bot.url.removeprefix('http://')}" for name, bot in self.instances.items()}, workdir
        )
        self.service_url = service_url
        self._stack = AsyncExitStack()
        self._session: aiohttp.ClientSession | None = None
        self._posted = 0

    async def __aenter__(self) -> Self:
        async with AsyncExitStack() as starting:
            starting.push_async_callback(self._stop)
            # Spawned from the event loop's thread, the test run's main one (see ManagedProcess.spawn),
            # side by side: each instance takes a second or two to start. Waited for in other threads,
            # so that the test's servers keep answering meanwhile. The balancer starts once all are
            # up, so that its first health checks find every instance.
            bots = list(self.instances.values())
            for bot in bots:
                bot.spawn()
            await asyncio.gather(*(asyncio.to_thread(bot.wait_until_healthy) for bot in bots))
            self.balancer.spawn()
            await asyncio.to_thread(self.balancer.wait_until_listening)
            self._session = aiohttp.ClientSession()
            self._stack = starting.pop_all()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._stack.aclose()

    async def _stop(self) -> None:
        """Close the client, stop the balancer, then every instance at once (each finishes its answers);
        print their logs, which pytest shows when the test failed."""
        if self._session is not None:
            await self._session.close()
        await asyncio.to_thread(self.balancer.stop)
        stopping = [asyncio.to_thread(bot.process.stop) for bot in self.instances.values()]
        await asyncio.gather(*stopping)
        print(f"--- haproxy ---\n{self.balancer.log}")
        for name, bot in self.instances.items():
            lines = [line for line in bot.log.splitlines() if "GET /healthz" not in line]
            print(f"--- {name} ---", *lines, sep="\n")
            bot.stop()  # removes its folder

    async def post(self, activity: dict[str, Any]) -> Delivery:
        """POST `activity` to /api/messages through the balancer; the status and the instance that took it."""
        assert self._session is not None, "use BotInstances in `async with`"
        self._posted += 1
        async with self._session.post(self.balancer.endpoint, json=activity) as response:
            await response.read()
            return Delivery(response.status, response.headers.get(INSTANCE_HEADER, ""))

    async def say(self, text: str, conversation_id: str, *, sender: dict[str, str] | None = None) -> Delivery:
        """Post a user's message in a Teams personal chat through the balancer."""
        return await self.post(
            user_message(text, self.service_url, conversation_id=conversation_id, sender=sender)
        )

    async def stored_history(
        self, conversation_id: str, *, entries: int, within: float = 10.0
    ) -> list[dict[str, Any]]:
        """The Teams chat's history as the instances keep it in Redis, once it has `entries` entries
        or `within` seconds have passed (an answer's turn saves it just after the final message)."""
        storage = RedisStorage(self.env["REDIS_URL"], key_prefix=self.env["REDIS_KEY_PREFIX"])
        key = f"msteams/conversations/{conversation_id}"  # ConversationState's key for it
        deadline = time.monotonic() + within
        try:
            while True:
                history = (await storage.read([key])).get(key, {}).get("history", [])
                if len(history) >= entries or time.monotonic() > deadline:
                    return history
                await asyncio.sleep(0.05)
        finally:
            await storage.close()

    def kill(self, name: str) -> None:
        """`kill -9` the instance `name` (its whole process group): no shutdown, no final words."""
        self.instances[name].process.kill()

    def log(self, name: str) -> str:
        """What the instance `name` has logged so far."""
        return self.instances[name].log

    async def served_by(self, within: float = 5.0) -> list[str]:
        """The instance of each message the balancer passed on, in order, from its log (health checks
        are not logged). HAProxy logs a request once it has answered it: this waits until every
        message posted so far is in the log."""
        deadline = time.monotonic() + within
        while True:
            served = [
                line.split("server=", 1)[1].split(" ", 1)[0]
                for line in self.balancer.log.splitlines()
                if line.startswith("request ") and "/api/messages" in line
            ]
            if len(served) >= self._posted or time.monotonic() > deadline:
                return served
            await asyncio.sleep(0.02)
