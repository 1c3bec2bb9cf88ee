"""The harness keeps its promises: loopback only, and nothing left running after a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.playground import LOOPBACK, Playground, listening_addresses
from tests.support.bot_process import BotProcess

pytestmark = pytest.mark.e2e


def alive(pid: int) -> bool:
    """True while ``pid`` is a running (not zombie) process."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_bot_and_playground_listen_on_loopback_only(bot: BotProcess, teams_playground: Playground) -> None:
    """Every listening socket of both process groups is bound to 127.0.0.1."""
    for name, process in (("bot", bot.process), ("Playground", teams_playground.process)):
        assert process is not None
        addresses = listening_addresses(process.group_pids())
        assert addresses, f"the {name} listens nowhere?"
        assert {host for host, _ in addresses} == {LOOPBACK}, f"{name} listens on {addresses}"
    assert (LOOPBACK, bot.port) in listening_addresses(bot.process.group_pids())
    assert (LOOPBACK, teams_playground.port) in listening_addresses(teams_playground.process.group_pids())


def test_processes_are_stopped_when_the_test_fails(playground_cli: Path) -> None:
    """A failure inside the ``with`` blocks still stops the bot and the Playground by PID."""
    pids: list[int] = []
    with (
        pytest.raises(RuntimeError, match="a failing test"),
        BotProcess() as bot,
        Playground(bot.endpoint) as playground,
    ):
        assert playground.process is not None
        pids = bot.process.group_pids() + playground.process.group_pids()
        assert all(alive(pid) for pid in pids)
        raise RuntimeError("a failing test")
    playground.cleanup()
    assert pids
    assert [pid for pid in pids if alive(pid)] == []
