"""The Agents SDK host (`python -m agents_host`) as a process of its own environment, started and
stopped like the botbuilder bot (`BotProcess`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from agents_host.venv import agents_python, ensure_agents_venv
from tests.support.bot_process import BotProcess


def agents_interpreter() -> Path:
    """The Agents SDK environment's interpreter; built on first use (about a minute, from PyPI).

    `.ci/run` builds it before the tests. AGENTS_VENV=skip skips the tests that need it on a machine
    that cannot install packages, unless it is built already.
    """
    if os.environ.get("AGENTS_VENV") == "skip":
        python = agents_python()
        if python is None:
            pytest.skip("AGENTS_VENV=skip and .venv-agents is not built: run `python -m agents_host.venv`")
        return python
    return ensure_agents_venv()


def agents_host_process(env: Mapping[str, str]) -> BotProcess:
    """The Agents SDK host with only `env` (plus what `BotProcess` adds: PATH, HOST, PORT, a SQLite file)."""
    return BotProcess(env, argv=(str(agents_interpreter()), "-m", "agents_host"))
