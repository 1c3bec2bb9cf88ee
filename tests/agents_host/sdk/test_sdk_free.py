"""The Agents SDK environment has no botbuilder core, and what the host imports of ours needs none."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_botbuilder_core_is_not_installed_here() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("botbuilder.core")


def test_the_host_loads_no_botbuilder_beyond_config_constants() -> None:
    """Only botbuilder.schema and botframework.connector load, for config.py's constants (TEMPORARY)."""
    code = (
        "import sys, agents_host.app, agents_host.__main__, storage.row_stores, storage.redis_rows;"
        "print(sorted({m.split('.')[0] + '.' + m.split('.')[1] for m in sys.modules"
        " if m.startswith(('botbuilder.', 'botframework.'))}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    assert loaded.strip() == "['botbuilder.schema', 'botframework.connector']"
