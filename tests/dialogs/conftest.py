"""Fixtures for the dialog tests: the bot's dialogs against the local model server (real HTTP)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from config import DefaultConfig
from llm import create_chat_model
from tests.dialogs.harness import DialogBot, make_dialog_bot
from tests.support.model_server import ModelServer


@pytest.fixture
async def dialog_bot(model_env: dict[str, str], model_server: ModelServer) -> AsyncIterator[DialogBot]:
    """`MainDialog` in a DialogTestClient, answering with the `openai` client and the local model server."""
    model_server.token_delay = 0.0
    model = create_chat_model(DefaultConfig(model_env).model)
    yield make_dialog_bot(model)
    await model.close()
