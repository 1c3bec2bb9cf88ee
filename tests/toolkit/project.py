"""The Agents Toolkit project as the tests read it: its files, environments and placeholders, and its CLI."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

TOOLKIT_DIR = Path(__file__).resolve().parent
ROOT = TOOLKIT_DIR.parent.parent
CLI_PACKAGE = TOOLKIT_DIR / "node_modules" / "@microsoft" / "m365agentstoolkit-cli"
ATK = TOOLKIT_DIR / "node_modules" / ".bin" / "atk"
PLACEHOLDER = re.compile(r"\$\{\{\s*(\w+)\s*\}\}")


def project_file(name: str) -> dict[str, Any]:
    """One of the m365agents*.yml files, parsed."""
    document: dict[str, Any] = yaml.safe_load((ROOT / name).read_text())
    return document


def env_file(path: Path) -> dict[str, str]:
    """The variables of a dotenv file (the toolkit's env/.env.* or one it writes)."""
    variables = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            variables[name.strip()] = value.strip()
    return variables


def placeholders(value: Any) -> list[str]:
    """The ${{NAME}} placeholders in `value` (a string, or any structure of them), in order."""
    if isinstance(value, str):
        return PLACEHOLDER.findall(value)
    if isinstance(value, dict):
        return [name for item in value.values() for name in placeholders(item)]
    if isinstance(value, list):
        return [name for item in value for name in placeholders(item)]
    return []


def require_cli() -> None:
    """Fail with the command that installs the toolkit's CLI when it is missing."""
    if not ATK.exists():
        pytest.fail(
            f"The Microsoft 365 Agents Toolkit CLI is not installed ({ATK} is missing). Run "
            f"`npm ci --prefix {TOOLKIT_DIR.relative_to(ROOT)}` (the README's test command does).",
            pytrace=False,
        )


def run_atk(*args: str, home: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`atk <args>` in the project folder, non-interactive, without telemetry, with a HOME of its own.

    Offline, its telemetry calls fail at once; they block nothing.
    """
    require_cli()
    return subprocess.run(
        [str(ATK), *args, "--interactive", "false", "--telemetry", "false"],
        cwd=ROOT,
        env={**os.environ, "HOME": str(home), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
