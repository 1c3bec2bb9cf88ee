"""Fixtures: the Agents SDK host as a subprocess of its own environment, with the connector and model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from tests.agents_host.host_process import AgentsHostProcess, agents_venv
from tests.support.model_server import ModelServer

StartHost = Callable[[dict[str, str]], Awaitable[AgentsHostProcess]]


@pytest.fixture(scope="session")
def agents_interpreter() -> Path:
    return agents_venv()


@pytest.fixture
async def start_host(
    agents_interpreter: Path, model_server: ModelServer, tmp_path: Path
) -> AsyncIterator[StartHost]:
    """Start the host with the model server and `env` (SQLite state in this test's folder)."""
    async with AsyncExitStack() as stack:

        async def start(env: dict[str, str]) -> AgentsHostProcess:
            settings = {
                "OPENAI_BASE_URL": f"{model_server.url}/v1",
                "OPENAI_MODEL": "local-test-model",
                "STORAGE": "sqlite",
                "SQLITE_PATH": str(tmp_path / "state.sqlite3"),
                **env,
            }
            return await stack.enter_async_context(AgentsHostProcess(agents_interpreter, settings))

        yield start


# The binding's own tests import the Agents SDK: they run in its environment (test_in_agents_venv.py).
collect_ignore = ["sdk"]
