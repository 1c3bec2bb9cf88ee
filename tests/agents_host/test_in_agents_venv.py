"""The binding's own tests (tests/agents_host/sdk/) import the Agents SDK: run them in its environment.

They run as a pytest of their own in .venv-agents, rooted at their folder so that no conftest of
the botbuilder suite loads; this test passes when all of them pass, and shows their report if not.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.agents_host import agents_interpreter
from tests.support.bot_process import ROOT

SDK_TESTS = Path(__file__).resolve().parent / "sdk"


async def test_the_binding_tests_pass_in_the_agents_sdk_environment() -> None:
    process = await asyncio.create_subprocess_exec(
        str(agents_interpreter()),
        "-m",
        "pytest",
        str(SDK_TESTS),
        "-q",
        "-p",
        "no:cacheprovider",
        f"--confcutdir={SDK_TESTS}",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    report, _ = await process.communicate()
    assert process.returncode == 0, report.decode()
    assert " passed" in report.decode().splitlines()[-1]
