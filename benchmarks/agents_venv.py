"""The Agents SDK bot's own virtual environment, built from pinned versions on first use.

The Microsoft 365 Agents SDK needs its own dependency set (it must not mix with botbuilder), so it
lives in benchmarks/.venv-agents (git-ignored), installed with pip from
benchmarks/requirements-agents.txt, and rebuilt when that file changes (see `PinnedVenv`).
"""

from __future__ import annotations

from pathlib import Path

from agents_host.venv import PinnedVenv

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements-agents.txt"
BENCHMARK_AGENTS_VENV = PinnedVenv(HERE / ".venv-agents", install=REQUIREMENTS, pins=(REQUIREMENTS,))


def ensure_agents_venv() -> Path:
    """The Python interpreter of the Agents SDK environment, creating or updating it if needed."""
    return BENCHMARK_AGENTS_VENV.ensure()
